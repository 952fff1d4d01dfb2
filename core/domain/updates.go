package domain

import "time"

// AgentRelease is one agent build the server stores and offers: a
// platform, a version, the binary's hash and size, and the ed25519
// signature a release key made over protocol.ReleaseMessage.
type AgentRelease struct {
	ID        string
	Version   string
	OS        string
	Arch      string
	SHA256    string // hex
	Size      int64
	Signature string // base64
	Notes     string
	CreatedBy string
	CreatedAt time.Time
}

// Rollout scopes.
const (
	RolloutScopePartner = "partner"
	RolloutScopeOrg     = "org"
	RolloutScopeSite    = "site"
	RolloutScopeGroup   = "group"
)

// Rollout states: one active or paused rollout per scope.
const (
	RolloutActive    = "active"
	RolloutPaused    = "paused"
	RolloutStopped   = "stopped"   // by a user, or failures passed the threshold
	RolloutCompleted = "completed" // every stage done
)

// Rollout moves the agents of a scope to a version in stages.
type Rollout struct {
	ID        string
	PartnerID string
	OrgID     string // "" for a partner rollout
	SiteID    string // the site of a site rollout, or of a site's group
	ScopeKind string // partner, org, site, group
	ScopeID   string
	Version   string // the target agent version (a release per platform)
	// Stages are cumulative percentages of the scope's agents, ascending,
	// the last 100 (e.g. 1, 10, 100).
	Stages []int
	// PauseSeconds between a stage's end and the next one's start.
	PauseSeconds int
	// FailureThreshold (percent): the rollout stops when more than this
	// share of the devices offered so far failed or rolled back.
	FailureThreshold int
	AllowDowngrade   bool
	TrialSeconds     int // how long an updated agent has to link (0: the agent's default)
	State            string
	Stage            int        // index into Stages of the stage running (or paused)
	NextStageAt      *time.Time // set between stages: the next starts then
	Reason           string     // why it stopped
	CreatedBy        string
	RowVersion       int64
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Terminal reports whether the rollout is over.
func (r *Rollout) Terminal() bool { return r.State == RolloutStopped || r.State == RolloutCompleted }

// Device update states (protocol.Update* plus the server's own).
const (
	DeviceUpdatePending     = "pending"     // chosen for a stage, not yet offered (offline)
	DeviceUpdateOffered     = "offered"     // the offer was sent
	DeviceUpdateDownloading = "downloading" // the agent fetches the build
	DeviceUpdateInstalled   = "installed"   // swapped, restarting on it
	DeviceUpdateLinked      = "linked"      // linked on the new version: done
	DeviceUpdateFailed      = "failed"      // refused or failed; the old build runs
	DeviceUpdateRolledBack  = "rolled_back" // the new build did not link; back on the old
	DeviceUpdateSkipped     = "skipped"     // no build for its platform
)

// DeviceUpdateTerminal reports whether a device's update is over.
func DeviceUpdateTerminal(state string) bool {
	switch state {
	case DeviceUpdateLinked, DeviceUpdateFailed, DeviceUpdateRolledBack, DeviceUpdateSkipped:
		return true
	}
	return false
}

// DeviceUpdate is one device's place in a rollout.
type DeviceUpdate struct {
	RolloutID   string
	DeviceID    string
	OrgID       string
	Stage       int
	State       string
	FromVersion string
	Error       string
	OfferedAt   *time.Time
	UpdatedAt   time.Time
}
