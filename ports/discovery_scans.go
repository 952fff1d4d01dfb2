package ports

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ScanStores holds discovery scan jobs. ports.Store embeds it.
type ScanStores interface {
	DiscoveryScans() DiscoveryScanStore
}

// ScanFilter narrows a scan job list. Empty fields do not filter.
type ScanFilter struct {
	OrgID     string
	SiteID    string
	ProfileID string
	Status    domain.ScanStatus
}

// MaxScanLiveHosts bounds the live hosts a job keeps for its probe phase
// (a profile covers at most a /16).
const MaxScanLiveHosts = 65536

// DiscoveryScanStore keeps scan jobs, their commands and the live hosts
// their pages named. Jobs are site rows (scoped like devices); the
// system calls (the job task and the page intake) are unscoped.
type DiscoveryScanStore interface {
	// Create stores a job in a site s covers (ErrNotFound otherwise),
	// filling ID (unless set), PartnerID, OrgID and CreatedAt.
	Create(ctx context.Context, s domain.Scope, j *domain.ScanJob) error
	// Get reads a job with its commands within s.
	Get(ctx context.Context, s domain.Scope, id string) (*domain.ScanJob, error)
	// List lists jobs within s newest first (descending id; ids are time-ordered), without commands.
	List(ctx context.Context, s domain.Scope, f ScanFilter, page domain.PageRequest) (domain.Page[*domain.ScanJob], error)
	// GetSystem reads a job with its commands, unscoped.
	GetSystem(ctx context.Context, id string) (*domain.ScanJob, error)
	// Transition applies u to a job whose status is one of from (and whose
	// phase is u.OnlyInPhase when set). Otherwise ErrConflict, with the
	// stored job returned; an unknown job is ErrNotFound.
	Transition(ctx context.Context, id string, from []domain.ScanStatus, u domain.ScanJobUpdate) (*domain.ScanJob, error)
	// AddCommand records one of a job's commands; the same command again
	// changes nothing.
	AddCommand(ctx context.Context, c domain.ScanCommand) error
	// CommandFor finds the job command of commandID when that command was
	// sent to deviceID; ErrNotFound otherwise (a forged page).
	CommandFor(ctx context.Context, deviceID, commandID string) (*domain.ScanCommand, error)
	// RecordPage counts a page of a command in one transaction: a Seq at
	// or below the last one is a duplicate (nothing changes); otherwise the
	// command's counts advance, a skipped Seq marks the job partial, the
	// live IPs join the job's hosts (AssetsFound counts the new ones) and,
	// with CountScanned, the job's Scanned grows by the command's advance.
	RecordPage(ctx context.Context, p domain.ScanPage) (domain.ScanPageOutcome, error)
	// LiveHosts lists the job's live hosts (at most limit), sorted.
	LiveHosts(ctx context.Context, jobID string, limit int) ([]string, error)
}
