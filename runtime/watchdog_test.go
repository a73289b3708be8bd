package runtime

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchdogFiresDueAlarmsOnly(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	var fired [20]atomic.Int64 // when each fired, unix ns
	alarms := make([]*alarm, len(fired))
	start := time.Now()
	for i := range alarms {
		alarms[i] = w.newAlarm(func() { fired[i].Store(time.Now().UnixNano()) }, nil)
		// Deadlines out of order: 10..200 ms.
		w.arm(alarms[i], start.Add(time.Duration((i*7%20)+1)*10*time.Millisecond))
	}
	// Disarm the odd ones at once: they must never fire.
	for i := 1; i < len(alarms); i += 2 {
		if w.disarm(alarms[i]) {
			t.Errorf("alarm %d fired before its deadline", i)
		}
	}
	time.Sleep(400 * time.Millisecond)
	for i := range alarms {
		at := fired[i].Load()
		deadline := start.Add(time.Duration((i*7%20)+1) * 10 * time.Millisecond).UnixNano()
		switch {
		case i%2 == 1 && at != 0:
			t.Errorf("disarmed alarm %d fired", i)
		case i%2 == 0 && at == 0:
			t.Errorf("alarm %d did not fire", i)
		case i%2 == 0 && at < deadline:
			t.Errorf("alarm %d fired %v early", i, time.Duration(deadline-at))
		case i%2 == 0 && !w.disarm(alarms[i]):
			t.Errorf("disarm of fired alarm %d does not say so", i)
		}
	}
}

// TestWatchdogSequentialCalls: calls that arm a later deadline each time
// (the runtime's pattern) need no wake-up per call, and a re-armed alarm
// fires again.
func TestWatchdogSequentialCalls(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	var n atomic.Int32
	a := w.newAlarm(func() { n.Add(1) }, nil)
	// One call kicks the idle goroutine, which then holds a lease.
	w.arm(a, time.Now().Add(time.Second))
	w.disarm(a)
	time.Sleep(20 * time.Millisecond)
	before := w.wakes.Load()
	for range 10000 {
		w.arm(a, time.Now().Add(time.Second))
		if w.disarm(a) {
			t.Fatal("fired early")
		}
	}
	// The lease covers them all (a loaded machine may add a wake-up).
	if wakes := w.wakes.Load() - before; wakes > 1 {
		t.Errorf("10000 calls woke the watchdog %d times", wakes)
	}
	// An earlier deadline than the last call's fires at its own time.
	armed := time.Now()
	w.arm(a, armed.Add(20*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if took := time.Since(armed); took > 500*time.Millisecond {
		t.Errorf("a 20ms deadline after a 1s one fired after %v", took)
	}
	if !w.disarm(a) || n.Load() != 1 {
		t.Fatalf("fired %d times, want 1", n.Load())
	}
	if allocs := testing.AllocsPerRun(1000, func() {
		w.arm(a, time.Now().Add(time.Second))
		w.disarm(a)
	}); allocs != 0 {
		t.Errorf("arm+disarm allocates %.1f times", allocs)
	}
}

// TestWatchdogPollsCancellation: an alarm armed with a cancellable caller
// fires within about cancelPoll of the cancellation, long before its
// deadline; one armed without poll does not.
func TestWatchdogPollsCancellation(t *testing.T) {
	w := newWatchdog(time.Minute)
	defer w.stop()
	var cancelled atomic.Bool
	firedAt := make(chan time.Time, 2)
	polled := w.newAlarm(func() { firedAt <- time.Now() }, cancelled.Load)
	unpolled := w.newAlarm(func() { firedAt <- time.Now() }, cancelled.Load)
	w.armAt(polled, w.now(), w.now()+int64(time.Minute), true)
	w.armAt(unpolled, w.now(), w.now()+int64(time.Minute), false)
	time.Sleep(3 * cancelPoll)
	select {
	case <-firedAt:
		t.Fatal("fired before the caller was cancelled")
	default:
	}
	start := time.Now()
	cancelled.Store(true)
	select {
	case at := <-firedAt:
		if d := at.Sub(start); d > 20*cancelPoll {
			t.Errorf("cancellation noticed after %v (poll %v)", d, cancelPoll)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled call's alarm never fired")
	}
	if !w.disarm(polled) {
		t.Error("disarm does not report the firing")
	}
	time.Sleep(3 * cancelPoll)
	if w.disarm(unpolled) {
		t.Error("an alarm armed without poll fired on cancellation")
	}
}

// TestWatchdogPollStream: a stream of short calls with a cancellable
// caller keeps the goroutine polling about every cancelPoll, not waking
// per call.
func TestWatchdogPollStream(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	a := w.newAlarm(func() {}, func() bool { return false })
	before := w.wakes.Load()
	start := time.Now()
	calls := 0
	for time.Since(start) < 200*time.Millisecond {
		w.armAt(a, w.now(), w.now()+int64(time.Second), true)
		w.disarm(a)
		calls++
	}
	wakes := w.wakes.Load() - before
	// About one wake-up per poll; a loaded machine adds kicks from callers
	// whose clock reading went stale, never one per call.
	if limit := uint64(time.Since(start)/cancelPoll)*10 + 8; wakes > limit || wakes*100 > uint64(calls) {
		t.Errorf("%d calls in %v woke the watchdog %d times (poll %v)", calls, time.Since(start), wakes, cancelPoll)
	}
}

// TestWatchdogRelease: a released alarm is no longer scanned; the others
// keep their slots.
func TestWatchdogRelease(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	var fired [3]atomic.Bool
	var as [3]*alarm
	for i := range as {
		as[i] = w.newAlarm(func() { fired[i].Store(true) }, nil)
	}
	w.release(as[0])
	w.release(as[0]) // twice is harmless
	w.arm(as[2], time.Now().Add(10*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for !fired[2].Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !fired[2].Load() || fired[0].Load() || fired[1].Load() {
		t.Fatalf("fired %v, want only the last", []bool{fired[0].Load(), fired[1].Load(), fired[2].Load()})
	}
	w.mu.Lock()
	n := len(w.alarms)
	w.mu.Unlock()
	if n != 2 {
		t.Errorf("%d alarms registered after a release, want 2", n)
	}
}

// TestWatchdogDisarmRace: arming, disarming and triggering from other
// goroutines never fires a disarmed alarm into the next call.
func TestWatchdogDisarmRace(t *testing.T) {
	w := newWatchdog(time.Second)
	defer w.stop()
	var flag atomic.Int32
	a := w.newAlarm(func() { flag.Store(1) }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			a.trigger()
		}
	}()
	for ctx.Err() == nil {
		w.armAt(a, w.now(), w.now()+int64(time.Second), false)
		if w.disarm(a) {
			flag.Store(0) // the runtime clears the flag of a call it fired into
		}
		if flag.Load() != 0 {
			t.Fatal("the flag was set after disarm returned")
		}
	}
}

func BenchmarkWatchdogArmDisarm(b *testing.B) {
	w := newWatchdog(time.Second)
	defer w.stop()
	a := w.newAlarm(func() {}, nil)
	for b.Loop() {
		w.armAt(a, w.now(), w.now()+int64(time.Second), false)
		w.disarm(a)
	}
}
