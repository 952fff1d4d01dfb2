package password

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/breeze-rmm/breeze/core/domain"
)

// Start of a 30-second step: 1_700_000_010 = 56_666_667 × 30.
var stepStart = time.Unix(1_700_000_010, 0).UTC()

const stepAtStart = 56_666_667

func newTOTP(t *testing.T) *TOTP {
	t.Helper()
	tp, err := NewTOTP(TOTPOptions{Issuer: "Breeze Test"})
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTPGenerate(t *testing.T) {
	tp := newTOTP(t)
	secret, raw, err := tp.Generate("alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(b) != 20 {
		t.Fatalf("secret %q: %d bytes, err %v", secret, len(b), err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Breeze Test:alice@example.com" ||
		q.Get("secret") != secret || q.Get("issuer") != "Breeze Test" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("url %s", raw)
	}
	if !tp.Validate(codeAt(t, secret, time.Now()), secret, time.Now()) {
		t.Fatal("a generated secret does not validate its own code")
	}
	s2, _, _ := tp.Generate("alice@example.com")
	if s2 == secret {
		t.Fatal("secrets repeat")
	}
	for _, bad := range []string{"", "a:b"} {
		if _, _, err := tp.Generate(bad); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Generate(%q) err=%v", bad, err)
		}
	}
	if _, err := NewTOTP(TOTPOptions{Issuer: "a:b"}); err == nil {
		t.Error("issuer with ':' accepted")
	}
	def, _ := NewTOTP(TOTPOptions{})
	if _, raw, _ := def.Generate("x"); !strings.Contains(raw, "issuer=Breeze") {
		t.Errorf("default issuer: %s", raw)
	}
}

// RFC 6238 appendix B (SHA-1 rows), last six digits of the eight shown.
func TestTOTPRFC6238Vectors(t *testing.T) {
	tp := newTOTP(t)
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		at := time.Unix(v.unix, 0)
		step, ok := tp.ValidateStep(v.code, secret, at)
		if !ok || step != v.unix/30 {
			t.Errorf("t=%d code %s: step=%d ok=%v", v.unix, v.code, step, ok)
		}
	}
}

func TestTOTPSkewWindow(t *testing.T) {
	tp := newTOTP(t)
	secret, _, _ := tp.Generate("bob")
	code := codeAt(t, secret, stepStart) // belongs to stepAtStart
	for _, tc := range []struct {
		offset time.Duration
		ok     bool
	}{
		{-31 * time.Second, false}, // two steps early
		{-30 * time.Second, true},  // one step early
		{-1 * time.Second, true},
		{0, true},
		{29 * time.Second, true},
		{59 * time.Second, true}, // one step late
		{60 * time.Second, false},
		{90 * time.Second, false},
	} {
		at := stepStart.Add(tc.offset)
		step, ok := tp.ValidateStep(code, secret, at)
		if ok != tc.ok || tp.Validate(code, secret, at) != tc.ok {
			t.Errorf("offset %v: ok=%v want %v", tc.offset, ok, tc.ok)
		}
		if ok && step != stepAtStart {
			t.Errorf("offset %v: step %d want %d", tc.offset, step, stepAtStart)
		}
	}
}

func TestTOTPRejects(t *testing.T) {
	tp := newTOTP(t)
	secret, _, _ := tp.Generate("carol")
	other, _, _ := tp.Generate("carol")
	code := codeAt(t, secret, stepStart)
	n, _ := strconv.Atoi(code)
	neighbours := map[string]bool{}
	for d := -1; d <= 1; d++ {
		neighbours[codeAt(t, secret, stepStart.Add(time.Duration(d)*TOTPPeriod))] = true
	}
	wrong := fmt.Sprintf("%06d", (n+1)%1_000_000)
	for wrong == code || neighbours[wrong] { // skip the one-in-a-million collision
		n++
		wrong = fmt.Sprintf("%06d", (n+1)%1_000_000)
	}
	cases := map[string][2]string{
		"wrong code":      {wrong, secret},
		"other secret":    {code, other},
		"5 digits":        {code[:5], secret},
		"7 digits":        {code + "0", secret},
		"spaces":          {" " + code[1:], secret},
		"sign":            {"+" + code[1:], secret},
		"letters":         {"12a456", secret},
		"arabic digits":   {"١٢٣٤٥٦", secret},
		"empty code":      {"", secret},
		"empty secret":    {code, ""},
		"not base32":      {code, "!!!!!!!!"},
		"short secret":    {code, base32.StdEncoding.EncodeToString([]byte("tenbytes!!"))},
		"secret and junk": {code, secret + "1"},
	}
	for name, c := range cases {
		if step, ok := tp.ValidateStep(c[0], c[1], stepStart); ok || step != 0 {
			t.Errorf("%s: accepted (step %d)", name, step)
		}
	}
	// An empty secret is an HMAC key too: its own code must still be refused.
	emptyCode, _ := totp.GenerateCodeCustom("", stepStart, totpOpts)
	if tp.Validate(emptyCode, "", stepStart) {
		t.Error("empty secret accepted its code")
	}
	// Before 1970 nothing is valid.
	if tp.Validate(code, secret, time.Unix(-100, 0)) {
		t.Error("negative time accepted")
	}
	// Lower case and missing padding are how apps and users type secrets.
	if !tp.Validate(code, strings.ToLower(secret), stepStart) {
		t.Error("lower-case secret refused")
	}
}

// The replay recipe documented on ports.TOTP works with the steps returned.
func TestTOTPStepsEnableReplayProtection(t *testing.T) {
	tp := newTOTP(t)
	secret, _, _ := tp.Generate("dave")
	code := codeAt(t, secret, stepStart)
	first, ok := tp.ValidateStep(code, secret, stepStart.Add(5*time.Second))
	if !ok {
		t.Fatal("code refused")
	}
	// Same code again 20 s later: same step, so the caller refuses it.
	again, ok := tp.ValidateStep(code, secret, stepStart.Add(25*time.Second))
	if !ok || again != first {
		t.Fatalf("replay: step %d ok %v, first %d", again, ok, first)
	}
	// The next code is a later step, so the caller accepts it.
	next := codeAt(t, secret, stepStart.Add(TOTPPeriod))
	s, ok := tp.ValidateStep(next, secret, stepStart.Add(31*time.Second))
	if !ok || s != first+1 {
		t.Fatalf("next step %d ok %v", s, ok)
	}
	// A code from the previous step, still inside the skew, reports that step.
	prev := codeAt(t, secret, stepStart.Add(-TOTPPeriod))
	if s, ok := tp.ValidateStep(prev, secret, stepStart); !ok || s != first-1 {
		t.Fatalf("previous step %d ok %v", s, ok)
	}
}

// When a code is valid for two steps (a one-in-a-million coincidence, here a
// secret searched for one), the later step is reported, so the caller's
// "step must increase" rule never lets the same code through twice.
func TestTOTPCollidingStepsReportTheLatest(t *testing.T) {
	tp := newTOTP(t)
	const secret = "AAAAAAAAATD5MAAAAAAAAAAAAAAAAAAA"
	code := codeAt(t, secret, stepStart)
	if codeAt(t, secret, stepStart.Add(TOTPPeriod)) != code {
		t.Fatal("fixture secret does not collide")
	}
	for _, at := range []time.Time{stepStart, stepStart.Add(TOTPPeriod)} {
		if s, ok := tp.ValidateStep(code, secret, at); !ok || s != stepAtStart+1 {
			t.Errorf("at %v: step %d ok %v, want %d", at, s, ok, stepAtStart+1)
		}
	}
}
