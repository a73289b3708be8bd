package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// records is a slog.Handler keeping "LEVEL msg k=v …" lines.
type records struct {
	mu    sync.Mutex
	lines []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) matching(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// TestDiscardWarningsBounded: an instance that breaks on every call logs
// one warning for the first discard; the repeats of the same cause are
// counted and logged as one record (here at Close).
func TestDiscardWarningsBounded(t *testing.T) {
	rec := &records{}
	ctx := context.Background()
	p, err := New(ctx, 2, func(context.Context) (int, error) { return 0, nil }, nil,
		WithLogger(slog.New(rec)), WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	trap := errors.New("wasm error: unreachable\nwasm stack trace:\n\t.main.crash()")
	const calls = 40
	for i := range calls {
		err := p.Do(ctx, func(context.Context, int) error { return Discard(trap) })
		if !errors.Is(err, ErrDiscard) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Another cause is logged at once.
	p.Do(ctx, func(context.Context, int) error { return Discard(errors.New("deadline exceeded")) })
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.Stats().Discards; got != calls+1 {
		t.Fatalf("discards = %d", got)
	}
	discards := rec.matching("pool: discarding instance ")
	if len(discards) != 2 || !strings.Contains(discards[0], "cause=wasm error: unreachable") || !strings.Contains(discards[1], "cause=deadline exceeded") {
		t.Fatalf("discard warnings:\n%s", strings.Join(discards, "\n"))
	}
	summary := rec.matching("pool: discarding instance: repeated with the same cause")
	if len(summary) != 1 || !strings.Contains(summary[0], fmt.Sprintf("repeats=%d cause=wasm error: unreachable ", calls-1)) {
		t.Fatalf("repeat summaries: %q", summary)
	}
	if n := len(rec.matching("WARN")); n > 4 {
		t.Errorf("%d warnings for %d discards:\n%s", n, calls+1, strings.Join(rec.lines, "\n"))
	}
}

// TestRepeatsWindow: the same warning is logged again once repeatWindow has
// passed, preceded by the count of the repeats in between.
func TestRepeatsWindow(t *testing.T) {
	rec := &records{}
	now := time.Unix(0, 0)
	r := &repeats{log: slog.New(rec), now: func() time.Time { return now }}
	cause := errors.New("boom")
	r.warn("w", cause)
	for range 5 {
		now = now.Add(time.Second)
		r.warn("w", cause)
	}
	if got := len(rec.lines); got != 1 {
		t.Fatalf("within the window: %q", rec.lines)
	}
	now = now.Add(repeatWindow)
	r.warn("w", cause)
	want := []string{"WARN w cause=boom", "WARN w: repeated with the same cause repeats=5 cause=boom within=15s", "WARN w cause=boom"}
	if strings.Join(rec.lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records\n%s\nwant\n%s", strings.Join(rec.lines, "\n"), strings.Join(want, "\n"))
	}
	r.flush() // nothing repeated since
	if len(rec.lines) != 3 {
		t.Fatalf("flush logged %q", rec.lines[3:])
	}
}
