package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/health/grpc_health_v1"
)

// exitPoll is how often the supervisor checks whether the process exited
// (go-plugin offers a flag, not a channel). A mutex read: cheap.
const exitPoll = 200 * time.Millisecond

// errExited is the cause recorded for a process that went away by itself.
var errExited = errors.New("plugin process exited")

// supervise watches the running instance and relaunches it until Stop or a
// permanent failure.
func (s *Supervisor) supervise(inst *instance) {
	defer close(s.done)
	attempt := 0
	for {
		cause := s.watch(inst)
		if cause == nil || s.stoppingNow() {
			inst.reap(stopGrace)
			s.mu.Lock()
			s.down(inst, nil, StateStopped)
			s.mu.Unlock()
			return
		}
		inst.kill(cause)
		inst.reap(0)
		cause = inst.why()
		if p := inst.panics.wait(panicWait); p != "" {
			cause = fmt.Errorf("%w: %s", cause, p)
		}
		if time.Since(inst.started) >= s.spec.StableAfter {
			attempt = 0
		}
		s.log.Warn("plugin down, restarting it", "error", cause, "pid", inst.pid)
		s.mu.Lock()
		s.down(inst, cause, StateBackoff)
		s.mu.Unlock()
		next := s.relaunch(&attempt)
		if next == nil {
			return
		}
		inst = next
	}
}

// watch blocks until inst dies (returning why) or Stop (returning nil).
func (s *Supervisor) watch(inst *instance) error {
	ping := time.NewTicker(s.spec.PingEvery)
	defer ping.Stop()
	poll := time.NewTicker(min(exitPoll, s.spec.PingEvery))
	defer poll.Stop()
	for {
		select {
		case <-s.stopCh:
			return nil
		case <-inst.dead:
			return inst.why()
		case <-poll.C:
			if inst.client.Exited() {
				return errExited
			}
		case <-ping.C:
			if err := s.ping(inst); err != nil {
				if s.stoppingNow() {
					return nil
				}
				return fmt.Errorf("health ping failed: %w", err)
			}
		}
	}
}

// ping asks go-plugin's health service, bounded by PingTimeout.
func (s *Supervisor) ping(inst *instance) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.spec.PingTimeout)
	defer cancel()
	_, err := grpc_health_v1.NewHealthClient(inst.conn).Check(ctx,
		&grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("no answer within %s", s.spec.PingTimeout)
	}
	return err
}

// relaunch waits out the backoff and launches again until it works (the new
// instance, published), Stop or a permanent failure (nil).
func (s *Supervisor) relaunch(attempt *int) *instance {
	for {
		t := time.NewTimer(backoff(*attempt, s.spec.MinBackoff, s.spec.MaxBackoff))
		*attempt++
		select {
		case <-s.stopCh:
			t.Stop()
			s.setState(StateStopped)
			return nil
		case <-t.C:
		}
		s.mu.Lock()
		s.status.Restarts++
		s.to(StateStarting)
		s.mu.Unlock()

		inst, err := s.launch(s.ctx)
		s.mu.Lock()
		switch {
		case s.stopping:
			s.to(StateStopped)
			s.mu.Unlock()
			if inst != nil {
				inst.reap(0)
			}
			return nil
		case err == nil:
			s.up(inst)
			s.mu.Unlock()
			return inst
		case isPermanent(err):
			s.status.LastError = err.Error()
			s.to(StateFailed)
			s.mu.Unlock()
			s.log.Error("plugin cannot be restarted", "error", err)
			return nil
		default:
			s.status.LastError = err.Error()
			s.to(StateBackoff)
			s.mu.Unlock()
			s.log.Warn("plugin restart failed", "error", err)
		}
	}
}

func (s *Supervisor) setState(st State) {
	s.mu.Lock()
	s.to(st)
	s.mu.Unlock()
}

// to moves to state st; s.mu held. onState (tests) sees every transition.
func (s *Supervisor) to(st State) {
	if s.status.State == st {
		return
	}
	s.status.State = st
	if s.onState != nil {
		s.onState(st)
	}
}

func (s *Supervisor) stoppingNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}
