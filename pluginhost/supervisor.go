package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/sdk"
)

// stopGrace is how long Stop lets a plugin shut down cleanly before it is
// killed.
const stopGrace = 3 * time.Second

// Supervisor runs one plugin process and keeps it running. All methods are
// safe for concurrent use.
type Supervisor struct {
	spec Spec
	log  hclog.Logger
	env  []string

	mu       sync.Mutex
	status   Status
	cur      *instance // nil while down
	started  bool
	stopping bool
	stopCh   chan struct{} // closed by Stop
	done     chan struct{} // closed when the supervising goroutine is gone
	looping  bool

	ctx    context.Context // ended by Stop: bounds launches and pings
	cancel context.CancelFunc

	onState func(State) // test hook, called with s.mu held
}

// New checks spec and fills its defaults; nothing is launched yet.
func New(spec Spec) (*Supervisor, error) {
	if err := spec.fill(); err != nil {
		return nil, err
	}
	log := spec.Logger.With("plugin_id", spec.ID)
	ctx, cancel := context.WithCancel(context.Background())
	return &Supervisor{
		ctx:    ctx,
		cancel: cancel,
		spec:   spec,
		log:    log,
		env:    pluginEnv(spec.Env),
		status: Status{State: StateStopped},
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}, nil
}

// ID is the plugin's id.
func (s *Supervisor) ID() string { return s.spec.ID }

// Kind is the plugin's kind.
func (s *Supervisor) Kind() sdk.Kind { return s.spec.Kind }

// Start launches the plugin and waits until it answered Info; an error means
// it is not running (state failed) and will not be retried. After a
// successful Start the plugin is supervised until Stop.
func (s *Supervisor) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return ErrStopped
	}
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("pluginhost: %s already started", s.spec.ID)
	}
	s.started = true
	s.to(StateStarting)
	s.mu.Unlock()

	lctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel) // Stop aborts a slow first start
	inst, err := s.launch(lctx)
	stop()
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.status.LastError = err.Error()
		s.to(StateFailed)
		if s.stopping {
			s.to(StateStopped)
		}
		s.log.Error("plugin failed to start", "error", err)
		return err
	}
	if s.stopping { // Stop ran while we were launching
		go inst.reap(0)
		s.to(StateStopped)
		return ErrStopped
	}
	s.up(inst)
	s.looping = true
	go s.supervise(inst)
	return nil
}

// Stop stops supervising and ends the process: cleanly if it obeys within a
// few seconds (or before ctx ends), else killed. Safe to call repeatedly.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.stopCh)
		s.cancel()
	}
	looping := s.looping
	if !looping {
		s.to(StateStopped)
		s.status.PID = 0
	}
	s.mu.Unlock()
	if !looping {
		return nil
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		// Out of patience: kill whatever runs now and wait for the loop.
		s.mu.Lock()
		if s.cur != nil {
			s.cur.kill(errors.New("stopped"))
		}
		s.mu.Unlock()
		<-s.done
	}
	s.setState(StateStopped) // also after a permanent failure
	return nil
}

// Status is a snapshot of the plugin's state.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Info.APIVersions = append([]int(nil), st.Info.APIVersions...)
	return st
}

// live is the running instance, or ErrNotRunning.
func (s *Supervisor) live() (*instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil, fmt.Errorf("%w: %s is %s", ErrNotRunning, s.spec.ID, s.status.State)
	}
	return s.cur, nil
}

// up publishes a freshly launched instance; s.mu held.
func (s *Supervisor) up(inst *instance) {
	s.cur = inst
	s.to(StateRunning)
	s.status.StartedAt = inst.started
	s.status.PID = inst.pid
	s.status.Info = inst.info
	s.log.Info("plugin running", "pid", inst.pid, "name", inst.info.Name, "version", inst.info.Version)
}

// down unpublishes inst after it died; s.mu held.
func (s *Supervisor) down(inst *instance, cause error, next State) {
	if s.cur == inst {
		s.cur = nil
	}
	s.status.PID = 0
	s.to(next)
	if cause != nil {
		s.status.LastError = cause.Error()
	}
}
