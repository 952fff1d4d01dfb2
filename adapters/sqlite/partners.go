package sqlite

import (
	"context"
	"fmt"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

type partnerStore struct{ s *Store }

var partners = &table[*domain.Partner]{
	name:  "partners",
	what:  "partner",
	cols:  "id, name, require_totp, require_mtls, version, created_at, updated_at",
	read:  partnerScope,
	write: partnerScope,
	scan:  scanPartner,
	idOf:  func(p *domain.Partner) string { return p.ID },
	failOn: failure{
		unique:   "a partner with that name already exists",
		restrict: "partner still has organizations or users",
	},
}

func scanPartner(r rowScanner) (*domain.Partner, error) {
	var p domain.Partner
	var created, updated int64
	if err := r.Scan(&p.ID, &p.Name, &p.RequireTOTP, &p.RequireMTLS, &p.Version, &created, &updated); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// Create adds a partner. Partners have no parent: only the global scope
// (the platform owner) covers the level they are created at.
func (ps partnerStore) Create(ctx context.Context, s domain.Scope, p *domain.Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !s.Global {
		return domain.NotFoundf("only the platform scope creates partners")
	}
	id, err := newID("partner", p.ID)
	if err != nil {
		return err
	}
	t := now()
	err = ps.s.write(ctx, func(q queryer) error {
		_, err := q.ExecContext(ctx, "INSERT INTO partners (id, name, require_totp, require_mtls, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
			id, p.Name, p.RequireTOTP, p.RequireMTLS, micros(t), micros(t))
		return failure{
			op:     "create partner",
			unique: fmt.Sprintf("a partner named %q already exists", p.Name),
			dup:    fmt.Sprintf("partner %s already exists", id),
		}.wrap(err)
	})
	if err != nil {
		return err
	}
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = id, 1, t, t
	return nil
}

func (ps partnerStore) Get(ctx context.Context, s domain.Scope, id string) (*domain.Partner, error) {
	return partners.get(ctx, ps.s.read(ctx), s, id)
}

func (ps partnerStore) List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*domain.Partner], error) {
	return partners.list(ctx, ps.s.read(ctx), s, filter{}, page)
}

func (ps partnerStore) Update(ctx context.Context, s domain.Scope, p *domain.Partner) (*domain.Partner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out *domain.Partner
	err := ps.s.write(ctx, func(q queryer) (err error) {
		out, err = partners.update(ctx, q, s, p.ID, p.Version, "name = ?, require_totp = ?, require_mtls = ?", p.Name, p.RequireTOTP, p.RequireMTLS)
		return err
	})
	return out, err
}

func (ps partnerStore) Delete(ctx context.Context, s domain.Scope, id string) error {
	return ps.s.write(ctx, func(q queryer) error { return partners.delete(ctx, q, s, id) })
}

var _ ports.PartnerStore = partnerStore{}
