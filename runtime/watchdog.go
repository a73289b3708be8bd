package runtime

import (
	"math"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"
)

// watchdog fires the alarms of calls whose deadline passed or whose
// caller gave up, from one goroutine per runtime: the cheap deadline of
// instrumented guests (see runtime/interrupt).
//
// Arming and disarming an alarm are a few atomic operations on the alarm
// itself: no mutex, no heap, no shared write, no allocation. The alarms
// are registered once, when their instance is made, and the goroutine
// scans them when it wakes: at the earliest deadline it saw, at a lease
// when none was armed (so a stream of calls arming later deadlines needs
// no wake-up per call), and every cancelPoll while calls with a
// cancellable caller run. That poll is how a caller's cancellation reaches
// a running call without registering a context.AfterFunc (an allocation
// and a lock on the caller's context) per call: it is noticed within one
// or two cancelPoll. A call that arms a deadline earlier than the goroutine's
// next wake-up (the first after idling) kicks it.
//
// Deadlines are kept on the monotonic clock (nanoseconds since the
// watchdog started), so a step of the wall clock neither fires an alarm
// early nor holds one back.
type watchdog struct {
	epoch time.Time     // monotonic origin of deadlines
	lease time.Duration // how long the goroutine stays scheduled without an armed alarm
	next  atomic.Int64  // when the goroutine scans next (ns since epoch); 0: idle, arms kick
	used  atomic.Bool   // an alarm was armed since the last lease expired
	polls atomic.Bool   // a call with a cancellable caller was armed since the last scan
	wakes atomic.Uint64 // how often the goroutine woke (tests)

	mu     sync.Mutex
	alarms []*alarm // registered, one per instrumented instance

	wake     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// cancelPoll bounds how long a caller's cancellation takes to interrupt a
// running call.
const cancelPoll = 5 * time.Millisecond

// alarm states besides armed, whose value is the deadline (> 0).
const (
	alarmIdle   int64 = 0
	alarmFiring int64 = -1 // the watchdog or trigger is running set
	alarmFired  int64 = -2
)

// alarm is one instance's deadline slot, registered with the watchdog
// once per instance. It fires (runs set) only while armed, at the deadline,
// when the armed call's caller is cancelled (cancelled reports it), or
// from trigger; once disarm returns, nothing fires it any more.
type alarm struct {
	set       func()      // sets the instance's interrupt flag and ends its call context
	cancelled func() bool // reports the armed call's caller cancelled; nil: never polled
	state     atomic.Int64
	poll      atomic.Bool // the armed call's caller can be cancelled
	last      int64       // the last deadline armed (two calls in a row never arm the same)
	slot      int         // index in watchdog.alarms, under watchdog.mu

	// mu serialises set with code that must see whether it ran (the
	// instantiation hook that learns the interrupt flag late).
	mu sync.Mutex
}

func newWatchdog(lease time.Duration) *watchdog {
	w := &watchdog{epoch: time.Now(), lease: lease, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// now is the monotonic time in ns since the watchdog's epoch: one clock
// read (time.Now reads two clocks).
func (w *watchdog) now() int64 { return int64(time.Since(w.epoch)) }

// at returns the wall-clock time of a deadline in ns since the epoch.
func (w *watchdog) at(ns int64) time.Time { return w.epoch.Add(time.Duration(ns)) }

// newAlarm registers an alarm running set when it fires; cancelled, if not
// nil, is polled while the alarm is armed with a cancellable caller.
func (w *watchdog) newAlarm(set func(), cancelled func() bool) *alarm {
	a := &alarm{set: set, cancelled: cancelled}
	w.mu.Lock()
	a.slot = len(w.alarms)
	w.alarms = append(w.alarms, a)
	w.mu.Unlock()
	return a
}

// release unregisters a; it must not be armed.
func (w *watchdog) release(a *alarm) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := a.slot
	if i < 0 || i >= len(w.alarms) || w.alarms[i] != a {
		return
	}
	last := len(w.alarms) - 1
	w.alarms[i] = w.alarms[last]
	w.alarms[i].slot = i
	w.alarms[last] = nil
	w.alarms = w.alarms[:last]
	a.slot = -1
}

// arm schedules a to fire at deadline. a must not be armed.
func (w *watchdog) arm(a *alarm, deadline time.Time) {
	w.armAt(a, w.now(), int64(deadline.Sub(w.epoch)), false)
}

// armAt schedules a to fire at the deadline at (ns since the epoch) and,
// with poll, when a.cancelled reports the caller cancelled; now is the
// caller's reading of w.now. a must not be armed.
func (w *watchdog) armAt(a *alarm, now, at int64, poll bool) {
	at = max(at, 1)
	if at == a.last {
		at++ // a scan holding the last call's deadline must not fire this one
	}
	a.last = at
	a.poll.Store(poll)
	a.state.Store(at)
	due := at
	if poll {
		// Polling already (next at most a poll away) needs no kick; the
		// slack of a second poll keeps a caller that read the clock just
		// before a scan from kicking it.
		due = min(at, now+2*int64(cancelPoll))
		if !w.polls.Load() {
			w.polls.Store(true)
		}
	}
	if !w.used.Load() {
		w.used.Store(true)
	}
	// The store of state above and this load pair with the goroutine's
	// store of next and its scan (both sequentially consistent): either
	// the scan sees the alarm armed or this sees the goroutine needs a kick.
	if n := w.next.Load(); n == 0 || due < n {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// disarm unschedules a and reports whether it fired.
func (w *watchdog) disarm(a *alarm) bool {
	for {
		s := a.state.Load()
		if s == alarmFiring {
			goruntime.Gosched() // set is a few stores: wait for it to finish
			continue
		}
		if a.state.CompareAndSwap(s, alarmIdle) {
			return s == alarmFired
		}
	}
}

// trigger fires a if it is armed.
func (a *alarm) trigger() {
	for {
		s := a.state.Load()
		if s <= 0 {
			return
		}
		if a.fire(s) {
			return
		}
	}
}

// fire fires a if it is still armed with the deadline armed (not re-armed
// for a later call since the caller looked).
func (a *alarm) fire(armed int64) bool {
	if !a.state.CompareAndSwap(armed, alarmFiring) {
		return false
	}
	a.mu.Lock()
	a.set()
	a.state.Store(alarmFired)
	a.mu.Unlock()
	return true
}

// hasFired reports whether a's set ran. With a.mu held the answer holds:
// a firing alarm runs set under a.mu and is marked fired before unlocking.
func (a *alarm) hasFired() bool { return a.state.Load() == alarmFired }

// stop ends the goroutine; alarms still armed never fire.
func (w *watchdog) stop() { w.stopOnce.Do(func() { close(w.done) }) }

func (w *watchdog) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	kicked := true
	for {
		w.wakes.Add(1)
		now := w.now()
		next := w.plan(now, w.scan(now), kicked)
		w.publish(next)
		// An arm that raced with the scan compared its deadline with the
		// next published before; it is armed by now, so a second scan
		// after publishing finds it (sequentially consistent atomics: its
		// store of the deadline precedes its load of next, which preceded
		// the publish above). Arms from here on compare with what this
		// publishes and kick only when they need an earlier wake-up.
		if again := w.scan(now); again.at < next || again.poll {
			next = min(next, again.at)
			if again.poll {
				next = min(next, now+int64(cancelPoll))
			}
			w.publish(next)
		}
		if next != math.MaxInt64 {
			timer.Reset(time.Duration(next - now))
		}
		select {
		case <-timer.C:
			kicked = false
		case <-w.wake:
			kicked = true
			timer.Stop()
		case <-w.done:
			timer.Stop()
			return
		}
	}
}

// plan is when the goroutine scans next after a scan at now found r
// (math.MaxInt64: not until kicked).
func (w *watchdog) plan(now int64, r scanResult, kicked bool) int64 {
	next := r.at
	if w.polls.Swap(false) || r.poll {
		next = min(next, now+int64(cancelPoll))
	}
	if next == math.MaxInt64 && (kicked || w.used.Swap(false)) {
		// Nothing armed: stay scheduled for a lease after a kick or while
		// alarms keep being armed, so that a stream of calls arming later
		// deadlines wakes nobody; idle otherwise.
		next = now + int64(w.lease)
	}
	return next
}

// publish tells arms when the goroutine scans next (0: idle, kick me).
func (w *watchdog) publish(next int64) {
	if next == math.MaxInt64 {
		next = 0
	}
	w.next.Store(next)
}

// scanResult is what a scan found still armed: the earliest deadline and
// whether a call with a cancellable caller runs.
type scanResult struct {
	at   int64
	poll bool
}

// scan fires the alarms that are due or whose caller was cancelled.
func (w *watchdog) scan(now int64) scanResult {
	r := scanResult{at: math.MaxInt64}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range w.alarms {
		s := a.state.Load()
		if s <= 0 {
			continue
		}
		poll := a.poll.Load() && a.cancelled != nil
		if s <= now || (poll && a.cancelled()) {
			a.fire(s)
			continue
		}
		r.at = min(r.at, s)
		r.poll = r.poll || poll
	}
	return r
}

// yieldEvery is how many interrupt checks an instrumented guest runs
// between returns to Go (see interrupt.Options.YieldEvery): code compiled
// by wazero cannot be preempted, so a guest looping without host calls
// would otherwise hold its thread through a garbage collection's
// stop-the-world, stalling every goroutine, the watchdog's included.
const yieldEvery = 1 << 16
