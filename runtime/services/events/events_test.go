package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func collect(t *testing.T, b *Bus, pattern string) (func() []Event, *Subscription) {
	t.Helper()
	var mu sync.Mutex
	var got []Event
	s, err := b.Subscribe(pattern, func(e Event) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() []Event {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}, s
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestEmitDeliversToMatchingSubscribers(t *testing.T) {
	b := New(Options{})
	defer b.Close()
	exact, _ := collect(t, b, "post.published")
	prefix, _ := collect(t, b, "post.*")
	all, _ := collect(t, b, "*")
	other, _ := collect(t, b, "comment.*")

	ctx := context.Background()
	id1, err := b.Emit(ctx, "com.example.a", "post.published", `{"slug":"hi"}`)
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := b.Emit(ctx, "com.example.b", "post.seo.indexed", `{}`)
	id3, _ := b.Emit(ctx, "com.example.b", "postal", `{}`) // not under "post."

	eventually(t, func() bool { return len(all()) == 3 })
	eventually(t, func() bool { return len(prefix()) == 2 && len(exact()) == 1 })
	e := exact()[0]
	if e.ID != id1 || e.Type != "post.published" || e.Source != "com.example.a" || e.Data != `{"slug":"hi"}` || e.Time.IsZero() {
		t.Fatalf("event = %+v", e)
	}
	if ids := []string{prefix()[0].ID, prefix()[1].ID}; ids[0] != id1 || ids[1] != id2 {
		t.Fatalf("prefix got %v", ids)
	}
	if got := all(); got[0].ID != id1 || got[1].ID != id2 || got[2].ID != id3 {
		t.Fatal("order not preserved")
	}
	time.Sleep(20 * time.Millisecond)
	if len(other()) != 0 {
		t.Fatal("non-matching subscriber got events")
	}
}

func TestIDsAreUniqueTimeOrderedUUIDv7(t *testing.T) {
	b := New(Options{})
	defer b.Close()
	seen := map[string]bool{}
	var prev string
	for range 1000 {
		id, err := b.Emit(context.Background(), "p", "tick", "")
		if err != nil {
			t.Fatal(err)
		}
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("id %q is not a UUIDv7: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		if id <= prev {
			t.Fatalf("ids not increasing: %s after %s", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestSlowSubscriberDoesNotBlockEmit(t *testing.T) {
	b := New(Options{Buffer: 4})
	defer b.Close()
	release := make(chan struct{})
	var mu sync.Mutex
	var slowGot []string
	slow, _ := b.Subscribe("*", func(e Event) {
		<-release
		mu.Lock()
		slowGot = append(slowGot, e.Data)
		mu.Unlock()
	})
	fast, _ := collect(t, b, "*")

	start := time.Now()
	for i := range 100 {
		if _, err := b.Emit(context.Background(), "p", "burst", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 emits took %s with a stuck subscriber", d)
	}
	// One event is in the handler, four are queued, the rest dropped.
	eventually(t, func() bool { return slow.Dropped() >= 95 })
	close(release)
	eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(slowGot) == 100-int(slow.Dropped()) })
	mu.Lock()
	if slowGot[0] != "0" {
		t.Fatalf("slow subscriber first got %s", slowGot[0])
	}
	mu.Unlock()
	// The fast subscriber (own queue, own goroutine) may also drop under a
	// burst larger than its buffer, but whatever it got arrived in order.
	eventually(t, func() bool { return len(fast()) > 0 })
	got := fast()
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID {
			t.Fatal("fast subscriber out of order")
		}
	}
}

func TestUnsubscribe(t *testing.T) {
	b := New(Options{})
	defer b.Close()
	got, s := collect(t, b, "x")
	b.Emit(context.Background(), "p", "x", "1")
	eventually(t, func() bool { return len(got()) == 1 })
	s.Unsubscribe()
	s.Unsubscribe() // idempotent
	b.Emit(context.Background(), "p", "x", "2")
	time.Sleep(20 * time.Millisecond)
	if len(got()) != 1 {
		t.Fatal("delivered after Unsubscribe")
	}
	// A handler may unsubscribe itself without deadlock.
	var self *Subscription
	done := make(chan struct{})
	self, _ = b.Subscribe("y", func(Event) { self.Unsubscribe(); close(done) })
	b.Emit(context.Background(), "p", "y", "")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("self-unsubscribe deadlocked")
	}
}

func TestPanickingSubscriberKeepsWorking(t *testing.T) {
	b := New(Options{})
	defer b.Close()
	var mu sync.Mutex
	var n int
	b.Subscribe("*", func(e Event) {
		mu.Lock()
		n++
		mu.Unlock()
		if e.Data == "boom" {
			panic("subscriber bug")
		}
	})
	b.Emit(context.Background(), "p", "t", "boom")
	b.Emit(context.Background(), "p", "t", "fine")
	eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return n == 2 })
}

func TestRefusals(t *testing.T) {
	b := New(Options{MaxTypeBytes: 16, MaxDataBytes: 8})
	ctx := context.Background()
	for _, typ := range []string{"", strings.Repeat("a", 17), "has space", "wild*", "ü"} {
		if _, err := b.Emit(ctx, "p", typ, ""); !errors.Is(err, ErrInvalidType) {
			t.Errorf("Emit(type %q) = %v", typ, err)
		}
	}
	if _, err := b.Emit(ctx, "p", "ok", "123456789"); !errors.Is(err, ErrDataTooLarge) {
		t.Errorf("big data: %v", err)
	}
	if id := b.EmitEvent(ctx, "p", "bad type", ""); id != "" {
		t.Errorf("EmitEvent returned %q for a refused event", id)
	}
	if id := b.EmitEvent(ctx, "p", "ok", "{}"); id == "" {
		t.Error("EmitEvent refused a good event")
	}
	for _, pat := range []string{"", "a*", "*.b", "a.*.*", "a b"} {
		if _, err := b.Subscribe(pat, func(Event) {}); err == nil {
			t.Errorf("Subscribe(%q) accepted", pat)
		}
	}
	if _, err := b.Subscribe("ok", nil); err == nil {
		t.Error("nil handler accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Emit(cctx, "p", "ok", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	b.Close()
	if _, err := b.Emit(ctx, "p", "ok", ""); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := b.Subscribe("ok", func(Event) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestCloseWaitsForHandlers(t *testing.T) {
	b := New(Options{})
	started, finished := make(chan struct{}), make(chan struct{})
	b.Subscribe("*", func(Event) {
		close(started)
		time.Sleep(50 * time.Millisecond)
		close(finished)
	})
	b.Emit(context.Background(), "p", "t", "")
	<-started
	b.Close()
	select {
	case <-finished:
	default:
		t.Fatal("Close returned while a handler was running")
	}
}

func TestConcurrentEmitSubscribe(t *testing.T) {
	b := New(Options{})
	defer b.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			s, err := b.Subscribe("*", func(Event) {})
			if err != nil {
				t.Error(err)
				return
			}
			for j := range 100 {
				b.Emit(context.Background(), fmt.Sprint("p", i), "t", fmt.Sprint(j))
			}
			s.Unsubscribe()
		})
	}
	wg.Wait()
}
