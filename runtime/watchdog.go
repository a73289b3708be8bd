package runtime

import (
	"sync"
	"time"
)

// watchdog fires the alarms of calls whose deadline passed, from one
// goroutine per runtime: the cheap deadline of instrumented guests (see
// runtime/interrupt). Arming and disarming an alarm take a mutex and a heap
// operation and allocate nothing; the goroutine wakes about once per call
// deadline, not once per call, because a pending timer is left running
// when the heap empties and calls arm later deadlines than it.
//
// Deadlines are kept on the monotonic clock (nanoseconds since the
// watchdog started), so a step of the wall clock neither fires an alarm
// early nor holds one back.
type watchdog struct {
	epoch     time.Time // monotonic origin of at and scheduled
	mu        sync.Mutex
	heap      []*alarm // min-heap by at
	scheduled int64    // when the goroutine's timer fires (ns since epoch), 0 when it has none
	wake      chan struct{}
	done      chan struct{}
	stopOnce  sync.Once
}

// alarm is one instance's deadline slot, allocated once per instance. It
// fires (sets the instance's interrupt flag) only while armed, from the
// watchdog at the deadline or from trigger (the caller's cancellation);
// once disarm returns, nothing sets the flag any more.
type alarm struct {
	set   func() // sets the instance's interrupt flag
	at    int64  // deadline, ns since the watchdog's epoch
	index int    // position in the heap, -1 when not armed; under watchdog.mu

	mu    sync.Mutex
	armed bool
	fired bool
}

func newAlarm(set func()) *alarm { return &alarm{set: set, index: -1} }

// trigger fires a if it is armed and has not fired yet.
func (a *alarm) trigger() {
	a.mu.Lock()
	if a.armed && !a.fired {
		a.fired = true
		a.set()
	}
	a.mu.Unlock()
}

func newWatchdog() *watchdog {
	w := &watchdog{epoch: time.Now(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// arm schedules a to fire at deadline. a must not be armed.
func (w *watchdog) arm(a *alarm, deadline time.Time) {
	a.mu.Lock()
	a.armed, a.fired = true, false
	a.mu.Unlock()
	a.at = max(int64(deadline.Sub(w.epoch)), 1) // monotonic when deadline came from time.Now
	w.mu.Lock()
	w.push(a)
	signal := w.scheduled == 0 || a.at < w.scheduled
	w.mu.Unlock()
	if signal {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// disarm unschedules a and reports whether it fired.
func (w *watchdog) disarm(a *alarm) bool {
	w.mu.Lock()
	if a.index >= 0 {
		w.remove(a.index)
	}
	w.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.armed = false
	return a.fired
}

// stop ends the goroutine; alarms still armed never fire.
func (w *watchdog) stop() { w.stopOnce.Do(func() { close(w.done) }) }

func (w *watchdog) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		w.mu.Lock()
		now := int64(time.Since(w.epoch))
		for len(w.heap) > 0 && w.heap[0].at <= now {
			a := w.heap[0]
			w.remove(0)
			a.trigger()
		}
		switch {
		case len(w.heap) == 0 && w.scheduled != 0 && w.scheduled > now:
			// Leave the pending timer: a call armed soon will not need a wake-up.
		case len(w.heap) == 0:
			w.scheduled = 0
		case w.scheduled == 0 || w.heap[0].at < w.scheduled || w.scheduled <= now:
			w.scheduled = w.heap[0].at
			timer.Reset(time.Duration(w.scheduled - now))
		}
		w.mu.Unlock()
		select {
		case <-timer.C:
			w.mu.Lock()
			w.scheduled = 0
			w.mu.Unlock()
		case <-w.wake:
		case <-w.done:
			timer.Stop()
			return
		}
	}
}

// heap operations, with w.mu held.

func (w *watchdog) push(a *alarm) {
	a.index = len(w.heap)
	w.heap = append(w.heap, a)
	w.up(a.index)
}

func (w *watchdog) remove(i int) {
	last := len(w.heap) - 1
	a := w.heap[i]
	if i != last {
		w.swap(i, last)
	}
	w.heap[last] = nil
	w.heap = w.heap[:last]
	a.index = -1
	if i != last {
		w.down(i)
		w.up(i)
	}
}

func (w *watchdog) swap(i, j int) {
	w.heap[i], w.heap[j] = w.heap[j], w.heap[i]
	w.heap[i].index, w.heap[j].index = i, j
}

func (w *watchdog) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if w.heap[p].at <= w.heap[i].at {
			return
		}
		w.swap(i, p)
		i = p
	}
}

func (w *watchdog) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(w.heap) {
			return
		}
		m := l
		if r := l + 1; r < len(w.heap) && w.heap[r].at < w.heap[l].at {
			m = r
		}
		if w.heap[i].at <= w.heap[m].at {
			return
		}
		w.swap(i, m)
		i = m
	}
}

// yieldEvery is how many interrupt checks an instrumented guest runs
// between returns to Go (see interrupt.Options.YieldEvery): code compiled
// by wazero cannot be preempted, so a guest looping without host calls
// would otherwise hold its thread through a garbage collection's
// stop-the-world, stalling every goroutine, the watchdog's included.
const yieldEvery = 1 << 16
