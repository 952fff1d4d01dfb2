package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// CAs keeps the agents' CAs (see ports.CAStore).
func (s *Store) CAs() ports.CAStore { return caStore{s} }

// DeviceCerts keeps the issued client certificates (see ports.DeviceCertStore).
func (s *Store) DeviceCerts() ports.DeviceCertStore { return deviceCertStore{q: s.q} }

type caStore struct{ s *Store }

var _ ports.CAStore = caStore{}

const caCols = "id, cert_pem, key_sealed, state, created_at, retired_at"

func scanCA(r pgx.Row) (ports.CertAuthority, error) {
	var ca ports.CertAuthority
	var retired *time.Time
	if err := r.Scan(&ca.ID, &ca.CertPEM, &ca.KeySealed, &ca.State, &ca.CreatedAt, &retired); err != nil {
		return ca, err
	}
	ca.CreatedAt = ca.CreatedAt.UTC()
	if retired != nil {
		ca.RetiredAt = retired.UTC()
	}
	return ca, nil
}

func validCA(ca ports.CertAuthority) error {
	if !domain.ValidID(ca.ID) || ca.CertPEM == "" || ca.KeySealed == "" {
		return domain.Invalidf("a CA needs an id, a certificate and a sealed key")
	}
	return nil
}

func (cs caStore) List(ctx context.Context) ([]ports.CertAuthority, error) {
	ctx = system(ctx)
	out, err := queryAll(ctx, cs.s.q, "SELECT "+caCols+" FROM agent_cas ORDER BY created_at DESC, id DESC", nil, scanCA)
	if err != nil {
		return nil, translate("list CAs", err)
	}
	return out, nil
}

func (cs caStore) CreateActive(ctx context.Context, ca ports.CertAuthority) (ports.CertAuthority, error) {
	ctx = system(ctx)
	if err := validCA(ca); err != nil {
		return ports.CertAuthority{}, err
	}
	// The insert and the read are one statement (see cluster keys). When
	// another node's insert was still uncommitted, ON CONFLICT waited for it
	// but the statement's snapshot does not show its row: read again.
	for try := 0; ; try++ {
		out, err := scanCA(cs.s.q.QueryRow(ctx, `WITH ins AS (
				INSERT INTO agent_cas (`+caCols+`) VALUES ($1, $2, $3, 'active', $4, NULL)
				ON CONFLICT DO NOTHING RETURNING `+caCols+`)
			SELECT `+caCols+` FROM ins
			UNION ALL SELECT `+caCols+` FROM agent_cas WHERE state = 'active' AND NOT EXISTS (SELECT 1 FROM ins)`,
			ca.ID, ca.CertPEM, ca.KeySealed, ca.CreatedAt.UTC()))
		if errors.Is(err, pgx.ErrNoRows) && try < 3 {
			continue
		}
		if err != nil {
			return ports.CertAuthority{}, translate("create CA", err)
		}
		return out, nil
	}
}

func (cs caStore) Rotate(ctx context.Context, oldID string, ca ports.CertAuthority) (bool, error) {
	ctx = system(ctx)
	if err := validCA(ca); err != nil {
		return false, err
	}
	if !domain.ValidID(oldID) {
		return false, nil
	}
	done := false
	err := cs.s.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		q := tx.(*Store).q
		tag, err := q.Exec(ctx, "UPDATE agent_cas SET state = 'trusted' WHERE id = $1 AND state = 'active'", oldID)
		if err != nil {
			return translate("demote CA", err)
		}
		if tag.RowsAffected() != 1 {
			return nil
		}
		if _, err := q.Exec(ctx, "INSERT INTO agent_cas ("+caCols+") VALUES ($1, $2, $3, 'active', $4, NULL)",
			ca.ID, ca.CertPEM, ca.KeySealed, ca.CreatedAt.UTC()); err != nil {
			return translate("store new CA", err)
		}
		done = true
		return nil
	})
	return done, err
}

func (cs caStore) Retire(ctx context.Context, id string, at time.Time) error {
	ctx = system(ctx)
	if !domain.ValidID(id) {
		return notFound("trusted CA")
	}
	tag, err := cs.s.q.Exec(ctx, "UPDATE agent_cas SET state = 'retired', retired_at = $2 WHERE id = $1 AND state = 'trusted'", id, at.UTC())
	if err != nil {
		return translate("retire CA", err)
	}
	if tag.RowsAffected() != 1 {
		return domain.NotFoundf("no trusted (rotated-out) CA %s", id)
	}
	return nil
}

type deviceCertStore struct{ q querier }

var _ ports.DeviceCertStore = deviceCertStore{}

const deviceCertCols = "serial, device_id, ca_id, not_before, not_after, issued_at, revoked_at"

func scanDeviceCert(r pgx.Row) (ports.DeviceCert, error) {
	var c ports.DeviceCert
	var revoked *time.Time
	if err := r.Scan(&c.Serial, &c.DeviceID, &c.CAID, &c.NotBefore, &c.NotAfter, &c.IssuedAt, &revoked); err != nil {
		return c, err
	}
	c.NotBefore, c.NotAfter, c.IssuedAt = c.NotBefore.UTC(), c.NotAfter.UTC(), c.IssuedAt.UTC()
	if revoked != nil {
		c.RevokedAt = revoked.UTC()
	}
	return c, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (ds deviceCertStore) Record(ctx context.Context, c ports.DeviceCert) error {
	ctx = system(ctx)
	if c.Serial == "" || !domain.ValidID(c.DeviceID) || !domain.ValidID(c.CAID) {
		return domain.Invalidf("a device certificate needs a serial, a device and a CA")
	}
	_, err := ds.q.Exec(ctx, "INSERT INTO device_certs ("+deviceCertCols+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		c.Serial, c.DeviceID, c.CAID, c.NotBefore.UTC(), c.NotAfter.UTC(), c.IssuedAt.UTC(), nullTime(c.RevokedAt))
	return translate("record device certificate", err)
}

func (ds deviceCertStore) Get(ctx context.Context, serial string) (ports.DeviceCert, error) {
	ctx = system(ctx)
	c, err := scanDeviceCert(ds.q.QueryRow(ctx, "SELECT "+deviceCertCols+" FROM device_certs WHERE serial = $1", serial))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, notFound("certificate")
	}
	return c, translate("get device certificate", err)
}

func (ds deviceCertStore) Latest(ctx context.Context, deviceID string) (ports.DeviceCert, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return ports.DeviceCert{}, notFound("certificate")
	}
	c, err := scanDeviceCert(ds.q.QueryRow(ctx,
		"SELECT "+deviceCertCols+" FROM device_certs WHERE device_id = $1 ORDER BY issued_at DESC, serial DESC LIMIT 1", deviceID))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, notFound("certificate")
	}
	return c, translate("latest device certificate", err)
}

func (ds deviceCertStore) RevokeDevice(ctx context.Context, deviceID string, at time.Time) (int, error) {
	ctx = system(ctx)
	if !domain.ValidID(deviceID) {
		return 0, nil
	}
	tag, err := ds.q.Exec(ctx, "UPDATE device_certs SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL", deviceID, at.UTC())
	if err != nil {
		return 0, translate("revoke device certificates", err)
	}
	return int(tag.RowsAffected()), nil
}

func (ds deviceCertStore) CountValid(ctx context.Context, now time.Time) (map[string]int, error) {
	ctx = system(ctx)
	rows, err := ds.q.Query(ctx,
		"SELECT ca_id, count(*) FROM device_certs WHERE revoked_at IS NULL AND not_after > $1 GROUP BY ca_id", now.UTC())
	if err != nil {
		return nil, translate("count device certificates", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, translate("count device certificates", err)
		}
		out[id] = n
	}
	return out, translate("count device certificates", rows.Err())
}
