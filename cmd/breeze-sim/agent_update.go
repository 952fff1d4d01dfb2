package main

import (
	"encoding/json"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/protocol"
)

// The rollout phase's agent side: an update offer is answered like the
// real agent does (downloading, installed), without downloading or
// swapping anything; then the link closes and the agent relinks at once
// with the offered version in its hello, as the restarted build would.

func (a *agent) agentVersion() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.version == "" {
		return simVersion
	}
	return a.version
}

// takeRestart reports (once) that an update asked for a relink.
func (a *agent) takeRestart() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.restart
	a.restart = false
	return r
}

// update serves one update offer on the reader goroutine.
func (a *agent) update(conn *websocket.Conn, data []byte) {
	var o protocol.UpdateOffer
	if json.Unmarshal(data, &o) != nil || o.Version == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if o.Version == a.version {
		return
	}
	for _, st := range []string{protocol.UpdateDownloading, protocol.UpdateInstalled} {
		frame, _ := json.Marshal(protocol.UpdateResult{Header: protocol.Header{Type: protocol.TypeUpdateResult}, RolloutID: o.RolloutID,
			Version: o.Version, State: st, Running: a.versionLocked()})
		if !a.write(conn, frame) {
			return
		}
	}
	a.version, a.restart = o.Version, true
	_ = conn.Close() // the reader ends; run relinks at once
}

func (a *agent) versionLocked() string {
	if a.version == "" {
		return simVersion
	}
	return a.version
}
