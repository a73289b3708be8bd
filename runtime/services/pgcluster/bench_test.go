package pgcluster

import (
	"context"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/services/events"
)

// BenchmarkEventRoundTrip: one event emitted on A until B's subscriber has
// it (relay: insert + NOTIFY + LISTEN), against the same on one bus.
func BenchmarkEventRoundTrip(b *testing.B) {
	b.Run("local-bus", func(b *testing.B) {
		bus := events.New(events.Options{Logger: quiet()})
		defer bus.Close()
		got := make(chan struct{}, 1)
		bus.Subscribe("*", func(events.Event) { got <- struct{}{} })
		ctx := context.Background()
		for b.Loop() {
			bus.Emit(ctx, "p", "t.x", "data")
			<-got
		}
	})
	b.Run("relayed", func(b *testing.B) {
		_, _, rs := benchCluster(b)
		got := make(chan struct{}, 1)
		rs[1].bus.Subscribe("*", func(events.Event) { got <- struct{}{} })
		ctx := context.Background()
		for b.Loop() {
			rs[0].bus.Emit(ctx, "p", "t.x", "data")
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				b.Fatal("event lost")
			}
		}
	})
}

// BenchmarkClaimFinish: claiming and finishing one fresh slot.
func BenchmarkClaimFinish(b *testing.B) {
	_, db, _ := benchCluster(b)
	c, err := NewCronClaims(context.Background(), db, ClaimsOptions{Claimer: "a", Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	slot := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		slot = slot.Add(time.Minute)
		cl, err := c.Claim(ctx, "p/j", slot)
		if err != nil || cl == nil {
			b.Fatal(cl, err)
		}
		if err := cl.Finish(ctx, true); err != nil {
			b.Fatal(err)
		}
	}
}
