package main

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/gosnmp/gosnmp"
)

const version = "1.0.0"

// Limits a caller may ask for, and their defaults. The rate counts hosts
// asked per second (each host is a handful of requests).
const (
	defaultConcurrency = 32
	maxConcurrency     = 256
	defaultRate        = 100
	maxRate            = 2000
	defaultTimeout     = time.Second
	maxTimeout         = 10 * time.Second
	maxInterfaces      = 1024
	maxString          = 1024 // bytes kept of a sys string
)

// OIDs of the system group and the interface tables (RFC 1213, RFC 2863).
const (
	oidSysDescr     = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID  = "1.3.6.1.2.1.1.2.0"
	oidSysName      = "1.3.6.1.2.1.1.5.0"
	oidSysLocation  = "1.3.6.1.2.1.1.6.0"
	oidIfDescr      = "1.3.6.1.2.1.2.2.1.2"
	oidIfPhysAddr   = "1.3.6.1.2.1.2.2.1.6"
	oidIfOperStatus = "1.3.6.1.2.1.2.2.1.8"
	oidIfName       = "1.3.6.1.2.1.31.1.1.1.1"
)

// Scanner is the SNMP scanner.
type Scanner struct{}

// New returns the scanner.
func New() *Scanner { return &Scanner{} }

func (*Scanner) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "snmpscan", Version: version, Description: "SNMP v2c/v3 system facts and interfaces"}, nil
}

type plan struct {
	prefixes    []netip.Prefix
	port        uint16
	version     gosnmp.SnmpVersion
	community   string
	flags       gosnmp.SnmpV3MsgFlags
	usm         *gosnmp.UsmSecurityParameters
	concurrency int
	interval    time.Duration
	timeout     time.Duration
}

var (
	authProtos = map[string]gosnmp.SnmpV3AuthProtocol{"MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA256": gosnmp.SHA256, "SHA512": gosnmp.SHA512}
	privProtos = map[string]gosnmp.SnmpV3PrivProtocol{"DES": gosnmp.DES, "AES": gosnmp.AES, "AES256": gosnmp.AES256}
)

func makePlan(spec sdk.TargetSpec) (plan, error) {
	p := plan{concurrency: defaultConcurrency, timeout: defaultTimeout, port: 161}
	var err error
	if p.prefixes, err = sdk.ParseTargets(spec.Targets); err != nil {
		return p, err
	}
	o := spec.Options
	switch v := strings.TrimSpace(o["version"]); v {
	case "", "2c", "v2c":
		p.version = gosnmp.Version2c
		if p.community = o["community"]; p.community == "" {
			return p, sdk.Invalidf("version 2c needs a community")
		}
	case "3", "v3":
		p.version = gosnmp.Version3
		if o["user"] == "" {
			return p, sdk.Invalidf("version 3 needs a user")
		}
		usm := &gosnmp.UsmSecurityParameters{UserName: o["user"]}
		p.flags = gosnmp.NoAuthNoPriv
		if o["authPass"] != "" {
			name := strings.ToUpper(strings.TrimSpace(o["authProto"]))
			if name == "" {
				name = "SHA"
			}
			proto, ok := authProtos[name]
			if !ok {
				return p, sdk.Invalidf("authProto %q: want SHA, SHA256, SHA512 or MD5", o["authProto"])
			}
			if len(o["authPass"]) < 8 {
				return p, sdk.Invalidf("authPass: at least 8 characters (RFC 3414)")
			}
			usm.AuthenticationProtocol, usm.AuthenticationPassphrase = proto, o["authPass"]
			p.flags = gosnmp.AuthNoPriv
		}
		if o["privPass"] != "" {
			if p.flags == gosnmp.NoAuthNoPriv {
				return p, sdk.Invalidf("privPass without authPass: privacy needs authentication")
			}
			name := strings.ToUpper(strings.TrimSpace(o["privProto"]))
			if name == "" {
				name = "AES"
			}
			proto, ok := privProtos[name]
			if !ok {
				return p, sdk.Invalidf("privProto %q: want AES, AES256 or DES", o["privProto"])
			}
			if len(o["privPass"]) < 8 {
				return p, sdk.Invalidf("privPass: at least 8 characters (RFC 3414)")
			}
			usm.PrivacyProtocol, usm.PrivacyPassphrase = proto, o["privPass"]
			p.flags = gosnmp.AuthPriv
		}
		p.usm = usm
	default:
		return p, sdk.Invalidf("version %q: want 2c or 3", v)
	}
	if s := o["port"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 65535 {
			return p, sdk.Invalidf("port %q: want 1..65535", s)
		}
		p.port = uint16(n)
	}
	if spec.Concurrency > 0 {
		p.concurrency = min(spec.Concurrency, maxConcurrency)
	}
	rate := defaultRate
	if spec.RatePerSecond > 0 {
		rate = min(spec.RatePerSecond, maxRate)
	}
	p.interval = time.Second / time.Duration(rate)
	if spec.Timeout > 0 {
		p.timeout = min(spec.Timeout, maxTimeout)
	}
	if s := o["timeoutMs"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || time.Duration(n)*time.Millisecond > maxTimeout {
			return p, sdk.Invalidf("timeoutMs %q: want 1..%d", s, maxTimeout.Milliseconds())
		}
		p.timeout = time.Duration(n) * time.Millisecond
	}
	return p, nil
}

func (s *Scanner) Scan(ctx context.Context, spec sdk.TargetSpec, emit func(sdk.Asset) error) error {
	p, err := makePlan(spec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	addrs := make(chan netip.Addr)
	var (
		mu      sync.Mutex
		emitErr error
		wg      sync.WaitGroup
	)
	for range p.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range addrs {
				asset, ok := query(ctx, p, a)
				if !ok {
					continue
				}
				mu.Lock()
				if emitErr == nil {
					if err := emit(asset); err != nil {
						emitErr = err
						cancel()
					}
				}
				mu.Unlock()
			}
		}()
	}
	sdk.Hosts(p.prefixes, func(a netip.Addr) bool {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
		select {
		case addrs <- a:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(addrs)
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	return ctx.Err()
}

// iface is one entry of snmp.interfaces.
type iface struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	MAC        string `json:"mac"`
	OperStatus string `json:"operStatus"`
}

// query asks one host; ok is false when it did not answer (or refused us:
// a wrong community is silence, a wrong v3 credential a report).
func query(ctx context.Context, p plan, a netip.Addr) (sdk.Asset, bool) {
	g := &gosnmp.GoSNMP{
		Target: a.String(), Port: p.port, Transport: "udp", Version: p.version, Community: p.community,
		Context: ctx, Timeout: p.timeout, Retries: 1, MaxOids: gosnmp.MaxOids, MaxRepetitions: 25,
	}
	if p.version == gosnmp.Version3 {
		g.SecurityModel, g.MsgFlags = gosnmp.UserSecurityModel, p.flags
		g.SecurityParameters = p.usm.Copy()
	}
	if err := g.Connect(); err != nil {
		return sdk.Asset{}, false
	}
	defer g.Conn.Close()
	start := time.Now()
	res, err := g.Get([]string{oidSysName, oidSysDescr, oidSysObjectID, oidSysLocation})
	if err != nil || res.Error != gosnmp.NoError || len(res.Variables) == 0 {
		return sdk.Asset{}, false
	}
	rtt := time.Since(start)
	attrs := map[string]string{"snmp.version": map[gosnmp.SnmpVersion]string{gosnmp.Version2c: "2c", gosnmp.Version3: "3"}[p.version]}
	for _, v := range res.Variables {
		key := map[string]string{oidSysName: "snmp.sysName", oidSysDescr: "snmp.sysDescr", oidSysObjectID: "snmp.sysObjectID", oidSysLocation: "snmp.sysLocation"}[strings.TrimPrefix(v.Name, ".")]
		if key == "" {
			continue
		}
		switch v.Type {
		case gosnmp.OctetString:
			attrs[key] = text(v.Value)
		case gosnmp.ObjectIdentifier:
			s, _ := v.Value.(string)
			attrs[key] = strings.TrimPrefix(s, ".")
		}
	}
	ifs := interfaces(g)
	js, _ := json.Marshal(ifs)
	attrs["snmp.interfaces"] = string(js)
	return sdk.Asset{IP: a.String(), Hostname: attrs["snmp.sysName"], Alive: true, RTT: rtt, Attributes: attrs}, true
}

// interfaces walks ifTable and ifXTable's ifName; a table the agent does not
// serve leaves its fields empty.
func interfaces(g *gosnmp.GoSNMP) []iface {
	byIndex := map[int]*iface{}
	walk := func(root string, set func(*iface, gosnmp.SnmpPDU)) {
		pdus, err := g.BulkWalkAll(root)
		if err != nil {
			return
		}
		for _, v := range pdus {
			i := strings.LastIndexByte(v.Name, '.')
			idx, err := strconv.Atoi(v.Name[i+1:])
			if err != nil {
				continue
			}
			f := byIndex[idx]
			if f == nil {
				if len(byIndex) >= maxInterfaces {
					continue
				}
				f = &iface{Index: idx, Name: "", OperStatus: ""}
				byIndex[idx] = f
			}
			set(f, v)
		}
	}
	walk(oidIfDescr, func(f *iface, v gosnmp.SnmpPDU) {
		if f.Name == "" {
			f.Name = text(v.Value)
		}
	})
	walk(oidIfName, func(f *iface, v gosnmp.SnmpPDU) { // ifName is the short name: prefer it
		if s := text(v.Value); s != "" {
			f.Name = s
		}
	})
	walk(oidIfPhysAddr, func(f *iface, v gosnmp.SnmpPDU) {
		if b, ok := v.Value.([]byte); ok && len(b) > 0 && !allZero(b) {
			f.MAC = net.HardwareAddr(b).String()
		}
	})
	walk(oidIfOperStatus, func(f *iface, v gosnmp.SnmpPDU) {
		f.OperStatus = operStatus(gosnmp.ToBigInt(v.Value).Int64())
	})
	out := make([]iface, 0, len(byIndex))
	for _, f := range byIndex {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

func operStatus(n int64) string {
	names := []string{1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}
	if n >= 1 && n < int64(len(names)) {
		return names[n]
	}
	return strconv.FormatInt(n, 10)
}

// text keeps an agent's string as it is (hostile markup included: whoever
// shows it escapes it), but valid UTF-8, bounded, and without NUL bytes
// (devices pad with them; no database text column stores them).
func text(v any) string {
	b, _ := v.([]byte)
	if len(b) > maxString {
		b = b[:maxString]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
