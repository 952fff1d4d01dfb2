package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/api/apitest"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

const (
	enrollPath   = api.Prefix + "/auth/totp/enroll"
	confirmPath  = api.Prefix + "/auth/totp/confirm"
	passwordPath = api.Prefix + "/auth/password"
)

// enrolTOTP gives the token's user a second factor and returns its secret;
// the clock moves past the confirming code's step.
func enrolTOTP(t *testing.T, ts *apitest.TestServer, tok string) string {
	t.Helper()
	st, enr := ts.Do(t, http.MethodPost, enrollPath, tok, nil)
	if st != 200 {
		t.Fatalf("enroll: %d %v", st, enr)
	}
	secret := enr["secret"].(string)
	code, _ := totp.GenerateCode(secret, ts.Clock.Now())
	if st, body := ts.Do(t, http.MethodPost, confirmPath, tok, map[string]string{"code": code}); st != 204 {
		t.Fatalf("confirm: %d %v", st, body)
	}
	ts.Clock.Advance(30 * time.Second)
	return secret
}

// Replacing a factor checks the current code: those checks count against
// the sign-in limits, so a session cannot try hundreds of codes a second.
func TestTOTPCodeChecksAreRateLimited(t *testing.T) {
	ts := apitest.NewServerWith(t, apitest.Options{Limits: auth.Limits{
		PerAccountIP: []ports.Limit{{N: 5, Window: time.Minute}},
		PerIP:        ports.Limit{N: 100, Window: time.Minute},
	}})
	u := ts.Seed.A.Admin
	tok := ts.Login(t, u.Email, u.Password) // a session stolen after sign-in
	secret := enrolTOTP(t, ts, tok)
	st, enr := ts.Do(t, http.MethodPost, enrollPath, tok, nil)
	if st != 200 {
		t.Fatalf("enroll again: %d", st)
	}
	newCode, _ := totp.GenerateCode(enr["secret"].(string), ts.Clock.Now())
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		rec := ts.Request(t, http.MethodPost, confirmPath, tok,
			map[string]string{"code": newCode, "currentCode": "00000" + string(rune('0'+i%10))}, nil)
		switch rec.Code {
		case http.StatusBadRequest:
		case http.StatusTooManyRequests:
			limited = true
			if i > 5 {
				t.Fatalf("limited only after %d guesses", i)
			}
		default:
			t.Fatalf("guess %d: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	if !limited {
		t.Fatal("20 guesses of the current code in a row were all checked")
	}
	// Sign-in codes share the limit: the right password and code wait too.
	code, _ := totp.GenerateCode(secret, ts.Clock.Now())
	rec := ts.Request(t, http.MethodPost, loginPath, "", map[string]string{"email": u.Email, "password": u.Password, "totp": code}, nil)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("sign-in right after the guesses: %d", rec.Code)
	}
}

// The server makes every second-factor secret: a client cannot confirm a
// secret of its own choosing (one it may share with someone else), and
// confirm needs an enrolment begun first.
func TestTOTPSecretIsChosenByTheServer(t *testing.T) {
	ts := apitest.NewServer(t)
	u := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), "")
	tok := ts.Login(t, u.Email, u.Password)
	mine := "JBSWY3DPEHPK3PXP"
	code, _ := totp.GenerateCode(mine, ts.Clock.Now())
	if st, body := ts.Do(t, http.MethodPost, confirmPath, tok, map[string]string{"secret": mine, "code": code}); st != http.StatusBadRequest {
		t.Fatalf("a client-chosen secret: %d %v", st, body)
	}
	if st, body := ts.Do(t, http.MethodPost, confirmPath, tok, map[string]string{"code": code}); st != http.StatusBadRequest ||
		!strings.Contains(apitest.ErrorMessage(body), "enroll") {
		t.Fatalf("confirm before enroll: %d %v", st, body)
	}
	if row, _ := ts.Store.Users().GetByID(context.Background(), u.ID); row.TOTPEnabled() {
		t.Fatal("a second factor was stored")
	}
	enrolTOTP(t, ts, tok)
}

// Second-factor secrets are sealed at rest, bound to their user; rows stored
// in clear before sealing are sealed by the start-up pass and still work.
func TestTOTPSecretsAreSealed(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			ts := apitest.NewServerWith(t, apitest.Options{Postgres: pg})
			ctx := context.Background()
			u := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), "")
			secret := enrolTOTP(t, ts, ts.Login(t, u.Email, u.Password))
			row, err := ts.Store.Users().GetByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !row.TOTPEnabled() || strings.Contains(row.TOTPSecret, secret) || row.TOTPPending != "" {
				t.Fatalf("stored factor %q (pending %q) holds the secret or is missing", row.TOTPSecret, row.TOTPPending)
			}
			// A sealed value moved to another user's row does not open.
			other := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), "")
			orow, _ := ts.Store.Users().GetByID(ctx, other.ID)
			orow.TOTPSecret = row.TOTPSecret
			if _, err := ts.Store.Users().Update(ctx, domain.GlobalScope(), orow); err != nil {
				t.Fatal(err)
			}
			code, _ := totp.GenerateCode(secret, ts.Clock.Now())
			if rec := ts.Request(t, http.MethodPost, loginPath, "", map[string]string{"email": other.Email, "password": other.Password, "totp": code}, nil); rec.Code/100 == 2 {
				t.Fatalf("a sealed secret copied to another user signed in: %d", rec.Code)
			}
			// A row from before sealing: clear base32.
			legacy := ts.NewUser(t, domain.RoleOrgTechnician, ts.Seed.A.OrgUnit(0), "")
			lrow, _ := ts.Store.Users().GetByID(ctx, legacy.ID)
			lrow.TOTPSecret = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
			if _, err := ts.Store.Users().Update(ctx, domain.GlobalScope(), lrow); err != nil {
				t.Fatal(err)
			}
			n, err := ts.Auth.SealTOTPSecrets(ctx)
			if err != nil || n != 1 {
				t.Fatalf("SealTOTPSecrets = %d, %v; want 1 row", n, err)
			}
			if n, err := ts.Auth.SealTOTPSecrets(ctx); err != nil || n != 0 {
				t.Fatalf("second pass = %d, %v; want nothing left", n, err)
			}
			lrow, _ = ts.Store.Users().GetByID(ctx, legacy.ID)
			if strings.Contains(lrow.TOTPSecret, "KRSXG5CTMVRXEZLU") {
				t.Fatalf("legacy secret still clear: %q", lrow.TOTPSecret)
			}
			code, _ = totp.GenerateCode("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU", ts.Clock.Now())
			if rec := ts.Request(t, http.MethodPost, loginPath, "", map[string]string{"email": legacy.Email, "password": legacy.Password, "totp": code}, nil); rec.Code != 200 {
				t.Fatalf("sign-in with the sealed legacy factor: %d %s", rec.Code, rec.Body.String())
			}
		})
	}
}

// A partner that requires a second factor refuses the API keys of its users
// who have none (403 totp_enrollment_required, GET /me still answers), as
// it refuses their sessions; once the owner enrols, the key works again.
func TestRequireTOTPRefusesAPIKeysOfUsersWithoutFactor(t *testing.T) {
	ts := apitest.NewServer(t)
	owner := ts.Seed.B.Admin
	tok := ts.Login(t, owner.Email, owner.Password)
	st, k := ts.Do(t, http.MethodPost, api.Prefix+"/api-keys", tok, map[string]any{
		"name": "automation", "permissions": []string{domain.PermOrgsRead}})
	if st != http.StatusCreated {
		t.Fatalf("mint key: %d %v", st, k)
	}
	key := k["key"].(string)
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", key, nil); st != 200 {
		t.Fatalf("key before the policy: %d", st)
	}
	platform := ts.Login(t, ts.Seed.Platform.Email, apitest.DefaultPassword)
	if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/partners/"+ts.Seed.B.Partner.ID, platform,
		map[string]any{"requireTotp": true, "version": ts.Seed.B.Partner.Version}); st != 200 {
		t.Fatalf("require TOTP: %d %v", st, body)
	}
	st, body := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", key, nil)
	if st != http.StatusForbidden || apitest.ErrorCode(body) != api.CodeTOTPEnrollmentRequired {
		t.Fatalf("key of a user without a factor: %d %v", st, body)
	}
	if st, body := ts.Do(t, http.MethodGet, mePath, key, nil); st != 200 || body["mustEnrollTotp"] != true {
		t.Fatalf("/me with the key: %d %v", st, body)
	}
	enrolTOTP(t, ts, tok)
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", key, nil); st != 200 {
		t.Fatalf("key after the owner enrolled: %d", st)
	}
}

// Changing one's own password needs the current one: PATCH /users/:id on
// oneself refuses a password, POST /auth/password checks it.
func TestOwnPasswordChangeNeedsTheCurrentPassword(t *testing.T) {
	ts := apitest.NewServer(t)
	u := ts.NewUser(t, domain.RoleOrgAdmin, ts.Seed.A.OrgUnit(0), "")
	tok := ts.Login(t, u.Email, u.Password)
	_, me := ts.Do(t, http.MethodGet, api.Prefix+"/users/"+u.ID, tok, nil)
	const next = "a brand new long passphrase"
	if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+u.ID, tok,
		map[string]any{"password": next, "version": me["version"]}); st != http.StatusBadRequest {
		t.Fatalf("own password without the current one: %d %v", st, body)
	}
	if st, body := ts.Do(t, http.MethodPost, passwordPath, tok,
		map[string]string{"currentPassword": "not my password at all", "newPassword": next}); st != http.StatusBadRequest {
		t.Fatalf("wrong current password: %d %v", st, body)
	}
	st, body := ts.Do(t, http.MethodPost, passwordPath, tok, map[string]string{"currentPassword": u.Password, "newPassword": next})
	if st != 200 || body["accessToken"] == "" {
		t.Fatalf("change: %d %v", st, body)
	}
	if rec := ts.Request(t, http.MethodPost, loginPath, "", creds(u.Email, next), nil); rec.Code != 200 {
		t.Fatalf("sign-in with the new password: %d", rec.Code)
	}
	// An admin still resets someone else's password without it.
	admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	_, cur := ts.Do(t, http.MethodGet, api.Prefix+"/users/"+u.ID, admin, nil)
	if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+u.ID, admin,
		map[string]any{"password": "reset by the admin here", "version": cur["version"]}); st != 200 {
		t.Fatalf("admin reset: %d %v", st, body)
	}
}

// What survives what (docs/security.md): a password change ends every other
// session and keeps the user's API keys; disabling the user stops both at once.
func TestCredentialsAfterPasswordChangeAndDisable(t *testing.T) {
	ts := apitest.NewServer(t)
	u := ts.NewUser(t, domain.RoleOrgAdmin, ts.Seed.A.OrgUnit(0), "")
	here := ts.LoginSession(t, u.Email, u.Password)
	elsewhere := ts.LoginSession(t, u.Email, u.Password)
	st, k := ts.Do(t, http.MethodPost, api.Prefix+"/api-keys", here.AccessToken, map[string]any{
		"name": "ci", "orgId": ts.Seed.A.Orgs[0].ID, "permissions": []string{domain.PermOrgsRead}})
	if st != http.StatusCreated {
		t.Fatalf("mint key: %d %v", st, k)
	}
	key := k["key"].(string)
	st, fresh := ts.Do(t, http.MethodPost, passwordPath, here.AccessToken,
		map[string]string{"currentPassword": u.Password, "newPassword": "another long passphrase"})
	if st != 200 {
		t.Fatalf("change: %d %v", st, fresh)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, elsewhere.AccessToken, nil); st != http.StatusUnauthorized {
		t.Errorf("the other session after a password change: %d, want 401", st)
	}
	if st, _ := refresh(t, ts, elsewhere.RefreshToken); st != http.StatusUnauthorized {
		t.Errorf("the other session's refresh after a password change: %d, want 401", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, fresh["accessToken"].(string), nil); st != 200 {
		t.Errorf("the fresh session: %d", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", key, nil); st != 200 {
		t.Errorf("the API key after a password change: %d, want 200", st)
	}
	// Disabled: the key and the session stop at the next request.
	admin := ts.Login(t, ts.Seed.A.Admin.Email, apitest.DefaultPassword)
	_, cur := ts.Do(t, http.MethodGet, api.Prefix+"/users/"+u.ID, admin, nil)
	if st, body := ts.Do(t, http.MethodPatch, api.Prefix+"/users/"+u.ID, admin,
		map[string]any{"status": "disabled", "version": cur["version"]}); st != 200 {
		t.Fatalf("disable: %d %v", st, body)
	}
	if st, _ := ts.Do(t, http.MethodGet, api.Prefix+"/orgs", key, nil); st != http.StatusUnauthorized {
		t.Errorf("the API key of a disabled user: %d, want 401", st)
	}
	if st, _ := ts.Do(t, http.MethodGet, mePath, fresh["accessToken"].(string), nil); st != http.StatusUnauthorized {
		t.Errorf("the session of a disabled user: %d, want 401", st)
	}
}
