package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

// maxLine bounds a buffered partial line of guest output.
const maxLine = 4 << 10

// lineLogger turns a guest's stdout or stderr into log records, one per
// line: stdout at debug, stderr at warn (where a Go guest's panic lands).
type lineLogger struct {
	log    *slog.Logger
	stream string
	level  slog.Level

	mu  sync.Mutex
	buf []byte
}

func newLineLogger(l *slog.Logger, stream string) *lineLogger {
	lvl := slog.LevelDebug
	if stream == "stderr" {
		lvl = slog.LevelWarn
	}
	return &lineLogger{log: l, stream: stream, level: lvl}
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
	w.log.Log(context.Background(), w.level, string(bytes.ToValidUTF8(w.buf, []byte("\uFFFD"))), "source", "plugin", "stream", w.stream)
	w.buf = w.buf[:0]
}
