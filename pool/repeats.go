package pool

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// repeatWindow is how long after a warning the same warning (same message,
// same first line of its cause) is counted instead of logged.
const repeatWindow = 10 * time.Second

// repeats logs a pool's warnings about its instances, counting repeats: a
// warning whose message and cause's first line match the last one logged
// less than repeatWindow ago is not logged but counted, and the count is
// logged ("… repeated N times") with the next warning that is logged, or
// by flush. A plugin that traps on every call thus costs two records per
// window, not one per call.
type repeats struct {
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	key   string    // message and cause of the last warning logged
	msg   string    // its message
	cause string    // its cause's first line
	at    time.Time // when it was logged
	n     int       // repeats since, not logged
}

// warn logs msg with the attributes attrs and the cause (as "cause"),
// unless it repeats the last warning within repeatWindow.
func (r *repeats) warn(msg string, cause error, attrs ...slog.Attr) {
	first, _, _ := strings.Cut(cause.Error(), "\n")
	key := msg + "\x00" + first
	now := r.now()
	r.mu.Lock()
	if key == r.key && now.Sub(r.at) < repeatWindow {
		r.n++
		r.mu.Unlock()
		return
	}
	prev := r.takeLocked()
	r.key, r.msg, r.cause, r.at = key, msg, first, now
	r.mu.Unlock()
	r.logRepeats(prev)
	r.log.LogAttrs(context.Background(), slog.LevelWarn, msg, append(attrs, slog.Any("cause", cause))...)
}

// flush logs the count of the repeats not logged yet, if any.
func (r *repeats) flush() {
	r.mu.Lock()
	prev := r.takeLocked()
	r.mu.Unlock()
	r.logRepeats(prev)
}

type repeated struct {
	msg, cause string
	n          int
	since      time.Time
}

func (r *repeats) takeLocked() repeated {
	p := repeated{msg: r.msg, cause: r.cause, n: r.n, since: r.at}
	r.n = 0
	return p
}

func (r *repeats) logRepeats(p repeated) {
	if p.n == 0 {
		return
	}
	r.log.LogAttrs(context.Background(), slog.LevelWarn, p.msg+": repeated with the same cause",
		slog.Int("repeats", p.n), slog.String("cause", p.cause), slog.Duration("within", r.now().Sub(p.since).Round(time.Millisecond)))
}
