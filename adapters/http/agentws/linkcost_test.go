package agentws_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/protocol"
)

// Environment of the client process BenchmarkLinkCost starts.
const (
	envLinkCostURL = "BREEZE_LINKCOST_URL" // the hub's ws:// base URL
	envLinkCostN   = "BREEZE_LINKCOST_N"   // links to open (BenchmarkLinkCost: default 2000)
	// envLinkCostProfile names a file for a heap profile of the links at
	// rest (run with -memprofilerate 1 for every allocation).
	envLinkCostProfile = "BREEZE_LINKCOST_HEAPPROFILE"
)

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLinkCost measures what one linked agent costs the server: N
// links (BREEZE_LINKCOST_N, default 2000) dialled by a second process (this
// test binary again, TestLinkCostClients), so the figures count the server
// alone. Each link says hello, gets its welcome and sends a heartbeat, then
// rests. Reported after the links rest and the collector ran (a server at
// rest runs it at least every two minutes): the growth of HeapInuse +
// StackInuse per link, and goroutines per link.
// BREEZE_LINKCOST_HEAPPROFILE=file (with -memprofilerate 1) writes a heap
// profile of the links at rest.
//
//	make bench-links
//	go test ./adapters/http/agentws/ -run '^$' -bench LinkCost -benchtime 1x
func BenchmarkLinkCost(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv(envLinkCostN)); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnvB(b, agentws.Options{UpgradesPerSecond: 1 << 20, UpgradeBurst: 1 << 20,
			MaxPendingHellos: 1 << 20, MaxPendingPerSource: 1 << 20})
		e.sess.countOnly = true
		settle()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		g0 := runtime.NumGoroutine()

		cmd := exec.Command(os.Args[0], "-test.run", "^TestLinkCostClients$", "-test.count", "1")
		cmd.Env = append(os.Environ(), envLinkCostURL+"="+e.url, envLinkCostN+"="+strconv.Itoa(n))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.HasPrefix(line, "linked") {
			_ = cmd.Process.Kill()
			b.Fatalf("client process: %q %v", line, err)
		}
		b.StopTimer()
		took := time.Since(start)
		for e.hub.Stats().Linked < n || e.sess.heartbeatCount() < n {
			time.Sleep(10 * time.Millisecond)
		}
		settle()
		runtime.ReadMemStats(&m1)
		if p := os.Getenv(envLinkCostProfile); p != "" {
			writeHeapProfile(b, p)
		}
		heap := int64(m1.HeapInuse) - int64(m0.HeapInuse)
		stack := int64(m1.StackInuse) - int64(m0.StackInuse)
		b.ReportMetric(float64(heap+stack)/float64(n), "B/link")
		b.ReportMetric(float64(heap)/float64(n), "heapB/link")
		b.ReportMetric(float64(stack)/float64(n), "stackB/link")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/link")
		b.ReportMetric(float64(n)/took.Seconds(), "links/s")
		_ = stdin.Close() // the clients hang up
		_ = cmd.Wait()
	}
}

// settle lets the links rest and the collector run a few times (it frees
// what linking left behind and shrinks stacks that grew while linking).
func settle() {
	for range 4 {
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
	}
}

// TestLinkCostClients is BenchmarkLinkCost's client process; run by hand it
// does nothing. It opens the links, says "linked" on stdout once every one
// is welcomed and has sent a heartbeat, and hangs up when stdin closes.
func TestLinkCostClients(t *testing.T) {
	url := os.Getenv(envLinkCostURL)
	if url == "" {
		return // not started by BenchmarkLinkCost
	}
	n, err := strconv.Atoi(os.Getenv(envLinkCostN))
	if err != nil {
		t.Fatal(err)
	}
	d := websocket.Dialer{ReadBufferSize: 512, WriteBufferSize: 512, HandshakeTimeout: time.Minute}
	conns := make([]*websocket.Conn, 0, n)
	for j := 0; j < n; j++ {
		c, _, err := d.Dial(url+fmt.Sprintf(protocol.LinkPath, fmt.Sprintf("0190a0b0-0000-7000-8000-%012d", j)),
			http.Header{"Authorization": {"Bearer ok"}})
		if err != nil {
			t.Fatalf("link %d: %v", j, err)
		}
		if err := c.WriteJSON(protocol.Hello{Header: protocol.Header{Type: protocol.TypeHello, ID: "h"}, ProtocolVersion: 1,
			Hostname: "pc", OS: "linux", Arch: "amd64", AgentVersion: "1.0.0"}); err != nil {
			t.Fatal(err)
		}
		if m, err := read(c, time.Minute); err != nil || m["type"] != protocol.TypeWelcome {
			t.Fatalf("link %d: want welcome, got %v %v", j, m, err)
		}
		if err := c.WriteJSON(protocol.Heartbeat{Header: protocol.Header{Type: protocol.TypeHeartbeat, ID: "b"}}); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	fmt.Println("linked")
	// Answer pings (gorilla does it inside a read) until the benchmark is done.
	for _, c := range conns {
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		_ = c.Close()
	}
}
