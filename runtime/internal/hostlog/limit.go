package hostlog

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Default rate limits of a plugin's log (host-api log): a token bucket of
// records and one of message bytes. A record passes only if both buckets
// hold enough tokens; they refill continuously at the per-second rates up to
// the bursts.
const (
	DefaultRecordsPerSec = 100
	DefaultBurst         = 200
	DefaultBytesPerSec   = 64 << 10  // 64 KiB/s
	DefaultByteBurst     = 128 << 10 // 128 KiB
	// DefaultInterval is the shortest time between two "suppressed" summary
	// records of one Limiter.
	DefaultInterval = 10 * time.Second
)

// Limits configure a Limiter. Zero rates take the defaults above, zero
// bursts two seconds' worth of their rate (at least one 8 KiB message for
// ByteBurst), a zero Interval DefaultInterval; a negative RecordsPerSec or
// BytesPerSec turns that bucket off.
type Limits struct {
	RecordsPerSec float64       // sustained records per second
	Burst         int           // records that may come at once
	BytesPerSec   float64       // sustained message bytes per second
	ByteBurst     int           // message bytes that may come at once
	Interval      time.Duration // at most one summary record per Interval
}

// WarnLimits are limits for the host's own warnings about one plugin
// (a trap, an out-of-memory guest writing its traceback to stderr, a call
// that keeps failing): 10 at once, then one every 6 seconds, with at most
// one summary a minute. The record count is what matters there, so the
// byte bucket is off.
func WarnLimits() Limits {
	return Limits{RecordsPerSec: 1.0 / 6, Burst: 10, BytesPerSec: -1, Interval: time.Minute}
}

func (lim Limits) withDefaults() Limits {
	if lim.RecordsPerSec == 0 {
		lim.RecordsPerSec = DefaultRecordsPerSec
	}
	if lim.Burst <= 0 {
		lim.Burst = int(math.Ceil(2 * min(lim.RecordsPerSec, 1<<30))) // two seconds' worth
		if lim.Burst < 1 {
			lim.Burst = DefaultBurst // the bucket is off (or the rate tiny)
		}
	}
	if lim.BytesPerSec == 0 {
		lim.BytesPerSec = DefaultBytesPerSec
	}
	if lim.ByteBurst <= 0 {
		// Two seconds' worth, and at least one message of DefaultMaxBytes.
		lim.ByteBurst = max(DefaultMaxBytes, int(math.Ceil(2*min(lim.BytesPerSec, 1<<40))))
	}
	if lim.Interval <= 0 {
		lim.Interval = DefaultInterval
	}
	return lim
}

// Stats count what a Limiter let through and dropped since it was made.
type Stats struct {
	Allowed, AllowedBytes int64
	Dropped, DroppedBytes int64
	Summaries             int64 // "suppressed" records emitted
}

// Suppressed is what a Limiter dropped between two summaries.
type Suppressed struct {
	Records, Bytes int64
	Since          time.Time // when the first of them was dropped
}

// Limiter is a token-bucket rate limit for the log records about one plugin,
// with the count of the records it dropped. It runs no goroutine: the
// summary of dropped records ("suppressed N records") is emitted lazily by
// Log on the first call at least Interval after the first drop, and by
// Flush (call it when the plugin is closed). It is safe for concurrent use.
//
// The host-api log of a Logger goes through one; the host's own per-plugin
// warnings can use another (see WarnLimits):
//
//	lim := hostlog.NewLimiter(pluginID, hostlog.WarnLimits(), nil)
//	lim.Log(ctx, logger, slog.LevelWarn, "runtime: plugin skipped", "plugin", pluginID, "err", err)
//	…
//	lim.Flush(ctx, logger) // when the plugin is closed
type Limiter struct {
	plugin string
	lim    Limits
	now    func() time.Time

	mu          sync.Mutex
	last        time.Time // last refill
	recs, bytes float64   // tokens
	pending     Suppressed
	stats       Stats
}

// NewLimiter returns a Limiter for pluginID (the summary's "plugin"
// attribute; "" for none) with lim (zero fields take the defaults) and clock
// now (time.Now if nil). The buckets start full.
func NewLimiter(pluginID string, lim Limits, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	lim = lim.withDefaults()
	return &Limiter{
		plugin: pluginID, lim: lim, now: now,
		last: now(), recs: float64(lim.Burst), bytes: float64(lim.ByteBurst),
	}
}

// Limits returns the limits in force, defaults applied.
func (l *Limiter) Limits() Limits { return l.lim }

// Allow charges one record of n bytes and reports whether it may be logged;
// a refused record is counted for the next summary. Allow itself never logs.
func (l *Limiter) Allow(n int) bool {
	ok, _, _ := l.admit(n, false)
	return ok
}

// Due takes the records dropped since the last summary if at least Interval
// has passed since the first of them; ok is false otherwise (nothing
// dropped, or too early).
func (l *Limiter) Due() (s Suppressed, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takeLocked(l.now(), false)
}

// Stats returns the counters.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Log logs msg with args through log at level if the limit allows it, first
// emitting the summary of earlier dropped records when one is due. A record
// below log's level costs nothing. The record is charged len(msg) bytes.
func (l *Limiter) Log(ctx context.Context, log *slog.Logger, level slog.Level, msg string, args ...any) {
	if !log.Enabled(ctx, level) {
		return
	}
	ok, s, due := l.admit(len(msg), true)
	if due {
		l.summary(ctx, log, s)
	}
	if ok {
		log.Log(ctx, level, msg, args...)
	}
}

// Flush emits the summary of the records dropped since the last one, if
// any, whatever the interval. Call it when the plugin is closed, so the
// last flood is reported.
func (l *Limiter) Flush(ctx context.Context, log *slog.Logger) {
	l.mu.Lock()
	s, ok := l.takeLocked(l.now(), true)
	l.mu.Unlock()
	if ok {
		l.summary(ctx, log, s)
	}
}

// admit charges one record of n bytes; with report it also takes a due
// summary.
func (l *Limiter) admit(n int, report bool) (ok bool, s Suppressed, due bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if dt := now.Sub(l.last); dt > 0 {
		sec := dt.Seconds()
		l.recs = min(float64(l.lim.Burst), l.recs+sec*l.lim.RecordsPerSec)
		l.bytes = min(float64(l.lim.ByteBurst), l.bytes+sec*l.lim.BytesPerSec)
		l.last = now
	}
	// A record bigger than the byte burst could never pass: charge it the
	// whole burst instead.
	cost := float64(min(n, l.lim.ByteBurst))
	ok = (l.lim.RecordsPerSec < 0 || l.recs >= 1) && (l.lim.BytesPerSec < 0 || l.bytes >= cost)
	if ok {
		if l.lim.RecordsPerSec >= 0 {
			l.recs--
		}
		if l.lim.BytesPerSec >= 0 {
			l.bytes -= cost
		}
		l.stats.Allowed++
		l.stats.AllowedBytes += int64(n)
	} else {
		if l.pending.Records == 0 {
			l.pending.Since = now
		}
		l.pending.Records++
		l.pending.Bytes += int64(n)
		l.stats.Dropped++
		l.stats.DroppedBytes += int64(n)
	}
	if report {
		s, due = l.takeLocked(now, false)
	}
	return ok, s, due
}

func (l *Limiter) takeLocked(now time.Time, force bool) (Suppressed, bool) {
	if l.pending.Records == 0 || !force && now.Sub(l.pending.Since) < l.lim.Interval {
		return Suppressed{}, false
	}
	s := l.pending
	l.pending = Suppressed{}
	l.stats.Summaries++
	return s, true
}

// summary writes the "suppressed" record (at warn level, like the host's
// other complaints about a plugin).
func (l *Limiter) summary(ctx context.Context, log *slog.Logger, s Suppressed) {
	attrs := make([]slog.Attr, 0, 5)
	if l.plugin != "" {
		attrs = append(attrs, slog.String("plugin", l.plugin))
	}
	attrs = append(attrs,
		slog.String("source", "host"),
		slog.Int64("suppressed", s.Records),
		slog.Int64("suppressed_bytes", s.Bytes),
		slog.Duration("window", l.now().Sub(s.Since)),
	)
	log.LogAttrs(ctx, slog.LevelWarn,
		fmt.Sprintf("suppressed %d records (%d bytes) over the log rate limit", s.Records, s.Bytes), attrs...)
}
