package password

import (
	"crypto/subtle"
	"encoding/base32"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// The settings every authenticator app supports (RFC 6238 defaults).
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of now are accepted, for clock
	// drift and slow typing.
	TOTPSkew = 1

	totpSecretBytes    = 20 // 160 bits, RFC 4226's recommendation
	totpMinSecretBytes = 16 // RFC 4226's minimum; shorter secrets never match
)

var totpOpts = totp.ValidateOpts{
	Period:    uint(TOTPPeriod / time.Second),
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// TOTPOptions configure TOTP.
type TOTPOptions struct {
	// Issuer is the name authenticator apps show; default "Breeze".
	Issuer string
}

// TOTP implements ports.TOTP. It keeps no state: replay protection is the
// caller's (store the step ValidateStep returns; refuse steps not above it).
type TOTP struct {
	issuer string
}

var _ ports.TOTP = (*TOTP)(nil)

// NewTOTP returns a TOTP. The issuer may not contain ':' (it separates issuer
// from account in the otpauth label).
func NewTOTP(opts TOTPOptions) (*TOTP, error) {
	if opts.Issuer == "" {
		opts.Issuer = "Breeze"
	}
	if strings.Contains(opts.Issuer, ":") {
		return nil, domain.Invalidf("totp issuer may not contain ':'")
	}
	return &TOTP{issuer: opts.Issuer}, nil
}

// Generate makes a random 160-bit secret (base32, unpadded) and its
// otpauth://totp/ URL for enrolment by QR code.
func (t *TOTP) Generate(accountName string) (secret, otpauthURL string, err error) {
	if accountName == "" || strings.Contains(accountName, ":") {
		return "", "", domain.Invalidf("totp account name must be non-empty and without ':'")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      t.issuer,
		AccountName: accountName,
		Period:      totpOpts.Period,
		SecretSize:  totpSecretBytes,
		Digits:      totpOpts.Digits,
		Algorithm:   totpOpts.Algorithm,
	})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// Validate reports whether code is valid at at (±TOTPSkew steps). It does not
// prevent replay; see ValidateStep.
func (t *TOTP) Validate(code, secret string, at time.Time) bool {
	_, ok := t.ValidateStep(code, secret, at)
	return ok
}

// ValidateStep is Validate that also returns the time step (Unix time / 30 s)
// the code belongs to, the latest one if several match. Callers prevent replay
// by accepting only steps greater than the last one they accepted.
func (t *TOTP) ValidateStep(code, secret string, at time.Time) (int64, bool) {
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	if !secretOK(secret) || at.Unix() < 0 {
		return 0, false
	}
	period := int64(totpOpts.Period)
	now := at.Unix() / period
	var step int64
	found := false
	// Check every candidate so timing does not say which step matched.
	for s := now - TOTPSkew; s <= now+TOTPSkew; s++ {
		if s < 0 {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*period, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, found = s, true
		}
	}
	return step, found
}

// secretOK decodes secret the way the otp library does (case-insensitive,
// padding optional) and requires a secret long enough to be one.
func secretOK(secret string) bool {
	s := strings.ToUpper(strings.TrimSpace(secret))
	if n := len(s) % 8; n != 0 {
		s += strings.Repeat("=", 8-n)
	}
	b, err := base32.StdEncoding.DecodeString(s)
	return err == nil && len(b) >= totpMinSecretBytes
}
