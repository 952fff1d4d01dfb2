package domain

import (
	"encoding/json"
	"time"
)

// CommandStatus is where a command is in its life:
// queued → sent → running → succeeded | failed | timed_out | expired | cancelled.
type CommandStatus string

const (
	CommandQueued    CommandStatus = "queued"    // stored; waits for the device's link
	CommandSent      CommandStatus = "sent"      // handed to the node holding the link
	CommandRunning   CommandStatus = "running"   // the agent acknowledged it
	CommandSucceeded CommandStatus = "succeeded" // final
	CommandFailed    CommandStatus = "failed"    // final
	CommandTimedOut  CommandStatus = "timed_out" // final: ran past its timeout
	CommandExpired   CommandStatus = "expired"   // final: the device did not come back in time
	CommandCancelled CommandStatus = "cancelled" // final
)

// Final reports whether no further transition is possible.
func (s CommandStatus) Final() bool {
	switch s {
	case CommandSucceeded, CommandFailed, CommandTimedOut, CommandExpired, CommandCancelled:
		return true
	}
	return false
}

// Valid reports whether s is a known status.
func (s CommandStatus) Valid() bool {
	switch s {
	case CommandQueued, CommandSent, CommandRunning:
		return true
	}
	return s.Final()
}

// PendingStatuses are the statuses of a command not finished yet.
var PendingStatuses = []CommandStatus{CommandQueued, CommandSent, CommandRunning}

// Command is one action asked of one device. A script run on many devices
// is one ScriptRun (BatchID) with one Command per device.
type Command struct {
	ID             string
	PartnerID      string // denormalised from the device at creation, for scoping
	OrgID          string
	SiteID         string
	DeviceID       string
	Action         string          // a protocol.Action* value
	Payload        json.RawMessage // what the agent gets (secrets redacted once final)
	IdempotencyKey string          // optional; unique per device
	BatchID        string          // the ScriptRun, if any
	ScriptID       string          // the script, for run_script from the library
	RequestedBy    string          // user id ("" for the system)
	Status         CommandStatus
	TimeoutSeconds int
	OutputCap      int
	CreatedAt      time.Time
	ExpiresAt      time.Time // a queued command not sent by then expires
	SentAt         *time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	// The result.
	ExitCode  *int
	Stdout    string
	Stderr    string
	Truncated bool
	Error     string
	Data      json.RawMessage // an action's structured answer
	// Attempts counts deliveries to the agent (at least once).
	Attempts int
}

// CommandUpdate is a transition's changes; nil/zero fields are left as stored.
type CommandUpdate struct {
	Status     CommandStatus
	SentAt     *time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	ExitCode   *int
	Stdout     string
	Stderr     string
	Truncated  bool
	Error      string
	Data       json.RawMessage
	// Payload, when set, replaces the stored payload (secret redaction).
	Payload json.RawMessage
	// CountAttempt adds one to Attempts.
	CountAttempt bool

	// Guards: more the stored command must meet, beside its status, for
	// the update to apply (ErrConflict otherwise, as for the status).
	// OutputCapAtLeast > 0: its OutputCap is 0 (the server's setting) or at
	// least this many bytes.
	OutputCapAtLeast int
	// PayloadLacks != "": its payload's JSON text does not contain this.
	PayloadLacks string
}

// Refusal is the ErrConflict of u not applied to the stored cur, whose
// status was to be one of from.
func (u CommandUpdate) Refusal(cur *Command, from []CommandStatus) error {
	if u.OutputCapAtLeast > 0 || u.PayloadLacks != "" {
		return Conflictf("command is %s (wanted one of %v) or does not meet the update's guards", cur.Status, from)
	}
	return Conflictf("command is %s, not in %v", cur.Status, from)
}
