package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSourceAddressesAreLoopbackAndDistinct(t *testing.T) {
	seen := map[string]int{}
	for k := range srcAddrs {
		ip := srcIP(k, 0)
		if !ip.IsLoopback() || ip[len(ip)-1] == 0 || ip[len(ip)-1] == 255 || ip[len(ip)-2] == 0 {
			t.Fatalf("agent %d dials from %s", k, ip)
		}
		if j, dup := seen[ip.String()]; dup {
			t.Fatalf("agents %d and %d share %s", j, k, ip)
		}
		seen[ip.String()] = k
	}
	if first, last := srcIP(0, 0).String(), srcIP(srcAddrs-1, 0).String(); first != "127.0.1.1" || last != "127.0.255.254" {
		t.Fatalf("range %s–%s, want 127.0.1.1–127.0.255.254", first, last)
	}
	if srcIP(srcAddrs, 0).String() != "127.0.1.1" || srcIP(0, 5).String() != "127.0.1.6" {
		t.Fatal("addresses do not cycle or shift")
	}
}

func TestCredentialsRoundTripPerShard(t *testing.T) {
	dir := t.TempDir()
	if err := checkStateDir(dir, "http://a"); err != nil {
		t.Fatal(err)
	}
	if err := checkStateDir(dir, "http://b"); err == nil {
		t.Fatal("a state dir of another server was accepted")
	}
	w, err := openCredWriter(dir, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := w.add(credential{Index: i, DeviceID: "d" + string(rune('0'+i)), Token: "brz_x"}); err != nil {
			t.Fatal(err)
		}
	}
	w.close()
	// A line cut short by a crash is skipped.
	f, _ := os.OpenFile(filepath.Join(dir, "agents-0-of-1.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"i":11,"d":"x","t"`)
	f.Close()
	st, _ := os.Stat(filepath.Join(dir, "agents-0-of-1.jsonl"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("credential file mode %v", st.Mode())
	}
	// Read back as shard 1 of 3 with 8 agents: indices 1, 4, 7.
	got, err := loadCredentials(dir, 1, 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].DeviceID != "d1" || got[4].DeviceID != "d4" || got[7].DeviceID != "d7" {
		t.Fatalf("shard 1/3 got %v", got)
	}
}

func TestNormaliseErrorFoldsAddresses(t *testing.T) {
	a := normaliseError("dial tcp 127.0.10.198:0->127.0.0.1:18090: connect: connection refused")
	b := normaliseError("dial tcp 127.0.4.56:0->127.0.0.1:18090: connect: connection refused")
	if a != b || strings.Contains(a, "127.") {
		t.Fatalf("%q and %q", a, b)
	}
}

func TestPercentile(t *testing.T) {
	v := sortedCopy([]uint32{5, 1, 4, 2, 3, 10, 9, 8, 7, 6})
	if percentile(v, 0) != 1 || percentile(v, 50) != 5 || percentile(v, 100) != 10 || percentile([]uint32(nil), 50) != 0 {
		t.Fatalf("percentiles of %v", v)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--agents", "0", "--key-file", "k"},
		{"--server", "ftp://x", "--key-file", "k"},
		{"--interval", "100ms", "--key-file", "k"},
		{"--email", "a@b.c"}, // no password
		{},                   // no key at all
		{"--child", "--shard", "3/3", "--key-file", "k"},
	} {
		t.Setenv("BREEZE_SIM_PASSWORD", "")
		if _, err := parseFlags(args, io.Discard); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("%v accepted", args)
		}
	}
	c, err := parseFlags([]string{"--child", "--shard", "2/5", "--key-file", "k", "--server", "http://h:1/"}, io.Discard)
	if err != nil || c.shard != 2 || c.shards != 5 || c.server != "http://h:1" {
		t.Fatalf("%+v %v", c, err)
	}
}
