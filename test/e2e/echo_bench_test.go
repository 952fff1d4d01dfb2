package e2e

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkTerminalEcho times one keystroke through the whole terminal path
// with the real agent: browser WebSocket → server → (bus) → agent → PTY
// echo → agent → (bus) → server → browser. "one-node" is the embedded
// profile; "two-nodes" links the agent to node A and the browser to node B
// of a PostgreSQL + Redis cluster, so every keystroke crosses Redis twice.
//
//	go test -run '^$' -bench TerminalEcho -benchtime 1000x ./test/e2e/
func BenchmarkTerminalEcho(b *testing.B) {
	b.Run("one-node", func(b *testing.B) {
		srv := startServer(b, backends[0])
		benchEcho(b, srv, srv)
	})
	b.Run("two-nodes", func(b *testing.B) {
		a, other := startCluster(b)
		benchEcho(b, a, other)
	})
}

// keyPace spaces keystrokes like a fast typist: the agent sends an echo at
// once then (bursts beyond its frame budget are coalesced for up to 5 ms).
const keyPace = 10 * time.Millisecond

func benchEcho(b *testing.B, agentNode, browserNode *server) {
	api := login(b, agentNode)
	_, cfg := runAgentOnline(b, api, enrollAgent(b, agentNode, api, api.site("Echo bench")))
	term := openTerminal(b, browserNode, login(b, browserNode), cfg.DeviceID)
	// Hand the keystrokes to cat, byte by byte (no line editing, no tty
	// echo): each comes back once, as cat's output.
	term.send(b, map[string]any{"type": "input", "data": "stty -icanon -echo; echo READY; cat\n"})
	term.waitOutput(b, "READY\r\n")
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	var last time.Time
	for i := range b.N {
		// A fast typist: 100 keys a second at most (ns/op includes the pace).
		if wait := keyPace - time.Since(last); wait > 0 {
			time.Sleep(wait)
		}
		last = time.Now()
		key := string(rune('a' + i%26))
		start := time.Now()
		term.send(b, map[string]any{"type": "input", "data": key})
		for {
			_ = term.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f struct{ Type, Data string }
			if err := term.conn.ReadJSON(&f); err != nil {
				b.Fatalf("keystroke %d: %v", i, err)
			}
			if f.Type != "output" {
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(f.Data)
			if strings.Contains(string(raw), key) {
				break
			}
		}
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	p50, p99 := percentiles(samples)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

func percentiles(s []time.Duration) (p50, p99 time.Duration) {
	if len(s) == 0 {
		return 0, 0
	}
	sorted := append([]time.Duration(nil), s...)
	slices.Sort(sorted)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(sorted))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return sorted[i]
	}
	return at(0.50), at(0.99)
}
