package remoteio_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/breeze-rmm/breeze/core/app/relay"
	"github.com/breeze-rmm/breeze/protocol"
)

// fakeAgent plays the agent side of every device linked to it: it answers
// frames like a real agent would, through the relay's stream topics.
// Terminal input is echoed back as output; files live in a map.
type fakeAgent struct {
	relay *relay.Relay
	in    chan frameIn

	mu       sync.Mutex
	devices  map[string]bool
	frames   []string // frame types received, in order
	files    map[string][]byte
	uploads  map[string]*upload
	corrupt  bool // answer file_done with a wrong hash
	refuse   bool // answer terminal_open with terminal_closed "refused" (its session limit)
	inflight int  // download chunks sent and not acknowledged
	pending  map[string]*pendingDownload
}

type frameIn struct {
	device string
	raw    []byte
}

type upload struct {
	path string
	buf  []byte
}

type pendingDownload struct {
	device string
	data   []byte
	next   int
	acked  int
}

func newFakeAgent() *fakeAgent {
	a := &fakeAgent{in: make(chan frameIn, 1024), devices: map[string]bool{}, files: map[string][]byte{},
		uploads: map[string]*upload{}, pending: map[string]*pendingDownload{}}
	go a.loop()
	return a
}

// SendRaw implements relay.LocalLinks.
func (a *fakeAgent) SendRaw(deviceID string, frame []byte) (held, queued bool) {
	a.mu.Lock()
	linked := a.devices[deviceID]
	a.mu.Unlock()
	if !linked {
		return false, false
	}
	select {
	case a.in <- frameIn{deviceID, append([]byte(nil), frame...)}:
		return true, true
	default:
		return true, false
	}
}

// Holds implements relay.LocalLinks.
func (a *fakeAgent) Holds(deviceID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.devices[deviceID]
}

func (a *fakeAgent) link(id string)   { a.mu.Lock(); a.devices[id] = true; a.mu.Unlock() }
func (a *fakeAgent) unlink(id string) { a.mu.Lock(); delete(a.devices, id); a.mu.Unlock() }

func (a *fakeAgent) received() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.frames...)
}

func (a *fakeAgent) file(path string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.files[path]
	return b, ok
}

func (a *fakeAgent) put(path string, b []byte) { a.mu.Lock(); a.files[path] = b; a.mu.Unlock() }

func (a *fakeAgent) stream(device, id string, v any) {
	raw, _ := json.Marshal(v)
	_ = a.relay.Stream(context.Background(), device, id, raw)
}

func (a *fakeAgent) loop() {
	for f := range a.in {
		var h protocol.Header
		if json.Unmarshal(f.raw, &h) != nil {
			continue
		}
		a.mu.Lock()
		a.frames = append(a.frames, h.Type)
		a.mu.Unlock()
		a.handle(f.device, h, f.raw)
	}
}

func (a *fakeAgent) handle(dev string, h protocol.Header, raw []byte) {
	switch h.Type {
	case protocol.TypeTerminalOpen:
		a.mu.Lock()
		refuse := a.refuse
		a.mu.Unlock()
		if refuse {
			a.stream(dev, h.ID, protocol.TerminalClosed{Header: protocol.Header{Type: protocol.TypeTerminalClosed, ID: h.ID}, Reason: "refused"})
			return
		}
		a.stream(dev, h.ID, protocol.TerminalOutput{Header: protocol.Header{Type: protocol.TypeTerminalOutput, ID: h.ID}, Data: []byte("$ ")})
	case protocol.TypeTerminalInput:
		var in protocol.TerminalInput
		_ = json.Unmarshal(raw, &in)
		if string(in.Data) == "exit\n" {
			code := 3
			a.stream(dev, h.ID, protocol.TerminalClosed{Header: protocol.Header{Type: protocol.TypeTerminalClosed, ID: h.ID}, Reason: "exited", ExitCode: &code})
			return
		}
		a.stream(dev, h.ID, protocol.TerminalOutput{Header: protocol.Header{Type: protocol.TypeTerminalOutput, ID: h.ID}, Data: append([]byte("echo:"), in.Data...)})
	case protocol.TypeTerminalClose:
		a.stream(dev, h.ID, protocol.TerminalClosed{Header: protocol.Header{Type: protocol.TypeTerminalClosed, ID: h.ID}, Reason: "closed"})
	case protocol.TypeFileUpload:
		var u protocol.FileUpload
		_ = json.Unmarshal(raw, &u)
		a.mu.Lock()
		a.uploads[h.ID] = &upload{path: u.Path}
		a.mu.Unlock()
	case protocol.TypeFileChunk:
		var c protocol.FileChunk
		_ = json.Unmarshal(raw, &c)
		a.mu.Lock()
		u := a.uploads[h.ID]
		if u != nil {
			u.buf = append(u.buf, c.Data...)
		}
		corrupt := a.corrupt
		a.mu.Unlock()
		if u == nil {
			return
		}
		a.stream(dev, h.ID, protocol.FileAck{Header: protocol.Header{Type: protocol.TypeFileAck, ID: h.ID}, Seq: c.Seq})
		if c.Last {
			sum := sha256.Sum256(u.buf)
			hexSum := hex.EncodeToString(sum[:])
			if corrupt {
				hexSum = hex.EncodeToString(make([]byte, 32))
			} else {
				a.put(u.path, u.buf)
			}
			a.stream(dev, h.ID, protocol.FileDone{Header: protocol.Header{Type: protocol.TypeFileDone, ID: h.ID}, Size: int64(len(u.buf)), SHA256: hexSum})
		}
	case protocol.TypeFileDownload:
		var d protocol.FileDownload
		_ = json.Unmarshal(raw, &d)
		data, ok := a.file(d.Path)
		if !ok {
			a.stream(dev, h.ID, protocol.FileAbort{Header: protocol.Header{Type: protocol.TypeFileAbort, ID: h.ID}, Error: "no such file"})
			return
		}
		sum := sha256.Sum256(data)
		a.stream(dev, h.ID, protocol.FileReady{Header: protocol.Header{Type: protocol.TypeFileReady, ID: h.ID}, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
		p := &pendingDownload{device: dev, data: data, acked: -1}
		a.mu.Lock()
		a.pending[h.ID] = p
		a.mu.Unlock()
		a.pushChunks(h.ID, p)
	case protocol.TypeFileAck:
		var ack protocol.FileAck
		_ = json.Unmarshal(raw, &ack)
		a.mu.Lock()
		p := a.pending[h.ID]
		a.mu.Unlock()
		if p != nil {
			p.acked = ack.Seq
			a.pushChunks(h.ID, p)
		}
	}
}

// pushChunks sends download chunks within the window.
func (a *fakeAgent) pushChunks(id string, p *pendingDownload) {
	chunks := (len(p.data) + protocol.FileChunkSize - 1) / protocol.FileChunkSize
	for p.next < chunks && p.next-p.acked-1 < protocol.FileWindow {
		lo := p.next * protocol.FileChunkSize
		hi := min(lo+protocol.FileChunkSize, len(p.data))
		a.stream(p.device, id, protocol.FileChunk{Header: protocol.Header{Type: protocol.TypeFileChunk, ID: id},
			Seq: p.next, Data: p.data[lo:hi], Last: p.next == chunks-1})
		p.next++
	}
}

// noLinks is a node holding no agent link.
type noLinks struct{}

func (noLinks) SendRaw(string, []byte) (bool, bool) { return false, false }
func (noLinks) Holds(string) bool                   { return false }

var _ relay.LocalLinks = (*fakeAgent)(nil)
