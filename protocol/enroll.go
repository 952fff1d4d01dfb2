package protocol

// EnrollPath is where an agent enrolls (POST, JSON).
const EnrollPath = "/api/v1/agents/enroll"

// LinkPath is the agent's WebSocket; %s is its device id.
const LinkPath = "/api/v1/agents/%s/ws"

// EnrollRequest is the body of POST /api/v1/agents/enroll.
type EnrollRequest struct {
	EnrollmentKey string `json:"enrollmentKey"`
	Hostname      string `json:"hostname"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	AgentVersion  string `json:"agentVersion"`
}

// EnrollResponse is the 201 answer. AgentToken ("brz_...") is shown once;
// the server keeps only its SHA-256.
type EnrollResponse struct {
	AgentToken string `json:"agentToken"`
	DeviceID   string `json:"deviceId"`
	OrgID      string `json:"orgId"`
	SiteID     string `json:"siteId"`
	// ReleaseKeys are the deployment's agent release public keys (see
	// ParseReleaseKey): the agent trusts builds they sign. Absent: the
	// agent keeps what it is configured with. (Additive.)
	ReleaseKeys []string `json:"releaseKeys,omitempty"`
}

// AgentTokenPrefix starts every agent token.
const AgentTokenPrefix = "brz_"
