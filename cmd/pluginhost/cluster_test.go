package main

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime/cron/crontest"
	"github.com/raisfast/wasmplug/runtime/services/pgcluster"
)

// TestReplicasShareEventsAndCron runs three in-process reference hosts as
// replicas on one PostgreSQL database (ClusterDSN; each keeps its own
// plugin directory and SQLite file here): a post created through A emits
// post.created on A, and GET /api/events on A, B and C lists it exactly
// once with the same id; a [[cron]] slot due on all three is claimed and
// run by one.
func TestReplicasShareEventsAndCron(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	clock := crontest.New(time.Date(2026, 5, 1, 8, 59, 30, 0, time.UTC))
	plugins := []testPlugin{
		{id: "com.test.posts", guest: postGuest, hooks: map[string]int{"on-post-created": 10}},
		{id: "com.test.cron", guest: loginGuest, hooks: map[string]int{"on-login": 1},
			extra: "[[cron]]\nlabel = \"every minute\"\njob_type = \"ping\"\ncron_expr = \"* * * * *\"\n"},
	}
	var hs []*harness
	for range 3 {
		hs = append(hs, newHarness(t, func(c *serverConfig) { c.ClusterDSN = dsn; c.Clock = clock }, plugins...))
	}

	var p postJSON
	hs[0].expect(201, "POST", "/api/posts", map[string]any{"title": "Hello", "content": "x", "status": "published"}, &p)
	type evList struct {
		Events []struct{ ID, Type, Source, Data string }
	}
	var id string
	for i, h := range hs {
		waitFor(t, fmt.Sprintf("post.created on replica %d", i), func() bool {
			var evs evList
			h.expect(200, "GET", "/api/events?type=post.*", nil, &evs)
			return len(evs.Events) > 0
		})
	}
	time.Sleep(200 * time.Millisecond) // room for a duplicate
	for i, h := range hs {
		var evs evList
		h.expect(200, "GET", "/api/events?type=post.*", nil, &evs)
		if len(evs.Events) != 1 {
			t.Fatalf("replica %d lists %d post events, want 1: %+v", i, len(evs.Events), evs.Events)
		}
		e := evs.Events[0]
		if id == "" {
			id = e.ID
		}
		if e.ID != id || e.Type != "post.created" || e.Source != "com.test.posts" || e.Data != "hello" {
			t.Errorf("replica %d: event %+v (want id %s)", i, e, id)
		}
	}

	// Cron: all three schedulers fire 09:00; one claims it and runs it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := clock.BlockUntilTimers(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		if _, ok := h.data("com.test.cron", "tick"); ok {
			t.Fatalf("replica %d ticked before the slot", i)
		}
	}
	slot := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock.AdvanceTo(slot)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var claimer string
	var attempts int
	waitFor(t, "the slot to be run", func() bool {
		var finished bool
		err := db.QueryRow(`SELECT claimer, attempts, finished_at IS NOT NULL FROM `+pgcluster.ClaimsTable+
			` WHERE job = 'com.test.cron/ping' AND slot = $1`, slot).Scan(&claimer, &attempts, &finished)
		return err == nil && finished
	})
	if attempts != 1 {
		t.Errorf("slot claimed %d times, want 1", attempts)
	}
	// Each replica's KV is its own SQLite file here, so the tick is on the
	// claimer only (with the PostgreSQL KV all would read it).
	ticked := 0
	for _, h := range hs {
		if _, ok := h.data("com.test.cron", "tick"); ok {
			ticked++
		}
	}
	if ticked != 1 {
		t.Errorf("%d replicas ran the slot, want 1", ticked)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM ` + pgcluster.ClaimsTable).Scan(&n)
	if n != 1 {
		t.Errorf("%d claim rows, want 1", n)
	}
}

// TestClusterServicesRefusesNonPostgres: a SQLite path is not a cluster
// database.
func TestClusterServicesRefusesNonPostgres(t *testing.T) {
	if _, err := clusterServices(context.Background(), "data/raisfast.db", nil, testLogger(t)); err == nil {
		t.Fatal("clusterServices accepted a SQLite path")
	}
	var c *cluster // a single node: every method is a no-op
	if c.eventRelay() != nil || c.cronClaims() != nil || c.start(context.Background(), nil) != nil || c.close(context.Background()) != nil {
		t.Fatal("nil cluster is not a no-op")
	}
}

// TestReplicasSharePosts: two replicas on one PostgreSQL database for
// their data (-db postgres://…) and their cluster services: a post written
// through A is read through B, and an update through B is seen by A.
func TestReplicasSharePosts(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	plugins := []testPlugin{{id: "com.test.posts", guest: postGuest, hooks: map[string]int{"on-post-created": 10}}}
	a := newHarness(t, func(c *serverConfig) { c.DBPath = dsn; c.ClusterDSN = dsn }, plugins...)
	b := newHarness(t, func(c *serverConfig) { c.DBPath = dsn; c.ClusterDSN = dsn }, plugins...)

	var p postJSON
	a.expect(201, "POST", "/api/posts", map[string]any{"title": "Across Replicas", "content": "written on A"}, &p)
	var got postJSON
	b.expect(200, "GET", "/api/posts/"+p.Slug, nil, &got)
	if got.ID != p.ID || got.Content != "written on A" {
		t.Fatalf("replica B read %+v, want the post A wrote (%s)", got, p.ID)
	}
}
