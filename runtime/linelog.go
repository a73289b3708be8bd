package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"sync"

	"github.com/raisfast/wasmplug/runtime/internal/hostlog"
)

// maxLine bounds a buffered partial line of guest output.
const maxLine = 4 << 10

// lineLogger turns a guest's stdout or stderr into log records, one per
// line: stdout at debug, stderr at warn (where a Go guest's panic lands).
// The lines of all instances of a plugin share one rate limit (lim): a
// guest printing in a loop, or an out-of-memory Go guest writing its
// traceback, cannot flood the host's log.
type lineLogger struct {
	log    *slog.Logger
	lim    *hostlog.Limiter
	stream string
	level  slog.Level

	mu  sync.Mutex
	buf []byte
}

func newLineLogger(l *slog.Logger, lim *hostlog.Limiter, stream string) *lineLogger {
	lvl := slog.LevelDebug
	if stream == "stderr" {
		lvl = slog.LevelWarn
	}
	return &lineLogger{log: l, lim: lim, stream: stream, level: lvl}
}

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxLine - len(w.buf)
			if len(p) > room {
				w.buf = append(w.buf, p[:room]...)
				w.flush()
				p = p[room:]
				continue
			}
			w.buf = append(w.buf, p...)
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineLogger) flush() {
	w.lim.Log(context.Background(), w.log, w.level, string(bytes.ToValidUTF8(w.buf, []byte("\uFFFD"))), "source", "plugin", "stream", w.stream)
	w.buf = w.buf[:0]
}
