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
	// CSR (PEM, optional) asks for a client certificate for mutual TLS
	// (docs/security.md, "Mutual TLS"). Only its public key and signature
	// count: the server names the certificate after the device id it
	// assigns, whatever names the request carries.
	CSR string `json:"csr,omitempty"`
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
	// ClientCert (PEM) answers a CSR: the device's certificate, short-lived
	// (30 days by default) and renewed over the link (cert_request).
	// CARoots (PEM, one or more) are the roots the server trusts for agent
	// certificates (two during a CA rotation).
	ClientCert string `json:"clientCert,omitempty"`
	CARoots    string `json:"caRoots,omitempty"`
}

// AgentTokenPrefix starts every agent token.
const AgentTokenPrefix = "brz_"
