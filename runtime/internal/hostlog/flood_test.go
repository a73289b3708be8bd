package hostlog

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// counter is a slog.Handler counting what reaches it: plugin records (and
// their message bytes) apart from the limiter's summaries, which it keeps.
type counter struct {
	mu        sync.Mutex
	level     slog.Level
	records   int64
	bytes     int64
	summaries []map[string]any
	attrs     []slog.Attr
}

func (h *counter) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *counter) Handle(_ context.Context, r slog.Record) error {
	m := map[string]any{"msg": r.Message, "level": r.Level}
	for _, a := range h.attrs {
		m[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := m["suppressed"]; ok {
		h.summaries = append(h.summaries, m)
		return nil
	}
	h.records++
	h.bytes += int64(len(r.Message))
	return nil
}

func (h *counter) WithAttrs(as []slog.Attr) slog.Handler {
	// Shares the counts; only the attributes differ.
	return &withAttrs{h, as}
}

func (h *counter) WithGroup(string) slog.Handler { return h }

type withAttrs struct {
	*counter
	as []slog.Attr
}

func (w *withAttrs) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(w.as...)
	return w.counter.Handle(ctx, r)
}

func (w *withAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return &withAttrs{w.counter, append(append([]slog.Attr{}, w.as...), as...)}
}

// The same flood with the real clock, as fast as the test can log: the
// count is bounded by the time it actually took. (This file uses only the
// Logger's original API, so it also runs against the code from before the
// limit.)
func TestFloodRealClock(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	l := New(slog.New(h), "p", 0)
	ctx := context.Background()
	msg := strings.Repeat("x", 164)
	const n = 1_000_000
	start := time.Now()
	for range n {
		l.Log(ctx, "info", msg)
	}
	elapsed := time.Since(start)
	t.Logf("real clock: %d records in %v → %d records, %d bytes reached the handler", n, elapsed, h.records, h.bytes)
	// The documented defaults: a burst of 200 records, then 100 a second.
	if limit := int64(200 + 100*elapsed.Seconds() + 1); h.records > limit {
		t.Errorf("%d records in %v, limit %d", h.records, elapsed, limit)
	}
}
