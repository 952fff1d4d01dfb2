package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The SQLite disk fills up: the node leaves readiness, a mutating request
// either fails with 503 or is stored with its audit row (never 200 without
// one), and once space is freed the node is ready again, sign-in works at
// once and the audit chain verifies. The data dir is a small tmpfs the test
// mounts (the suite runs as root).
func TestFaultSQLiteDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs for the data dir (the fault tests run as root): %v\n%s", err, out)
	}
	s := &server{t: t, addr: freeAddr(t), dataDir: filepath.Join(mnt, "data"), log: &syncBuffer{}}
	s.url = "http://" + s.addr
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", s.log.tail(80))
		}
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", mnt, err, out)
		}
	})
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	s.start()
	api := login(t, s)
	orgID := orgOf(t, api, api.site("Disk")) // something to write under

	// Fill the file system to the last byte.
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)

	eventually(t, 10*time.Second, "/readyz 503 with the disk full", func() (bool, string) {
		got := status(s.url + "/readyz")
		return got == http.StatusServiceUnavailable, http.StatusText(got)
	})
	login := map[string]string{"email": adminEmail, "password": adminPassword}
	var stored []string // ids of sites created (201) while full: each needs its audit row
	refused := 0
	// A write that fits in the WAL file's existing extent needs no new
	// space and is stored (the WAL starts over in place after each complete
	// checkpoint); writes go on until the database must grow and is refused.
	for i := 0; i < 300 && refused < 3; i++ {
		// Top up first: the server gives space back on its own (its idle
		// checkpoint truncates the WAL), and a disk with room is not full.
		fill(t, filler)
		name := fmt.Sprintf("full-%d", i)
		a := call(http.MethodPost, s.url+"/api/v1/sites", api.token, map[string]string{"orgId": orgID, "name": name})
		switch {
		case a.status == http.StatusServiceUnavailable:
			refused++
		case a.status == http.StatusCreated:
			var site struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(a.body), &site)
			stored = append(stored, site.ID)
		default:
			t.Errorf("create site with the disk full: %v, want 503 (or 201 with its audit row)", a)
		}
		if a := call(http.MethodPost, s.url+"/api/v1/auth/login", "", login); a.status != http.StatusServiceUnavailable && a.status != http.StatusOK {
			t.Errorf("sign-in with the disk full: %v, want 503 (or 200 with its audit row)", a)
		}
	}

	t.Logf("disk full: %d writes stored (each must have its audit row), %d refused", len(stored), refused)
	if refused == 0 {
		t.Errorf("no write was refused with the disk full (%d sites stored)", len(stored))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "/readyz 200 after space was freed", func() (bool, string) {
		got := status(s.url + "/readyz")
		return got == http.StatusOK, http.StatusText(got)
	})
	api = signInSoon(t, s)
	for _, id := range stored {
		if id == "" || !audited(t, api, "sites.create", id) {
			t.Errorf("site %q was created (201) with the disk full but has no audit row", id)
		}
	}
	s.stop()
	cmd := exec.Command(serverBin, "audit", "verify")
	cmd.Env = append(cleanEnv(), "BREEZE_DATA_DIR="+s.dataDir)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}

// fill appends to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	small := buf[:4096]
	for {
		if _, err := f.Write(small); err != nil {
			return
		}
	}
}

// orgOf is the org of a site.
func orgOf(t *testing.T, c *client, siteID string) string {
	t.Helper()
	var site struct {
		OrgID string `json:"orgId"`
	}
	c.must(http.MethodGet, "/api/v1/sites/"+siteID, nil, http.StatusOK, &site)
	return site.OrgID
}

// audited reports whether the audit log holds an action row that mentions
// what (its resource id).
func audited(t *testing.T, c *client, action, what string) bool {
	t.Helper()
	code, body := c.do(http.MethodGet, "/api/v1/audit-logs?action="+action+"&limit=200", nil)
	if code != http.StatusOK {
		t.Fatalf("audit logs: %d %s", code, body)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	_ = json.Unmarshal(body, &page)
	for _, it := range page.Items {
		if strings.Contains(string(it), what) {
			return true
		}
	}
	return false
}
