// Package apitest builds a real Breeze API server for tests: a temporary
// SQLite database with the migrations applied, the real JWT, argon2id, TOTP
// and in-process rate-limit adapters, and a settable clock, seeded with two
// partners (A and B), each with two organizations, a site in each and a
// Partner Admin, plus a Platform Admin. Requests are served in process
// (httptest), synchronously: when Do returns, the request's audit row is
// written.
package apitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/breeze-rmm/breeze/adapters/http"
	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/jwt"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/adapters/password"
	"github.com/breeze-rmm/breeze/adapters/postgres"
	"github.com/breeze-rmm/breeze/adapters/postgres/pgtest"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/adapters/sqlite"
	"github.com/breeze-rmm/breeze/adapters/sqlmigrate"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/app/agents"
	"github.com/breeze-rmm/breeze/core/app/alerts"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/app/commands"
	"github.com/breeze-rmm/breeze/core/app/discovery"
	"github.com/breeze-rmm/breeze/core/app/discovery/scans"
	"github.com/breeze-rmm/breeze/core/app/maintenance"
	"github.com/breeze-rmm/breeze/core/app/schedules"
	"github.com/breeze-rmm/breeze/core/app/scripts"
	"github.com/breeze-rmm/breeze/core/app/tenancy"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Token issuer and audience of the test server.
const (
	Issuer   = "breeze-test"
	Audience = "breeze-api-test"
)

// DefaultPassword is every seeded user's password.
const DefaultPassword = "correct horse battery staple"

// Options tune the test server; zero fields take the services' defaults.
type Options struct {
	Limits        auth.Limits   // sign-in limits (default: auth.Limits' tiers, 100 per IP per 15 min)
	ReuseGrace    time.Duration // refresh race grace (default 10 s)
	RefreshTTL    time.Duration // refresh token life (default 30 days)
	AccessTTL     time.Duration // access token life (default 15 min)
	SecureCookies bool
	// WrapAudit, when set, wraps the audit store the API appends to (to
	// make appends fail, say); the services and AuditRows use the real one.
	WrapAudit func(ports.AuditStore) ports.AuditStore
	// WrapScriptQueue, when set, wraps the queue the script service
	// enqueues its fan-outs on (to make them fail, say); the handlers run
	// on the real one.
	WrapScriptQueue func(ports.Queue) ports.Queue
	// DiscoveryScans, when set, builds the discovery scans service over
	// the remote-work parts (its page intake and step task are wired like
	// the server does it; its routes are served).
	DiscoveryScans func(st ports.Store, p *RemoteParts) *scans.Service
	// ScheduleScans lets schedules of kind discovery start scans (nil:
	// that kind is refused).
	ScheduleScans schedules.Scans
	// Postgres runs the server on a fresh PostgreSQL database (pgtest)
	// instead of a SQLite file.
	Postgres bool
	// Agents tunes the agent side (enrollment, link, telemetry).
	Agents AgentOptions
	// PublicURL is the server's public URL (default https://breeze.example.test);
	// DownloadDir holds the agent binaries served at /downloads (default none).
	PublicURL   string
	DownloadDir string
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Client-Cert the server believes (default none).
	TrustedProxies []string
}

// AgentOptions tune the agent side of the test server; zero fields take
// the services' defaults, except FlushEvery (default 20 ms, so tests see
// heartbeats stored quickly).
type AgentOptions struct {
	HeartbeatInterval time.Duration
	EnrollLimit       ports.Limit
	Hub               agentws.Options
	BatchSize         int
	FlushEvery        time.Duration
	QueueSize         int
	// RequireMTLS requires a client certificate on every link (server-wide);
	// CertTTL is the certificates' lifetime (default 30 days). Certificates
	// are renewed without the minimum interval.
	RequireMTLS bool
	CertTTL     time.Duration
}

// auditWrapped is the store with its audit log replaced.
type auditWrapped struct {
	ports.Store
	audit ports.AuditStore
}

func (s auditWrapped) Audit() ports.AuditStore { return s.audit }

// User is a seeded or created user with their credentials.
type User struct {
	ID        string
	Email     string
	Password  string
	PartnerID string
	OrgID     string
}

// Tenant is one seeded partner: Orgs[i] has Sites[i].
type Tenant struct {
	Partner *domain.Partner
	Orgs    [2]*domain.Organization
	Sites   [2]*domain.Site
	Admin   User // holds Partner Admin over the partner
}

// Seed is the data every test server starts with.
type Seed struct {
	Platform User // holds Platform Admin globally; home partner A
	A, B     Tenant
}

// TestServer is a running API server and its parts.
type TestServer struct {
	*httpapi.Server
	Store  ports.Store
	Auth   *auth.Service
	Access *access.Service
	Tokens *jwt.Tokens
	Hasher *password.Hasher
	TOTP   *password.TOTP
	Clock  *Clock
	Logs   *LogBuffer
	Seed   Seed

	// The agent side (see agents.go of this package): nil when the store
	// does not implement ports.AgentStore yet.
	Agents     *agents.Service
	AgentStore ports.Store
	Hub        *agentws.Hub
	Batch      *agents.BatchWriter
	Sweeper    *agents.Sweeper
	Retention  *agents.Retention
	Events     *agents.RecordEvents
	// Remote is the remote-work side; nil when the store lacks it.
	Remote *RemoteParts
	// Alerts serves alert rules and alerts and judges every heartbeat (its
	// evaluation job not running: call Flush, or Run it).
	Alerts *alerts.Service
	// Maintenance serves maintenance windows (its reload job not running:
	// every write here reloads).
	Maintenance *maintenance.Service
	// Discovery serves discovery profiles and assets (Merge and Finish are
	// called directly by tests; asset events go on Remote's bus).
	Discovery *discovery.Service
	// CA is the agents' certificate authority (mutual TLS).
	CA *agentca.Service

	httpOnce sync.Once
	httpURL  string

	hash string // DefaultPassword's hash, shared by seeded users (hashing is slow on purpose)
	n    atomic.Int64
}

// NewServer builds a seeded server with default options.
func NewServer(t testing.TB) *TestServer { return NewServerWith(t, Options{}) }

// NewServerWith builds a seeded server with opts.
func NewServerWith(t testing.TB, opts Options) *TestServer {
	t.Helper()
	st := openStore(t, opts.Postgres)

	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	limiter := memory.NewRateLimiter(memory.RateLimiterOptions{Clock: clock})
	t.Cleanup(func() { _ = limiter.Close() })
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	keys, err := jwt.NewKeySet(secret)
	if err != nil {
		t.Fatalf("apitest: key set: %v", err)
	}
	tokens, err := jwt.New(jwt.Options{Issuer: Issuer, Audience: Audience, TTL: opts.AccessTTL, Keys: keys, Clock: clock.Now})
	if err != nil {
		t.Fatalf("apitest: tokens: %v", err)
	}
	// The cheapest parameters the adapter accepts: tests sign in a lot.
	hasher, err := password.NewHasher(password.Options{Params: password.Params{MemoryKiB: 7168, Iterations: 1, Parallelism: 1}})
	if err != nil {
		t.Fatalf("apitest: hasher: %v", err)
	}
	totp, err := password.NewTOTP(password.TOTPOptions{Issuer: "Breeze test"})
	if err != nil {
		t.Fatalf("apitest: totp: %v", err)
	}
	boxKey := make([]byte, secretbox.KeySize)
	_, _ = rand.Read(boxKey)
	secrets, err := secretbox.New(boxKey)
	if err != nil {
		t.Fatalf("apitest: secretbox: %v", err)
	}
	// The principal cache as the server has it (on the test's clock), so
	// every API test also checks that a change drops what it concerns.
	principals := auth.NewPrincipalCache(auth.DefaultPrincipalTTL)
	rev := auth.ForgetFirst{Cache: principals}
	authSvc, err := auth.New(auth.Deps{
		Store: st, Tokens: tokens, Hasher: hasher, TOTP: totp, Limiter: limiter, Sealer: secrets, Clock: clock,
		Limits: opts.Limits, RefreshTTL: opts.RefreshTTL, ReuseGrace: opts.ReuseGrace,
		Revocations: rev, Principals: principals,
	})
	if err != nil {
		t.Fatalf("apitest: auth service: %v", err)
	}
	accessSvc, err := access.New(access.Deps{Store: st, Hasher: hasher, Clock: clock, Revocations: rev})
	if err != nil {
		t.Fatalf("apitest: access service: %v", err)
	}
	var apiStore ports.Store = st
	if opts.WrapAudit != nil {
		apiStore = auditWrapped{Store: st, audit: opts.WrapAudit(st.Audit())}
	}
	auditLog, err := audit.NewLog(audit.LogDeps{Store: apiStore.Audit()})
	if err != nil {
		t.Fatalf("apitest: audit log: %v", err)
	}
	logs := &LogBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn, JSONFormat: true})
	maintSvc, err := maintenance.New(maintenance.Deps{Store: st, Clock: clock, Logger: logger})
	if err != nil {
		t.Fatalf("apitest: maintenance service: %v", err)
	}
	alertSvc, err := alerts.New(alerts.Deps{Store: st, Clock: clock, Logger: logger, Maintenance: maintSvc})
	if err != nil {
		t.Fatalf("apitest: alerts service: %v", err)
	}
	// Orgs created through the API get the default alert rules; the
	// seeded tenants (made on the store) do not.
	var caRef atomic.Pointer[agentca.Service] // built below; told of partner switch changes
	tenancySvc, err := tenancy.New(tenancy.Deps{Store: apiStore, Seeder: alertSvc, Revocations: rev, PartnerRulesChanged: func() {
		if ca := caRef.Load(); ca != nil {
			ca.ForgetPartners()
		}
	}})
	if err != nil {
		t.Fatalf("apitest: tenancy service: %v", err)
	}
	// A rotation seen by the CA asks this server's linked agents to renew,
	// as the server wires it (internal/server/ca.go).
	var hubRef atomic.Pointer[agentws.Hub]
	ca, err := agentca.New(agentca.Deps{Store: st, Sealer: secrets, Clock: clock, Logger: logger,
		CertTTL: opts.Agents.CertTTL, RequireAll: opts.Agents.RequireMTLS, MinReissue: -1,
		OnRotate: func() {
			if h := hubRef.Load(); h != nil {
				h.SendAll(protocol.Header{Type: protocol.TypeCertRenew})
			}
		}})
	if err != nil {
		t.Fatalf("apitest: agent CA: %v", err)
	}
	caRef.Store(ca)
	ag := buildAgents(t, st, limiter, clock, logger, opts.Agents, alertSvc, alertSvc.Intake(), ca)
	hubRef.Store(ag.hub)
	rw := buildRemote(t, st, ag.hub, clock, logger, opts.Postgres, opts.WrapScriptQueue, opts.DiscoveryScans, alertSvc.Intake(), func(p *RemoteParts) {
		if err := alertSvc.EnableRemediation(alerts.Remediation{Queue: p.Queue, Scripts: p.Scripts, Commands: p.Commands,
			CheckEvery: 100 * time.Millisecond}); err != nil {
			t.Fatalf("apitest: alert remediation: %v", err)
		}
	}, opts.ScheduleScans)
	ag.sweeper.WatchHolders(rw.Relay)
	var cmds *commands.Service
	var scr *scripts.Service
	var sch *schedules.Service
	var scn *scans.Service
	if rw != nil {
		cmds, scr, sch, scn = rw.Commands, rw.Scripts, rw.Schedules, rw.Scans
	}
	disc := buildDiscovery(t, st, ag.service, rw, alertSvc.Intake(), clock, logger)
	publicURL := opts.PublicURL
	if publicURL == "" {
		publicURL = "https://breeze.example.test"
	}
	srv, err := api.NewServer(httpapi.Deps{
		Logger:   logger,
		Ready:    st.Ping,
		Registry: prometheus.NewRegistry(),
		Options:  httpapi.Options{TrustedProxies: opts.TrustedProxies},
	}, api.Deps{
		Store: apiStore, Auth: authSvc, Access: accessSvc, Tenancy: tenancySvc, AuditLog: auditLog, Clock: clock,
		RefreshTTL: opts.RefreshTTL, SecureCookies: opts.SecureCookies,
		Agents: ag.service, PublicURL: publicURL, DownloadDir: opts.DownloadDir,
		Commands: cmds, Scripts: scr, Alerts: alertSvc, Maintenance: maintSvc, Schedules: sch,
		DiscoveryScans: scn,
		Discovery:      disc,
	})
	if err != nil {
		t.Fatalf("apitest: build server: %v", err)
	}
	if ag.hub != nil {
		var router agentws.Remote
		if rw != nil {
			router = rw.Router
		}
		ag.hub.Register(srv, ag.service, router, api.AgentDeviceFrom)
	}
	if err := srv.VerifyRoutes(); err != nil {
		t.Fatalf("apitest: %v", err)
	}
	hash, err := hasher.Hash(DefaultPassword)
	if err != nil {
		t.Fatalf("apitest: hash: %v", err)
	}
	ts := &TestServer{
		Server: srv, Store: st, Auth: authSvc, Access: accessSvc, Tokens: tokens, Hasher: hasher, TOTP: totp,
		Clock: clock, Logs: logs, hash: hash,
		Agents: ag.service, AgentStore: ag.store, Hub: ag.hub, Batch: ag.batch, Sweeper: ag.sweeper,
		Retention: ag.retention, Events: ag.events, Remote: rw, Alerts: alertSvc, Maintenance: maintSvc,
		Discovery: disc, CA: ca,
	}
	ts.seed(t)
	return ts
}

func (ts *TestServer) seed(t testing.TB) {
	t.Helper()
	ts.Seed.A = ts.NewTenant(t, "A")
	ts.Seed.B = ts.NewTenant(t, "B")
	ts.Seed.Platform = ts.NewUser(t, domain.RolePlatformAdmin, domain.Unit{}, ts.Seed.A.Partner.ID)
}

// NewTenant creates partner name with organizations name1 and name2, a
// site in each, and a Partner Admin.
func (ts *TestServer) NewTenant(t testing.TB, name string) Tenant {
	t.Helper()
	ctx, all := context.Background(), domain.GlobalScope()
	var tn Tenant
	tn.Partner = &domain.Partner{Name: "Partner " + name}
	if err := ts.Store.Partners().Create(ctx, all, tn.Partner); err != nil {
		t.Fatalf("apitest: create partner: %v", err)
	}
	for i := range tn.Orgs {
		o := &domain.Organization{PartnerID: tn.Partner.ID, Name: fmt.Sprintf("Org %s%d", name, i+1)}
		if err := ts.Store.Orgs().Create(ctx, all, o); err != nil {
			t.Fatalf("apitest: create org: %v", err)
		}
		s := &domain.Site{OrgID: o.ID, Name: fmt.Sprintf("Site %s%d", name, i+1)}
		if err := ts.Store.Sites().Create(ctx, all, s); err != nil {
			t.Fatalf("apitest: create site: %v", err)
		}
		tn.Orgs[i], tn.Sites[i] = o, s
	}
	tn.Admin = ts.NewUser(t, domain.RolePartnerAdmin, domain.Unit{PartnerID: tn.Partner.ID}, "")
	return tn
}

// NewUser creates an active user with DefaultPassword holding roleID at
// unit (give PartnerID, OrgID and SiteID of the unit; an empty unit is a
// global grant, whose user lives in homePartner). A user granted at an org or
// site is that customer's own staff (OrgID set).
func (ts *TestServer) NewUser(t testing.TB, roleID string, unit domain.Unit, homePartner string) User {
	t.Helper()
	ctx, all := context.Background(), domain.GlobalScope()
	n := ts.n.Add(1)
	partner := unit.PartnerID
	if partner == "" {
		partner = homePartner
	}
	u := &domain.User{
		PartnerID: partner, OrgID: unit.OrgID, Email: fmt.Sprintf("user%d@example.test", n),
		Name: fmt.Sprintf("User %d", n), Status: domain.UserActive, PasswordHash: ts.hash,
	}
	if err := ts.Store.Users().Create(ctx, all, u); err != nil {
		t.Fatalf("apitest: create user: %v", err)
	}
	if roleID != "" {
		a := &domain.RoleAssignment{UserID: u.ID, RoleID: roleID, PartnerID: unit.PartnerID, OrgID: unit.OrgID, SiteID: unit.SiteID}
		if err := ts.Store.RoleAssignments().Create(ctx, all, a); err != nil {
			t.Fatalf("apitest: grant role %s at %+v: %v", roleID, unit, err)
		}
	}
	return User{ID: u.ID, Email: u.Email, Password: DefaultPassword, PartnerID: u.PartnerID, OrgID: u.OrgID}
}

// OrgUnit is the unit of org i of tenant tn.
func (tn Tenant) OrgUnit(i int) domain.Unit {
	return domain.Unit{PartnerID: tn.Partner.ID, OrgID: tn.Orgs[i].ID}
}

// SiteUnit is the unit of site i of tenant tn.
func (tn Tenant) SiteUnit(i int) domain.Unit {
	return domain.Unit{PartnerID: tn.Partner.ID, OrgID: tn.Orgs[i].ID, SiteID: tn.Sites[i].ID}
}

// PartnerUnit is the unit of tenant tn's partner.
func (tn Tenant) PartnerUnit() domain.Unit { return domain.Unit{PartnerID: tn.Partner.ID} }

// Session is what a sign-in returns.
type Session struct {
	AccessToken  string
	RefreshToken string
	Cookie       *http.Cookie // the breeze_refresh cookie set
}

// Login signs in and returns the access token; it fails the test otherwise.
func (ts *TestServer) Login(t testing.TB, email, pw string) string {
	t.Helper()
	return ts.LoginSession(t, email, pw).AccessToken
}

// LoginSession signs in and returns the tokens and the refresh cookie.
func (ts *TestServer) LoginSession(t testing.TB, email, pw string) Session {
	t.Helper()
	rec := ts.Request(t, http.MethodPost, api.Prefix+"/auth/login", "", map[string]string{"email": email, "password": pw}, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("apitest: login %s: %d %s", email, rec.Code, rec.Body.String())
	}
	var out api.LoginResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("apitest: login answer: %v", err)
	}
	s := Session{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken}
	for _, c := range rec.Result().Cookies() {
		if c.Name == api.RefreshCookie {
			s.Cookie = c
		}
	}
	return s
}

// Do sends a request with an optional bearer token and JSON body and returns
// the status and the decoded JSON object (nil for an empty body).
func (ts *TestServer) Do(t testing.TB, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	rec := ts.Request(t, method, path, token, body, nil)
	return rec.Code, DecodeJSON(t, rec)
}

// Request serves one request in process. body: nil for none, a string or
// []byte sent as is, anything else marshalled; a body is sent as
// application/json unless header says otherwise.
func (ts *TestServer) Request(t testing.TB, method, path, token string, body any, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("apitest: marshal body: %v", err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec
}

// DecodeJSON decodes a JSON object answer; nil for an empty body.
func DecodeJSON(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if rec.Body.Len() == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("apitest: answer is not a JSON object: %q: %v", rec.Body.String(), err)
	}
	return m
}

// ErrorCode returns the error code of an error answer, or "".
func ErrorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// ErrorMessage returns the message of an error answer, or "".
func ErrorMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// AuditRows returns every audit row, newest first.
func (ts *TestServer) AuditRows(t testing.TB) []*domain.AuditEntry {
	t.Helper()
	var out []*domain.AuditEntry
	page := domain.PageRequest{Limit: domain.MaxPageSize}
	for {
		p, err := ts.Store.Audit().List(context.Background(), domain.GlobalScope(), ports.AuditFilter{}, page)
		if err != nil {
			t.Fatalf("apitest: list audit rows: %v", err)
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		page.Cursor = p.NextCursor
	}
}

// Clock is a settable ports.Clock shared by every time-dependent part of the
// server (tokens, refresh rotation, rate limits).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now implements ports.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// LogBuffer collects the server's log lines (JSON, Warn and above).
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// migrator is a store that brings its own schema up to date.
type migrator interface {
	ports.Store
	Migrate(ctx context.Context) (sqlmigrate.Result, error)
}

// openStore opens a fresh, migrated store: a SQLite file, or a new
// PostgreSQL database dropped at the end of the test.
func openStore(t testing.TB, pg bool) ports.Store {
	t.Helper()
	ctx := context.Background()
	var st migrator
	var err error
	if pg {
		st, err = postgres.Open(ctx, postgres.Options{URL: pgtest.NewDatabase(t)})
	} else {
		st, err = sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "breeze.db")})
	}
	if err != nil {
		t.Fatalf("apitest: open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("apitest: migrate: %v", err)
	}
	return st
}
