package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/raisfast/wasmplug/runtime/internal/hostlog"
)

// maxLine bounds a buffered partial line of guest output.
const maxLine = 4 << 10

// A block of guest output lines is logged as one record at the end of the
// call that wrote it, or sooner once it holds maxBlockLines lines or
// maxBlockBytes bytes.
const (
	maxBlockLines = 256
	maxBlockBytes = hostlog.DefaultMaxBytes
)

// lineLogger turns a guest's stdout or stderr into log records: stdout at
// debug, stderr at warn (where a Go guest's panic lands). The lines one call
// writes are one record (flushCall, at the end of the call), so a Go
// guest's traceback of a hundred lines is one warning, not a hundred. The
// records of all instances of a plugin share one rate limit (lim): a guest
// printing in a loop cannot flood the host's log.
type lineLogger struct {
	log    *slog.Logger
	lim    *hostlog.Limiter
	stream string
	level  slog.Level

	mu    sync.Mutex
	buf   []byte   // the partial line
	block []string // whole lines not yet logged
	size  int      // bytes in block, with their newlines
	// held is len(block), readable without mu: flushCall, at the end of
	// every call, then costs one load when the guest printed nothing.
	held atomic.Int32
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
				w.endLine()
				p = p[room:]
				continue
			}
			w.buf = append(w.buf, p...)
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// flushCall logs the whole lines the guest wrote since the last flush (a
// partial last line waits for its end). The runtime calls it at the end of
// every call and instantiation.
func (w *lineLogger) flushCall() {
	if w.held.Load() == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit()
}

// endLine moves the partial line into the block.
func (w *lineLogger) endLine() {
	line := string(bytes.ToValidUTF8(w.buf, []byte("\uFFFD")))
	w.buf = w.buf[:0]
	if len(w.block) > 0 && w.size+len(line)+1 > maxBlockBytes {
		w.emit()
	}
	w.block = append(w.block, line)
	w.size += len(line) + 1
	w.held.Store(int32(len(w.block)))
	if len(w.block) >= maxBlockLines || w.size >= maxBlockBytes {
		w.emit()
	}
}

// emit logs the block as one record: the lines joined, with their count
// when there are several.
func (w *lineLogger) emit() {
	switch len(w.block) {
	case 0:
		return
	case 1:
		w.lim.Log(context.Background(), w.log, w.level, w.block[0], "source", "plugin", "stream", w.stream)
	default:
		w.lim.Log(context.Background(), w.log, w.level, strings.Join(w.block, "\n"), "source", "plugin", "stream", w.stream, "lines", len(w.block))
	}
	clear(w.block)
	w.block, w.size = w.block[:0], 0
	w.held.Store(0)
}
