package hostlog

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock for the limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func suppressedTotal(t *testing.T, sums []map[string]any, plugin string) (records, bytes int64) {
	t.Helper()
	for _, s := range sums {
		if s["plugin"] != plugin || s["source"] != "host" || s["level"] != slog.LevelWarn {
			t.Errorf("summary without plugin id/source/level: %v", s)
		}
		if !strings.Contains(s["msg"].(string), "suppressed") {
			t.Errorf("summary message %q", s["msg"])
		}
		records += s["suppressed"].(int64)
		bytes += s["suppressed_bytes"].(int64)
	}
	return records, bytes
}

// The incident: 164 MB of records in 4 s. A million 164-byte records over 4
// s (4 µs apart) must come out as about burst + 4 s × rate records, with
// every dropped one accounted for in at most one summary per interval.
func TestFloodIsRateLimited(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	clk := newClock()
	l := NewWithOptions(slog.New(h), "com.example.flood", Options{Now: clk.Now})
	ctx := context.Background()
	msg := strings.Repeat("x", 164)
	const n = 1_000_000
	for range n {
		l.Log(ctx, "info", msg)
		clk.Advance(4 * time.Microsecond)
	}
	elapsed := 4 * time.Second
	l.Flush(ctx)

	maxRecs := int64(DefaultBurst + DefaultRecordsPerSec*elapsed.Seconds() + 1)
	if h.records > maxRecs || h.records < maxRecs-2 {
		t.Errorf("%d records reached the handler, want about %d (burst %d + %v × %d/s)", h.records, maxRecs, DefaultBurst, elapsed, DefaultRecordsPerSec)
	}
	if maxBytes := int64(DefaultByteBurst + DefaultBytesPerSec*elapsed.Seconds()); h.bytes > maxBytes {
		t.Errorf("%d bytes reached the handler, over %d", h.bytes, maxBytes)
	}
	// Less than the interval elapsed: only the Flush summary.
	if len(h.summaries) != 1 {
		t.Errorf("%d summaries in %v, want 1 (from Flush)", len(h.summaries), elapsed)
	}
	recs, bytes := suppressedTotal(t, h.summaries, "com.example.flood")
	st := l.Stats()
	if recs != n-h.records || recs != st.Dropped || bytes != st.DroppedBytes || bytes != recs*164 {
		t.Errorf("summaries report %d records/%d bytes; dropped %d/%d, allowed %d", recs, bytes, st.Dropped, st.DroppedBytes, h.records)
	}
	t.Logf("flood of %d records (%d MB) in %v: %d records, %d bytes reached the handler; %d dropped in %d summary line(s)",
		n, n*164/1_000_000, elapsed, h.records, h.bytes, recs, len(h.summaries))
}

// Big messages hit the byte bucket before the record bucket.
func TestByteLimit(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	clk := newClock()
	l := NewWithOptions(slog.New(h), "p", Options{Now: clk.Now})
	ctx := context.Background()
	msg := strings.Repeat("y", 100<<10) // cut to 8 KiB
	for range 1000 {
		l.Log(ctx, "info", msg)
	}
	if want := int64(DefaultByteBurst / DefaultMaxBytes); h.records != want || h.bytes != want*DefaultMaxBytes {
		t.Fatalf("%d records (%d bytes) passed at once, want %d of 8 KiB", h.records, h.bytes, want)
	}
	clk.Advance(time.Second)
	for range 1000 {
		l.Log(ctx, "info", msg)
	}
	if want := int64((DefaultByteBurst + DefaultBytesPerSec) / DefaultMaxBytes); h.records != want {
		t.Fatalf("after 1 s: %d records, want %d", h.records, want)
	}
}

// A continuous flood yields one summary per interval, lazily, each with the
// plugin id, the count and the bytes; nothing is lost between them.
func TestSummaryAtMostOncePerInterval(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	clk := newClock()
	l := NewWithOptions(slog.New(h), "com.example.p", Options{Now: clk.Now})
	ctx := context.Background()
	const span = 95 * time.Second
	n := int64(0)
	for d := time.Duration(0); d < span; d += time.Millisecond {
		l.Log(ctx, "warn", "m")
		n++
		clk.Advance(time.Millisecond)
	}
	if got, most := len(h.summaries), int(span/DefaultInterval); got > most || got < most-1 {
		t.Errorf("%d summaries in %v, want %d (one per %v)", got, span, most, DefaultInterval)
	}
	before := len(h.summaries)
	l.Flush(ctx)
	l.Flush(ctx) // nothing new: no second line
	if len(h.summaries) != before+1 {
		t.Errorf("Flush wrote %d summaries, want 1", len(h.summaries)-before)
	}
	recs, bytes := suppressedTotal(t, h.summaries, "com.example.p")
	if recs+h.records != n || bytes != recs {
		t.Errorf("logged %d + suppressed %d (%d bytes) != %d sent", h.records, recs, bytes, n)
	}
	if limit := int64(DefaultBurst + DefaultRecordsPerSec*span.Seconds() + 1); h.records > limit {
		t.Errorf("%d records in %v, limit %d", h.records, span, limit)
	}
}

// After a flood the plugin can log again once the bucket refills, and the
// next accepted record brings the summary first.
func TestRefillAndLazySummary(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	clk := newClock()
	l := NewWithOptions(slog.New(h), "p", Options{Limits: Limits{RecordsPerSec: 1, Burst: 2}, Now: clk.Now})
	ctx := context.Background()
	for range 5 {
		l.Log(ctx, "info", "abc")
	}
	if h.records != 2 || len(h.summaries) != 0 {
		t.Fatalf("records %d, summaries %d; want 2, 0", h.records, len(h.summaries))
	}
	clk.Advance(DefaultInterval)
	l.Log(ctx, "info", "back")
	if h.records != 3 || len(h.summaries) != 1 {
		t.Fatalf("records %d, summaries %d; want 3, 1", h.records, len(h.summaries))
	}
	if s := h.summaries[0]; s["suppressed"] != int64(3) || s["suppressed_bytes"] != int64(9) || s["window"] != DefaultInterval {
		t.Errorf("summary = %v", s)
	}
}

func TestBelowLevelIsNotCharged(t *testing.T) {
	h := &counter{level: slog.LevelInfo}
	clk := newClock()
	l := NewWithOptions(slog.New(h), "p", Options{Limits: Limits{RecordsPerSec: 1, Burst: 1}, Now: clk.Now})
	for range 100 {
		l.Log(context.Background(), "debug", "hidden")
	}
	l.Log(context.Background(), "info", "shown")
	if h.records != 1 || l.Stats().Dropped != 0 {
		t.Fatalf("records %d, dropped %d", h.records, l.Stats().Dropped)
	}
}

func TestLimitsOff(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	l := NewWithOptions(slog.New(h), "p", Options{Limits: Limits{RecordsPerSec: -1, BytesPerSec: -1}})
	for range 10_000 {
		l.Log(context.Background(), "info", "m")
	}
	if h.records != 10_000 {
		t.Fatalf("%d records", h.records)
	}
}

// Instances of one plugin share its Logger: the limit holds across them.
func TestConcurrentInstancesShareTheLimit(t *testing.T) {
	h := &counter{level: slog.LevelDebug}
	clk := newClock() // frozen: nothing refills
	l := NewWithOptions(slog.New(h), "p", Options{Now: clk.Now})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				l.Log(context.Background(), "info", "m")
			}
		})
	}
	wg.Wait()
	if st := l.Stats(); h.records != DefaultBurst || st.Allowed != DefaultBurst || st.Dropped != 8000-DefaultBurst {
		t.Fatalf("records %d, stats %+v", h.records, st)
	}
}

// The runtime's own warnings about one plugin (a guest out of memory wrote
// ~300 WARN lines) go through a Limiter with WarnLimits.
func TestLimiterForHostWarnings(t *testing.T) {
	h := &counter{level: slog.LevelInfo}
	log := slog.New(h)
	clk := newClock()
	lim := NewLimiter("com.example.oom", WarnLimits(), clk.Now)
	ctx := context.Background()
	for i := range 300 {
		lim.Log(ctx, log, slog.LevelWarn, "runtime: plugin skipped", "plugin", "com.example.oom", "i", i)
	}
	if h.records != 10 || len(h.summaries) != 0 {
		t.Fatalf("records %d, summaries %d; want 10, 0", h.records, len(h.summaries))
	}
	lim.Log(ctx, log, slog.LevelDebug, "below the level: free") // not counted
	clk.Advance(time.Minute)
	lim.Log(ctx, log, slog.LevelWarn, "runtime: plugin skipped", "plugin", "com.example.oom")
	if h.records != 11 || len(h.summaries) != 1 {
		t.Fatalf("records %d, summaries %d; want 11, 1", h.records, len(h.summaries))
	}
	if recs, _ := suppressedTotal(t, h.summaries, "com.example.oom"); recs != 290 {
		t.Errorf("suppressed %d, want 290", recs)
	}
	// Allow/Due for callers that log themselves.
	for lim.Allow(1) {
	}
	if _, ok := lim.Due(); ok {
		t.Error("summary due before the interval")
	}
	clk.Advance(time.Minute)
	if s, ok := lim.Due(); !ok || s.Records != 1 {
		t.Errorf("Due = %+v %v", s, ok)
	}
}

func TestDefaultLimits(t *testing.T) {
	want := Limits{RecordsPerSec: DefaultRecordsPerSec, Burst: DefaultBurst, BytesPerSec: DefaultBytesPerSec, ByteBurst: DefaultByteBurst, Interval: DefaultInterval}
	if got := New(nil, "p", 0).Limits(); got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if got := NewLimiter("p", Limits{RecordsPerSec: 10, BytesPerSec: 1000}, nil).Limits(); got.Burst != 20 || got.ByteBurst != DefaultMaxBytes {
		t.Errorf("derived bursts = %+v", got)
	}
	if got := NewLimiter("p", WarnLimits(), nil).Limits(); got.Burst != 10 || got.BytesPerSec >= 0 || got.Interval != time.Minute {
		t.Errorf("WarnLimits = %+v", got)
	}
}
