package enroll

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/agent/backoff"
	"github.com/breeze-rmm/breeze/agent/config"
	"github.com/breeze-rmm/breeze/protocol"
)

// ErrKeyRejected is the server's 401: the key is unknown, expired, used up or
// revoked (the server deliberately does not say which).
var ErrKeyRejected = errors.New("enrollment key rejected")

// ErrRateLimited is returned when the server kept answering 429/503.
var ErrRateLimited = errors.New("server is rate-limiting enrollment")

// ErrServerFailed: the server (or a proxy in front of it) answered with a
// server error; another URL of the deployment may work.
var ErrServerFailed = errors.New("enrollment failed on the server side")

// Options configures one enrollment.
type Options struct {
	ServerURL    string
	Key          string
	AgentVersion string
	Hostname     string // os.Hostname() when empty
	// CSR (PEM, optional) asks for a client certificate (agent/certs).
	CSR        string
	HTTPClient *http.Client
	Logger     hclog.Logger
	// MaxAttempts bounds tries while the server answers 429/503 (default 5);
	// MaxWait caps one Retry-After wait (default 5 minutes).
	MaxAttempts int
	MaxWait     time.Duration
}

const maxResponse = 64 << 10

// Enroll registers this device and returns its identity and token.
func Enroll(ctx context.Context, opts Options) (protocol.EnrollResponse, error) {
	if err := config.ValidateServerURL(opts.ServerURL); err != nil {
		return protocol.EnrollResponse{}, err
	}
	if opts.Key == "" {
		return protocol.EnrollResponse{}, ErrNoKey
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 5 * time.Minute
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	body, err := json.Marshal(protocol.EnrollRequest{
		EnrollmentKey: opts.Key,
		Hostname:      opts.Hostname,
		OS:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		AgentVersion:  opts.AgentVersion,
		CSR:           opts.CSR,
	})
	if err != nil {
		return protocol.EnrollResponse{}, err
	}
	url := strings.TrimRight(opts.ServerURL, "/") + protocol.EnrollPath
	log := opts.Logger.Named("enroll")

	for attempt := 1; ; attempt++ {
		resp, retry, err := post(ctx, opts.HTTPClient, url, body, opts.MaxWait)
		if err == nil {
			return resp, nil
		}
		if retry < 0 || attempt >= opts.MaxAttempts {
			return protocol.EnrollResponse{}, describe(opts.ServerURL, err)
		}
		log.Warn("server is busy; waiting as asked before enrolling again", "wait", retry, "attempt", attempt)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return protocol.EnrollResponse{}, ctx.Err()
		case <-t.C:
		}
	}
}

// post does one request. retry >= 0 means "try again after retry".
func post(ctx context.Context, c *http.Client, url string, body []byte, maxWait time.Duration) (protocol.EnrollResponse, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return protocol.EnrollResponse{}, -1, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return protocol.EnrollResponse{}, -1, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return protocol.EnrollResponse{}, -1, fmt.Errorf("read enrollment answer: %w", err)
	}
	switch res.StatusCode {
	case http.StatusCreated, http.StatusOK:
		var out protocol.EnrollResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			return out, -1, fmt.Errorf("server answered %d with malformed JSON: %w", res.StatusCode, err)
		}
		if !strings.HasPrefix(out.AgentToken, protocol.AgentTokenPrefix) || out.DeviceID == "" ||
			strings.ContainsAny(out.DeviceID, "/?#% ") {
			return protocol.EnrollResponse{}, -1, fmt.Errorf("server answered %d without a valid agent token and device id", res.StatusCode)
		}
		return out, -1, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return protocol.EnrollResponse{}, -1, fmt.Errorf("%w: it is unknown, expired, used up or revoked; create a new key in the dashboard (%s)",
			ErrKeyRejected, serverMessage(raw, res.Status))
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		wait, ok := backoff.RetryAfter(res.Header, time.Now(), maxWait)
		if !ok {
			wait = 5 * time.Second
		}
		return protocol.EnrollResponse{}, wait, fmt.Errorf("%w (%s; Retry-After %s)", ErrRateLimited, res.Status, wait)
	default:
		if res.StatusCode >= 500 {
			return protocol.EnrollResponse{}, -1, fmt.Errorf("%w: %s", ErrServerFailed, serverMessage(raw, res.Status))
		}
		return protocol.EnrollResponse{}, -1, fmt.Errorf("enrollment failed: %s", serverMessage(raw, res.Status))
	}
}

// serverMessage extracts {"error":{"message"}} or falls back to the status.
func serverMessage(raw []byte, status string) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
		return status + ": " + protocol.Abbrev(e.Error.Message, 300)
	}
	return status
}

// describe turns transport errors into advice.
func describe(server string, err error) error {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		netErr     *net.OpError
		dnsErr     *net.DNSError
	)
	switch {
	case errors.Is(err, ErrKeyRejected), errors.Is(err, ErrRateLimited):
		return err
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &verifyErr):
		return fmt.Errorf("TLS certificate of %s is not trusted: %w (install the server's CA on this machine or fix the server's certificate)", server, err)
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		return fmt.Errorf("TLS handshake with %s failed: %w (is it an https:// URL for a plain-HTTP server, or the reverse?)", server, err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot resolve %s: %w (check the server URL and DNS)", server, err)
	case errors.As(err, &netErr):
		return fmt.Errorf("cannot reach %s: %w (check the URL, the port and any firewall)", server, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("enrollment with %s did not finish: %w", server, err)
	default:
		return err
	}
}

// Unreachable reports whether err means the server could not be reached
// (network, DNS, a timeout, a 5xx answer): another URL of the same
// deployment may do. A refused key, a rate limit or an untrusted
// certificate are answers, the same from every URL.
func Unreachable(err error) bool {
	var (
		netErr *net.OpError
		dnsErr *net.DNSError
	)
	if errors.Is(err, ErrKeyRejected) || errors.Is(err, ErrRateLimited) {
		return false
	}
	return errors.As(err, &netErr) || errors.As(err, &dnsErr) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, ErrServerFailed)
}
