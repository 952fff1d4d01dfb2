package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// rssKiB reads VmRSS from /proc/PID/status (pid "self" for this process);
// 0 when unknown.
func rssKiB(pid string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

// serverPID is --server-pid, or the pid in --server-pid-file (re-read each
// time, so it follows a restarted server); "" when neither is given.
func (c *config) serverPIDString() string {
	if c.serverPIDFile != "" {
		b, err := os.ReadFile(c.serverPIDFile)
		if err == nil {
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && p > 0 {
				return strconv.Itoa(p)
			}
		}
		return ""
	}
	if c.serverPID > 0 {
		return strconv.Itoa(c.serverPID)
	}
	return ""
}

// serverSample is the server's memory as seen from outside (RSS) and from
// its own /metrics (Go heap, goroutines, open files).
type serverSample struct {
	RSSKiB       int64   `json:"rssKiB,omitempty"`
	HeapInuseKiB int64   `json:"heapInuseKiB,omitempty"`
	StackKiB     int64   `json:"stackInuseKiB,omitempty"`
	Goroutines   int64   `json:"goroutines,omitempty"`
	OpenFDs      int64   `json:"openFds,omitempty"`
	GCCPUSeconds float64 `json:"-"`
}

func sampleServer(ctx context.Context, cfg *config) serverSample {
	var s serverSample
	if pid := cfg.serverPIDString(); pid != "" {
		s.RSSKiB = rssKiB(pid)
	}
	m := scrapeMetrics(ctx, cfg.server)
	s.HeapInuseKiB = int64(m["go_memstats_heap_inuse_bytes"]) / 1024
	s.StackKiB = int64(m["go_memstats_stack_inuse_bytes"]) / 1024
	s.Goroutines = int64(m["go_goroutines"])
	s.OpenFDs = int64(m["process_open_fds"])
	return s
}

// scrapeMetrics reads the unlabelled samples of GET /metrics (Prometheus
// text format); nil when it cannot.
func scrapeMetrics(ctx context.Context, server string) map[string]float64 {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/metrics", nil)
	if err != nil {
		return nil
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out
}

func (s serverSample) String() string {
	return fmt.Sprintf("rss %s, heap in use %s, stacks %s, %d goroutines, %d open files",
		kib(s.RSSKiB), kib(s.HeapInuseKiB), kib(s.StackKiB), s.Goroutines, s.OpenFDs)
}

func kib(v int64) string {
	if v == 0 {
		return "?"
	}
	if v >= 10*1024 {
		return fmt.Sprintf("%.1f MiB", float64(v)/1024)
	}
	return fmt.Sprintf("%d KiB", v)
}
