package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// RunCerts runs the agent CA and device certificate cases.
func RunCerts(t *testing.T, newStore Factory) {
	t.Helper()
	t.Run("CAs", func(t *testing.T) { testCAs(t, newStore(t)) })
	t.Run("DeviceCerts", func(t *testing.T) { testDeviceCerts(t, newStore(t)) })
	t.Run("PartnerRequireMTLS", func(t *testing.T) { testPartnerMTLS(t, newStore(t)) })
}

func newCA(pem string, at time.Time) ports.CertAuthority {
	return ports.CertAuthority{ID: domain.NewID(), CertPEM: pem, KeySealed: "sealed-" + pem, CreatedAt: at}
}

// testCAs: nodes racing to create the first CA all get the one winner;
// a rotation keeps the old CA trusted and is refused from a stale id;
// only a trusted CA retires.
func testCAs(t *testing.T, st ports.Store) {
	ctx := t.Context()
	at := time.Now().UTC().Truncate(time.Second)
	const racers = 8
	got := make([]ports.CertAuthority, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = st.CAs().CreateActive(ctx, newCA(fmt.Sprintf("pem-%d", i), at))
		}()
	}
	wg.Wait()
	for i := range racers {
		must(t, "create active", errs[i])
		if got[i].ID != got[0].ID || got[i].State != ports.CAActive {
			t.Fatalf("racer %d got CA %s (%s), racer 0 %s: two active CAs", i, got[i].ID, got[i].State, got[0].ID)
		}
	}
	first := got[0]
	if !first.CreatedAt.Equal(at) || first.KeySealed != "sealed-"+first.CertPEM || !first.RetiredAt.IsZero() {
		t.Fatalf("stored CA %+v", first)
	}
	all, err := st.CAs().List(ctx)
	must(t, "list", err)
	if len(all) != 1 {
		t.Fatalf("%d CAs after the race, want 1", len(all))
	}

	second := newCA("pem-second", at.Add(time.Hour))
	ok, err := st.CAs().Rotate(ctx, domain.NewID(), second)
	must(t, "rotate from an unknown CA", err)
	if ok {
		t.Fatal("rotation from a CA that is not active was accepted")
	}
	ok, err = st.CAs().Rotate(ctx, first.ID, second)
	must(t, "rotate", err)
	if !ok {
		t.Fatal("rotation from the active CA refused")
	}
	ok, err = st.CAs().Rotate(ctx, first.ID, newCA("pem-third", at))
	must(t, "rotate again from the old id", err)
	if ok {
		t.Fatal("a second rotation from the same (now trusted) CA was accepted")
	}
	all, err = st.CAs().List(ctx)
	must(t, "list after rotation", err)
	if len(all) != 2 || all[0].ID != second.ID || all[0].State != ports.CAActive || all[1].ID != first.ID || all[1].State != ports.CATrusted {
		t.Fatalf("after rotation %+v", all)
	}
	again, err := st.CAs().CreateActive(ctx, newCA("pem-late", at))
	must(t, "create active after rotation", err)
	if again.ID != second.ID {
		t.Fatalf("create active after rotation returned %s, want the active %s", again.ID, second.ID)
	}

	wantIs(t, "retire the active CA", st.CAs().Retire(ctx, second.ID, at), domain.ErrNotFound)
	wantIs(t, "retire an unknown CA", st.CAs().Retire(ctx, domain.NewID(), at), domain.ErrNotFound)
	must(t, "retire", st.CAs().Retire(ctx, first.ID, at.Add(2*time.Hour)))
	wantIs(t, "retire twice", st.CAs().Retire(ctx, first.ID, at), domain.ErrNotFound)
	all, err = st.CAs().List(ctx)
	must(t, "list after retire", err)
	if all[1].State != ports.CARetired || !all[1].RetiredAt.Equal(at.Add(2*time.Hour)) || all[1].RetiredAt.Location() != time.UTC {
		t.Fatalf("retired CA %+v", all[1])
	}
	if _, err := st.CAs().CreateActive(ctx, ports.CertAuthority{ID: domain.NewID()}); err == nil {
		t.Fatal("a CA without a certificate was accepted")
	}
}

// testDeviceCerts: record, read by serial, latest per device, revoke all
// of a device (and only of that device).
func testDeviceCerts(t *testing.T, st ports.Store) {
	ctx := t.Context()
	c := newChain(t, st)
	dev := newDevice(t, st, c.site.ID, "")
	other := newDevice(t, st, c.site.ID, "")
	at := time.Now().UTC().Truncate(time.Second)
	ca, err := st.CAs().CreateActive(ctx, newCA("pem", at))
	must(t, "create CA", err)
	dc := st.DeviceCerts()
	_, err = dc.Latest(ctx, dev.ID)
	wantIs(t, "latest of a device without certificates", err, domain.ErrNotFound)
	_, err = dc.Get(ctx, "00ff")
	wantIs(t, "get an unknown serial", err, domain.ErrNotFound)
	old := ports.DeviceCert{Serial: uniq("a1"), DeviceID: dev.ID, CAID: ca.ID, NotBefore: at, NotAfter: at.Add(30 * 24 * time.Hour), IssuedAt: at}
	must(t, "record", dc.Record(ctx, old))
	wantIs(t, "record a taken serial", dc.Record(ctx, old), domain.ErrConflict)
	newer := old
	newer.Serial, newer.IssuedAt = uniq("b2"), at.Add(time.Hour)
	must(t, "record newer", dc.Record(ctx, newer))
	theirs := old
	theirs.Serial, theirs.DeviceID = uniq("c3"), other.ID
	must(t, "record other device's", dc.Record(ctx, theirs))

	got, err := dc.Get(ctx, old.Serial)
	must(t, "get", err)
	if got != old {
		t.Fatalf("get %+v, want %+v", got, old)
	}
	latest, err := dc.Latest(ctx, dev.ID)
	must(t, "latest", err)
	if latest.Serial != newer.Serial {
		t.Fatalf("latest %s, want %s", latest.Serial, newer.Serial)
	}
	counts, err := dc.CountValid(ctx, at)
	must(t, "count valid", err)
	if counts[ca.ID] != 3 {
		t.Fatalf("valid certificates of the CA: %d, want 3", counts[ca.ID])
	}
	counts, err = dc.CountValid(ctx, at.Add(31*24*time.Hour))
	must(t, "count valid after expiry", err)
	if counts[ca.ID] != 0 {
		t.Fatalf("valid certificates after they expired: %d, want 0", counts[ca.ID])
	}
	n, err := dc.RevokeDevice(ctx, dev.ID, at.Add(2*time.Hour))
	must(t, "revoke", err)
	if n != 2 {
		t.Fatalf("revoked %d, want 2", n)
	}
	n, err = dc.RevokeDevice(ctx, dev.ID, at.Add(3*time.Hour))
	must(t, "revoke again", err)
	if n != 0 {
		t.Fatalf("revoked %d again, want 0 (the first revocation time stays)", n)
	}
	counts, err = dc.CountValid(ctx, at)
	must(t, "count valid after the revocation", err)
	if counts[ca.ID] != 1 {
		t.Fatalf("valid certificates after revoking a device's two: %d, want 1", counts[ca.ID])
	}
	got, err = dc.Get(ctx, old.Serial)
	must(t, "get revoked", err)
	if !got.RevokedAt.Equal(at.Add(2 * time.Hour)) {
		t.Fatalf("revoked at %v", got.RevokedAt)
	}
	got, err = dc.Get(ctx, theirs.Serial)
	must(t, "get the other device's", err)
	if !got.RevokedAt.IsZero() {
		t.Fatal("revoking one device revoked another's certificate")
	}
	bad := old
	bad.Serial, bad.DeviceID = uniq("d4"), domain.NewID()
	if err := dc.Record(ctx, bad); err == nil {
		t.Fatal("a certificate of an unknown device was recorded")
	}
}

// testPartnerMTLS: the partner's mutual-TLS switch round-trips like requireTotp.
func testPartnerMTLS(t *testing.T, st ports.Store) {
	ctx := t.Context()
	p := &domain.Partner{Name: uniq("mtls-partner"), RequireMTLS: true}
	must(t, "create", st.Partners().Create(ctx, global, p))
	got, err := st.Partners().Get(ctx, global, p.ID)
	must(t, "get", err)
	if !got.RequireMTLS || got.RequireTOTP {
		t.Fatalf("stored partner %+v", got)
	}
	got.RequireMTLS = false
	res, err := st.Partners().Update(ctx, global, got)
	must(t, "update", err)
	if res.RequireMTLS {
		t.Fatal("update did not clear RequireMTLS")
	}
	res.RequireMTLS = true
	res, err = st.Partners().Update(ctx, global, res)
	must(t, "update back", err)
	if !res.RequireMTLS {
		t.Fatal("update did not set RequireMTLS")
	}
}
