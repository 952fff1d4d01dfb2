package remoteio_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/breeze-rmm/breeze/adapters/http/api"
	"github.com/breeze-rmm/breeze/adapters/http/remoteio"
	"github.com/breeze-rmm/breeze/core/app/files"
	"github.com/breeze-rmm/breeze/core/domain"
)

func filesPath(dev, p string, extra ...string) string {
	q := url.Values{"path": {p}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return api.Prefix + "/devices/" + dev + "/files?" + q.Encode()
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (e *env) upload(t *testing.T, token, dev, path string, body []byte, sum string) (int, map[string]any) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/octet-stream"}}
	if sum != "" {
		h.Set(remoteio.HeaderSHA256, sum)
	}
	rec := e.ts.Request(t, http.MethodPost, filesPath(dev, path, "overwrite", "true"), token, body, h)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestFilesRoundTrip(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	body := make([]byte, 700<<10) // three chunks, across two nodes
	_, _ = rand.Read(body)
	code, out := e.upload(t, tok, e.device, "/tmp/./data.bin", body, hexSum(body))
	if code != http.StatusCreated || out["sha256"] != hexSum(body) || out["path"] != "/tmp/data.bin" || out["size"] != float64(len(body)) {
		t.Fatalf("upload: %d %v", code, out)
	}
	if got, ok := e.agent.file("/tmp/data.bin"); !ok || !bytes.Equal(got, body) {
		t.Fatal("the agent did not get the file intact")
	}
	rec := e.ts.Request(t, http.MethodGet, filesPath(e.device, "/tmp/data.bin"), tok, nil, nil)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), body) {
		t.Fatalf("download: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get(remoteio.HeaderSHA256) != hexSum(body) || rec.Header().Get("Content-Length") != "716800" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), `attachment; filename=data.bin`) {
		t.Fatalf("download headers: %v", rec.Header())
	}
	up, down := e.rows(t, files.ActionUpload), e.rows(t, files.ActionDownload)
	if len(up) != 1 || up[0].Outcome != domain.OutcomeSuccess || !strings.Contains(up[0].Details, hexSum(body)) || up[0].OrgID != e.ts.Seed.A.Orgs[0].ID {
		t.Fatalf("upload rows: %+v", up)
	}
	if len(down) != 1 || down[0].Outcome != domain.OutcomeSuccess || !strings.Contains(down[0].Details, `"path":"/tmp/data.bin"`) || down[0].ActorID != e.ts.Seed.A.Admin.ID {
		t.Fatalf("download rows: %+v", down)
	}

	// Empty files too.
	if code, out := e.upload(t, tok, e.device, "/tmp/empty", nil, ""); code != http.StatusCreated {
		t.Fatalf("empty upload: %d %v", code, out)
	}
	if rec := e.ts.Request(t, http.MethodGet, filesPath(e.device, "/tmp/empty"), tok, nil, nil); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("empty download: %d", rec.Code)
	}
	// A missing file: the agent's abort is a 409 with its reason.
	if rec := e.ts.Request(t, http.MethodGet, filesPath(e.device, "/tmp/nope"), tok, nil, nil); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "no such file") {
		t.Fatalf("missing file: %d %s", rec.Code, rec.Body.String())
	}
}

func TestFilesHashMismatchRefusedAndAudited(t *testing.T) {
	e := newEnv(t, envOptions{})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	body := []byte("hello")
	code, out := e.upload(t, tok, e.device, "/tmp/x", body, hexSum([]byte("other")))
	if code != http.StatusBadRequest || !strings.Contains(out["error"].(map[string]any)["message"].(string), "SHA-256 mismatch") {
		t.Fatalf("client hash mismatch: %d %v", code, out)
	}
	if _, ok := e.agent.file("/tmp/x"); ok {
		t.Fatal("a mismatching upload reached the device")
	}
	rows := e.rows(t, files.ActionUpload)
	if len(rows) != 1 || rows[0].Outcome != domain.OutcomeFailure || !strings.Contains(rows[0].Details, "mismatch") {
		t.Fatalf("audit: %+v", rows)
	}
	// The device reports a different hash than was sent: refused too.
	e.agent.mu.Lock()
	e.agent.corrupt = true
	e.agent.mu.Unlock()
	if code, out := e.upload(t, tok, e.device, "/tmp/y", body, hexSum(body)); code != http.StatusConflict {
		t.Fatalf("device hash mismatch: %d %v", code, out)
	}
}

func TestFilesPathAndSizeRefused(t *testing.T) {
	e := newEnv(t, envOptions{fileMax: 1000})
	tok := e.ts.Login(t, e.ts.Seed.A.Admin.Email, e.ts.Seed.A.Admin.Password)
	for _, p := range []string{"/tmp/../etc/passwd", "../etc/passwd", "relative", "C:\\Windows\\x", "/tmp/a\x00b", "/", "/tmp/", "/" + strings.Repeat("a", 4096)} {
		if code, out := e.upload(t, tok, e.device, p, []byte("x"), ""); code != http.StatusBadRequest {
			t.Fatalf("upload to %q: want 400, got %d %v", p, code, out)
		}
		if rec := e.ts.Request(t, http.MethodGet, filesPath(e.device, p), tok, nil, nil); rec.Code != http.StatusBadRequest {
			t.Fatalf("download of %q: want 400, got %d", p, rec.Code)
		}
	}
	if code, _ := e.upload(t, tok, e.device, "/tmp/big", make([]byte, 1001), ""); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: want 413, got %d", code)
	}
	e.agent.put("/tmp/big", make([]byte, 1001))
	if rec := e.ts.Request(t, http.MethodGet, filesPath(e.device, "/tmp/big"), tok, nil, nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("oversized download: want 400, got %d %s", rec.Code, rec.Body.String())
	}
	for _, f := range e.agent.received() {
		if f == "file_upload" {
			t.Fatalf("a refused upload reached the agent: %v", e.agent.received())
		}
	}
	// Another tenant's device, and a viewer: 404 / 403.
	devB, _ := e.ts.NewDevice(t, e.ts.Seed.B, 0, "b-1")
	if code, _ := e.upload(t, tok, devB, "/tmp/x", []byte("x"), ""); code != http.StatusNotFound {
		t.Fatalf("other tenant's device: want 404, got %d", code)
	}
	v := e.ts.NewUser(t, domain.RoleOrgViewer, e.ts.Seed.A.OrgUnit(0), "")
	vtok := e.ts.Login(t, v.Email, v.Password)
	if rec := e.ts.Request(t, http.MethodGet, filesPath(e.device, "/tmp/x"), vtok, nil, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("viewer download: want 403, got %d", rec.Code)
	}
}
