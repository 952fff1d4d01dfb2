package agentws

import (
	"errors"
	"time"
)

// Options tune the hub; zero fields take the defaults below.
type Options struct {
	// ReadBufferSize and WriteBufferSize are the per-link I/O buffers; the
	// write buffer comes from a shared pool and is held only while a frame
	// is written. The read buffer stays with the link: small, since larger
	// frames are read past it.
	ReadBufferSize  int // default 512
	WriteBufferSize int // default 1024
	// SendQueue is how many frames may wait for one agent; an agent whose
	// queue is full is too slow and is dropped.
	SendQueue int // default 32
	// WriteTimeout bounds one frame write.
	WriteTimeout time.Duration // default 10 s
	// PingInterval is how often the server sends a WebSocket ping;
	// ReadTimeout is how long a link may stay silent (no frame, ping or pong).
	PingInterval time.Duration // default 30 s
	ReadTimeout  time.Duration // default 75 s
	// FrameLimit data frames per FrameWindow per link; beyond it the agent
	// gets an error frame and the link closes with 1008.
	FrameLimit  int           // default 120
	FrameWindow time.Duration // default 60 s
	// StreamFrameLimit is the same limit for remote-work frames (command
	// results, terminal output, file chunks), counted apart: a terminal
	// streaming output or a download sends many frames legitimately.
	StreamFrameLimit int // default 30000 (500/s sustained)
	// MaxBadFrames malformed or unknown frames are answered with an error
	// frame each; one more closes the link.
	MaxBadFrames int // default 10
	// UpgradesPerSecond and UpgradeBurst bound new links per second on this
	// node (a token bucket); beyond them the server answers 429 with
	// Retry-After so a reconnect storm spreads out.
	UpgradesPerSecond int // default 1000
	UpgradeBurst      int // default 2000
	// MaxPendingHellos bounds links upgraded but not yet past hello (each
	// hello costs database calls). Beyond it the server answers 429 with a
	// spread Retry-After, so a reconnect storm is admitted at the pace the
	// store can take instead of piling up calls until they time out.
	MaxPendingHellos int // default 64
	// MaxPendingPerSource bounds those links per client address (IPv6 by
	// /64; behind a reverse proxy only with --trusted-proxies set), so one
	// party holding many agent tokens cannot take every place. A device
	// holds at most one place: a newer link takes over the older one's.
	MaxPendingPerSource int // default 16 (at most MaxPendingHellos)
	// MaxRetryAfter is the furthest a shed link is told to come back: shed
	// links are scheduled back at the pace this node admits them (see
	// spread), up to this far ahead.
	MaxRetryAfter time.Duration // default 5 min
	// HelloTimeout is how long a new link may take to send its hello; a
	// link still silent then is closed (answering pings is not enough).
	HelloTimeout time.Duration // default 10 s
	// HandshakeTimeout bounds writing the upgrade answer.
	HandshakeTimeout time.Duration // default 10 s
	// CallTimeout bounds the work done for one frame (database calls).
	CallTimeout time.Duration // default 15 s
	// CloseGrace is how long a closing link waits for the agent's close
	// frame before the connection is dropped.
	CloseGrace time.Duration // default 1 s
}

// Defaults.
const (
	DefaultReadBufferSize    = 512
	DefaultWriteBufferSize   = 1024
	DefaultSendQueue         = 32
	DefaultWriteTimeout      = 10 * time.Second
	DefaultPingInterval      = 30 * time.Second
	DefaultReadTimeout       = 75 * time.Second
	DefaultFrameLimit        = 120
	DefaultStreamFrameLimit  = 30000
	DefaultFrameWindow       = 60 * time.Second
	DefaultMaxBadFrames      = 10
	DefaultUpgradesPerSecond = 1000
	DefaultUpgradeBurst      = 2000
	DefaultHandshakeTimeout  = 10 * time.Second
	DefaultMaxPendingHellos  = 64
	DefaultMaxPendingPerSrc  = 16
	DefaultHelloTimeout      = 10 * time.Second
	DefaultMaxRetryAfter     = 5 * time.Minute
	DefaultCallTimeout       = 15 * time.Second
	DefaultCloseGrace        = time.Second
)

func (o Options) withDefaults() (Options, error) {
	ints := []struct {
		v   *int
		def int
	}{
		{&o.ReadBufferSize, DefaultReadBufferSize}, {&o.WriteBufferSize, DefaultWriteBufferSize},
		{&o.SendQueue, DefaultSendQueue}, {&o.FrameLimit, DefaultFrameLimit},
		{&o.StreamFrameLimit, DefaultStreamFrameLimit},
		{&o.MaxBadFrames, DefaultMaxBadFrames}, {&o.UpgradesPerSecond, DefaultUpgradesPerSecond},
		{&o.UpgradeBurst, DefaultUpgradeBurst}, {&o.MaxPendingHellos, DefaultMaxPendingHellos},
		{&o.MaxPendingPerSource, DefaultMaxPendingPerSrc},
	}
	for _, i := range ints {
		if *i.v < 0 {
			return o, errors.New("agentws: negative option")
		}
		if *i.v == 0 {
			*i.v = i.def
		}
	}
	durs := []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&o.WriteTimeout, DefaultWriteTimeout}, {&o.PingInterval, DefaultPingInterval},
		{&o.ReadTimeout, DefaultReadTimeout}, {&o.FrameWindow, DefaultFrameWindow},
		{&o.HandshakeTimeout, DefaultHandshakeTimeout}, {&o.CallTimeout, DefaultCallTimeout},
		{&o.CloseGrace, DefaultCloseGrace}, {&o.HelloTimeout, DefaultHelloTimeout},
		{&o.MaxRetryAfter, DefaultMaxRetryAfter},
	}
	for _, d := range durs {
		if *d.v < 0 {
			return o, errors.New("agentws: negative option")
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.ReadTimeout <= o.PingInterval {
		return o, errors.New("agentws: ReadTimeout must exceed PingInterval")
	}
	return o, nil
}
