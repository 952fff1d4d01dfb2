package main

import (
	"bufio"
	"io"
	"os"
	"strings"
)

// maxLogExamples is how many lines of each level the report quotes.
const maxLogExamples = 3

// scanServerLog counts what the server logged in path from byte offset
// from on: errors, warnings (hclog text "[ERROR]"/"[WARN]" or JSON
// "@level") and Go panics ("panic:", "fatal error:").
func scanServerLog(path string, from int64) *serverLogReport {
	r := &serverLogReport{Path: path}
	f, err := os.Open(path)
	if err != nil {
		r.Examples = append(r.Examples, "cannot read the log: "+err.Error())
		return r
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return r
	}
	scanLog(f, r)
	return r
}

func scanLog(in io.Reader, r *serverLogReport) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	quoted := map[string]int{}
	quote := func(level, line string) {
		if quoted[level] < maxLogExamples {
			quoted[level]++
			r.Examples = append(r.Examples, abbrev(line, 300))
		}
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		r.Lines++
		lower := strings.ToLower(line)
		switch {
		case strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:"):
			r.Panics++
			quote("panic", line)
		case strings.Contains(line, "[ERROR]") || strings.Contains(lower, `"@level":"error"`):
			r.Errors++
			quote("error", line)
		case strings.Contains(line, "[WARN]") || strings.Contains(lower, `"@level":"warn"`):
			r.Warnings++
			quote("warn", line)
		}
	}
}

func abbrev(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
