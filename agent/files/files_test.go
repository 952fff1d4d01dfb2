package files

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/protocol"
)

// peer plays the server: it records frames and acks download chunks.
type peer struct {
	m       *Manager
	mu      sync.Mutex
	frames  []any
	data    bytes.Buffer
	ackDown bool
	done    chan any // file_done, file_abort, or the last chunk
}

func (p *peer) Send(ctx context.Context, v any) error {
	p.mu.Lock()
	p.frames = append(p.frames, v)
	p.mu.Unlock()
	switch f := v.(type) {
	case protocol.FileChunk:
		p.mu.Lock()
		p.data.Write(f.Data)
		p.mu.Unlock()
		if p.ackDown {
			p.m.Handle(ctx, protocol.TypeFileAck, mustJSON(protocol.FileAck{Header: hdr(protocol.TypeFileAck, f.ID), Seq: f.Seq}))
		}
		if f.Last {
			p.done <- f
		}
	case protocol.FileDone, protocol.FileAbort:
		p.done <- f
	}
	return nil
}

func (p *peer) wait(t *testing.T) any {
	t.Helper()
	select {
	case v := <-p.done:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("transfer did not end")
		return nil
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func newManager(t *testing.T, roots ...string) (*Manager, *peer) {
	t.Helper()
	p := &peer{done: make(chan any, 4), ackDown: true}
	m, err := New(Deps{Sender: p, Roots: roots, StallTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p.m = m
	return m, p
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// upload plays an upload of data to path, announcing sum.
func upload(t *testing.T, m *Manager, p *peer, id, path string, data []byte, sum string, overwrite bool) protocol.FileDone {
	t.Helper()
	ctx := context.Background()
	m.Handle(ctx, protocol.TypeFileUpload, mustJSON(protocol.FileUpload{Header: hdr(protocol.TypeFileUpload, id),
		Path: path, Size: int64(len(data)), SHA256: sum, Mode: 0o600, Overwrite: overwrite}))
	seq := 0
	for off := 0; ; seq++ {
		end := min(off+protocol.FileChunkSize, len(data))
		m.Handle(ctx, protocol.TypeFileChunk, mustJSON(protocol.FileChunk{Header: hdr(protocol.TypeFileChunk, id),
			Seq: seq, Data: data[off:end], Last: end == len(data)}))
		off = end
		if off == len(data) {
			break
		}
		time.Sleep(time.Millisecond) // stay within the window, as a server waiting for acks does
	}
	d, ok := p.wait(t).(protocol.FileDone)
	if !ok {
		t.Fatalf("want file_done")
	}
	return d
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m, p := newManager(t)
	data := make([]byte, 3*protocol.FileChunkSize+12345)
	_, _ = rand.Read(data)
	path := filepath.Join(dir, "blob.bin")
	if d := upload(t, m, p, "u1", path, data, hashHex(data), false); d.Error != "" || d.SHA256 != hashHex(data) {
		t.Fatalf("done %+v", d)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file differs (%v)", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	// Overwrite off and the file exists: refused.
	if d := upload(t, m, p, "u2", path, []byte("x"), hashHex([]byte("x")), false); !strings.Contains(d.Error, "exists") {
		t.Fatalf("done %+v", d)
	}

	m2, p2 := newManager(t)
	m2.Handle(context.Background(), protocol.TypeFileDownload, mustJSON(protocol.FileDownload{Header: hdr(protocol.TypeFileDownload, "d1"), Path: path, MaxSize: 1 << 30}))
	if c, ok := p2.wait(t).(protocol.FileChunk); !ok || !c.Last {
		t.Fatalf("want a last chunk")
	}
	ready, ok := p2.frames[0].(protocol.FileReady)
	if !ok || ready.SHA256 != hashHex(data) || ready.Size != int64(len(data)) {
		t.Fatalf("first frame %+v", p2.frames[0])
	}
	if !bytes.Equal(p2.data.Bytes(), data) {
		t.Fatal("downloaded data differs")
	}
	waitIdle(t, m2)
}

func waitIdle(t *testing.T, m *Manager) {
	t.Helper()
	for i := 0; i < 200 && m.Active() > 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if m.Active() != 0 {
		t.Fatalf("%d transfers left", m.Active())
	}
}

func TestHashMismatchLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	m, p := newManager(t)
	path := filepath.Join(dir, "f.txt")
	d := upload(t, m, p, "u1", path, []byte("hello"), hashHex([]byte("other")), false)
	if !strings.Contains(d.Error, "mismatch") {
		t.Fatalf("done %+v", d)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestPathChecks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	m, p := newManager(t, root)
	cases := map[string]string{
		root + "/a/../x":                   "..",
		"relative/x":                       "not absolute",
		filepath.Join(root, "escape", "x"): "outside",
		filepath.Join(outside, "x"):        "outside",
		filepath.Join(root, "nul\x00x"):    "NUL",
		"/" + strings.Repeat("a", MaxPath): "longer",
	}
	for path, want := range cases {
		d := upload(t, m, p, "u-"+want, path, []byte("x"), hashHex([]byte("x")), true)
		if !strings.Contains(d.Error, want) {
			t.Errorf("upload to %q: %q, want %q", path, d.Error, want)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); err == nil {
		t.Fatal("a file escaped the roots")
	}
	// Downloads: through the symlink, and a directory.
	for path, want := range map[string]string{filepath.Join(root, "escape", "secret"): "outside", root: "not a regular file",
		root + "/../etc/passwd": ".."} {
		m.Handle(context.Background(), protocol.TypeFileDownload, mustJSON(protocol.FileDownload{Header: hdr(protocol.TypeFileDownload, "d"+want), Path: path}))
		a, ok := p.wait(t).(protocol.FileAbort)
		if !ok || !strings.Contains(a.Error, want) {
			t.Errorf("download %q: %+v, want %q", path, a, want)
		}
	}
	// Inside the root works.
	ok := filepath.Join(root, "fine.txt")
	if d := upload(t, m, p, "u-ok", ok, []byte("fine"), hashHex([]byte("fine")), false); d.Error != "" {
		t.Fatalf("upload inside root: %s", d.Error)
	}
}

func TestStalledTransfersEnd(t *testing.T) {
	dir := t.TempDir()
	m, p := newManager(t)
	m.Handle(context.Background(), protocol.TypeFileUpload, mustJSON(protocol.FileUpload{Header: hdr(protocol.TypeFileUpload, "s1"),
		Path: filepath.Join(dir, "x"), Size: 10, SHA256: hashHex(make([]byte, 10))}))
	if d := p.wait(t).(protocol.FileDone); !strings.Contains(d.Error, "stalled") {
		t.Fatalf("done %+v", d)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	// A download whose acks never come.
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 6*protocol.FileChunkSize), 0o600); err != nil {
		t.Fatal(err)
	}
	p.ackDown = false
	m.Handle(context.Background(), protocol.TypeFileDownload, mustJSON(protocol.FileDownload{Header: hdr(protocol.TypeFileDownload, "s2"), Path: big}))
	a, ok := p.wait(t).(protocol.FileAbort)
	if !ok || !strings.Contains(a.Error, "stalled") {
		t.Fatalf("%+v", a)
	}
	chunks := 0
	for _, f := range p.frames {
		if _, ok := f.(protocol.FileChunk); ok {
			chunks++
		}
	}
	if chunks != protocol.FileWindow {
		t.Fatalf("%d chunks sent without acks, want the window %d", chunks, protocol.FileWindow)
	}
}
