package pgcluster

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime/services/events"
)

// replica is one node's bus and relay, with a subscriber recording
// everything it receives.
type replica struct {
	bus   *events.Bus
	relay *EventRelay

	mu  sync.Mutex
	got []events.Event
}

func (r *replica) received() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *replica) count(id string) int {
	n := 0
	for _, ev := range r.received() {
		if ev.ID == id {
			n++
		}
	}
	return n
}

func newReplica(t testing.TB, dsn string, db *sql.DB, name string) *replica {
	t.Helper()
	relay, err := NewEventRelay(context.Background(), RelayOptions{DSN: dsn, DB: db, Node: name, Logger: quiet(), MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{relay: relay, bus: events.New(events.Options{Relay: relay, Logger: quiet()})}
	if _, err := r.bus.Subscribe("*", func(ev events.Event) {
		r.mu.Lock()
		r.got = append(r.got, ev)
		r.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := relay.Start(context.Background(), r.bus); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := relay.Close(ctx); err != nil {
			t.Errorf("%s: Close: %v", name, err)
		}
		r.bus.Close()
	})
	return r
}

func openDSN(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func benchCluster(b *testing.B) (string, *sql.DB, []*replica) { return cluster(b, 2) }

func cluster(t testing.TB, n int) (string, *sql.DB, []*replica) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	db := openDSN(t, dsn)
	var rs []*replica
	for i := range n {
		rs = append(rs, newReplica(t, dsn, db, fmt.Sprintf("node-%c", 'a'+i)))
	}
	return dsn, db, rs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle gives duplicates time to show up before counting.
func settle() { time.Sleep(200 * time.Millisecond) }

// TestEventCrossesReplicas: an event emitted on A reaches the subscribers
// of A, B and C exactly once each, with id, source, type, data and time
// unchanged; a large one (over the NOTIFY limit) too.
func TestEventCrossesReplicas(t *testing.T) {
	_, _, rs := cluster(t, 3)
	a := rs[0]
	ctx := context.Background()
	small, err := a.bus.Emit(ctx, "com.example.a", "post.published", `{"slug":"héllo"}`)
	if err != nil {
		t.Fatal(err)
	}
	bigData := `"` + strings.Repeat("x", 20000) + `"`
	big, err := a.bus.Emit(ctx, "com.example.a", "post.indexed", bigData)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		waitFor(t, fmt.Sprintf("replica %d to receive both", i), func() bool { return r.count(small) > 0 && r.count(big) > 0 })
	}
	settle()
	want := map[string]events.Event{}
	for _, ev := range a.received() {
		want[ev.ID] = ev
	}
	for i, r := range rs {
		for _, id := range []string{small, big} {
			if n := r.count(id); n != 1 {
				t.Errorf("replica %d got event %s %d times, want 1", i, id, n)
			}
		}
		for _, ev := range r.received() {
			w := want[ev.ID]
			if ev.ID != w.ID || ev.Source != w.Source || ev.Type != w.Type || ev.Data != w.Data || !ev.Time.Equal(w.Time) {
				t.Errorf("replica %d got %+v, want %+v", i, trim(ev), trim(w))
			}
		}
	}
	if s := a.relay.Stats(); s.Published != 2 || s.Delivered != 0 {
		t.Errorf("emitter's relay stats %+v: want 2 published, 0 delivered (its own come back and are skipped)", s)
	}
	for i, r := range rs[1:] {
		if s := r.relay.Stats(); s.Delivered != 2 {
			t.Errorf("replica %d relay stats %+v: want 2 delivered", i+1, s)
		}
	}
}

func trim(ev events.Event) events.Event {
	if len(ev.Data) > 40 {
		ev.Data = ev.Data[:40] + "…"
	}
	return ev
}

// TestRelayReconnects: B's LISTEN connection is killed on the server; B
// reconnects, catches up on what was emitted meanwhile and receives later
// events, each exactly once.
func TestRelayReconnects(t *testing.T) {
	dsn, _, rs := cluster(t, 3)
	a, b := rs[0], rs[1]
	ctx := context.Background()
	before, _ := a.bus.Emit(ctx, "p", "t.before", "1")
	waitFor(t, "the first event on B", func() bool { return b.count(before) == 1 })

	admin := openDSN(t, dsn)
	pid := b.relay.ListenerPID()
	if pid == 0 {
		t.Fatal("B has no listener connection")
	}
	var killed bool
	if err := admin.QueryRow("SELECT pg_terminate_backend($1)", int(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	// Emitted while B is (probably) still disconnected: caught up from the
	// table or notified after the reconnect, once either way.
	during, _ := a.bus.Emit(ctx, "p", "t.during", "2")
	waitFor(t, "B to reconnect", func() bool { return b.relay.Stats().Reconnects >= 1 && b.relay.ListenerPID() != 0 })
	if b.relay.ListenerPID() == pid {
		t.Fatal("listener still on the killed backend")
	}
	after, _ := a.bus.Emit(ctx, "p", "t.after", "3")
	for _, r := range rs {
		waitFor(t, "all three events everywhere", func() bool { return r.count(during) > 0 && r.count(after) > 0 })
	}
	settle()
	for i, r := range rs {
		for _, id := range []string{before, during, after} {
			if n := r.count(id); n != 1 {
				t.Errorf("replica %d got %s %d times, want 1", i, id, n)
			}
		}
	}
	t.Logf("B: %+v", b.relay.Stats())
}

// TestRelayStartsAfterHistory: a replica started later does not replay
// the events stored before it started, even after a reconnect.
func TestRelayStartsAfterHistory(t *testing.T) {
	dsn, db, rs := cluster(t, 1)
	a := rs[0]
	old, _ := a.bus.Emit(context.Background(), "p", "t.old", "1")
	waitFor(t, "the event to be stored", func() bool { return a.relay.Stats().Published == 1 })
	late := newReplica(t, dsn, db, "late")
	admin := openDSN(t, dsn)
	pid := late.relay.ListenerPID()
	admin.Exec("SELECT pg_terminate_backend($1)", int(pid))
	waitFor(t, "the late replica to reconnect", func() bool { return late.relay.Stats().Reconnects >= 1 })
	newer, _ := a.bus.Emit(context.Background(), "p", "t.new", "2")
	waitFor(t, "the new event", func() bool { return late.count(newer) == 1 })
	settle()
	if late.count(old) != 0 {
		t.Error("a replica replayed an event emitted before it started")
	}
}
