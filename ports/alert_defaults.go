package ports

import (
	"context"
	"time"
)

// AlertDefaultsStore remembers which organizations were given the default
// alert rules, so each gets them once: an org whose admin deleted a
// default never gets it back.
type AlertDefaultsStore interface {
	// Claim marks orgID as given the defaults at at and reports true, or
	// reports false and writes nothing when it already was (an earlier
	// start, another node, a concurrent call). Run it in the transaction
	// that creates the rules. Unknown org: ErrNotFound.
	Claim(ctx context.Context, orgID string, at time.Time) (bool, error)
	// Unclaimed lists at most limit ids of orgs never given the defaults,
	// in id order (a system read for the seeding at start).
	Unclaimed(ctx context.Context, limit int) ([]string, error)
}
