package ports

import (
	"context"
	"time"
)

// ClusterKey is the public fingerprint of a secret every node must share
// (the access-token signing key, the sealing key), as the first node to
// start with it recorded it. It proves nothing about the secret beyond
// equality and reveals nothing that could recover it.
type ClusterKey struct {
	Name        string // "jwt", "secretbox"
	Fingerprint string
	SetAt       time.Time
	SetBy       string // the node that recorded it (its host name)
}

// ClusterKeyStore keeps the fingerprints of the shared secrets, so a node
// started with another secret refuses to join instead of failing requests
// later (internal/server/clusterkeys.go).
type ClusterKeyStore interface {
	// Claim records k unless a fingerprint is stored under k.Name already,
	// and returns the one stored after the call (k itself when it won).
	Claim(ctx context.Context, k ClusterKey) (ClusterKey, error)
	// Replace swaps the fingerprint stored under name from old to k's
	// (a planned rotation); false when the stored one is no longer old.
	Replace(ctx context.Context, old string, k ClusterKey) (bool, error)
}
