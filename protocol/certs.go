package protocol

// Client certificates for mutual TLS on the link (docs/security.md). The
// agent keeps one private key (made at enrollment, never sent) and asks for
// a new certificate for it over the link: at two thirds of the current
// one's lifetime, when it has none, or when the welcome says CertRenew
// (its certificate comes from a CA being rotated out).
const (
	TypeCertRequest = "cert_request" // agent → server: a CSR
	TypeCertIssued  = "cert_issued"  // server → agent: the answer
	// TypeCertRenew (server → agent, no payload) asks a linked agent to
	// renew now: the CA was rotated. Agents wait a random delay of up to a
	// minute first, so a fleet does not ask all at once.
	TypeCertRenew = "cert_renew"
)

// CertRequest carries a PEM CSR signed by the agent's key. Its names are
// ignored: the certificate names the link's device.
type CertRequest struct {
	Header
	CSR string `json:"csr"`
}

// CertIssued answers a CertRequest (same id): the PEM certificate and the
// CA roots, or Error when the server would not issue one.
type CertIssued struct {
	Header
	Cert    string `json:"cert,omitempty"`
	CARoots string `json:"caRoots,omitempty"`
	Error   string `json:"error,omitempty"`
}
