package ports

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// RemoteStore holds remote work: commands, the script library and its
// runs, and browser WebSocket tickets. ports.Store embeds it.
type RemoteStore interface {
	Commands() CommandStore
	Scripts() ScriptStore
	Tickets() TicketStore
}

// CommandFilter narrows a command list. Empty fields do not filter.
type CommandFilter struct {
	DeviceID string
	BatchID  string
	Status   domain.CommandStatus
}

// CommandStore keeps commands. A command is visible when the scope covers
// its (partner, org, site) as stored at creation.
type CommandStore interface {
	// Create stores c (Status queued unless set). The device must be covered
	// by s and have an agent, not be a network device (ErrNotFound
	// otherwise); PartnerID, OrgID, SiteID are filled from it. A second command of the same device with the same non-empty
	// IdempotencyKey is ErrConflict and stores nothing.
	Create(ctx context.Context, s domain.Scope, c *domain.Command) error
	// ByIdempotencyKey finds a device's command by its key, within s.
	ByIdempotencyKey(ctx context.Context, s domain.Scope, deviceID, key string) (*domain.Command, error)
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Command, error)
	// GetForDevice serves the link: the command only if it belongs to the
	// device (an agent never reads another device's command); ErrNotFound else.
	GetForDevice(ctx context.Context, deviceID, id string) (*domain.Command, error)
	// List is newest first (descending id).
	List(ctx context.Context, s domain.Scope, f CommandFilter, page domain.PageRequest) (domain.Page[*domain.Command], error)
	// Transition applies u atomically when the stored status is one of from;
	// otherwise ErrConflict, and the stored command is returned alongside so
	// the caller sees what won. Unknown id: ErrNotFound.
	Transition(ctx context.Context, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error)
	// TransitionForDevice is Transition for the device's own link, in one
	// statement: a command of another device is ErrNotFound (as for
	// GetForDevice) and stays as it is.
	TransitionForDevice(ctx context.Context, deviceID, id string, from []domain.CommandStatus, u domain.CommandUpdate) (*domain.Command, error)
	// Pending lists a device's commands in a pending status, oldest first,
	// at most limit (the link delivers them when the agent says hello).
	Pending(ctx context.Context, deviceID string, limit int) ([]*domain.Command, error)
	// Overdue lists sent or running commands whose SentAt + TimeoutSeconds
	// + grace is at or before now, oldest first, at most limit (the
	// deadline sweep: an agent that never returns a result).
	Overdue(ctx context.Context, now time.Time, grace time.Duration, limit int) ([]*domain.Command, error)
	// Expired lists queued commands whose ExpiresAt is at or before now,
	// oldest expiry first, at most limit (the expiry sweep: the database
	// holds the deadline, not a queue task that can be lost).
	Expired(ctx context.Context, now time.Time, limit int) ([]*domain.Command, error)
	// CountByBatch tallies a batch's commands by status.
	CountByBatch(ctx context.Context, batchID string) (domain.RunCounts, error)
}

// ScriptFilter narrows a script list.
type ScriptFilter struct {
	OrgID string // an org's own scripts plus its partner's shared ones
	Query string // case-insensitive substring of the name
}

// ScriptStore keeps the script library and runs. Reading: an org script is
// visible when s covers its org or one of its sites; a partner-wide script
// when s covers the partner or any org or site of that partner (it is
// shared with them).
// Writing (Create/Update/Delete): an org script needs its org covered, a
// partner-wide one its partner covered; otherwise ErrNotFound.
type ScriptStore interface {
	// Create fills ID, Version=1, times, PartnerID (from the org when OrgID
	// is set), and keeps version 1. Same name in the same (partner, org):
	// ErrConflict.
	Create(ctx context.Context, s domain.Scope, sc *domain.Script) error
	Get(ctx context.Context, s domain.Scope, id string) (*domain.Script, error)
	List(ctx context.Context, s domain.Scope, f ScriptFilter, page domain.PageRequest) (domain.Page[*domain.Script], error)
	// Update changes Name, Description, Language, Body, Params,
	// TimeoutSeconds, RunAs and OSFilter when Version matches (ErrConflict
	// otherwise), bumps Version and keeps the new version.
	Update(ctx context.Context, s domain.Scope, sc *domain.Script) (*domain.Script, error)
	Delete(ctx context.Context, s domain.Scope, id string) error
	// Versions lists the kept versions, newest first (cursor on version).
	Versions(ctx context.Context, s domain.Scope, scriptID string) ([]*domain.ScriptVersion, error)
	Version(ctx context.Context, s domain.Scope, scriptID string, version int64) (*domain.ScriptVersion, error)

	// CreateRun stores a run; its org must be covered by s.
	CreateRun(ctx context.Context, s domain.Scope, r *domain.ScriptRun) error
	// GetRun: visible when s covers the run's org.
	GetRun(ctx context.Context, s domain.Scope, id string) (*domain.ScriptRun, error)
	// ListRuns lists runs newest first, optionally of one script.
	ListRuns(ctx context.Context, s domain.Scope, scriptID string, page domain.PageRequest) (domain.Page[*domain.ScriptRun], error)
}

// TicketStore keeps one-use WebSocket tickets, by hash.
type TicketStore interface {
	Create(ctx context.Context, t *domain.WSTicket) error
	// Consume atomically spends the ticket with hash and returns it. An
	// unknown, spent or expired (ExpiresAt <= now) ticket is ErrNotFound,
	// all alike; of two concurrent Consume calls at most one succeeds.
	Consume(ctx context.Context, hash string, now time.Time) (*domain.WSTicket, error)
	// Prune deletes tickets that expired before before.
	Prune(ctx context.Context, before time.Time) (int64, error)
}
