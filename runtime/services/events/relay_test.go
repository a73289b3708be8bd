package events

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// chanRelay is a Relay that hands published events to another Bus, as a
// cluster relay does.
type chanRelay struct {
	mu  sync.Mutex
	got []Event
}

func (r *chanRelay) Publish(ev Event) {
	r.mu.Lock()
	r.got = append(r.got, ev)
	r.mu.Unlock()
}

func (r *chanRelay) published() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.got...)
}

// TestRelayAndDeliver checks the relay seam: Emit delivers locally once and
// publishes to the relay once; Deliver on a peer reaches its subscribers
// with the event unchanged and is not published again.
func TestRelayAndDeliver(t *testing.T) {
	relayA, relayB := &chanRelay{}, &chanRelay{}
	a := New(Options{Relay: relayA})
	defer a.Close()
	b := New(Options{Relay: relayB})
	defer b.Close()
	gotA, _ := collect(t, a, "*")
	gotB, _ := collect(t, b, "post.*")

	id, err := a.Emit(context.Background(), "com.example.a", "post.published", `{"n":1}`)
	if err != nil {
		t.Fatal(err)
	}
	pub := relayA.published()
	if len(pub) != 1 || pub[0].ID != id {
		t.Fatalf("relay got %+v, want the one event %s", pub, id)
	}
	for _, ev := range pub {
		if err := b.Deliver(ev); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, func() bool { return len(gotA()) == 1 && len(gotB()) == 1 })
	time.Sleep(20 * time.Millisecond) // a duplicate would show up by now
	if n := len(gotA()); n != 1 {
		t.Errorf("emitter's subscriber got %d events, want 1", n)
	}
	if g := gotB(); len(g) != 1 || g[0] != pub[0] {
		t.Errorf("peer's subscriber got %+v, want %+v", g, pub[0])
	}
	if p := relayB.published(); len(p) != 0 {
		t.Errorf("a delivered event was relayed again: %+v", p)
	}
}

func TestDeliverRefusesBadEvents(t *testing.T) {
	b := New(Options{MaxDataBytes: 8})
	got, _ := collect(t, b, "*")
	for _, ev := range []Event{
		{Type: "post.x"},            // no id
		{ID: "1", Type: "bad type"}, // invalid type
		{ID: "1", Type: "post.x", Data: strings.Repeat("x", 9)}, // too large
	} {
		if err := b.Deliver(ev); err == nil {
			t.Errorf("Deliver(%+v) accepted", ev)
		}
	}
	b.Close()
	if err := b.Deliver(Event{ID: "1", Type: "post.x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Deliver after Close: %v, want ErrClosed", err)
	}
	if n := len(got()); n != 0 {
		t.Errorf("%d refused events delivered", n)
	}
}
