package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/scripts"
	"github.com/breeze-rmm/breeze/protocol"
)

// Sender writes a frame to the server (agent/remote.Dispatcher); it fails
// while no link is up.
type Sender interface {
	Send(ctx context.Context, v any) error
}

// Deps are what the executor needs.
type Deps struct {
	StatePath string // the id cache (JSON), e.g. <state dir>/commands.json
	Sender    Sender
	Scripts   *scripts.Runner
	// Inventory sends a full inventory now (link.Link.SendFullInventory).
	Inventory func(ctx context.Context) error
	Power     Power
	// Discover runs a scanner plugin (agent/plugins.Manager.Discover):
	// assets become the result Data, note its stdout. nil: no plugins.
	Discover func(ctx context.Context, p protocol.DiscoverPayload) (assets any, note string, err error)
	// DiscoverPages runs a streaming discover (agent/plugins.Manager.DiscoverPages):
	// page sends one page. nil: no plugins.
	DiscoverPages func(ctx context.Context, p protocol.DiscoverPayload,
		page func(ctx context.Context, assets []protocol.DiscoverAsset, scanned int) error) (protocol.DiscoverCounts, error)
	Systemctl string // "systemctl" when empty (tests point it at a fake)
	Logger    hclog.Logger
	Now       func() time.Time
	// DefaultTimeout bounds an action whose command sets no timeout; 1 h
	// for scripts, 5 min for the rest.
	DefaultTimeout time.Duration
}

// Executor runs commands at most once.
type Executor struct {
	d     Deps
	log   hclog.Logger
	store *store
	wg    sync.WaitGroup

	mu      sync.Mutex
	running map[string]*runningCommand // by id, while executing

	// acks: the current link's server acknowledges stored results, so a
	// result stays on disk until its command_stored, and is sent again
	// every resendAfter meanwhile (a server that could not store it, in a
	// database outage, answers an error instead).
	acks atomic.Bool
}

// resendAfter is how long a result waits for its acknowledgement before it
// is sent again on the same link.
var resendAfter = 15 * time.Second

// SetResultAcks says whether the current link acknowledges stored results.
func (e *Executor) SetResultAcks(on bool) { e.acks.Store(on) }

// runningCommand lets the server stop a command it cancelled.
type runningCommand struct {
	cancel    context.CancelFunc
	cancelled bool // by the server (not the agent stopping)
}

// New loads the id cache; ids a previous run left started become failed
// results waiting to be sent.
func New(d Deps) (*Executor, error) {
	if d.StatePath == "" || d.Sender == nil {
		return nil, errors.New("commands: need a state path and a sender")
	}
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Systemctl == "" {
		d.Systemctl = "systemctl"
	}
	if d.Power == nil {
		d.Power = DryRunPower{}
	}
	s, err := openStore(d.StatePath, d.Now)
	if err != nil {
		return nil, err
	}
	return &Executor{d: d, log: d.Logger.Named("commands"), store: s, running: map[string]*runningCommand{}}, nil
}

// HandleFrame takes a command or command_cancel frame.
func (e *Executor) HandleFrame(ctx context.Context, typ string, raw []byte) {
	switch typ {
	case protocol.TypeCommandCancel:
		e.Cancel(raw)
		return
	case protocol.TypeCommandStored:
		e.Stored(raw)
		return
	}
	e.Handle(ctx, raw)
}

// Stored takes the server's acknowledgement of a result: it is kept there,
// so it is not sent again.
func (e *Executor) Stored(raw []byte) {
	var h protocol.Header
	if err := json.Unmarshal(raw, &h); err != nil || h.ID == "" {
		return
	}
	if err := e.store.delivered(h.ID); err != nil {
		e.log.Warn("cannot record a stored result; it may be sent again", "id", h.ID, "error", err)
	}
}

// Handle takes one command frame; it returns at once (the work runs on its
// own goroutine) so the link's reader never waits.
func (e *Executor) Handle(ctx context.Context, raw []byte) {
	var c protocol.Command
	if err := json.Unmarshal(raw, &c); err != nil || c.ID == "" {
		e.log.Warn("ignoring a malformed command frame", "error", err)
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.take(ctx, c)
	}()
}

// Cancel stops a running command (the server's command_cancel): its
// process group is killed and it reports cancelled. An id not running is
// ignored (it finished, or never came).
func (e *Executor) Cancel(raw []byte) {
	var h protocol.Header
	if err := json.Unmarshal(raw, &h); err != nil || h.ID == "" {
		return
	}
	e.mu.Lock()
	rc := e.running[h.ID]
	if rc != nil {
		rc.cancelled = true
	}
	e.mu.Unlock()
	if rc != nil {
		e.log.Info("command cancelled by the server", "id", h.ID)
		rc.cancel()
	}
}

// Wait blocks until every command taken so far has finished.
func (e *Executor) Wait() { e.wg.Wait() }

func (e *Executor) take(ctx context.Context, c protocol.Command) {
	known, err := e.store.begin(c.ID, c.Action)
	if err != nil {
		// Without a record we could run it twice: refuse instead.
		e.log.Error("cannot record a command id; not running it", "id", c.ID, "error", err)
		now := e.d.Now().UTC()
		e.send(ctx, e.fit(protocol.CommandResult{Header: header(c.ID), Status: protocol.ResultFailed,
			Error: "agent cannot record the command: " + err.Error(), StartedAt: now, FinishedAt: now}))
		return
	}
	if known != nil {
		e.repeat(ctx, *known)
		return
	}
	// Cancellable before the ack: the server may cancel as soon as it has it.
	cctx, cancel := context.WithCancel(ctx)
	rc := &runningCommand{cancel: cancel}
	e.mu.Lock()
	e.running[c.ID] = rc
	e.mu.Unlock()
	e.ack(ctx, c.ID, "running")
	e.log.Info("running command", "id", c.ID, "action", c.Action)
	res := e.execute(cctx, c)
	e.mu.Lock()
	delete(e.running, c.ID)
	byServer := rc.cancelled
	e.mu.Unlock()
	cancel()
	if byServer && ctx.Err() == nil {
		res.Status, res.Error = protocol.ResultCancelled, "cancelled by the server"
	}
	res = e.fit(res)
	if err := e.store.finish(c.ID, res); err != nil {
		e.log.Error("cannot record a command result; sending it anyway", "id", c.ID, "error", err)
	}
	e.log.Info("command finished", "id", c.ID, "action", c.Action, "status", res.Status)
	e.deliver(ctx, res)
}

// repeat answers a command id seen before, without running it again.
func (e *Executor) repeat(ctx context.Context, known entry) {
	if known.State != stateDone || known.Result == nil {
		e.ack(ctx, known.ID, "running")
		return
	}
	e.ack(ctx, known.ID, "done")
	e.deliver(ctx, *known.Result)
}

// Resend sends every result no link has taken yet (call it on each new link).
func (e *Executor) Resend(ctx context.Context) {
	for _, res := range e.store.undelivered() {
		if !e.deliver(ctx, res) {
			return // link went down again; the next one retries
		}
	}
}

func (e *Executor) deliver(ctx context.Context, res protocol.CommandResult) bool {
	if !e.send(ctx, res) {
		return false
	}
	if e.acks.Load() {
		// Kept until the server says it stored it; sent again meanwhile
		// (a new link's Resend takes over if this one goes down).
		time.AfterFunc(resendAfter, func() {
			if ent, ok := e.store.get(res.ID); ok && !ent.Delivered && e.acks.Load() {
				e.deliver(ctx, res)
			}
		})
		return true
	}
	if err := e.store.delivered(res.ID); err != nil {
		e.log.Warn("cannot record a delivered result; it may be sent again", "id", res.ID, "error", err)
	}
	return true
}

func (e *Executor) ack(ctx context.Context, id, state string) {
	e.send(ctx, protocol.CommandAck{Header: protocol.Header{Type: protocol.TypeCommandAck, ID: id}, State: state})
}

func (e *Executor) send(ctx context.Context, v any) bool {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := e.d.Sender.Send(sctx, v); err != nil {
		e.log.Debug("frame not sent; results are kept for the next link", "error", err)
		return false
	}
	return true
}

func header(id string) protocol.Header {
	return protocol.Header{Type: protocol.TypeCommandResult, ID: id}
}

// fit shrinks the output until the result frame fits the server's frame
// limit: two full DefaultOutputCap streams alone would exceed it.
func (e *Executor) fit(res protocol.CommandResult) protocol.CommandResult {
	const limit = protocol.MaxAgentFrame - 4096
	for {
		data, err := json.Marshal(res)
		if err != nil || len(data) <= limit {
			return res
		}
		res.Truncated = true
		switch {
		case len(res.Stdout) >= len(res.Stderr) && len(res.Stdout) > 0:
			res.Stdout = res.Stdout[:len(res.Stdout)/2]
		case len(res.Stderr) > 0:
			res.Stderr = res.Stderr[:len(res.Stderr)/2]
		default:
			res.Data = nil
			res.Error = fmt.Sprintf("result data too large for one frame (%d bytes)", len(data))
			return res
		}
	}
}
