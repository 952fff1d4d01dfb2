package agentws_test

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
)

// BenchmarkLinkMemory opens 2000 idle links and reports the memory and
// goroutines each costs (an upper bound for the server: the in-process
// clients, kept as small as gorilla allows, are counted too). The
// target (docs/architecture.md §7) is 32 KiB per linked agent.
//
//	go test ./adapters/http/agentws/ -run '^$' -bench LinkMemory -benchtime 1x
func BenchmarkLinkMemory(b *testing.B) {
	const n = 2000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnvB(b, agentws.Options{UpgradesPerSecond: 1 << 20, UpgradeBurst: 1 << 20})
		d := websocket.Dialer{ReadBufferSize: 256, WriteBufferSize: 256}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		g0 := runtime.NumGoroutine()
		b.StartTimer()
		conns := make([]*websocket.Conn, 0, n)
		for j := 0; j < n; j++ {
			c, _, err := d.Dial(e.url+fmt.Sprintf("/api/v1/agents/0190a0b0-0000-7000-8000-%012d/ws", j),
				http.Header{"Authorization": {"Bearer ok"}})
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		b.StopTimer()
		for e.hub.Stats().Linked < n {
			time.Sleep(10 * time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapInuse+m1.StackInuse)-int64(m0.HeapInuse+m0.StackInuse))/n, "B/link")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/link")
		for _, c := range conns {
			_ = c.Close()
		}
	}
}
