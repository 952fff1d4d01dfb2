package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// identRows are the identity rows one transaction writes.
type identRows struct {
	user  *domain.User
	role  *domain.Role
	grant *domain.RoleAssignment
	key   *domain.APIKey
	token *domain.RefreshToken
	audit *domain.AuditEntry
}

// writeIdentRows creates a user with a grant, a role, a key, a session and
// an audit row through tx, reading each back inside the transaction.
func writeIdentRows(ctx context.Context, tx ports.Store, tr *identTree) (*identRows, error) {
	r := &identRows{user: userIn(tr.P1.ID, tr.A.ID)}
	if err := tx.Users().Create(ctx, global, r.user); err != nil {
		return r, fmt.Errorf("create user: %w", err)
	}
	r.role = &domain.Role{PartnerID: tr.P1.ID, Name: uniq("tx-role"), Permissions: []domain.Permission{domain.PermDevicesRead}}
	if err := tx.Roles().Create(ctx, global, r.role); err != nil {
		return r, fmt.Errorf("create role: %w", err)
	}
	r.grant = grantAt(r.user.ID, r.role.ID, tr.P1.ID, tr.A.ID, "")
	if err := tx.RoleAssignments().Create(ctx, global, r.grant); err != nil {
		return r, fmt.Errorf("create grant: %w", err)
	}
	r.key = apiKeyIn(r.user.ID, tr.P1.ID, tr.A.ID, "")
	if err := tx.APIKeys().Create(ctx, global, r.key); err != nil {
		return r, fmt.Errorf("create API key: %w", err)
	}
	r.token = refreshIn(r.user.ID, domain.NewID())
	if err := tx.RefreshTokens().Create(ctx, r.token); err != nil {
		return r, fmt.Errorf("create refresh token: %w", err)
	}
	r.audit = auditIn(r.user.ID, tr.P1.ID, tr.A.ID)
	if err := tx.Audit().Append(ctx, r.audit); err != nil {
		return r, fmt.Errorf("append audit: %w", err)
	}

	// The transaction sees its own writes.
	if _, err := tx.Users().GetByEmail(ctx, r.user.Email); err != nil {
		return r, fmt.Errorf("GetByEmail inside the tx: %w", err)
	}
	grants, err := tx.RoleAssignments().GrantsOf(ctx, r.user.ID)
	if err != nil || len(grants) != 1 {
		return r, fmt.Errorf("GrantsOf inside the tx = %d grants, %v; want 1", len(grants), err)
	}
	if _, err := tx.APIKeys().GetByHash(ctx, r.key.SecretHash); err != nil {
		return r, fmt.Errorf("GetByHash inside the tx: %w", err)
	}
	if ok, err := tx.RefreshTokens().FamilyActive(ctx, r.token.FamilyID, identNow()); err != nil || !ok {
		return r, fmt.Errorf("FamilyActive inside the tx = %v, %v; want true", ok, err)
	}
	return r, nil
}

func testIdentTx(t *testing.T, _ IdentityFactory, st ports.Store) {
	t.Run("RollsBackOnError", func(t *testing.T) {
		ctx := t.Context()
		tr := newIdentTree(t, st)
		_, checkedBefore, err := st.Audit().Verify(ctx)
		must(t, "Verify", err)
		var rows *identRows
		err = st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			var err error
			if rows, err = writeIdentRows(ctx, tx, tr); err != nil {
				return err
			}
			return fmt.Errorf("fn failed: %w", errBoom)
		})
		wantIs(t, "InTx", err, errBoom)
		if rows == nil || rows.user == nil {
			t.Fatal("InTx did not run fn")
		}
		wantIdentGone(t, st, rows)
		wantIntact(t, st, "after a rolled-back append", checkedBefore)
		// The sequence continues without a gap.
		e := appendAudit(t, st, auditIn(domain.NewID(), tr.P1.ID, ""))
		eqFields(t, "append after the rollback", field{"Seq", e.Seq, checkedBefore + 1})
		wantIntact(t, st, "after the next append", checkedBefore+1)
	})

	t.Run("RollsBackOnPanic", func(t *testing.T) {
		tr := newIdentTree(t, st)
		var rows *identRows
		recovered := func() (v any) {
			defer func() { v = recover() }()
			_ = st.InTx(t.Context(), func(ctx context.Context, tx ports.Store) error {
				var err error
				if rows, err = writeIdentRows(ctx, tx, tr); err != nil {
					t.Errorf("writeIdentRows: %v", err)
				}
				panic(errBoom)
			})
			return nil
		}()
		if recovered != errBoom {
			t.Errorf("recovered %v, want %v", recovered, errBoom)
		}
		if rows != nil {
			wantIdentGone(t, st, rows)
		}
		wantIntact(t, st, "after a panic", -1)
	})

	t.Run("CommitsOnNil", func(t *testing.T) {
		ctx := t.Context()
		tr := newIdentTree(t, st)
		var rows *identRows
		err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			var err error
			rows, err = writeIdentRows(ctx, tx, tr)
			return err
		})
		must(t, "InTx", err)
		if _, err := st.Users().GetByID(ctx, rows.user.ID); err != nil {
			t.Errorf("committed user: %v", err)
		}
		if g, err := st.RoleAssignments().GrantsOf(ctx, rows.user.ID); err != nil || len(g) != 1 {
			t.Errorf("committed grant: GrantsOf = %d, %v", len(g), err)
		}
		if _, err := st.APIKeys().GetByHash(ctx, rows.key.SecretHash); err != nil {
			t.Errorf("committed key: %v", err)
		}
		if !familyActive(t, st, rows.token.FamilyID, identNow()) {
			t.Error("committed session is not active")
		}
		got := listAudit(t, st, orgScopeOf(tr.A.ID), ports.AuditFilter{}, 10)
		if len(got) != 1 || got[0].ID != rows.audit.ID {
			t.Errorf("committed audit row: List = %v", auditIDs(got))
		}
		wantIntact(t, st, "after a committed append", -1)
	})

	t.Run("RotateInsideARolledBackTxIsUndone", func(t *testing.T) {
		ctx := t.Context()
		tr := newIdentTree(t, st)
		u := newUser(t, st, tr.P1.ID, "")
		tok := newRefresh(t, st, u.ID, "")
		next := refreshIn("", "")
		err := st.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
			if _, err := tx.RefreshTokens().Rotate(ctx, tok.TokenHash, next, identNow()); err != nil {
				return err
			}
			if err := tx.Users().RecordLogin(ctx, u.ID, identNow(), 77); err != nil {
				return err
			}
			return errBoom
		})
		wantIs(t, "InTx", err, errBoom)
		_, err = st.RefreshTokens().Rotate(ctx, next.TokenHash, refreshIn("", ""), identNow())
		wantIs(t, "Rotate the rolled-back successor", err, domain.ErrNotFound)
		_, err = st.RefreshTokens().Rotate(ctx, tok.TokenHash, refreshIn("", ""), identNow())
		must(t, "Rotate the token the rollback left unspent", err)
		eqUser(t, "user after a rolled-back login", globalUser(t, st, u.ID), u)
		must(t, "the rolled-back TOTP step is free again", st.Users().RecordLogin(ctx, u.ID, identNow(), 77))
	})
}

func wantIdentGone(t *testing.T, st ports.Store, r *identRows) {
	t.Helper()
	ctx := t.Context()
	if r.user != nil && r.user.ID != "" {
		if _, err := st.Users().GetByID(ctx, r.user.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("user from a rolled-back tx: GetByID error = %v, want ErrNotFound", err)
		}
		if _, err := st.Users().GetByEmail(ctx, r.user.Email); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("user from a rolled-back tx: GetByEmail error = %v, want ErrNotFound", err)
		}
		if g, _ := st.RoleAssignments().GrantsOf(ctx, r.user.ID); len(g) != 0 {
			t.Errorf("grants from a rolled-back tx: GrantsOf = %d grants", len(g))
		}
	}
	if r.role != nil && r.role.ID != "" {
		if _, err := st.Roles().Get(ctx, global, r.role.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("role from a rolled-back tx: Get error = %v, want ErrNotFound", err)
		}
	}
	if r.grant != nil && r.grant.ID != "" {
		if _, err := st.RoleAssignments().Get(ctx, global, r.grant.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("grant from a rolled-back tx: Get error = %v, want ErrNotFound", err)
		}
	}
	if r.key != nil {
		if _, err := st.APIKeys().GetByHash(ctx, r.key.SecretHash); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("API key from a rolled-back tx: GetByHash error = %v, want ErrNotFound", err)
		}
	}
	if r.token != nil {
		if _, err := st.RefreshTokens().Rotate(ctx, r.token.TokenHash, refreshIn("", ""), identNow()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("refresh token from a rolled-back tx: Rotate error = %v, want ErrNotFound", err)
		}
	}
	if r.audit != nil && r.audit.ID != "" {
		for _, e := range listAudit(t, st, global, ports.AuditFilter{ActorID: r.audit.ActorID}, 50) {
			if e.ID == r.audit.ID {
				t.Errorf("audit row from a rolled-back tx is listed")
			}
		}
	}
}

func testIdentPartnerTOTP(t *testing.T, _ IdentityFactory, st ports.Store) {
	ctx := t.Context()
	p := &domain.Partner{Name: uniq("totp-partner"), RequireTOTP: true}
	must(t, "Create", st.Partners().Create(ctx, global, p))
	get := func(what string, want bool) *domain.Partner {
		t.Helper()
		got, err := st.Partners().Get(ctx, global, p.ID)
		must(t, what, err)
		eqFields(t, what, field{"RequireTOTP", got.RequireTOTP, want})
		return got
	}
	got := get("Get after Create", true)
	if !p.RequireTOTP {
		t.Error("Create cleared RequireTOTP on the caller's struct")
	}
	listed := false
	for _, x := range drainPartners(t, st, partnerScopeOf(p.ID)) {
		if x.ID == p.ID {
			listed = true
			eqFields(t, "List", field{"RequireTOTP", x.RequireTOTP, true})
		}
	}
	if !listed {
		t.Error("partner not listed")
	}

	in := *got
	in.RequireTOTP = false
	res, err := st.Partners().Update(ctx, partnerScopeOf(p.ID), &in)
	must(t, "Update to false", err)
	eqFields(t, "Update result", field{"RequireTOTP", res.RequireTOTP, false}, field{"Version", res.Version, got.Version + 1})
	got = get("Get after Update to false", false)

	in = *got
	in.RequireTOTP = true
	in.Name = uniq("totp-renamed")
	res, err = st.Partners().Update(ctx, global, &in)
	must(t, "Update to true with a new name", err)
	eqFields(t, "Update result", field{"RequireTOTP", res.RequireTOTP, true}, field{"Name", res.Name, in.Name})
	get("Get after Update to true", true)

	plain := newPartner(t, st)
	eqFields(t, "a partner created without it", field{"RequireTOTP", plain.RequireTOTP, false})
	get2, err := st.Partners().Get(ctx, global, plain.ID)
	must(t, "Get", err)
	eqFields(t, "a partner created without it", field{"RequireTOTP", get2.RequireTOTP, false})

	// A stale update changes neither field.
	stale := *got
	stale.RequireTOTP = false
	_, err = st.Partners().Update(ctx, global, &stale)
	wantIs(t, "stale Update", err, domain.ErrConflict)
	get("Get after a stale Update", true)
}

func drainPartners(t testing.TB, st ports.Store, s domain.Scope) []*domain.Partner {
	t.Helper()
	var out []*domain.Partner
	drain(t, "List partners", func(req domain.PageRequest) (domain.Page[*domain.Partner], error) {
		p, err := st.Partners().List(t.Context(), s, req)
		out = append(out, p.Items...)
		return p, err
	}, func(p *domain.Partner) string { return p.ID })
	return out
}
