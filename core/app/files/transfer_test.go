package files

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// fakeRelay is one device's agent behind an in-memory relay: it records
// the upload window and acks chunks, or goes silent.
type fakeRelay struct {
	mu        sync.Mutex
	sub       *fakeSub
	got       []byte
	acked     int // last seq acknowledged (published)
	maxWindow int
	silent    bool
	aborted   bool
	unlinked  bool // no node holds the device's link
}

func (r *fakeRelay) Reachable(context.Context, string) bool { return !r.unlinked }

type fakeSub struct{ c chan ports.Message }

func (s *fakeSub) C() <-chan ports.Message { return s.c }
func (s *fakeSub) Dropped() uint64         { return 0 }
func (s *fakeSub) Close() error            { return nil }

func (r *fakeRelay) Subscribe(context.Context, string, string) (ports.Subscription, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sub = &fakeSub{c: make(chan ports.Message, 64)}
	return r.sub, nil
}

func (r *fakeRelay) reply(v any) {
	raw, _ := json.Marshal(v)
	r.sub.c <- ports.Message{Payload: raw}
}

// ToAgent answers like an agent, acknowledging a little later and only
// every FileWindow chunks, so a sender that ignored the window would have
// more than FileWindow chunks out before an ack was even published.
func (r *fakeRelay) ToAgent(_ context.Context, _ string, frame any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch f := frame.(type) {
	case protocol.FileAbort:
		r.aborted = true
	case protocol.FileChunk:
		if r.silent {
			return nil
		}
		r.got = append(r.got, f.Data...)
		r.maxWindow = max(r.maxWindow, f.Seq-r.acked)
		if (f.Seq+1)%protocol.FileWindow == 0 || f.Last {
			go func() {
				time.Sleep(20 * time.Millisecond)
				r.mu.Lock()
				defer r.mu.Unlock()
				r.acked = f.Seq
				r.reply(protocol.FileAck{Header: protocol.Header{Type: protocol.TypeFileAck, ID: f.ID}, Seq: f.Seq})
				if f.Last {
					sum := sha256.Sum256(r.got)
					r.reply(protocol.FileDone{Header: protocol.Header{Type: protocol.TypeFileDone, ID: f.ID}, Size: int64(len(r.got)), SHA256: hex.EncodeToString(sum[:])})
				}
			}()
		}
	}
	return nil
}

type oneDevice struct{}

func (oneDevice) Get(_ context.Context, s domain.Scope, id string) (*domain.Device, error) {
	if !s.CoversOrg("p", "o") {
		return nil, domain.ErrNotFound
	}
	return &domain.Device{ID: id, PartnerID: "p", OrgID: "o", SiteID: "s", OS: "linux", Status: domain.DeviceOnline}, nil
}

type rows struct {
	mu sync.Mutex
	e  []domain.AuditEntry
}

func (r *rows) Append(_ context.Context, e *domain.AuditEntry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.e = append(r.e, *e)
	return nil
}

func tech() *domain.Principal {
	return &domain.Principal{Kind: domain.PrincipalUser, UserID: "u", PartnerID: "p",
		Grants: []domain.Grant{{Assignment: domain.RoleAssignment{PartnerID: "p", OrgID: "o"}, Permissions: []string{domain.PermRemoteAccess}}}}
}

func TestUploadKeepsTheWindow(t *testing.T) {
	rel, log := &fakeRelay{acked: -1}, &rows{}
	s, err := New(Deps{Relay: rel, Devices: oneDevice{}, Audit: log, TempDir: t.TempDir(), StallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 10*protocol.FileChunkSize+123)
	_, _ = rand.Read(body)
	res, err := s.Upload(context.Background(), tech(), UploadRequest{
		DeviceID: domain.NewID(), Path: "/srv/blob", Body: bytes.NewReader(body), Size: int64(len(body)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rel.got, body) || res.Size != int64(len(body)) {
		t.Fatal("the agent did not get the file intact")
	}
	if rel.maxWindow != protocol.FileWindow {
		t.Fatalf("in flight at most %d chunks, want exactly the window %d", rel.maxWindow, protocol.FileWindow)
	}
	if len(log.e) != 1 || log.e[0].Action != ActionUpload || log.e[0].Outcome != domain.OutcomeSuccess || log.e[0].OrgID != "o" {
		t.Fatalf("audit: %+v", log.e)
	}
}

func TestUploadStallsOut(t *testing.T) {
	rel, log := &fakeRelay{silent: true}, &rows{}
	s, _ := New(Deps{Relay: rel, Devices: oneDevice{}, Audit: log, TempDir: t.TempDir(), StallTimeout: 100 * time.Millisecond})
	body := make([]byte, 6*protocol.FileChunkSize)
	_, err := s.Upload(context.Background(), tech(), UploadRequest{
		DeviceID: domain.NewID(), Path: "/srv/blob", Body: bytes.NewReader(body), Size: int64(len(body)),
	})
	if !errors.Is(err, ErrStalled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a stall, got %v", err)
	}
	if !rel.aborted {
		t.Fatal("the agent was not told to abort")
	}
	if len(log.e) != 1 || log.e[0].Outcome != domain.OutcomeFailure {
		t.Fatalf("audit: %+v", log.e)
	}
}

func TestUploadBodyMustMatchLength(t *testing.T) {
	s, _ := New(Deps{Relay: &fakeRelay{}, Devices: oneDevice{}, Audit: &rows{}, TempDir: t.TempDir()})
	for _, size := range []int64{4, 6, -1} {
		_, err := s.Upload(context.Background(), tech(), UploadRequest{
			DeviceID: domain.NewID(), Path: "/srv/x", Body: bytes.NewReader([]byte("hello")), Size: size,
		})
		if !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("size %d for 5 bytes: want ErrInvalid, got %v", size, err)
		}
	}
	noRemote := &domain.Principal{Kind: domain.PrincipalUser, UserID: "u", PartnerID: "p"}
	if _, err := s.Upload(context.Background(), noRemote, UploadRequest{DeviceID: domain.NewID(), Path: "/srv/x", Body: bytes.NewReader(nil)}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("without remote:access: want ErrNotFound, got %v", err)
	}
}

// countingReader counts what was read of a body.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// An upload to a device that is not linked is refused before its body is
// read: the client learns it at once, not after sending every byte.
func TestUploadToUnlinkedDeviceRefusedBeforeTheBody(t *testing.T) {
	rel, log := &fakeRelay{unlinked: true}, &rows{}
	s, _ := New(Deps{Relay: rel, Devices: oneDevice{}, Audit: log, TempDir: t.TempDir()})
	body := &countingReader{r: bytes.NewReader(make([]byte, 3*protocol.FileChunkSize))}
	_, err := s.Upload(context.Background(), tech(), UploadRequest{
		DeviceID: domain.NewID(), Path: "/srv/blob", Body: body, Size: 3 * protocol.FileChunkSize,
	})
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("want ErrOffline, got %v", err)
	}
	if body.n != 0 {
		t.Fatalf("%d bytes of the body were read before the refusal", body.n)
	}
	if len(log.e) != 1 || log.e[0].Outcome != domain.OutcomeFailure {
		t.Fatalf("audit: %+v", log.e)
	}
}
