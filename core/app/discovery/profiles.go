package discovery

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/breeze-rmm/breeze/core/app/audit"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
)

// Profile limits and defaults.
const (
	MaxPorts           = 1024
	MaxScanners        = 64
	MinRate, MaxRate   = 1, 10_000
	MinConc, MaxConc   = 1, 1024
	MinTimeout         = 30
	MaxTimeout         = 86_400
	DefaultRate        = 200
	DefaultConc        = 64
	DefaultTimeout     = 1800
	maxSNMPText        = 255
	minV3Pass          = 8
	DefaultSNMPPort    = 161
	DefaultSNMPTimeout = 2000
)

// DefaultMethods and DefaultPorts apply when a new profile names none.
var (
	DefaultMethods = []domain.DiscoveryMethod{domain.MethodICMP, domain.MethodARP, domain.MethodRDNS, domain.MethodTCP}
	DefaultPorts   = []int{21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 161, 389, 443, 445, 3306, 3389, 5432, 5900, 8080, 9100}
)

// Redacted stands for a stored SNMP secret in what the service returns.
const Redacted = "********"

// SNMPInput is the SNMP part of a profile write. A nil secret keeps the
// stored one (a PUT of what a GET showed); "" clears it.
type SNMPInput struct {
	Version   string
	Community *string
	User      string
	AuthProto string
	AuthPass  *string
	PrivProto string
	PrivPass  *string
	Port      int
	TimeoutMs int
}

// ProfileInput is a profile write: on create the owner (SiteID, OrgID as a
// cross-check) and the fields named; on update the fields named (nil:
// unchanged) at Version.
type ProfileInput struct {
	OrgID, SiteID    string
	Name             *string
	Targets          *[]string
	Exclusions       *[]string
	Methods          *[]domain.DiscoveryMethod
	Ports            *[]int
	RatePerSecond    *int
	Concurrency      *int
	TimeoutSeconds   *int
	ScannerDeviceIDs *[]string
	Split            *bool
	SNMP             *SNMPInput
	ClearSNMP        bool // snmp: null
	Version          int64
}

// CreateProfile validates and stores a profile in a site the caller
// manages discovery in.
func (s *Service) CreateProfile(ctx context.Context, p *domain.Principal, in ProfileInput) (*domain.DiscoveryProfile, error) {
	if in.SiteID == "" {
		return nil, domain.Invalidf("siteId is required")
	}
	site, err := s.d.Store.Sites().Get(ctx, p.ScopeFor(permManage), in.SiteID)
	if err != nil {
		return nil, err
	}
	if in.OrgID != "" && in.OrgID != site.OrgID {
		return nil, domain.Invalidf("the site does not belong to that organization")
	}
	audit.SetResource(ctx, Resource, "", site.PartnerID, site.OrgID)
	prof := &domain.DiscoveryProfile{ID: domain.NewID(), PartnerID: site.PartnerID, OrgID: site.OrgID, SiteID: site.ID,
		Methods: slices.Clone(DefaultMethods), Ports: slices.Clone(DefaultPorts), RatePerSecond: DefaultRate,
		Concurrency: DefaultConc, TimeoutSeconds: DefaultTimeout, CreatedBy: p.UserID}
	if err := s.apply(prof, in, nil); err != nil {
		return nil, err
	}
	if err := s.validate(ctx, p, prof); err != nil {
		return nil, err
	}
	if err := s.d.Store.DiscoveryProfiles().Create(ctx, p.ScopeFor(permManage), prof); err != nil {
		return nil, err
	}
	audit.SetResource(ctx, Resource, prof.ID, prof.PartnerID, prof.OrgID)
	return RedactedProfile(prof), nil
}

// GetProfile returns a profile the caller may read.
func (s *Service) GetProfile(ctx context.Context, p *domain.Principal, id string) (*domain.DiscoveryProfile, error) {
	prof, err := s.d.Store.DiscoveryProfiles().Get(ctx, p.ScopeFor(permRead), id)
	return RedactedProfile(prof), err
}

// ListProfiles lists the profiles the caller may read.
func (s *Service) ListProfiles(ctx context.Context, p *domain.Principal, f ports.DiscoveryProfileFilter, page domain.PageRequest) (domain.Page[*domain.DiscoveryProfile], error) {
	pg, err := s.d.Store.DiscoveryProfiles().List(ctx, p.ScopeFor(permRead), f, page)
	for i, prof := range pg.Items {
		pg.Items[i] = RedactedProfile(prof)
	}
	return pg, err
}

// UpdateProfile applies the fields named at Version. The site never changes.
func (s *Service) UpdateProfile(ctx context.Context, p *domain.Principal, id string, in ProfileInput) (*domain.DiscoveryProfile, error) {
	cur, err := s.d.Store.DiscoveryProfiles().Get(ctx, p.ScopeFor(permManage), id)
	if err != nil {
		return nil, err
	}
	audit.SetResource(ctx, Resource, cur.ID, cur.PartnerID, cur.OrgID)
	if (in.SiteID != "" && in.SiteID != cur.SiteID) || (in.OrgID != "" && in.OrgID != cur.OrgID) {
		return nil, domain.Invalidf("a profile never moves to another site: create one there")
	}
	if in.Version == 0 {
		return nil, domain.Invalidf("version is required (the version you read)")
	}
	prof := *cur
	prof.Version = in.Version
	if err := s.apply(&prof, in, cur.SNMP); err != nil {
		return nil, err
	}
	if err := s.validate(ctx, p, &prof); err != nil {
		return nil, err
	}
	out, err := s.d.Store.DiscoveryProfiles().Update(ctx, p.ScopeFor(permManage), &prof)
	if err != nil {
		return nil, err
	}
	return RedactedProfile(out), nil
}

// DeleteProfile removes a profile (the assets its scans found stay).
func (s *Service) DeleteProfile(ctx context.Context, p *domain.Principal, id string) error {
	scope := p.ScopeFor(permManage)
	prof, err := s.d.Store.DiscoveryProfiles().Get(ctx, scope, id)
	if err != nil {
		return err
	}
	audit.SetResource(ctx, Resource, prof.ID, prof.PartnerID, prof.OrgID)
	return s.d.Store.DiscoveryProfiles().Delete(ctx, scope, id)
}

// apply copies the named fields of in onto prof; cur is the stored SNMP
// (whose secrets a nil input secret keeps).
func (s *Service) apply(prof *domain.DiscoveryProfile, in ProfileInput, cur *domain.SNMPSettings) error {
	if in.Name != nil {
		prof.Name = strings.TrimSpace(*in.Name)
	}
	if in.Targets != nil {
		prof.Targets = trimAll(*in.Targets)
	}
	if in.Exclusions != nil {
		prof.Exclusions = trimAll(*in.Exclusions)
	}
	if in.Methods != nil {
		prof.Methods = slices.Clone(*in.Methods)
	}
	if in.Ports != nil {
		prof.Ports = slices.Clone(*in.Ports)
	}
	if in.RatePerSecond != nil {
		prof.RatePerSecond = *in.RatePerSecond
	}
	if in.Concurrency != nil {
		prof.Concurrency = *in.Concurrency
	}
	if in.TimeoutSeconds != nil {
		prof.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.ScannerDeviceIDs != nil {
		prof.ScannerDeviceIDs = slices.Clone(*in.ScannerDeviceIDs)
	}
	if in.Split != nil {
		prof.Split = *in.Split
	}
	switch {
	case in.ClearSNMP:
		prof.SNMP = nil
	case in.SNMP != nil:
		snmp, err := s.snmpOf(prof.ID, *in.SNMP, cur)
		if err != nil {
			return err
		}
		prof.SNMP = snmp
	}
	return nil
}

func trimAll(list []string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = strings.TrimSpace(v)
	}
	return out
}

// validate checks a profile's fields, its targets against the org's
// allowed ranges (setting Addresses), and that its scanners are devices of
// its site the caller reaches (else ErrNotFound: no oracle).
func (s *Service) validate(ctx context.Context, p *domain.Principal, prof *domain.DiscoveryProfile) error {
	if err := domain.ValidateName("discovery profile", prof.Name); err != nil {
		return err
	}
	if len(prof.Methods) == 0 {
		return domain.Invalidf("methods: name at least one of icmp, tcp, arp, rdns, snmp")
	}
	seen := map[domain.DiscoveryMethod]bool{}
	for _, m := range prof.Methods {
		switch m {
		case domain.MethodICMP, domain.MethodTCP, domain.MethodARP, domain.MethodRDNS, domain.MethodSNMP:
		default:
			return domain.Invalidf("unknown method %q: methods are icmp, tcp, arp, rdns and snmp", domain.Abbrev(string(m), 32))
		}
		if seen[m] {
			return domain.Invalidf("method %s named twice", m)
		}
		seen[m] = true
	}
	if len(prof.Ports) > MaxPorts {
		return domain.Invalidf("at most %d ports", MaxPorts)
	}
	ports := slices.Clone(prof.Ports)
	slices.Sort(ports)
	ports = slices.Compact(ports)
	for _, port := range ports {
		if port < 1 || port > 65535 {
			return domain.Invalidf("port %d is not 1 to 65535", port)
		}
	}
	prof.Ports = ports
	if seen[domain.MethodTCP] && len(ports) == 0 {
		return domain.Invalidf("the tcp method needs ports")
	}
	if seen[domain.MethodSNMP] && prof.SNMP == nil {
		return domain.Invalidf("the snmp method needs snmp settings (version and credentials)")
	}
	if prof.RatePerSecond < MinRate || prof.RatePerSecond > MaxRate {
		return domain.Invalidf("ratePerSecond is %d to %d", MinRate, MaxRate)
	}
	if prof.Concurrency < MinConc || prof.Concurrency > MaxConc {
		return domain.Invalidf("concurrency is %d to %d", MinConc, MaxConc)
	}
	if prof.TimeoutSeconds < MinTimeout || prof.TimeoutSeconds > MaxTimeout {
		return domain.Invalidf("timeoutSeconds is %d to %d", MinTimeout, MaxTimeout)
	}
	settings, err := s.d.Store.DiscoverySettings().Get(ctx, domain.GlobalScope(), prof.OrgID)
	if err != nil {
		return err
	}
	res, err := Resolve(prof.Targets, prof.Exclusions, settings.AllowedRanges)
	if err != nil {
		return err
	}
	prof.Addresses = res.Addresses
	if len(prof.ScannerDeviceIDs) == 0 {
		return domain.Invalidf("scannerDeviceIds: name at least one device of the site to scan from")
	}
	if len(prof.ScannerDeviceIDs) > MaxScanners {
		return domain.Invalidf("at most %d scanner devices", MaxScanners)
	}
	ids := slices.Clone(prof.ScannerDeviceIDs)
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(prof.ScannerDeviceIDs) {
		return domain.Invalidf("a scanner device is named twice")
	}
	for _, id := range prof.ScannerDeviceIDs {
		d, err := s.d.Store.Devices().Get(ctx, p.ScopeFor(permManage), id)
		if err != nil {
			return domain.NotFoundf("device %s not found", domain.Abbrev(id, 40))
		}
		if d.SiteID != prof.SiteID {
			return domain.Invalidf("device %s is not in the profile's site: scanners are agents of the site", id)
		}
	}
	return nil
}

// snmpOf validates SNMP settings and seals their secrets for profileID.
func (s *Service) snmpOf(profileID string, in SNMPInput, cur *domain.SNMPSettings) (*domain.SNMPSettings, error) {
	out := &domain.SNMPSettings{Version: in.Version, User: in.User, AuthProto: strings.ToUpper(in.AuthProto),
		PrivProto: strings.ToUpper(in.PrivProto), Port: in.Port, TimeoutMs: in.TimeoutMs}
	if cur != nil {
		out.Community, out.AuthPass, out.PrivPass = cur.Community, cur.AuthPass, cur.PrivPass
	}
	seal := func(field string, v *string, dst *string) error {
		if v == nil || *v == Redacted {
			return nil
		}
		if *v == "" {
			*dst = ""
			return nil
		}
		if len(*v) > maxSNMPText || !validText(*v) {
			return domain.Invalidf("snmp.%s is at most %d bytes of text", field, maxSNMPText)
		}
		if s.d.Sealer == nil {
			return domain.Invalidf("this server has no key to seal SNMP credentials with")
		}
		sealed, err := s.d.Sealer.Seal([]byte(*v), snmpAAD(profileID, field))
		if err != nil {
			return err
		}
		*dst = sealedPrefix + sealed
		return nil
	}
	if err := seal("community", in.Community, &out.Community); err != nil {
		return nil, err
	}
	if err := seal("authPass", in.AuthPass, &out.AuthPass); err != nil {
		return nil, err
	}
	if err := seal("privPass", in.PrivPass, &out.PrivPass); err != nil {
		return nil, err
	}
	if out.Port == 0 {
		out.Port = DefaultSNMPPort
	}
	if out.TimeoutMs == 0 {
		out.TimeoutMs = DefaultSNMPTimeout
	}
	if out.Port < 1 || out.Port > 65535 {
		return nil, domain.Invalidf("snmp.port is 1 to 65535")
	}
	if out.TimeoutMs < 100 || out.TimeoutMs > 60_000 {
		return nil, domain.Invalidf("snmp.timeoutMs is 100 to 60000")
	}
	if len(out.User) > maxSNMPText || !validText(out.User) {
		return nil, domain.Invalidf("snmp.user is at most %d bytes of text", maxSNMPText)
	}
	switch out.Version {
	case "2c":
		if out.Community == "" {
			return nil, domain.Invalidf("snmp v2c needs a community")
		}
		if out.User != "" || out.AuthProto != "" || out.PrivProto != "" {
			return nil, domain.Invalidf("snmp v2c takes a community, not a user or auth/priv protocols")
		}
		out.AuthPass, out.PrivPass = "", ""
	case "3":
		if out.User == "" {
			return nil, domain.Invalidf("snmp v3 needs a user")
		}
		out.Community = ""
		switch out.AuthProto {
		case "":
			if out.PrivProto != "" {
				return nil, domain.Invalidf("snmp v3 privacy needs authentication (authProto)")
			}
			out.AuthPass, out.PrivPass = "", ""
		case "SHA", "SHA256", "SHA512", "MD5":
			if out.AuthPass == "" {
				return nil, domain.Invalidf("snmp authProto %s needs authPass", out.AuthProto)
			}
			if in.AuthPass != nil && *in.AuthPass != Redacted && len(*in.AuthPass) < minV3Pass {
				return nil, domain.Invalidf("snmp authPass is at least %d characters", minV3Pass)
			}
		default:
			return nil, domain.Invalidf("snmp authProto is SHA, SHA256, SHA512 or MD5")
		}
		switch out.PrivProto {
		case "":
			out.PrivPass = ""
		case "AES", "AES256", "DES":
			if out.PrivPass == "" {
				return nil, domain.Invalidf("snmp privProto %s needs privPass", out.PrivProto)
			}
			if in.PrivPass != nil && *in.PrivPass != Redacted && len(*in.PrivPass) < minV3Pass {
				return nil, domain.Invalidf("snmp privPass is at least %d characters", minV3Pass)
			}
		default:
			return nil, domain.Invalidf("snmp privProto is AES, AES256 or DES")
		}
	default:
		return nil, domain.Invalidf("snmp.version is 2c or 3")
	}
	return out, nil
}

const sealedPrefix = "sealed:"

func snmpAAD(profileID, field string) []byte {
	return []byte("breeze.discovery.snmp|" + profileID + "|" + field)
}

// openSNMP returns the plugin options of a profile's SNMP settings with
// the secrets opened (the plan; they travel on as sealed command secrets).
func (s *Service) openSNMP(prof *domain.DiscoveryProfile) (map[string]string, error) {
	c := prof.SNMP
	if c == nil {
		return nil, nil
	}
	out := map[string]string{"version": c.Version, "port": strconv.Itoa(c.Port), "timeoutMs": strconv.Itoa(c.TimeoutMs)}
	if c.User != "" {
		out["user"] = c.User
	}
	if c.AuthProto != "" {
		out["authProto"] = c.AuthProto
	}
	if c.PrivProto != "" {
		out["privProto"] = c.PrivProto
	}
	for _, f := range []struct{ name, v string }{{"community", c.Community}, {"authPass", c.AuthPass}, {"privPass", c.PrivPass}} {
		if f.v == "" {
			continue
		}
		if !strings.HasPrefix(f.v, sealedPrefix) || s.d.Sealer == nil {
			return nil, domain.Invalidf("the profile's SNMP %s cannot be opened on this server; set it again", f.name)
		}
		plain, err := s.d.Sealer.Open(strings.TrimPrefix(f.v, sealedPrefix), snmpAAD(prof.ID, f.name))
		if err != nil {
			return nil, domain.Invalidf("the profile's SNMP %s cannot be opened (the server key changed?); set it again", f.name)
		}
		out[f.name] = string(plain)
	}
	return out, nil
}

// RedactedProfile is prof with its SNMP secrets shown as Redacted.
func RedactedProfile(prof *domain.DiscoveryProfile) *domain.DiscoveryProfile {
	if prof == nil || prof.SNMP == nil {
		return prof
	}
	out := *prof
	snmp := *prof.SNMP
	for _, v := range []*string{&snmp.Community, &snmp.AuthPass, &snmp.PrivPass} {
		if *v != "" {
			*v = Redacted
		}
	}
	out.SNMP = &snmp
	return &out
}
