package pgcluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/cron/crontest"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
	"github.com/raisfast/wasmplug/runtime/services/config"
	"github.com/raisfast/wasmplug/runtime/services/events"
	"github.com/raisfast/wasmplug/runtime/services/pgcluster"

	"database/sql"
)

// tickGuest's on-cron-tick emits its payload as event "cron.tick"; when
// its config has "hang" it spins instead (a run still in progress).
var tickGuest = rtt.Guest{
	Data: map[int]string{1024: "cron.tick", 1040: "hang"},
	Funcs: `
  (func (export "` + rtt.Export("on-cron-tick") + `") (param $tag i32) (param $p i32) (param $l i32)
    (call $get_config (i32.const 1040) (i32.const 4) (i32.const 192))
    (if (i32.load8_u (i32.const 192)) (then (loop $spin (br $spin))))
    (if (local.get $tag)
      (then (call $emit_event (i32.const 1024) (i32.const 9) (local.get $p) (local.get $l) (i32.const 128)))))`,
}

const tickManifest = `[plugin]
id = "com.example.ticker"
name = "Ticker"
version = "0.1.0"
runtime = "wasm"
entry = "plugin.wasm"

[[cron]]
label = "every minute"
job_type = "tick"
cron_expr = "* * * * *"
`

func logger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// node is one host replica: a runtime with its own plugin directory, its
// bus relayed through PostgreSQL and cron claimed there.
type node struct {
	name   string
	rt     *runtime.Runtime
	bus    *events.Bus
	relay  *pgcluster.EventRelay
	claims *pgcluster.CronClaims

	mu    sync.Mutex
	ticks map[string]int // fired_at → cron.tick events received
}

func (n *node) ticksAt(slot string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ticks[slot]
}

func (n *node) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.rt.Close(ctx); err != nil {
		t.Errorf("%s: runtime Close: %v", n.name, err)
	}
	if err := n.relay.Close(ctx); err != nil {
		t.Errorf("%s: relay Close: %v", n.name, err)
	}
	n.bus.Close()
}

// nodeOpts vary a replica: hang makes its cron hook spin until the
// replica stops; claimDelay makes it ask for claims later than the others.
type nodeOpts struct {
	hang       bool
	claimDelay time.Duration
}

// delayedClaims asks its Claims after a delay.
type delayedClaims struct {
	cron.Claims
	d time.Duration
}

func (c delayedClaims) Claim(ctx context.Context, job string, slot time.Time) (cron.Claim, error) {
	select {
	case <-time.After(c.d):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c.Claims.Claim(ctx, job, slot)
}

func startNode(t *testing.T, name, dsn string, db *sql.DB, clk *crontest.Clock, wasm []byte, opts nodeOpts) *node {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	rtt.WritePlugin(t, filepath.Join(root, "plugins", "ticker"), tickManifest, wasm)
	n := &node{name: name, ticks: map[string]int{}}
	var err error
	if n.relay, err = pgcluster.NewEventRelay(ctx, pgcluster.RelayOptions{DSN: dsn, DB: db, Node: name, Logger: logger()}); err != nil {
		t.Fatal(err)
	}
	n.bus = events.New(events.Options{Relay: n.relay, Logger: logger()})
	if _, err := n.bus.Subscribe("cron.tick", func(ev events.Event) {
		var p runtime.CronPayload
		if err := json.Unmarshal([]byte(ev.Data), &p); err != nil {
			t.Errorf("%s: tick payload %q: %v", name, ev.Data, err)
		}
		n.mu.Lock()
		n.ticks[p.FiredAt]++
		n.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := n.relay.Start(ctx, n.bus); err != nil {
		t.Fatal(err)
	}
	if n.claims, err = pgcluster.NewCronClaims(ctx, db, pgcluster.ClaimsOptions{Claimer: name, Lease: time.Second, Logger: logger()}); err != nil {
		t.Fatal(err)
	}
	var claims cron.Claims = n.claims
	if opts.claimDelay > 0 {
		claims = delayedClaims{n.claims, opts.claimDelay}
	}
	var overrides []config.Source
	if opts.hang {
		overrides = []config.Source{config.Map{"com.example.ticker": {"hang": "1"}}}
	}
	n.rt, err = runtime.New(ctx, runtime.Config{
		ConfigOverrides:     overrides,
		CallTimeout:         time.Minute, // the hang ends when the replica stops
		PluginsDir:          filepath.Join(root, "plugins"),
		DataDir:             filepath.Join(root, "data"),
		PoolSize:            1,
		Events:              n.bus,
		Logger:              logger(),
		CronHook:            plugin.Hooks.OnCronTick.Name,
		Clock:               clk,
		CronLocation:        time.UTC,
		CronClaims:          claims,
		CompilationCacheDir: runtime.NoCompilationCache,
		WatchInterval:       -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range n.rt.Problems() {
		t.Fatalf("%s: %v", name, p)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCronOncePerClusterSlot runs three runtimes on one PostgreSQL with a
// shared manual cron clock and a plugin whose [[cron]] entry fires every
// minute and emits "cron.tick": each slot runs on exactly one replica (one
// claim row, one event published), and its event reaches every replica's
// subscribers exactly once. After one replica stops, the next slots still
// run exactly once on the remaining two.
func TestCronOncePerClusterSlot(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wasm := tickGuest.Wasm(t)
	start := time.Date(2026, 3, 1, 9, 59, 30, 0, time.UTC)
	clk := crontest.New(start)
	var nodes []*node
	for _, name := range []string{"a", "b", "c"} {
		nodes = append(nodes, startNode(t, name, dsn, db, clk, wasm, nodeOpts{}))
	}
	live := nodes
	defer func() {
		for _, n := range live {
			n.stop(t)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	published := func() (sum uint64) {
		for _, n := range nodes {
			sum += n.relay.Stats().Published
		}
		return sum
	}
	slot := start.Truncate(time.Minute)
	var last, stopped string
	for i := range 4 {
		if i == 2 {
			// Stop the replica that ran the last slot: the other two carry on.
			for j, n := range live {
				if n.name == last {
					n.stop(t)
					live = append(live[:j:j], live[j+1:]...)
					stopped = last
					break
				}
			}
		}
		slot = slot.Add(time.Minute)
		key := slot.Format(time.RFC3339)
		// Every live scheduler has armed its timer and no run is pending.
		waitFor(t, "idle schedulers", func() bool {
			for _, n := range live {
				if e := n.rt.Cron(); len(e) != 1 || e[0].Running || !e[0].Next.Equal(slot) {
					return false
				}
			}
			return true
		})
		if err := clk.BlockUntilTimers(ctx, len(live)); err != nil {
			t.Fatal(err)
		}
		clk.AdvanceTo(slot)
		for _, n := range live {
			waitFor(t, fmt.Sprintf("slot %s's tick on %s", key, n.name), func() bool { return n.ticksAt(key) >= 1 })
		}
		waitFor(t, "the losers to see the slot finished", func() bool {
			for _, n := range live {
				if e := n.rt.Cron(); e[0].Running {
					return false
				}
			}
			return true
		})
		time.Sleep(200 * time.Millisecond) // room for a duplicate to arrive
		for _, n := range live {
			if got := n.ticksAt(key); got != 1 {
				t.Errorf("slot %s: %s received %d ticks, want 1", key, n.name, got)
			}
		}
		if p := published(); p != uint64(i+1) {
			t.Errorf("after slot %s: %d tick events published in the cluster, want %d (one per slot)", key, p, i+1)
		}
		var claimer string
		var attempts int
		var finished bool
		if err := db.QueryRow(`SELECT claimer, attempts, finished_at IS NOT NULL FROM `+pgcluster.ClaimsTable+
			` WHERE job = 'com.example.ticker/tick' AND slot = $1`, slot).Scan(&claimer, &attempts, &finished); err != nil {
			t.Fatalf("slot %s: claim row: %v", key, err)
		}
		if attempts != 1 || !finished {
			t.Errorf("slot %s: claim by %s attempts=%d finished=%v", key, claimer, attempts, finished)
		}
		if i >= 2 && claimer == stopped {
			t.Errorf("slot %s claimed by the stopped replica", key)
		}
		last = claimer
		t.Logf("slot %s ran on %s", key, claimer)
	}
}

// TestCronReplicaStoppedMidRun: replica A claims a slot and is stopped
// while its hook is still running (it spins). Its claim is released as it
// stops, and one of B and C takes the slot over at once and runs it to
// completion: the slot's tick reaches B and C once, the claim row shows
// the second attempt, finished by the taker.
func TestCronReplicaStoppedMidRun(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wasm := tickGuest.Wasm(t)
	start := time.Date(2026, 3, 1, 9, 59, 30, 0, time.UTC)
	slot := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	key := slot.Format(time.RFC3339)
	clk := crontest.New(start)
	a := startNode(t, "a", dsn, db, clk, wasm, nodeOpts{hang: true})
	b := startNode(t, "b", dsn, db, clk, wasm, nodeOpts{claimDelay: 300 * time.Millisecond})
	c := startNode(t, "c", dsn, db, clk, wasm, nodeOpts{claimDelay: 300 * time.Millisecond})
	defer b.stop(t)
	defer c.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := clk.BlockUntilTimers(ctx, 3); err != nil {
		t.Fatal(err)
	}
	clk.AdvanceTo(slot)
	claimer := func() (who string, attempts int, finished bool) {
		err := db.QueryRow(`SELECT claimer, attempts, finished_at IS NOT NULL FROM `+pgcluster.ClaimsTable+
			` WHERE job = 'com.example.ticker/tick' AND slot = $1`, slot).Scan(&who, &attempts, &finished)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		return
	}
	waitFor(t, "A to hold the slot", func() bool { who, _, _ := claimer(); return who == "a" })
	time.Sleep(100 * time.Millisecond) // A is inside its hook
	if e := a.rt.Cron(); !e[0].Running {
		t.Fatal("A's run is not in progress")
	}
	a.stop(t)
	for _, n := range []*node{b, c} {
		waitFor(t, "the taken-over tick on "+n.name, func() bool { return n.ticksAt(key) >= 1 })
	}
	waitFor(t, "the claim to finish", func() bool { _, _, f := claimer(); return f })
	time.Sleep(200 * time.Millisecond)
	who, attempts, _ := claimer()
	if who == "a" || attempts != 2 {
		t.Errorf("claim row: claimer %s, attempts %d; want b or c on attempt 2", who, attempts)
	}
	for _, n := range []*node{b, c} {
		if got := n.ticksAt(key); got != 1 {
			t.Errorf("%s received %d ticks, want 1", n.name, got)
		}
	}
	if got := a.ticksAt(key); got != 0 {
		t.Errorf("the stopped replica emitted %d ticks", got)
	}
	if p := b.relay.Stats().Published + c.relay.Stats().Published + a.relay.Stats().Published; p != 1 {
		t.Errorf("%d ticks published, want 1", p)
	}
}
