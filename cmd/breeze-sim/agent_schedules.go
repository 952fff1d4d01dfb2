package main

import (
	"encoding/json"
	"maps"

	"github.com/breeze-rmm/breeze/protocol"
)

// The schedules phase's agent side: every shard keeps the id of each
// uptime command its agents were handed, with how many times it came
// (a repeat of one id is a redelivery; two ids for one fire would be a
// double fire, which the coordinator finds by matching ids to fires).
const (
	cmdWork = "work" // parent → shard: send the uptime ids seen so far
	evWork  = "work" // shard → parent: event.Work
)

// noteWork records an uptime command frame.
func (s *shard) noteWork(data []byte) {
	var c struct {
		ID     string `json:"id"`
		Action string `json:"action"`
	}
	if json.Unmarshal(data, &c) != nil || c.ID == "" || c.Action != protocol.ActionUptime {
		return
	}
	s.workMu.Lock()
	if s.work == nil {
		s.work = map[string]uint32{}
	}
	s.work[c.ID]++
	s.workMu.Unlock()
}

// takeWork returns a copy of every uptime id seen so far.
func (s *shard) takeWork() map[string]uint32 {
	s.workMu.Lock()
	defer s.workMu.Unlock()
	out := maps.Clone(s.work)
	if out == nil {
		out = map[string]uint32{}
	}
	return out
}
