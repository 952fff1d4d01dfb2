//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/sdk"
	"github.com/breeze-rmm/breeze/sdk/sdktest"
	"github.com/breeze-rmm/breeze/test/netlab"
)

// Every scan here targets a netlab network: addresses the test made.

const (
	hostileDescr    = `<img src=x onerror=alert(1)>`
	hostileLocation = `"><script>alert('loc')</script> & 'quotes'`
)

type snmpLab struct {
	lab            *netlab.Lab
	sw, other, web *netlab.Host
}

func newSNMPLab(t *testing.T) snmpLab {
	netlab.Require(t, "snmpd", "snmpget")
	l := netlab.New(t, netlab.Options{})
	s := snmpLab{lab: l, sw: l.AddHost("switch"), other: l.AddHost("other"), web: l.AddHost("web")}
	if err := s.sw.StartSNMP(netlab.SNMPConfig{Community: "labro", User: "breeze", AuthPass: "auth-secret-1", PrivPass: "priv-secret-1",
		SysName: "core-sw1", SysDescr: hostileDescr, SysLocation: hostileLocation}); err != nil {
		t.Fatal(err)
	}
	if err := s.other.StartSNMP(netlab.SNMPConfig{Community: "elsewhere", SysName: "other"}); err != nil {
		t.Fatal(err)
	}
	if err := s.web.ServeHTTP(80); err != nil {
		t.Fatal(err)
	}
	return s
}

func spec(l *netlab.Lab, opts map[string]string) sdk.TargetSpec {
	return sdk.TargetSpec{Targets: []string{l.CIDR()}, Concurrency: 64, RatePerSecond: 1000, Timeout: 300 * time.Millisecond, Options: opts}
}

func scan(t *testing.T, s sdk.TargetSpec) []sdk.Asset {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []sdk.Asset
	if err := New().Scan(ctx, s, func(a sdk.Asset) error { got = append(got, a); return nil }); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return got
}

func checkSwitch(t *testing.T, how string, got []sdk.Asset, sw *netlab.Host) {
	t.Helper()
	if len(got) != 1 || got[0].IP != sw.IP.String() {
		t.Fatalf("%s: %+v, want only the switch %s", how, got, sw.IP)
	}
	a := got[0]
	if a.Hostname != "core-sw1" || a.Attributes["snmp.sysName"] != "core-sw1" || !a.Alive {
		t.Errorf("%s: name %q / %q", how, a.Hostname, a.Attributes["snmp.sysName"])
	}
	// Hostile strings come back byte for byte; showing them safely is the
	// dashboard's job.
	if a.Attributes["snmp.sysDescr"] != hostileDescr || a.Attributes["snmp.sysLocation"] != hostileLocation {
		t.Errorf("%s: sysDescr %q sysLocation %q", how, a.Attributes["snmp.sysDescr"], a.Attributes["snmp.sysLocation"])
	}
	if oid := a.Attributes["snmp.sysObjectID"]; oid != "1.3.6.1.4.1.8072.3.2.10" { // net-snmp on Linux
		t.Errorf("%s: sysObjectID %q", how, oid)
	}
	var ifs []iface
	if err := json.Unmarshal([]byte(a.Attributes["snmp.interfaces"]), &ifs); err != nil {
		t.Fatalf("%s: interfaces %q: %v", how, a.Attributes["snmp.interfaces"], err)
	}
	i := slices.IndexFunc(ifs, func(f iface) bool { return f.Name == "eth0" })
	if i < 0 || ifs[i].MAC != sw.MAC || ifs[i].OperStatus != "up" || ifs[i].Index <= 0 {
		t.Errorf("%s: interfaces %+v; want eth0 %s up", how, ifs, sw.MAC)
	}
	if !slices.ContainsFunc(ifs, func(f iface) bool { return f.Name == "lo" && f.MAC == "" }) {
		t.Errorf("%s: no lo in %+v", how, ifs)
	}
}

func TestSNMPFacts(t *testing.T) {
	s := newSNMPLab(t)
	v3 := map[string]string{"version": "3", "user": "breeze", "authProto": "SHA", "authPass": "auth-secret-1", "privProto": "AES", "privPass": "priv-secret-1"}
	t.Run("v2c", func(t *testing.T) {
		checkSwitch(t, "v2c", scan(t, spec(s.lab, map[string]string{"version": "2c", "community": "labro"})), s.sw)
	})
	t.Run("v3 authPriv", func(t *testing.T) {
		checkSwitch(t, "v3", scan(t, spec(s.lab, v3)), s.sw)
	})
	t.Run("the other community finds the other agent", func(t *testing.T) {
		got := scan(t, spec(s.lab, map[string]string{"community": "elsewhere"}))
		if len(got) != 1 || got[0].IP != s.other.IP.String() || got[0].Hostname != "other" {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("wrong credentials find nothing", func(t *testing.T) {
		for _, opts := range []map[string]string{
			{"community": "public"},
			{"version": "3", "user": "breeze", "authPass": "wrong-secret", "privPass": "priv-secret-1"},
			{"version": "3", "user": "breeze", "authPass": "auth-secret-1", "privPass": "wrong-secret"},
			{"version": "3", "user": "nobody", "authPass": "auth-secret-1", "privPass": "priv-secret-1"},
		} {
			if got := scan(t, spec(s.lab, opts)); len(got) != 0 {
				t.Errorf("%v: %+v", opts, got)
			}
		}
	})
	t.Run("another port", func(t *testing.T) {
		if got := scan(t, spec(s.lab, map[string]string{"community": "labro", "port": "1161", "timeoutMs": "200"})); len(got) != 0 {
			t.Fatalf("%+v", got)
		}
	})
}

// SHA-512 and AES-256 (Blumenthal, as net-snmp does it) against snmpd.
func TestV3StrongerProtocols(t *testing.T) {
	netlab.Require(t, "snmpd")
	l := netlab.New(t, netlab.Options{})
	h := l.AddHost("router")
	if err := h.StartSNMP(netlab.SNMPConfig{User: "strong", AuthProto: "SHA-512", AuthPass: "auth-secret-2", PrivProto: "AES-256",
		PrivPass: "priv-secret-2", SysName: "router"}); err != nil {
		t.Fatal(err)
	}
	got := scan(t, spec(l, map[string]string{"version": "3", "user": "strong", "authProto": "SHA512", "authPass": "auth-secret-2",
		"privProto": "AES256", "privPass": "priv-secret-2"}))
	if len(got) != 1 || got[0].Hostname != "router" {
		t.Fatalf("%+v; snmpd log: %s", got, h.Log("snmpd"))
	}
}

func TestConformance(t *testing.T) {
	s := newSNMPLab(t)
	target := spec(s.lab, map[string]string{"community": "labro"})
	target.Targets = []string{s.sw.IP.String()}
	sdktest.ScannerConformance(t, func(*testing.T) sdk.Scanner { return New() }, sdktest.ScannerFixture{
		Target:  target,
		Invalid: sdk.TargetSpec{Targets: []string{s.sw.IP.String()}, Options: map[string]string{"version": "1"}},
	})
	t.Run("Subprocess", func(t *testing.T) {
		sc := sdktest.Subprocess[sdk.Scanner](t, ".", sdk.KindScanner, sdktest.NewFakeHost(nil))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var got []sdk.Asset
		if err := sc.Scan(ctx, spec(s.lab, map[string]string{"community": "labro"}), func(a sdk.Asset) error { got = append(got, a); return nil }); err != nil {
			t.Fatal(err)
		}
		checkSwitch(t, "through the real binary", got, s.sw)
	})
}

func TestCancelStopsPromptly(t *testing.T) {
	l := netlab.New(t, netlab.Options{})
	sp := spec(l, map[string]string{"community": "x"})
	sp.RatePerSecond = 5
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := New().Scan(ctx, sp, func(sdk.Asset) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("cancelled scan returned %v after %v", err, time.Since(start))
	}
}

func TestRefusesBadOptions(t *testing.T) {
	ok := []string{"10.1.2.0/24"}
	for _, o := range []map[string]string{
		{},
		{"version": "1", "community": "x"},
		{"version": "3"},
		{"version": "3", "user": "u", "authProto": "SHA1024", "authPass": "12345678"},
		{"version": "3", "user": "u", "authPass": "short"},
		{"version": "3", "user": "u", "privPass": "12345678"},
		{"version": "3", "user": "u", "authPass": "12345678", "privProto": "3DES", "privPass": "12345678"},
		{"community": "x", "port": "0"},
		{"community": "x", "timeoutMs": "60000"},
	} {
		if _, err := makePlan(sdk.TargetSpec{Targets: ok, Options: o}); !errors.Is(err, sdk.ErrInvalid) {
			t.Errorf("makePlan(%v) = %v, want invalid", o, err)
		}
	}
	if _, err := makePlan(sdk.TargetSpec{Targets: []string{"0.0.0.0/0"}, Options: map[string]string{"community": "x"}}); !errors.Is(err, sdk.ErrInvalid) {
		t.Errorf("0.0.0.0/0 accepted: %v", err)
	}
}

func TestOnlySDKImports(t *testing.T) { sdktest.OnlySDKImports(t) }

func TestTextKeepsMarkupDropsNULAndBadUTF8(t *testing.T) {
	if got := text([]byte("<b>x</b>\x00\x00\xff")); got != "<b>x</b>\uFFFD" {
		t.Fatalf("text = %q", got)
	}
	if got := text(make([]byte, 5000)); got != "" {
		t.Fatalf("NULs: %q", got)
	}
	long := strings.Repeat("a", 5000)
	if got := text([]byte(long)); len(got) != maxString {
		t.Fatalf("len %d", len(got))
	}
}
