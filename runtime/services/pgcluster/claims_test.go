package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/pgtest"
	"github.com/raisfast/wasmplug/runtime/cron"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newClaims(t *testing.T, db *sql.DB, name string, lease time.Duration) *CronClaims {
	t.Helper()
	c, err := NewCronClaims(context.Background(), db, ClaimsOptions{Claimer: name, Lease: lease, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func claimRow(t *testing.T, db *sql.DB, job string, slot time.Time) (claimer string, finished bool, attempts int) {
	t.Helper()
	err := db.QueryRow(`SELECT claimer, finished_at IS NOT NULL, attempts FROM `+ClaimsTable+` WHERE job = $1 AND slot = $2`,
		job, slot).Scan(&claimer, &finished, &attempts)
	if err != nil {
		t.Fatal(err)
	}
	return
}

// TestClaimOnceAmongReplicas races three replicas (ten goroutines each) on
// the same slots: each slot is claimed by exactly one, and the others
// return nil once it is finished.
func TestClaimOnceAmongReplicas(t *testing.T) {
	db := pgtest.Open(t)
	replicas := []*CronClaims{newClaims(t, db, "a", time.Second), newClaims(t, db, "b", time.Second), newClaims(t, db, "c", time.Second)}
	slot0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		slot := slot0.Add(time.Duration(i) * time.Minute)
		var won atomic.Int32
		var wg sync.WaitGroup
		for _, c := range replicas {
			for range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cl, err := c.Claim(context.Background(), "p/job", slot)
					if err != nil {
						t.Error(err)
						return
					}
					if cl != nil {
						won.Add(1)
						time.Sleep(20 * time.Millisecond) // the others wait meanwhile
						if err := cl.Finish(context.Background(), true); err != nil {
							t.Error(err)
						}
					}
				}()
			}
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Errorf("slot %d claimed %d times, want 1", i, n)
		}
		if _, finished, attempts := claimRow(t, db, "p/job", slot); !finished || attempts != 1 {
			t.Errorf("slot %d: finished=%v attempts=%d", i, finished, attempts)
		}
	}
}

// TestClaimTakeoverAfterCrash: the holder stops renewing (a crashed
// replica); a waiting replica takes the slot over once the lease ran out,
// and the crashed holder's late Finish reports the loss.
func TestClaimTakeoverAfterCrash(t *testing.T) {
	db := pgtest.Open(t)
	lease := 600 * time.Millisecond
	a, b := newClaims(t, db, "a", lease), newClaims(t, db, "b", lease)
	slot := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	ctx := context.Background()
	ca, err := a.Claim(ctx, "p/job", slot)
	if err != nil || ca == nil {
		t.Fatalf("first claim: %v, %v", ca, err)
	}
	// Crash: the renewer stops, the row is left unfinished.
	held := ca.(*claim)
	held.cancel()
	<-held.done

	start := time.Now()
	cb, err := b.Claim(ctx, "p/job", slot)
	if err != nil || cb == nil {
		t.Fatalf("takeover: %v, %v", cb, err)
	}
	if waited := time.Since(start); waited < lease/2 {
		t.Errorf("took over after %v, before the lease (%v) could have run out", waited, lease)
	}
	if who, _, attempts := claimRow(t, db, "p/job", slot); who != "b" || attempts != 2 {
		t.Errorf("row: claimer %q attempts %d, want b and 2", who, attempts)
	}
	if err := ca.Finish(ctx, true); !errors.Is(err, ErrClaimLost) {
		t.Errorf("crashed holder's Finish: %v, want ErrClaimLost", err)
	}
	if err := cb.Finish(ctx, true); err != nil {
		t.Fatal(err)
	}
	if c, err := a.Claim(ctx, "p/job", slot); c != nil || err != nil {
		t.Errorf("claim of a finished slot: %v, %v", c, err)
	}
}

// TestClaimRenewedWhileRunning: a run longer than several leases keeps
// its claim; the waiting replica neither takes it over nor gives up, and
// returns nil when it finishes.
func TestClaimRenewedWhileRunning(t *testing.T) {
	db := pgtest.Open(t)
	lease := 300 * time.Millisecond
	a, b := newClaims(t, db, "a", lease), newClaims(t, db, "b", lease)
	slot := time.Date(2026, 1, 1, 7, 0, 0, 0, time.UTC)
	ca, err := a.Claim(context.Background(), "p/job", slot)
	if err != nil || ca == nil {
		t.Fatal(ca, err)
	}
	res := make(chan cron.Claim, 1)
	go func() {
		c, err := b.Claim(context.Background(), "p/job", slot)
		if err != nil {
			t.Error(err)
		}
		res <- c
	}()
	time.Sleep(4 * lease)
	select {
	case c := <-res:
		t.Fatalf("waiting replica returned %v while the holder was alive", c)
	default:
	}
	if err := ca.Finish(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if c := <-res; c != nil {
		t.Error("waiting replica claimed a finished slot")
	}
}

// TestClaimReleasedOnStop: a holder stopping cleanly (completed=false)
// hands the slot over without waiting for the lease.
func TestClaimReleasedOnStop(t *testing.T) {
	db := pgtest.Open(t)
	a, b := newClaims(t, db, "a", time.Minute), newClaims(t, db, "b", time.Minute)
	slot := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	ca, _ := a.Claim(context.Background(), "p/job", slot)
	if ca == nil {
		t.Fatal("no claim")
	}
	if err := ca.Finish(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // far below the 1 min lease
	defer cancel()
	cb, err := b.Claim(ctx, "p/job", slot)
	if err != nil || cb == nil {
		t.Fatalf("claim after release: %v, %v", cb, err)
	}
	cb.Finish(ctx, true)
}

// TestClaimWaitEndsWithContext: a replica waiting on a held slot returns
// the context's error when it is stopped.
func TestClaimWaitEndsWithContext(t *testing.T) {
	db := pgtest.Open(t)
	a, b := newClaims(t, db, "a", time.Minute), newClaims(t, db, "b", time.Minute)
	slot := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	ca, _ := a.Claim(context.Background(), "p/job", slot)
	defer ca.Finish(context.Background(), true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := b.Claim(ctx, "p/job", slot); c != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Claim = %v, %v; want nil, deadline exceeded", c, err)
	}
}

// TestPruneClaims deletes old finished rows and keeps recent and held ones.
func TestPruneClaims(t *testing.T) {
	db := pgtest.Open(t)
	c := newClaims(t, db, "a", time.Minute)
	ctx := context.Background()
	old, recent, held := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	for _, s := range []time.Time{old, recent} {
		cl, _ := c.Claim(ctx, "p/job", s)
		cl.Finish(ctx, true)
	}
	hc, _ := c.Claim(ctx, "p/job", held)
	defer hc.Finish(ctx, true)
	if _, err := db.Exec(`UPDATE `+ClaimsTable+` SET claimed_at = now() - interval '2 days' WHERE slot IN ($1, $2)`, old, held); err != nil {
		t.Fatal(err)
	}
	n, err := c.Prune(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 row", n, err)
	}
	var left int
	db.QueryRow(`SELECT count(*) FROM ` + ClaimsTable).Scan(&left)
	if left != 2 {
		t.Errorf("%d rows left, want 2 (the recent and the held one)", left)
	}
}
