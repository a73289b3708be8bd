// Package hostlog implements host-api log: a plugin's message written to the
// host's slog.Logger, tagged with the plugin id.
//
// Levels "debug", "info", "warn" (or "warning") and "error" map to slog's,
// case-insensitively; any other level is logged at info with the level the
// plugin gave as attribute "plugin_level". Messages longer than MaxBytes are
// cut (on a rune boundary) and marked truncated; control characters other
// than tab and newline are replaced so a plugin cannot forge log lines in a
// text handler.
//
// Each Logger rate-limits its plugin (see [Limits]; by default 100 records/s
// with a burst of 200, and 64 KiB/s of message bytes with a burst of
// 128 KiB). Records over the limit are dropped and counted; at most once per
// Interval (10 s) a warning "suppressed N records (B bytes) over the log rate
// limit" reports them, tagged with the plugin id. That summary is written
// lazily, by the first log call after the interval, and by [Logger.Flush];
// no goroutine runs per plugin. [Limiter] is the same limit on its own, for
// the host's warnings about one plugin.
package hostlog

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxBytes bounds one message.
const DefaultMaxBytes = 8 << 10

// Logger writes plugin log messages. It is safe for concurrent use (the
// instances of one plugin share one).
type Logger struct {
	base     *slog.Logger // without the plugin attribute, for summaries
	log      *slog.Logger
	maxBytes int
	lim      *Limiter
}

// Options configure a Logger.
type Options struct {
	// MaxBytes bounds one message (DefaultMaxBytes if <= 0).
	MaxBytes int
	// Limits is the plugin's rate limit; zero fields take the defaults.
	Limits Limits
	// Now is the limiter's clock (default time.Now).
	Now func() time.Time
}

// New returns a Logger for pluginID writing to l (slog.Default() if nil),
// with the default rate limits. maxBytes <= 0 takes DefaultMaxBytes.
func New(l *slog.Logger, pluginID string, maxBytes int) *Logger {
	return NewWithOptions(l, pluginID, Options{MaxBytes: maxBytes})
}

// NewWithOptions returns a Logger for pluginID writing to l (slog.Default()
// if nil).
func NewWithOptions(l *slog.Logger, pluginID string, opts Options) *Logger {
	if l == nil {
		l = slog.Default()
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	return &Logger{
		base:     l,
		log:      l.With("plugin", pluginID),
		maxBytes: opts.MaxBytes,
		lim:      NewLimiter(pluginID, opts.Limits, opts.Now),
	}
}

// Stats returns the rate limiter's counters: records (and message bytes)
// logged and dropped.
func (l *Logger) Stats() Stats { return l.lim.Stats() }

// Limits returns the rate limits in force.
func (l *Logger) Limits() Limits { return l.lim.Limits() }

// Flush writes the summary of the records dropped since the last one, if
// any. Call it when the plugin is closed.
func (l *Logger) Flush(ctx context.Context) { l.lim.Flush(ctx, l.base) }

// ParseLevel maps a plugin's level string; ok is false for an unknown one.
func ParseLevel(level string) (slog.Level, bool) {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug", "trace":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return slog.LevelInfo, false
}

// Log implements host-api log. A message below the host's level is dropped
// without being charged to the rate limit; one over the limit is dropped and
// counted (its bytes are those it would have had, after truncation).
func (l *Logger) Log(ctx context.Context, level, msg string) {
	lvl, known := ParseLevel(level)
	if !l.log.Enabled(ctx, lvl) {
		return
	}
	clean, cut := sanitize(msg, l.maxBytes)
	ok, s, due := l.lim.admit(len(clean), true)
	if due {
		l.lim.summary(ctx, l.base, s)
	}
	if !ok {
		return
	}
	attrs := make([]slog.Attr, 0, 3)
	attrs = append(attrs, slog.String("source", "plugin"))
	if !known {
		lv, _ := sanitize(level, 32)
		attrs = append(attrs, slog.String("plugin_level", lv))
	}
	if cut {
		attrs = append(attrs, slog.Bool("truncated", true))
	}
	l.log.LogAttrs(ctx, lvl, clean, attrs...)
}

// sanitize replaces control characters (except \t and \n) and invalid
// UTF-8 with U+FFFD and cuts s to at most max bytes on a rune boundary;
// cut reports whether anything was cut off.
func sanitize(s string, max int) (out string, cut bool) {
	if len(s) <= max && plain(s) {
		return s, false // the common case, without a copy
	}
	var b strings.Builder
	b.Grow(min(len(s), max))
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				r = unicode.ReplacementChar
			}
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			r = unicode.ReplacementChar
		}
		if b.Len()+utf8.RuneLen(r) > max {
			return b.String(), true
		}
		b.WriteRune(r)
	}
	return b.String(), false
}

// plain reports whether s is printable ASCII, tabs and newlines only.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' {
			return false
		}
	}
	return true
}
