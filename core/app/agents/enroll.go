package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// Reported platform fields: short lower-case words (linux, amd64) and a
// version string; they end up in filters and on the dashboard.
var (
	platformRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	versionRE  = regexp.MustCompile(`^[A-Za-z0-9._+~-]{1,64}$`)
)

// validateReport checks what an agent says about its machine.
func validateReport(hostname, os, arch, version string) error {
	if err := domain.ValidateName("device host", hostname); err != nil {
		return err
	}
	if !platformRE.MatchString(os) {
		return domain.Invalidf("os must be 1 to 32 lower-case letters, digits or '_' (linux, windows, darwin)")
	}
	if !platformRE.MatchString(arch) {
		return domain.Invalidf("arch must be 1 to 32 lower-case letters, digits or '_' (amd64, arm64)")
	}
	if !versionRE.MatchString(version) {
		return domain.Invalidf("agentVersion must be 1 to 64 characters of A-Z a-z 0-9 . _ + ~ -")
	}
	return nil
}

// Enroll turns an enrollment key into a device and its agent token. The
// token is returned once; only its SHA-256 is stored. ip is the client's
// address for the per-IP limit. A key that is unknown, expired, used up or
// revoked is one and the same domain.ErrUnauthenticated.
func (s *Service) Enroll(ctx context.Context, req protocol.EnrollRequest, ip string) (*protocol.EnrollResponse, error) {
	if err := s.limitEnroll(ctx, ip); err != nil {
		return nil, err
	}
	if !wellFormedKey(req.EnrollmentKey) {
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"bad_enrollment_key"}`)
		return nil, domain.Unauthenticatedf("malformed enrollment key")
	}
	if err := validateReport(req.Hostname, req.OS, req.Arch, req.AgentVersion); err != nil {
		return nil, err
	}
	// A bad CSR is refused before the key is used.
	if req.CSR != "" && s.d.Certs != nil {
		if _, err := agentca.ParseCSR(req.CSR); err != nil {
			return nil, err
		}
	}
	now := s.d.Clock.Now()
	token := auth.NewSecret(protocol.AgentTokenPrefix)
	var key *domain.EnrollmentKey
	dev := &domain.Device{
		ID: domain.NewID(), Hostname: req.Hostname, OS: req.OS, Arch: req.Arch,
		AgentVersion: req.AgentVersion, Status: domain.DevicePending,
	}
	err := s.d.Store.InTx(ctx, func(ctx context.Context, tx ports.Store) error {
		var err error
		key, err = tx.EnrollmentKeys().Use(ctx, auth.HashSecret(req.EnrollmentKey), now)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.Unauthenticatedf("enrollment key is not usable")
		}
		if err != nil {
			return fmt.Errorf("use enrollment key: %w", err)
		}
		dev.PartnerID, dev.OrgID, dev.SiteID, dev.GroupID = key.PartnerID, key.OrgID, key.SiteID, key.GroupID
		if err := tx.Devices().Create(ctx, domain.GlobalScope(), dev); err != nil {
			return fmt.Errorf("create device: %w", err)
		}
		if err := tx.AgentTokens().Set(ctx, dev.ID, auth.HashSecret(token), now); err != nil {
			return fmt.Errorf("store agent token: %w", err)
		}
		return nil
	})
	if errors.Is(err, domain.ErrUnauthenticated) {
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"bad_enrollment_key"}`)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	audit.SetActor(ctx, "agent", dev.ID)
	audit.SetResource(ctx, "device", dev.ID, dev.PartnerID, dev.OrgID)
	details, _ := json.Marshal(map[string]string{"enrollmentKeyId": key.ID, "hostname": dev.Hostname, "siteId": dev.SiteID})
	audit.SetOutcome(ctx, domain.OutcomeSuccess, string(details))
	s.d.Events.Publish(ctx, eventOf(EventDeviceEnrolled, dev, now))
	res := &protocol.EnrollResponse{AgentToken: token, DeviceID: dev.ID, OrgID: dev.OrgID, SiteID: dev.SiteID,
		ReleaseKeys: s.d.ReleaseKeys}
	s.enrollCert(ctx, dev.ID, req.CSR, res)
	return res, nil
}

// limitEnroll applies the per-IP limit. A limiter that fails lets the
// attempt through (the key is the real gate; refusing every enrollment
// while Redis is away is the worse failure) and says so in the log.
func (s *Service) limitEnroll(ctx context.Context, ip string) error {
	if ip == "" {
		ip = "unknown"
	}
	d, err := s.d.Limiter.Allow(ctx, "enroll:ip:"+ip, s.d.EnrollLimit)
	if err != nil {
		s.d.Logger.Warn("enrollment rate limit unavailable; allowing", "error", err)
		return nil
	}
	if !d.Allowed {
		audit.SetOutcome(ctx, domain.OutcomeDenied, `{"reason":"rate_limited"}`)
		return &domain.RateLimitedError{What: "enrollment", RetryAfter: d.RetryAfter}
	}
	return nil
}
