package runtime

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchdogFiresDueAlarmsOnly(t *testing.T) {
	w := newWatchdog()
	defer w.stop()
	var fired [20]atomic.Int64 // when each fired, unix ns
	alarms := make([]*alarm, len(fired))
	start := time.Now()
	for i := range alarms {
		alarms[i] = newAlarm(func() { fired[i].Store(time.Now().UnixNano()) })
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
	w := newWatchdog()
	defer w.stop()
	var n atomic.Int32
	a := newAlarm(func() { n.Add(1) })
	for range 10000 {
		w.arm(a, time.Now().Add(time.Second))
		if w.disarm(a) {
			t.Fatal("fired early")
		}
	}
	w.arm(a, time.Now().Add(20*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
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

func BenchmarkWatchdogArmDisarm(b *testing.B) {
	w := newWatchdog()
	defer w.stop()
	a := newAlarm(func() {})
	for b.Loop() {
		w.arm(a, time.Now().Add(time.Second))
		w.disarm(a)
	}
}
