package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

// Bounds of the id cache.
const (
	maxEntries   = 500
	maxAge       = 7 * 24 * time.Hour
	outputBudget = 8 << 20 // bytes of stdout+stderr kept across delivered results
)

const (
	stateStarted = "started"
	stateDone    = "done"
)

// restartedError is the result of a command the agent was running when it
// stopped: it is never run again.
const restartedError = "agent restarted during execution"

// entry is one command id the agent has seen.
type entry struct {
	ID        string                  `json:"id"`
	Action    string                  `json:"action"`
	State     string                  `json:"state"` // started | done
	Received  time.Time               `json:"received"`
	Result    *protocol.CommandResult `json:"result,omitempty"`
	Delivered bool                    `json:"delivered"` // the result was written to a link
}

type storeFile struct {
	Version int      `json:"version"`
	Entries []*entry `json:"entries"`
}

// store is the on-disk id cache. Every change is written (atomically)
// before it is acted on.
type store struct {
	mu      sync.Mutex
	path    string
	now     func() time.Time
	limit   int // maxEntries; tests lower it
	entries map[string]*entry
}

// openStore loads path; ids left "started" by a previous run become failed,
// undelivered results.
func openStore(path string, now func() time.Time) (*store, error) {
	s := &store{path: path, now: now, limit: maxEntries, entries: map[string]*entry{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read command cache: %w", err)
	}
	var f storeFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("command cache %s is corrupt: %w", path, err)
	}
	changed := false
	for _, e := range f.Entries {
		if e == nil || e.ID == "" {
			continue
		}
		if e.State != stateDone {
			t := now().UTC()
			e.State, e.Delivered, changed = stateDone, false, true
			e.Result = &protocol.CommandResult{Header: protocol.Header{Type: protocol.TypeCommandResult, ID: e.ID},
				Status: protocol.ResultFailed, Error: restartedError, StartedAt: e.Received, FinishedAt: t}
		}
		s.entries[e.ID] = e
	}
	if changed {
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.saveLocked(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// begin records id as started unless it is known; it returns a copy of
// the known entry, or nil when id is new.
func (s *store) begin(id, action string) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[id]; ok {
		c := *e
		return &c, nil
	}
	s.entries[id] = &entry{ID: id, Action: action, State: stateStarted, Received: s.now().UTC()}
	if err := s.saveLocked(); err != nil {
		delete(s.entries, id)
		return nil, err
	}
	return nil, nil
}

// finish stores id's result (not yet delivered).
func (s *store) finish(id string, res protocol.CommandResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok { // pruned while running (only with > maxEntries running at once)
		e = &entry{ID: id, Received: res.StartedAt}
		s.entries[id] = e
	}
	e.State, e.Result, e.Delivered = stateDone, &res, false
	return s.saveLocked()
}

// delivered marks id's result as written to a link.
func (s *store) delivered(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok || e.Delivered {
		return nil
	}
	e.Delivered = true
	return s.saveLocked()
}

// undelivered returns the results still to send, oldest first.
func (s *store) undelivered() []protocol.CommandResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []protocol.CommandResult
	for _, e := range s.sortedLocked() {
		if e.State == stateDone && !e.Delivered && e.Result != nil {
			out = append(out, *e.Result)
		}
	}
	return out
}

func (s *store) get(id string) (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return entry{}, false
	}
	return *e, true
}

// sortedLocked lists entries oldest first.
func (s *store) sortedLocked() []*entry {
	es := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		if !es[i].Received.Equal(es[j].Received) {
			return es[i].Received.Before(es[j].Received)
		}
		return es[i].ID < es[j].ID
	})
	return es
}

// pruneLocked drops ids older than maxAge and beyond maxEntries (a
// started one stays: it still runs), and strips the output of the oldest
// delivered results beyond outputBudget.
func (s *store) pruneLocked() {
	es := s.sortedLocked()
	cutoff := s.now().Add(-maxAge)
	excess := len(es) - s.limit
	for _, e := range es {
		if e.State == stateStarted {
			continue
		}
		if excess > 0 || e.Received.Before(cutoff) {
			delete(s.entries, e.ID)
			excess--
		}
	}
	used := 0
	for i := len(es) - 1; i >= 0; i-- { // newest keep their output
		e := es[i]
		if _, ok := s.entries[e.ID]; !ok || e.Result == nil {
			continue
		}
		n := len(e.Result.Stdout) + len(e.Result.Stderr)
		if used+n > outputBudget && e.Delivered {
			e.Result.Stdout, e.Result.Stderr, e.Result.Truncated = "", "", true
			continue
		}
		used += n
	}
}

func (s *store) saveLocked() error {
	s.pruneLocked()
	data, err := json.Marshal(storeFile{Version: 1, Entries: s.sortedLocked()})
	if err != nil {
		return fmt.Errorf("encode command cache: %w", err)
	}
	if err := config.WriteFileAtomic(s.path, data); err != nil {
		return fmt.Errorf("write command cache: %w", err)
	}
	return nil
}
