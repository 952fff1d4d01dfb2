package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The receiver is the webhook endpoint the alerts phase points the
// breeze.webhook plugin at: it notes when each notification arrived and
// which devices and alerts it names, and checks its signature.

// receiverMaxBody bounds one notification (the host sends at most 1 MiB).
const receiverMaxBody = 1 << 20

// arrival is one notification as the receiver saw it.
type arrival struct {
	At        time.Time
	ID        string // the notification's id (alert id ":" transition; a dedup key)
	Status    string // triggered, resolved, ...
	RuleID    string
	Kind      string
	DeviceIDs []string // devices named, in order, once each
	AlertIDs  []string // alerts named, once each
	// Alerts is how many alerts the notification stands for: the alerts it
	// names, or a count it states when it names fewer (a digest).
	Alerts int
	SigOK  bool
	Test   bool // the plugin's test notification (names no alert)
}

// webhookBody is the webhook plugin's payload (plugins/webhook), read
// leniently: a digest of a storm may list its alerts (alerts[], alertIds)
// or name them in labels (alertIds, deviceIds: comma or space separated;
// count or alertCount).
type webhookBody struct {
	ID       string            `json:"id"`
	DeviceID string            `json:"deviceId"`
	Status   string            `json:"status"`
	Labels   map[string]string `json:"labels"`
	AlertIDs []string          `json:"alertIds"`
	Devices  []string          `json:"deviceIds"`
	Count    int               `json:"count"`
	Test     bool              `json:"test"`
	Alerts   []struct {
		ID       string `json:"id"`
		AlertID  string `json:"alertId"`
		DeviceID string `json:"deviceId"`
	} `json:"alerts"`
}

// parseNotification reads one webhook body into an arrival (At and SigOK
// are the caller's).
func parseNotification(body []byte) (arrival, error) {
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return arrival{}, fmt.Errorf("not a webhook payload: %w", err)
	}
	a := arrival{ID: b.ID, Status: b.Status, RuleID: b.Labels["ruleId"], Kind: b.Labels["kind"], Test: b.Test}
	if b.Test {
		return a, nil
	}
	var devs, alerts []string
	devs = append(devs, b.DeviceID)
	alerts = append(alerts, b.Labels["alertId"])
	alerts = append(alerts, b.AlertIDs...)
	alerts = append(alerts, splitList(b.Labels["alertIds"])...)
	devs = append(devs, b.Devices...)
	devs = append(devs, splitList(b.Labels["deviceIds"])...)
	for _, x := range b.Alerts {
		alerts = append(alerts, x.ID, x.AlertID)
		devs = append(devs, x.DeviceID)
	}
	a.DeviceIDs, a.AlertIDs = uniq(devs), uniq(alerts)
	count := b.Count
	for _, k := range []string{"count", "alertCount"} {
		if n, err := strconv.Atoi(strings.TrimSpace(b.Labels[k])); err == nil && n > count {
			count = n
		}
	}
	a.Alerts = max(len(a.AlertIDs), count, min(len(a.DeviceIDs), 1))
	if a.Alerts == 0 {
		return a, errors.New("the payload names no device and no alert")
	}
	return a, nil
}

// splitList splits "a,b c" into its non-empty parts; a JSON array of
// strings is read as such.
func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") {
		var out []string
		if json.Unmarshal([]byte(s), &out) == nil {
			return out
		}
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}

// uniq drops empty strings and repeats, keeping the order.
func uniq(v []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range v {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// validSignature checks X-Breeze-Signature: sha256=hex(HMAC(secret, ts "." body)).
func validSignature(secret []byte, ts, sig string, body []byte) bool {
	want, ok := strings.CutPrefix(sig, "sha256=")
	if !ok || ts == "" {
		return false
	}
	got, err := hex.DecodeString(want)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// receiver collects arrivals.
type receiver struct {
	secret []byte
	srv    *http.Server
	ln     net.Listener
	URL    string

	mu       sync.Mutex
	arrivals []arrival
	bad      int // requests that were no notification
	badSig   int
	tests    int // test notifications (POST /plugins/:id/test)
}

func newReceiver(secret string) *receiver { return &receiver{secret: []byte(secret)} }

// start listens on addr (e.g. 127.0.0.1:0).
func (r *receiver) start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	r.ln = ln
	r.URL = "http://" + ln.Addr().String() + "/breeze-sim/hook"
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return nil
}

func (r *receiver) close() {
	if r.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
	}
}

// ServeHTTP takes one notification; its arrival is when the handler began.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, receiverMaxBody+1))
	if err != nil || len(body) > receiverMaxBody {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	a, err := parseNotification(body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.bad++
		// 2xx: a retry would not make it better, and must not be counted twice.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	a.At = at
	a.SigOK = validSignature(r.secret, req.Header.Get("X-Breeze-Timestamp"), req.Header.Get("X-Breeze-Signature"), body)
	if !a.SigOK {
		r.badSig++
	}
	if a.Test {
		r.tests++
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.arrivals = append(r.arrivals, a)
	w.WriteHeader(http.StatusNoContent)
}

// snapshot copies the arrivals so far.
func (r *receiver) snapshot() (arrivals []arrival, bad, badSig int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]arrival(nil), r.arrivals...), r.bad, r.badSig
}

// testCount is how many test notifications came.
func (r *receiver) testCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tests
}
