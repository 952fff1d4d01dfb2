package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clkTck is the kernel's USER_HZ, the unit of /proc/PID/stat's times: 100
// on every Linux the simulator runs on (asking sysconf would need cgo).
const clkTck = 100

// cpuSeconds is a process's user + system CPU time from /proc/PID/stat
// (ok false when the process is gone).
func cpuSeconds(pid string) (float64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a stat line;
// the command name (field 2) may hold spaces, so fields count after ')'.
func parseStatCPU(stat string) (float64, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is f[11], stime f[12].
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(u+s) / clkTck, true
}

// processCPU sums, by command name, the CPU seconds of every process whose
// name (/proc/PID/stat's second field, at most 15 bytes) is one of names:
// the database's and Redis's processes beside the server, and the
// simulator's own, whose cost per command is the same work on every run
// and so shows how fast the shared machine ran at that moment.
func processCPU(names ...string) map[string]float64 {
	out := map[string]float64{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		stat := string(b)
		open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
		if open < 0 || end < open {
			continue
		}
		name := stat[open+1 : end]
		for _, want := range names {
			if name == want {
				if sec, ok := parseStatCPU(stat); ok {
					out[name] += sec
				}
			}
		}
	}
	return out
}

// readPIDFile returns the pid a file holds ("" when unreadable).
func readPIDFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || p <= 0 {
		return ""
	}
	return strconv.Itoa(p)
}

// nodePIDs are the nodes' pids for the CPU figures: --cpu-pid-files, else
// the server's pid.
func (c *config) nodePIDs() ([]string, error) {
	if c.cpuPIDFiles == "" {
		if p := c.serverPIDString(); p != "" {
			return []string{p}, nil
		}
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(c.cpuPIDFiles, ",") {
		p := readPIDFile(strings.TrimSpace(f))
		if p == "" {
			return nil, fmt.Errorf("--cpu-pid-files: %s holds no pid", f)
		}
		out = append(out, p)
	}
	return out, nil
}

// loadAvg is the machine's 1-minute load average ("?" when unknown): the
// figures of a shared machine mean little without it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
