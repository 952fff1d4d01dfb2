package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp/totp"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/adapters/jwt"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	loginPath   = api.Prefix + "/auth/login"
	refreshPath = api.Prefix + "/auth/refresh"
	logoutPath  = api.Prefix + "/auth/logout"
	mePath      = api.Prefix + "/me"
)

func creds(email, pw string) map[string]string {
	return map[string]string{"email": email, "password": pw}
}

func TestLoginSuccess(t *testing.T) {
	ts := apitest.NewServer(t)
	admin := ts.Seed.A.Admin
	rec := ts.Request(t, http.MethodPost, loginPath, "", creds(admin.Email, admin.Password), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("login: %d %s", rec.Code, rec.Body.String())
	}
	body := apitest.DecodeJSON(t, rec)
	for _, k := range []string{"accessToken", "refreshToken"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("login answer lacks %s: %v", k, body)
		}
	}
	if !strings.HasPrefix(body["refreshToken"].(string), auth.RefreshPrefix) {
		t.Errorf("refresh token %q lacks its prefix", body["refreshToken"])
	}
	if body["expiresIn"] != float64(15*60) || body["tokenType"] != "Bearer" || body["mustEnrollTotp"] != false {
		t.Errorf("expiresIn/tokenType/mustEnrollTotp: %v", body)
	}
	user, _ := body["user"].(map[string]any)
	if user["id"] != admin.ID || user["email"] != admin.Email || user["status"] != "active" {
		t.Errorf("user: %v", user)
	}
	for _, secret := range []string{"passwordHash", "PasswordHash", "totpSecret", "TOTPSecret", "argon2id"} {
		if strings.Contains(rec.Body.String(), secret) {
			t.Errorf("login answer leaks %s: %s", secret, rec.Body.String())
		}
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}

	// The token works, and /me describes the caller.
	status, me := ts.Do(t, http.MethodGet, mePath, body["accessToken"].(string), nil)
	if status != http.StatusOK {
		t.Fatalf("/me: %d %v", status, me)
	}
	if u := me["user"].(map[string]any); u["id"] != admin.ID {
		t.Errorf("/me user: %v", u)
	}
	grants := me["grants"].([]any)
	if len(grants) != 1 || grants[0].(map[string]any)["roleName"] != "Partner Admin" ||
		grants[0].(map[string]any)["level"] != "partner" || grants[0].(map[string]any)["partnerId"] != admin.PartnerID {
		t.Errorf("/me grants: %v", grants)
	}
	perms := me["permissions"].([]any)
	has := map[string]bool{}
	for _, p := range perms {
		has[p.(string)] = true
	}
	if !has[domain.PermOrgsWrite] || !has[domain.PermUsersWrite] || len(perms) != len(domain.AllPermissions()) {
		t.Errorf("/me permissions: %v", perms)
	}
	if strings.Contains(ts.Request(t, http.MethodGet, mePath, body["accessToken"].(string), nil, nil).Body.String(), "passwordHash") {
		t.Error("/me leaks the password hash")
	}
}

// An unknown email, a wrong password, a disabled user and a malformed email
// get the same status and the same body: nothing tells them apart.
func TestLoginUniformFailure(t *testing.T) {
	ts := apitest.NewServer(t)
	admin := ts.Seed.A.Admin
	disabled := ts.NewUser(t, domain.RoleOrgViewer, ts.Seed.A.OrgUnit(0), "")
	setStatus(t, ts, disabled.ID, domain.UserDisabled)

	type answer struct {
		status int
		body   string
		www    string
	}
	try := func(email, pw string) answer {
		rec := ts.Request(t, http.MethodPost, loginPath, "", creds(email, pw), nil)
		return answer{rec.Code, rec.Body.String(), rec.Header().Get("WWW-Authenticate")}
	}
	want := try("nobody@example.test", "whatever-password")
	if want.status != http.StatusUnauthorized {
		t.Fatalf("unknown email: %+v", want)
	}
	for name, got := range map[string]answer{
		"wrong password":  try(admin.Email, "not the password at all"),
		"disabled user":   try(disabled.Email, disabled.Password),
		"malformed email": try("not-an-email", "whatever-password"),
		"email case":      try(strings.ToUpper("nobody@example.test"), "x"),
	} {
		if got != want {
			t.Errorf("%s: %+v, unknown email: %+v", name, got, want)
		}
	}
	if strings.Contains(want.body, "password") || strings.Contains(want.body, "email") {
		t.Errorf("the failure says which check failed: %s", want.body)
	}
}

// Brute force: the account's failures from one address lock that address
// out, for longer as failures add up (each tier's Retry-After), with the
// right password too, while the owner signs in from another address.
func TestLoginLockout(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Limits: auth.Limits{
		PerAccountIP: []ports.Limit{{N: 3, Window: time.Minute}, {N: 6, Window: time.Hour}},
		PerIP:        ports.Limit{N: 100, Window: 10 * time.Minute},
	}})
	admin := ts.Seed.A.Admin
	const attacker, owner = "203.0.113.7", "198.51.100.20"
	fail := func(i int) {
		t.Helper()
		if rec := ts.RequestFrom(t, attacker, http.MethodPost, loginPath, "", creds(admin.Email, "wrong password "+strconv.Itoa(i))); rec.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	locked := func(what string) int {
		t.Helper()
		rec := ts.RequestFrom(t, attacker, http.MethodPost, loginPath, "", creds(admin.Email, admin.Password))
		if rec.Code != http.StatusTooManyRequests || apitest.ErrorCode(apitest.DecodeJSON(t, rec)) != "rate_limited" {
			t.Fatalf("%s: locked address with the right password: %d %s", what, rec.Code, rec.Body.String())
		}
		ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Fatalf("%s: Retry-After = %q", what, rec.Header().Get("Retry-After"))
		}
		return ra
	}
	for i := 0; i < 3; i++ {
		fail(i)
	}
	before := len(ts.AuditRows(t))
	first := locked("first tier")
	if first > 60 {
		t.Fatalf("first tier Retry-After %d > its 60 s window", first)
	}
	rows := ts.AuditRows(t)
	if len(rows) != before+1 || rows[0].Action != "auth.login" || rows[0].Outcome != domain.OutcomeDenied {
		t.Fatalf("the locked-out attempt's audit row: %d new, %+v", len(rows)-before, rows[0])
	}
	// The owner, elsewhere, is not locked out by it; nor is another account.
	if rec := ts.RequestFrom(t, owner, http.MethodPost, loginPath, "", creds(admin.Email, admin.Password)); rec.Code != 200 {
		t.Fatalf("the owner from another address: %d %s", rec.Code, rec.Body.String())
	}
	if rec := ts.RequestFrom(t, attacker, http.MethodPost, loginPath, "", creds(ts.Seed.B.Admin.Email, ts.Seed.B.Admin.Password)); rec.Code != 200 {
		t.Fatalf("another account from the same address: %d", rec.Code)
	}
	// The wait grows: after the first tier's wait, three more failures
	// fill the hour tier.
	ts.Clock.Advance(time.Duration(first) * time.Second)
	for i := 3; i < 6; i++ {
		fail(i)
	}
	ts.Clock.Advance(time.Minute) // the minute tier is free again
	if second := locked("second tier"); second <= first || second > 3600 {
		t.Fatalf("second lockout %d s, want longer than the first (%d s) and at most an hour", second, first)
	}
}

func refresh(t *testing.T, ts *apitest.TestServer, token string) (int, map[string]any) {
	t.Helper()
	return ts.Do(t, http.MethodPost, refreshPath, "", map[string]string{"refreshToken": token})
}

func TestRefreshRotation(t *testing.T) {
	ts := apitest.NewServer(t)
	s := ts.LoginSession(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	ts.Clock.Advance(time.Minute)
	status, body := refresh(t, ts, s.RefreshToken)
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	next := body["refreshToken"].(string)
	if next == s.RefreshToken || body["accessToken"] == s.AccessToken || body["expiresIn"] != float64(900) {
		t.Fatalf("refresh did not rotate: %v", body)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, body["accessToken"].(string), nil); st != 200 {
		t.Fatalf("new access token: %d", st)
	}
	// The spent token is refused (within the grace window: no revocation).
	if st, _ := refresh(t, ts, s.RefreshToken); st != http.StatusUnauthorized {
		t.Fatalf("spent token: %d", st)
	}
	if st, _ := refresh(t, ts, next); st != http.StatusOK {
		t.Fatalf("the successor after a raced reuse: %d", st)
	}
	// Garbage is refused.
	for _, bad := range []string{"brr_nope", "", strings.Repeat("x", 100)} {
		if st, _ := refresh(t, ts, bad); st != http.StatusUnauthorized {
			t.Errorf("refresh %q: %d", bad, st)
		}
	}
}

// Reusing a spent refresh token after the grace window is theft: the whole
// family dies (the live successor and its access tokens too), and the attempt
// is audited as denied.
func TestRefreshReplayRevokesFamily(t *testing.T) {
	ts := apitest.NewServer(t)
	s := ts.LoginSession(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	_, body := refresh(t, ts, s.RefreshToken)
	next, access := body["refreshToken"].(string), body["accessToken"].(string)
	ts.Clock.Advance(time.Minute)

	before := len(ts.AuditRows(t))
	rec := ts.Request(t, http.MethodPost, refreshPath, "", map[string]string{"refreshToken": s.RefreshToken},
		http.Header{"X-Request-ID": {"replay-1"}})
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("replay: %d", rec.Code)
	}
	rows := ts.AuditRows(t)
	if len(rows) != before+1 {
		t.Fatalf("replay wrote %d audit rows", len(rows)-before)
	}
	r := rows[0]
	if r.Action != "auth.refresh" || r.Outcome != domain.OutcomeDenied || r.RequestID != "replay-1" ||
		r.ActorID != ts.Seed.A.Admin.ID || !strings.Contains(r.Details, "refresh_token_reuse") {
		t.Fatalf("replay audit row: %+v", r)
	}
	if st, _ := refresh(t, ts, next); st != http.StatusUnauthorized {
		t.Fatalf("the successor survived the replay: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, access, nil); st != http.StatusUnauthorized {
		t.Fatalf("an access token of the revoked family still works: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, s.AccessToken, nil); st != http.StatusUnauthorized {
		t.Fatalf("the first access token still works: %d", st)
	}
}

func TestConcurrentRefreshHasOneWinner(t *testing.T) {
	ts := apitest.NewServer(t)
	s := ts.LoginSession(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	const n = 6
	var wg sync.WaitGroup
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i], _ = refresh(t, ts, s.RefreshToken)
		}(i)
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, st := range statuses {
		switch st {
		case http.StatusOK:
			wins++
		case http.StatusUnauthorized:
		default:
			t.Errorf("unexpected status %d", st)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent refreshes of one token succeeded (%v), want exactly 1", wins, statuses)
	}
	// A race inside the grace window keeps the session alive.
	if st, _ := ts.Do(t, http.MethodGet, mePath, s.AccessToken, nil); st != 200 {
		t.Fatalf("the session died of a race: %d", st)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	ts := apitest.NewServer(t)
	s := ts.LoginSession(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	other := ts.LoginSession(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword) // another device
	rec := ts.Request(t, http.MethodPost, logoutPath, s.AccessToken, nil, nil)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body.String())
	}
	c := cookie(rec.Result().Cookies())
	if c == nil || c.Value != "" || c.MaxAge >= 0 || c.Path != "/api/v1/auth" {
		t.Fatalf("logout did not clear the cookie: %+v", c)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, s.AccessToken, nil); st != http.StatusUnauthorized {
		t.Fatalf("the access token outlived logout: %d", st)
	}
	if st, _ := refresh(t, ts, s.RefreshToken); st != http.StatusUnauthorized {
		t.Fatalf("the refresh token outlived logout: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, other.AccessToken, nil); st != http.StatusOK {
		t.Fatalf("logout ended another session: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodPost, logoutPath, "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous logout: %d", st)
	}
}

func TestDisabledUsersTokenRefused(t *testing.T) {
	ts := apitest.NewServer(t)
	u := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), "")
	s := ts.LoginSession(t, u.Email, u.Password)
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", s.AccessToken, nil); st != 200 {
		t.Fatalf("before: %d", st)
	}
	// Disabled behind the API's back (no session revocation, no
	// announcement, like the CLI on the database): the status check alone
	// must refuse the token once the principal cached for it is stale.
	setStatus(t, ts, u.ID, domain.UserDisabled)
	ts.Clock.Advance(auth.DefaultPrincipalTTL)
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", s.AccessToken, nil); st != http.StatusUnauthorized {
		t.Fatalf("a disabled user's token: %d", st)
	}
	if st, _ := refresh(t, ts, s.RefreshToken); st != http.StatusUnauthorized {
		t.Fatalf("a disabled user's refresh: %d", st)
	}

	// Disabled through the API: sessions end.
	v := ts.NewUser(t, domain.RoleOrgViewer, ts.Seed.A.OrgUnit(0), "")
	vs := ts.LoginSession(t, v.Email, v.Password)
	admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	_, cur := ts.Do(t, http.MethodGet, api.Prefix+"/users/"+v.ID, admin, nil)
	st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+v.ID, admin, map[string]any{"status": "disabled", "version": cur["version"]})
	if st != 200 || body["status"] != "disabled" {
		t.Fatalf("disable via API: %d %v", st, body)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, vs.AccessToken, nil); st != http.StatusUnauthorized {
		t.Fatalf("token after disable: %d", st)
	}
}

func TestForgedTokensRefused(t *testing.T) {
	ts := apitest.NewServer(t)
	admin := ts.Seed.A.Admin
	real := ts.LoginSession(t, admin.Email, apitest.DefaultPassword)
	claims, err := ts.Tokens.Verify(t.Context(), real.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _, err := gojwt.NewParser().ParseUnverified(real.AccessToken, gojwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid := parsed.Header["kid"].(string)
	now := ts.Clock.Now()
	forge := func(method gojwt.SigningMethod, key any) string {
		tok := gojwt.NewWithClaims(method, gojwt.MapClaims{
			"iss": apitest.Issuer, "aud": []string{apitest.Audience}, "sub": claims.UserID, "sid": claims.SessionID,
			"jti": domain.NewID(), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
		tok.Header["kid"], tok.Header["typ"] = kid, "at+jwt"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	otherKeys, _ := jwt.NewKeySet([]byte(strings.Repeat("k", 32)))
	otherTokens, _ := jwt.New(jwt.Options{Issuer: apitest.Issuer, Audience: apitest.Audience, Keys: otherKeys, Clock: ts.Clock.Now})
	otherKey, _, err := otherTokens.Issue(t.Context(), ports.AccessClaims{UserID: claims.UserID, SessionID: claims.SessionID})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(real.AccessToken, ".")
	for name, tok := range map[string]string{
		"alg none":                forge(gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType),
		"wrong secret, same kid":  forge(gojwt.SigningMethodHS256, []byte(strings.Repeat("x", 32))),
		"HS512":                   forge(gojwt.SigningMethodHS512, []byte(strings.Repeat("x", 32))),
		"another server's key":    otherKey,
		"tampered payload":        parts[0] + "." + parts[1] + "x." + parts[2],
		"signature stripped":      parts[0] + "." + parts[1] + ".",
		"refresh token as bearer": real.RefreshToken,
		"unknown API key":         auth.APIKeyPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"garbage":                 "not-a-token",
	} {
		rec := ts.Request(t, http.MethodGet, mePath, tok, nil, nil)
		if rec.Code != http.StatusUnauthorized || apitest.ErrorCode(apitest.DecodeJSON(t, rec)) != "unauthenticated" {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
	// Expired: the real token after its 15 minutes (and the leeway).
	ts.Clock.Advance(16 * time.Minute)
	if st, _ := ts.Do(t, http.MethodGet, mePath, real.AccessToken, nil); st != http.StatusUnauthorized {
		t.Errorf("expired token: %d", st)
	}
}

func TestRefreshCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		ts := apitest.NewServerWith(t, apitest.Options{SecureCookies: secure, RefreshTTL: 7 * 24 * time.Hour})
		s := ts.LoginSession(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
		c := s.Cookie
		if c == nil {
			t.Fatal("login set no breeze_refresh cookie")
		}
		if c.Value != s.RefreshToken || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode ||
			c.Path != "/api/v1/auth" || c.MaxAge != 7*24*3600 || c.Secure != secure {
			t.Errorf("secure=%v: cookie %+v", secure, c)
		}
		// Refresh with the cookie alone (no body), as the dashboard does.
		rec := ts.Request(t, http.MethodPost, refreshPath, "", nil, http.Header{"Cookie": {c.Name + "=" + c.Value}})
		if rec.Code != http.StatusOK {
			t.Fatalf("cookie refresh: %d %s", rec.Code, rec.Body.String())
		}
		body := apitest.DecodeJSON(t, rec)
		rotated := cookie(rec.Result().Cookies())
		if rotated == nil || rotated.Value != body["refreshToken"] || rotated.Value == c.Value || !rotated.HttpOnly {
			t.Fatalf("the cookie did not rotate: %+v", rotated)
		}
		// An empty JSON object also falls back to the cookie.
		rec = ts.Request(t, http.MethodPost, refreshPath, "", "{}", http.Header{"Cookie": {c.Name + "=" + rotated.Value}})
		if rec.Code != http.StatusOK {
			t.Fatalf("{} + cookie: %d %s", rec.Code, rec.Body.String())
		}
		// The spent cookie is refused and cleared.
		rec = ts.Request(t, http.MethodPost, refreshPath, "", nil, http.Header{"Cookie": {c.Name + "=" + c.Value}})
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("spent cookie: %d", rec.Code)
		}
		if cl := cookie(rec.Result().Cookies()); cl == nil || cl.MaxAge >= 0 {
			t.Errorf("a dead cookie was not cleared: %+v", cl)
		}
		// Neither body nor cookie.
		if rec := ts.Request(t, http.MethodPost, refreshPath, "", nil, nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("no token at all: %d", rec.Code)
		}
		// Unknown fields and non-JSON bodies are refused, not ignored.
		if rec := ts.Request(t, http.MethodPost, refreshPath, "", `{"refresh_token":"x"}`, nil); rec.Code != http.StatusBadRequest {
			t.Errorf("unknown field: %d", rec.Code)
		}
		if rec := ts.Request(t, http.MethodPost, refreshPath, "", "refreshToken=x", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}); rec.Code != http.StatusUnsupportedMediaType {
			t.Errorf("form body: %d", rec.Code)
		}
	}
}

// A partner that requires a second factor shuts its users out of everything
// but enrolment, /me and logout until they enrol; then sign-in asks for the
// code (401 totp_required) and accepts it once.
func TestSecondFactor(t *testing.T) {
	ts := apitest.NewServer(t)
	platform := ts.Login(t, ts.Seed.Platform.Email, apitest.DefaultPassword)
	partner := ts.Seed.B.Partner
	st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/partners/"+partner.ID, platform,
		map[string]any{"requireTotp": true, "version": partner.Version})
	if st != 200 || body["requireTotp"] != true {
		t.Fatalf("require TOTP: %d %v", st, body)
	}
	u := ts.Seed.B.Admin
	rec := ts.Request(t, http.MethodPost, loginPath, "", creds(u.Email, u.Password), nil)
	login := apitest.DecodeJSON(t, rec)
	if rec.Code != 200 || login["mustEnrollTotp"] != true {
		t.Fatalf("login of a user who must enrol: %d %v", rec.Code, login)
	}
	tok := login["accessToken"].(string)
	st, body = ts.Do(t, http.MethodGet, api.Prefix+"/orgs", tok, nil)
	if st != http.StatusForbidden || apitest.ErrorCode(body) != api.CodeTOTPEnrollmentRequired {
		t.Fatalf("before enrolment /orgs: %d %v", st, body)
	}
	if st, body := ts.Do(t, http.MethodGet, mePath, tok, nil); st != 200 || body["mustEnrollTotp"] != true {
		t.Fatalf("/me during enrolment: %d %v", st, body)
	}
	st, enr := ts.Do(t, http.MethodPost, api.Prefix+"/auth/totp/enroll", tok, nil)
	if st != 200 || enr["secret"] == "" || !strings.HasPrefix(enr["otpauthUrl"].(string), "otpauth://") {
		t.Fatalf("enroll: %d %v", st, enr)
	}
	secret := enr["secret"].(string)
	if st, _ := ts.Do(t, http.MethodPost, api.Prefix+"/auth/totp/confirm", tok, map[string]string{"code": "000000"}); st != 400 {
		t.Fatalf("a wrong code confirmed: %d", st)
	}
	code, _ := totp.GenerateCode(secret, ts.Clock.Now())
	if st, body := ts.Do(t, http.MethodPost, api.Prefix+"/auth/totp/confirm", tok, map[string]string{"code": code}); st != 204 {
		t.Fatalf("confirm: %d %v", st, body)
	}
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", tok, nil); st != 200 {
		t.Fatalf("after enrolment /orgs: %d", st)
	}

	// Sign-in now needs the code.
	rec = ts.Request(t, http.MethodPost, loginPath, "", creds(u.Email, u.Password), nil)
	if rec.Code != 401 || apitest.ErrorCode(apitest.DecodeJSON(t, rec)) != api.CodeTOTPRequired {
		t.Fatalf("login without code: %d %s", rec.Code, rec.Body.String())
	}
	ts.Clock.Advance(30 * time.Second) // the confirm's code is spent
	code, _ = totp.GenerateCode(secret, ts.Clock.Now())
	in := map[string]string{"email": u.Email, "password": u.Password, "totp": code}
	if rec := ts.Request(t, http.MethodPost, loginPath, "", in, nil); rec.Code != 200 {
		t.Fatalf("login with code: %d %s", rec.Code, rec.Body.String())
	}
	// The same code again is a replay: the uniform 401.
	rec = ts.Request(t, http.MethodPost, loginPath, "", in, nil)
	if rec.Code != 401 || apitest.ErrorCode(apitest.DecodeJSON(t, rec)) != "unauthenticated" {
		t.Fatalf("replayed code: %d %s", rec.Code, rec.Body.String())
	}
}
