// Package hostlog implements host-api log: a plugin's message written to the
// host's slog.Logger, tagged with the plugin id.
//
// Levels "debug", "info", "warn" (or "warning") and "error" map to slog's,
// case-insensitively; any other level is logged at info with the level the
// plugin gave as attribute "plugin_level". Messages longer than MaxBytes are
// cut (on a rune boundary) and marked truncated; control characters other
// than tab and newline are replaced so a plugin cannot forge log lines in a
// text handler.
package hostlog

import (
	"context"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxBytes bounds one message.
const DefaultMaxBytes = 8 << 10

// Logger writes plugin log messages.
type Logger struct {
	log      *slog.Logger
	maxBytes int
}

// New returns a Logger for pluginID writing to l (slog.Default() if nil).
// maxBytes <= 0 takes DefaultMaxBytes.
func New(l *slog.Logger, pluginID string, maxBytes int) *Logger {
	if l == nil {
		l = slog.Default()
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Logger{log: l.With("plugin", pluginID), maxBytes: maxBytes}
}

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

// Log implements host-api log.
func (l *Logger) Log(ctx context.Context, level, msg string) {
	lvl, known := ParseLevel(level)
	if !l.log.Enabled(ctx, lvl) {
		return
	}
	attrs := make([]slog.Attr, 0, 3)
	attrs = append(attrs, slog.String("source", "plugin"))
	if !known {
		lv, _ := sanitize(level, 32)
		attrs = append(attrs, slog.String("plugin_level", lv))
	}
	clean, cut := sanitize(msg, l.maxBytes)
	if cut {
		attrs = append(attrs, slog.Bool("truncated", true))
	}
	l.log.LogAttrs(ctx, lvl, clean, attrs...)
}

// sanitize replaces control characters (except \t and \n) and invalid
// UTF-8 with U+FFFD and cuts s to at most max bytes on a rune boundary;
// cut reports whether anything was cut off.
func sanitize(s string, max int) (out string, cut bool) {
	var b strings.Builder
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
