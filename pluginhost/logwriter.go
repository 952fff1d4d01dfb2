package pluginhost

import (
	"bytes"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// maxLine bounds one logged line; longer output is split.
const maxLine = 8 << 10

// lineWriter turns a plugin's stdout or stderr stream into log lines (nil
// log: only watched for a panic).
type lineWriter struct {
	log    hclog.Logger
	stream string
	panics *panicCapture // nil: not watched

	mu  sync.Mutex
	buf []byte
}

func newLineWriter(log hclog.Logger, stream string) *lineWriter {
	return &lineWriter{log: log, stream: stream}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) >= maxLine {
				w.emit(w.buf[:maxLine])
				w.buf = w.buf[maxLine:]
				continue
			}
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil // drop the grown backing array
	}
	return len(p), nil
}

func (w *lineWriter) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return
	}
	if w.panics != nil {
		w.panics.observe(w.stream, string(line))
	}
	if w.log != nil {
		w.log.Info(string(line), "stream", w.stream)
	}
}
