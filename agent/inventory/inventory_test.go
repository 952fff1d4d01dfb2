package inventory

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/protocol"
)

func pkg(name, version string) protocol.SoftwarePackage {
	return protocol.SoftwarePackage{Name: name, Version: version, Source: "dpkg"}
}

func TestParseDpkgStatusFixture(t *testing.T) {
	got, err := DpkgSource{Path: "testdata/dpkg-status"}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.SoftwarePackage{
		pkg("bash", "5.2.15-2+b7"),
		pkg("libc6", "2.36-9+deb12u4"),
		pkg("libc6", "2.36-9+deb12u4"),
		pkg("held", "3:1.2.3-4"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// The collector removes the multi-arch duplicate.
	if n := normalizeSoftware(got); len(n) != 3 {
		t.Errorf("normalized = %+v", n)
	}
	crlf, err := DpkgSource{Path: "testdata/dpkg-status-crlf"}.List(context.Background())
	if err != nil || len(crlf) != 1 || crlf[0] != pkg("crlf", "1.0") {
		t.Errorf("crlf: %+v %v", crlf, err)
	}
}

func TestParseDpkgStatusOnThisMachine(t *testing.T) {
	got, err := DpkgSource{}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 20 {
		t.Fatalf("only %d dpkg packages on a Debian machine", len(got))
	}
	found := false
	for _, p := range got {
		if p.Name == "" || p.Version == "" || p.Source != "dpkg" {
			t.Fatalf("bad package %+v", p)
		}
		if p.Name == "dpkg" {
			found = true
		}
	}
	if !found {
		t.Error("dpkg itself is not in the dpkg database")
	}
}

func TestParseDpkgStatusLongLinesAndCancel(t *testing.T) {
	body := "Package: big\nStatus: install ok installed\nVersion: 1\nDescription: x\n " + strings.Repeat("y", 200<<10) + "\n"
	got, err := ParseDpkgStatus(context.Background(), strings.NewReader(body))
	if err != nil || len(got) != 1 {
		t.Fatalf("long line: %+v %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ParseDpkgStatus(ctx, strings.NewReader(body)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled parse: %v", err)
	}
}

func TestParseRPMList(t *testing.T) {
	out := "bash\t5.1.8-9.el9\tx86_64\n" +
		"gpg-pubkey\tfd431d51-4ae0493b\t(none)\n" +
		"openssl\t1:3.0.7-27.el9\tx86_64\n" +
		"\n" +
		"garbage-line-without-tabs\n"
	got := ParseRPMList([]byte(out))
	want := []protocol.SoftwarePackage{
		{Name: "bash", Version: "5.1.8-9.el9", Source: "rpm"},
		{Name: "openssl", Version: "1:3.0.7-27.el9", Source: "rpm"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

// A fake rpm binary proves the exec path and its error reporting.
func TestRPMSourceExec(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "rpm")
	script := "#!/bin/sh\n[ \"$1\" = -qa ] || exit 3\nprintf 'zsh\\t5.8-9\\tx86_64\\n'\n"
	if err := os.WriteFile(good, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := RPMSource{Binary: good}.List(context.Background())
	if err != nil || len(got) != 1 || got[0].Name != "zsh" {
		t.Fatalf("got %+v %v", got, err)
	}
	bad := filepath.Join(dir, "rpm-bad")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho 'db locked' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := (RPMSource{Binary: bad}).List(context.Background()); err == nil || !strings.Contains(err.Error(), "db locked") {
		t.Errorf("rpm failure: %v", err)
	}
}

type fakeSource struct {
	pkgs []protocol.SoftwarePackage
	err  error
}

func (fakeSource) Name() string { return "fake" }
func (f fakeSource) List(context.Context) ([]protocol.SoftwarePackage, error) {
	return f.pkgs, f.err
}

func TestCollectOnThisMachine(t *testing.T) {
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	c := NewCollector(Options{Now: func() time.Time { return at }})
	inv, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Full || inv.Type != protocol.TypeInventory || !inv.At.Equal(at) {
		t.Errorf("header: %+v full=%v at=%v", inv.Header, inv.Full, inv.At)
	}
	if inv.OS == nil || inv.OS.Name != "linux" || inv.OS.KernelVersion == "" || inv.OS.Hostname == "" {
		t.Errorf("os = %+v", inv.OS)
	}
	if inv.CPU == nil || inv.CPU.Threads < 1 || inv.CPU.Cores < 1 || inv.CPU.Cores > inv.CPU.Threads {
		t.Errorf("cpu = %+v", inv.CPU)
	}
	if inv.MemoryTotal == 0 {
		t.Error("memory total 0")
	}
	if len(inv.Disks) == 0 || len(inv.Filesystems) == 0 || len(inv.Interfaces) == 0 {
		t.Errorf("disks %+v fs %+v ifs %+v", inv.Disks, inv.Filesystems, inv.Interfaces)
	}
	for _, d := range inv.Disks {
		if strings.HasPrefix(d.Name, "loop") || strings.HasPrefix(d.Name, "zram") || d.Size == 0 {
			t.Errorf("disk %+v should be skipped", d)
		}
	}
	for _, i := range inv.Interfaces {
		if i.Name == "lo" {
			t.Error("loopback listed")
		}
	}
	if len(inv.Software) < 20 {
		t.Errorf("software: %d packages", len(inv.Software))
	}
	// A second collection of an unchanged machine has no diff.
	again, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d, changed := Diff(inv, again); changed {
		t.Errorf("unchanged machine produced a diff: %+v", d)
	}
}

func TestCollectSoftwareFailureFailsAndPlannedSourceWarns(t *testing.T) {
	var logs bytes.Buffer
	log := hclog.New(&hclog.LoggerOptions{Output: &logs})
	planned := plannedSource{name: "registry", plan: "the Uninstall keys"}
	c := NewCollector(Options{Logger: log, Sources: []SoftwareSource{planned, fakeSource{pkgs: []protocol.SoftwarePackage{pkg("a", "1")}}}})
	inv, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Software) != 1 {
		t.Errorf("software = %+v", inv.Software)
	}
	if !strings.Contains(logs.String(), "not yet supported on linux") || !strings.Contains(logs.String(), "Uninstall keys") {
		t.Errorf("no clear unsupported warning: %s", logs.String())
	}
	c = NewCollector(Options{Sources: []SoftwareSource{fakeSource{err: errors.New("db locked")}}})
	if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "db locked") {
		t.Errorf("failing source: %v", err)
	}
}

func TestDiff(t *testing.T) {
	base := protocol.Inventory{
		Full:        true,
		OS:          &protocol.OSInfo{Name: "linux", Platform: "debian", Version: "12.4", KernelVersion: "6.1", Hostname: "h"},
		CPU:         &protocol.CPUInfo{Model: "x", Cores: 2, Threads: 4},
		MemoryTotal: 8 << 30,
		Disks:       []protocol.Disk{{Name: "vda", Size: 100}},
		Filesystems: []protocol.Filesystem{{Mount: "/", Device: "/dev/vda", FSType: "ext4", Total: 90}},
		Interfaces:  []protocol.NetInterface{{Name: "eth0", MAC: "aa", Addresses: []string{"10.0.0.2/24"}}},
		Software:    []protocol.SoftwarePackage{pkg("bash", "5.1"), pkg("curl", "7.88"), pkg("vim", "9.0")},
	}
	clone := func() protocol.Inventory {
		c := base
		os, cpu := *base.OS, *base.CPU
		c.OS, c.CPU = &os, &cpu
		c.Interfaces = []protocol.NetInterface{{Name: "eth0", MAC: "aa", Addresses: []string{"10.0.0.2/24"}}}
		c.Software = append([]protocol.SoftwarePackage(nil), base.Software...)
		return c
	}

	t.Run("identical", func(t *testing.T) {
		if d, changed := Diff(base, clone()); changed {
			t.Fatalf("diff of equal inventories: %+v", d)
		}
	})
	t.Run("software added, removed, upgraded", func(t *testing.T) {
		cur := clone()
		cur.At = time.Unix(100, 0)
		cur.Software = []protocol.SoftwarePackage{pkg("bash", "5.2"), pkg("curl", "7.88"), pkg("htop", "3.2")}
		d, changed := Diff(base, cur)
		if !changed || d.Full || d.Type != protocol.TypeInventory || !d.At.Equal(cur.At) {
			t.Fatalf("diff = %+v", d)
		}
		if want := []protocol.SoftwarePackage{pkg("bash", "5.2"), pkg("htop", "3.2")}; !reflect.DeepEqual(d.SoftwareAdded, want) {
			t.Errorf("added = %+v", d.SoftwareAdded)
		}
		if want := []protocol.SoftwarePackage{pkg("bash", "5.1"), pkg("vim", "9.0")}; !reflect.DeepEqual(d.SoftwareRemoved, want) {
			t.Errorf("removed = %+v", d.SoftwareRemoved)
		}
		if d.OS != nil || d.CPU != nil || d.MemoryTotal != 0 || d.Disks != nil || d.Filesystems != nil || d.Interfaces != nil || d.Software != nil {
			t.Errorf("unchanged sections sent: %+v", d)
		}
	})
	t.Run("only changed hardware sections", func(t *testing.T) {
		cur := clone()
		cur.OS.Version = "12.5"
		cur.Interfaces[0].Addresses = []string{"10.0.0.3/24"}
		d, changed := Diff(base, cur)
		if !changed || d.OS == nil || d.OS.Version != "12.5" || len(d.Interfaces) != 1 {
			t.Fatalf("diff = %+v", d)
		}
		if d.CPU != nil || d.MemoryTotal != 0 || d.Disks != nil || d.Filesystems != nil || d.SoftwareAdded != nil || d.SoftwareRemoved != nil {
			t.Errorf("unchanged sections sent: %+v", d)
		}
	})
	t.Run("unreadable section is not a removal", func(t *testing.T) {
		cur := clone()
		cur.OS, cur.Disks, cur.Interfaces, cur.MemoryTotal = nil, nil, nil, 0
		if d, changed := Diff(base, cur); changed {
			t.Fatalf("empty sections reported: %+v", d)
		}
	})
	t.Run("plugin facts replaced as a whole", func(t *testing.T) {
		prev, cur := clone(), clone()
		prev.Facts = []protocol.PluginFact{{Plugin: "p", Key: "a", Value: "1"}}
		cur.Facts = []protocol.PluginFact{{Plugin: "p", Key: "a", Value: "2"}, {Plugin: "p", Key: "b", Value: "x"}}
		d, changed := Diff(prev, cur)
		if !changed || !reflect.DeepEqual(d.Facts, cur.Facts) || d.OS != nil {
			t.Fatalf("diff = %+v", d)
		}
		if d, changed := Diff(cur, cur); changed {
			t.Fatalf("same facts reported: %+v", d)
		}
	})
	t.Run("from nothing", func(t *testing.T) {
		d, changed := Diff(protocol.Inventory{}, base)
		if !changed || d.OS == nil || d.CPU == nil || len(d.SoftwareAdded) != 3 || d.SoftwareRemoved != nil {
			t.Fatalf("diff = %+v", d)
		}
	})
}

func TestCollectAddsSortedPluginFacts(t *testing.T) {
	c := NewCollector(Options{Sources: []SoftwareSource{fakeSource{}}, PluginFacts: func(context.Context) []protocol.PluginFact {
		return []protocol.PluginFact{{Plugin: "b", Key: "k", Value: "1"}, {Plugin: "a", Key: "z"}, {Plugin: "a", Key: "y"}}
	}})
	inv, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []protocol.PluginFact{{Plugin: "a", Key: "y"}, {Plugin: "a", Key: "z"}, {Plugin: "b", Key: "k", Value: "1"}}
	if !reflect.DeepEqual(inv.Facts, want) {
		t.Fatalf("facts = %+v", inv.Facts)
	}
}

func TestFileStore(t *testing.T) {
	s := FileStore{Path: filepath.Join(t.TempDir(), "sub", "inventory.json")}
	if _, ok, err := s.Load(); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	inv := protocol.Inventory{Header: protocol.Header{Type: protocol.TypeInventory}, Full: true, At: time.Unix(5, 0).UTC(),
		OS: &protocol.OSInfo{Name: "linux"}, Software: []protocol.SoftwarePackage{pkg("a", "1")}}
	if err := s.Save(inv); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load()
	if err != nil || !ok || !reflect.DeepEqual(got, inv) {
		t.Fatalf("load = %+v %v %v", got, ok, err)
	}
	if err := os.WriteFile(s.Path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Load(); ok || err == nil {
		t.Errorf("corrupt cache: ok=%v err=%v", ok, err)
	}
}
