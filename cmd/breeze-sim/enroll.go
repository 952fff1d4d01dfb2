package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/breeze-rmm/breeze/agent/backoff"
	"github.com/breeze-rmm/breeze/protocol"
)

// enrollClient posts each enrollment from its agent's own source address:
// no keep-alive, so no connection made from one address is reused for
// another (the server limits enrollments per address).
var enrollClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		DialContext:       dialContext,
		DisableKeepAlives: true,
	},
}

// enrollAll enrolls every agent that has no credential yet, with
// cfg.enrollConc workers, and appends the new credentials to w.
func (s *shard) enrollAll(ctx context.Context, key string, w *credWriter) {
	todo := make(chan *agent)
	var wg sync.WaitGroup
	for range s.cfg.enrollConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range todo {
				if err := s.enroll(ctx, a, key); err != nil {
					s.st.enrollFailed.Add(1)
					s.noteError(err)
					continue
				}
				if err := w.add(credential{Index: a.idx, DeviceID: a.deviceID, Token: a.token}); err != nil {
					s.noteError(fmt.Errorf("save credential: %w", err))
				}
			}
		}()
	}
	for _, a := range s.agents {
		if a.token != "" {
			continue
		}
		select {
		case todo <- a:
		case <-ctx.Done():
		}
	}
	close(todo)
	wg.Wait()
}

// enroll trades the key for a device id and token, retrying what can be
// retried (429 with Retry-After, 5xx, network errors) a few times.
func (s *shard) enroll(ctx context.Context, a *agent, key string) error {
	body, _ := json.Marshal(protocol.EnrollRequest{
		EnrollmentKey: key, Hostname: a.hostname(), OS: "linux", Arch: "amd64", AgentVersion: simVersion,
	})
	var last error
	for try := range 6 {
		if try > 0 && !sleep(ctx, policy.Delay(try)) {
			return ctx.Err()
		}
		req, err := http.NewRequestWithContext(withSource(ctx, srcIP(a.idx, s.cfg.srcFirst)),
			http.MethodPost, s.cfg.server+protocol.EnrollPath, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := enrollClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusCreated:
			var out protocol.EnrollResponse
			if err := json.Unmarshal(data, &out); err != nil || !strings.HasPrefix(out.AgentToken, protocol.AgentTokenPrefix) {
				return fmt.Errorf("enroll: malformed answer %q", protocol.Abbrev(strings.TrimSpace(string(data)), 200))
			}
			a.deviceID, a.token = out.DeviceID, out.AgentToken
			return nil
		case res.StatusCode == http.StatusTooManyRequests:
			wait, _ := backoff.RetryAfter(res.Header, time.Now(), 15*time.Minute)
			last = fmt.Errorf("enroll: 429, retry after %s (the server limits enrollments per address; try --src-offset or --state-dir)", wait)
			if wait > time.Minute {
				return last
			}
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
		case res.StatusCode >= 500:
			last = fmt.Errorf("enroll: %s: %s", res.Status, protocol.Abbrev(strings.TrimSpace(string(data)), 200))
		default:
			return fmt.Errorf("enroll: %s: %s", res.Status, protocol.Abbrev(strings.TrimSpace(string(data)), 200))
		}
	}
	if last == nil {
		last = errors.New("enroll failed")
	}
	return last
}
