package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// CAs keeps the agents' CAs (see ports.CAStore).
func (s *Store) CAs() ports.CAStore { return caStore{s} }

// DeviceCerts keeps the issued client certificates (see ports.DeviceCertStore).
func (s *Store) DeviceCerts() ports.DeviceCertStore { return deviceCertStore{s} }

type caStore struct{ s *Store }

var _ ports.CAStore = caStore{}

const caCols = "id, cert_pem, key_sealed, state, created_at, retired_at"

func scanCA(r rowScanner) (ports.CertAuthority, error) {
	var ca ports.CertAuthority
	var created int64
	var retired sql.NullInt64
	if err := r.Scan(&ca.ID, &ca.CertPEM, &ca.KeySealed, &ca.State, &created, &retired); err != nil {
		return ca, err
	}
	ca.CreatedAt = fromMicros(created)
	if retired.Valid {
		ca.RetiredAt = fromMicros(retired.Int64)
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
	rows, err := cs.s.read(ctx).QueryContext(ctx, "SELECT "+caCols+" FROM agent_cas ORDER BY created_at DESC, id DESC")
	if err != nil {
		return nil, failure{op: "list CAs"}.wrap(err)
	}
	defer rows.Close()
	var out []ports.CertAuthority
	for rows.Next() {
		ca, err := scanCA(rows)
		if err != nil {
			return nil, failure{op: "list CAs"}.wrap(err)
		}
		out = append(out, ca)
	}
	return out, failure{op: "list CAs"}.wrap(rows.Err())
}

func (cs caStore) CreateActive(ctx context.Context, ca ports.CertAuthority) (ports.CertAuthority, error) {
	if err := validCA(ca); err != nil {
		return ports.CertAuthority{}, err
	}
	var out ports.CertAuthority
	err := cs.s.write(ctx, func(q queryer) error {
		// The unique index on the active state makes a second active CA a
		// no-op; the read returns whichever is active.
		if _, err := q.ExecContext(ctx, "INSERT INTO agent_cas ("+caCols+") VALUES (?, ?, ?, 'active', ?, NULL) ON CONFLICT DO NOTHING",
			ca.ID, ca.CertPEM, ca.KeySealed, micros(ca.CreatedAt)); err != nil {
			return failure{op: "create CA"}.wrap(err)
		}
		var err error
		out, err = scanCA(q.QueryRowContext(ctx, "SELECT "+caCols+" FROM agent_cas WHERE state = 'active'"))
		return failure{op: "read active CA"}.wrap(err)
	})
	return out, err
}

func (cs caStore) Rotate(ctx context.Context, oldID string, ca ports.CertAuthority) (bool, error) {
	if err := validCA(ca); err != nil {
		return false, err
	}
	done := false
	err := cs.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE agent_cas SET state = 'trusted' WHERE id = ? AND state = 'active'", oldID)
		if err != nil {
			return failure{op: "demote CA"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		if _, err := q.ExecContext(ctx, "INSERT INTO agent_cas ("+caCols+") VALUES (?, ?, ?, 'active', ?, NULL)",
			ca.ID, ca.CertPEM, ca.KeySealed, micros(ca.CreatedAt)); err != nil {
			return failure{op: "store new CA"}.wrap(err)
		}
		done = true
		return nil
	})
	return done, err
}

func (cs caStore) Retire(ctx context.Context, id string, at time.Time) error {
	return cs.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE agent_cas SET state = 'retired', retired_at = ? WHERE id = ? AND state = 'trusted'", micros(at), id)
		if err != nil {
			return failure{op: "retire CA"}.wrap(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domain.NotFoundf("no trusted (rotated-out) CA %s", id)
		}
		return nil
	})
}

type deviceCertStore struct{ s *Store }

var _ ports.DeviceCertStore = deviceCertStore{}

const deviceCertCols = "serial, device_id, ca_id, not_before, not_after, issued_at, revoked_at"

func scanDeviceCert(r rowScanner) (ports.DeviceCert, error) {
	var c ports.DeviceCert
	var nb, na, issued int64
	var revoked sql.NullInt64
	if err := r.Scan(&c.Serial, &c.DeviceID, &c.CAID, &nb, &na, &issued, &revoked); err != nil {
		return c, err
	}
	c.NotBefore, c.NotAfter, c.IssuedAt = fromMicros(nb), fromMicros(na), fromMicros(issued)
	if revoked.Valid {
		c.RevokedAt = fromMicros(revoked.Int64)
	}
	return c, nil
}

func (ds deviceCertStore) Record(ctx context.Context, c ports.DeviceCert) error {
	if c.Serial == "" || !domain.ValidID(c.DeviceID) || !domain.ValidID(c.CAID) {
		return domain.Invalidf("a device certificate needs a serial, a device and a CA")
	}
	return ds.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO device_certs ("+deviceCertCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			c.Serial, c.DeviceID, c.CAID, micros(c.NotBefore), micros(c.NotAfter), micros(c.IssuedAt), nullMicros(c.RevokedAt))
		return failure{op: "record device certificate", dup: "certificate serial " + c.Serial + " exists",
			missing: "device or CA not found"}.wrap(err)
	})
}

func (ds deviceCertStore) Get(ctx context.Context, serial string) (ports.DeviceCert, error) {
	c, err := scanDeviceCert(ds.s.read(ctx).QueryRowContext(ctx, "SELECT "+deviceCertCols+" FROM device_certs WHERE serial = ?", serial))
	if errors.Is(err, sql.ErrNoRows) {
		return c, domain.NotFoundf("certificate not found")
	}
	return c, failure{op: "get device certificate"}.wrap(err)
}

func (ds deviceCertStore) Latest(ctx context.Context, deviceID string) (ports.DeviceCert, error) {
	c, err := scanDeviceCert(ds.s.read(ctx).QueryRowContext(ctx,
		"SELECT "+deviceCertCols+" FROM device_certs WHERE device_id = ? ORDER BY issued_at DESC, serial DESC LIMIT 1", deviceID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, domain.NotFoundf("the device has no certificate")
	}
	return c, failure{op: "latest device certificate"}.wrap(err)
}

func (ds deviceCertStore) RevokeDevice(ctx context.Context, deviceID string, at time.Time) (int, error) {
	n := 0
	err := ds.s.write(ctx, func(q queryer) error {
		res, err := q.ExecContext(ctx, "UPDATE device_certs SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL", micros(at), deviceID)
		if err != nil {
			return failure{op: "revoke device certificates"}.wrap(err)
		}
		k, err := res.RowsAffected()
		n = int(k)
		return err
	})
	return n, err
}

func (ds deviceCertStore) CountValid(ctx context.Context, now time.Time) (map[string]int, error) {
	rows, err := ds.s.read(ctx).QueryContext(ctx,
		"SELECT ca_id, count(*) FROM device_certs WHERE revoked_at IS NULL AND not_after > ? GROUP BY ca_id", micros(now))
	if err != nil {
		return nil, failure{op: "count device certificates"}.wrap(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, failure{op: "count device certificates"}.wrap(err)
		}
		out[id] = n
	}
	return out, failure{op: "count device certificates"}.wrap(rows.Err())
}
