package ports

import (
	"context"
	"time"
)

// CA states: one active CA signs; trusted ones (the previous CA during a
// rotation) still verify; retired ones verify nothing.
const (
	CAActive  = "active"
	CATrusted = "trusted"
	CARetired = "retired"
)

// CertAuthority is one CA of the agents' mutual TLS (core/app/agentca): its
// certificate in PEM and its private key sealed at rest.
type CertAuthority struct {
	ID        string
	CertPEM   string
	KeySealed string
	State     string // CAActive, CATrusted or CARetired
	CreatedAt time.Time
	RetiredAt time.Time // zero unless retired
}

// DeviceCert is a client certificate issued to a device: its serial (hex),
// which CA signed it, its validity, and when it was revoked (zero: never).
type DeviceCert struct {
	Serial    string
	DeviceID  string
	CAID      string
	NotBefore time.Time
	NotAfter  time.Time
	IssuedAt  time.Time
	RevokedAt time.Time
}

// CertStores holds the agents' CA and the certificates it issued.
type CertStores interface {
	CAs() CAStore
	DeviceCerts() DeviceCertStore
}

// CAStore keeps the CAs every node shares.
type CAStore interface {
	// List returns every CA, newest first.
	List(ctx context.Context) ([]CertAuthority, error)
	// CreateActive stores ca (State is set to active) unless a CA is active
	// already, and returns the active CA after the call: two nodes creating
	// the first CA together both get the winner's.
	CreateActive(ctx context.Context, ca CertAuthority) (CertAuthority, error)
	// Rotate demotes the active CA oldID to trusted and stores ca as the
	// active one, atomically; false when oldID is not the active CA (any
	// more): nothing changed.
	Rotate(ctx context.Context, oldID string, ca CertAuthority) (bool, error)
	// Retire marks the trusted (not active) CA id retired at at;
	// domain.ErrNotFound when no trusted CA has that id.
	Retire(ctx context.Context, id string, at time.Time) error
}

// DeviceCertStore keeps the issued certificates.
type DeviceCertStore interface {
	// Record stores a newly issued certificate (a taken serial: ErrConflict).
	Record(ctx context.Context, c DeviceCert) error
	// Get returns the certificate with that serial, or domain.ErrNotFound.
	Get(ctx context.Context, serial string) (DeviceCert, error)
	// Latest returns the device's most recently issued certificate, or
	// domain.ErrNotFound.
	Latest(ctx context.Context, deviceID string) (DeviceCert, error)
	// RevokeDevice revokes every unrevoked certificate of the device at at
	// and returns how many it revoked.
	RevokeDevice(ctx context.Context, deviceID string, at time.Time) (int, error)
	// CountValid counts, per CA id, the certificates neither revoked nor
	// expired at now (the status a CA retirement waits on).
	CountValid(ctx context.Context, now time.Time) (map[string]int, error)
}
