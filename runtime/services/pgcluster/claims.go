package pgcluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raisfast/wasmplug/runtime/cron"
)

// Defaults of ClaimsOptions.
const (
	DefaultLease          = 30 * time.Second
	DefaultClaimRetention = 24 * time.Hour
	DefaultPruneEvery     = time.Hour
)

// ClaimsOptions configure CronClaims.
type ClaimsOptions struct {
	// Claimer names this replica in the claim rows (default NodeID()).
	Claimer string
	// Lease is how long a claim stays valid without renewal (default 30 s).
	// The holder renews it every Lease/3 while the job runs; a claim whose
	// lease ran out without a finish is taken over by another replica. It
	// must exceed the longest PostgreSQL outage a running job should
	// survive without being run a second time elsewhere.
	Lease time.Duration
	// Retention is how long claim rows are kept (default 24 h); it must
	// exceed the clock skew between replicas by far, since a replica whose
	// clock is late fires a slot after the others have.
	Retention time.Duration
	// PruneEvery is how often Claim deletes rows older than Retention
	// (default 1 h).
	PruneEvery time.Duration
	// Logger receives lost leases and prune failures (default slog.Default()).
	Logger *slog.Logger
}

// CronClaims implements cron.Claims on PostgreSQL: one row per claimed
// (job, slot) in wasmplug_cron_claims, with primary key (job, slot).
//
// Claim inserts the row (INSERT … ON CONFLICT DO UPDATE … WHERE the old
// claim is unfinished and its lease expired): exactly one replica gets a
// fresh slot. The others wait, polling every Lease/4, until the row is
// finished (then they return nil: the slot ran) or its lease has run out
// (the holder died or lost PostgreSQL: the first to notice takes the slot
// over and runs it). A holder stopping cleanly releases its unfinished
// claim at once. So a slot runs to completion once as long as one replica
// is up, and runs twice only when its first run was cut off by a crash or
// a lease-long outage; hooks that must never repeat work can check the
// payload's fired_at.
type CronClaims struct {
	db   *sql.DB
	opts ClaimsOptions

	lastPrune atomic.Int64 // unix nanos
}

// NewCronClaims creates the tables if needed and returns the claims of
// this replica.
func NewCronClaims(ctx context.Context, db *sql.DB, opts ClaimsOptions) (*CronClaims, error) {
	if db == nil {
		return nil, errors.New("pgcluster: NewCronClaims: nil database")
	}
	if opts.Claimer == "" {
		opts.Claimer = NodeID()
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultClaimRetention
	}
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = DefaultPruneEvery
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	c := &CronClaims{db: db, opts: opts}
	c.lastPrune.Store(time.Now().UnixNano())
	return c, nil
}

// Claimer is this replica's name in the claim rows.
func (c *CronClaims) Claimer() string { return c.opts.Claimer }

var _ cron.Claims = (*CronClaims)(nil)

const claimSQL = `
INSERT INTO ` + ClaimsTable + ` AS c (job, slot, claimer, lease_until)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (job, slot) DO UPDATE
	SET claimer = EXCLUDED.claimer, lease_until = EXCLUDED.lease_until,
	    claimed_at = now(), attempts = c.attempts + 1
	WHERE c.finished_at IS NULL AND c.lease_until < now()
RETURNING attempts`

const stateSQL = `
SELECT finished_at IS NOT NULL, claimer,
       GREATEST(EXTRACT(EPOCH FROM lease_until - now()), 0)::float8
FROM ` + ClaimsTable + ` WHERE job = $1 AND slot = $2`

// Claim implements cron.Claims. It returns (nil, nil) when the slot has
// finished on some replica, a claim when this replica must run it, and
// blocks while another live replica holds it. A database error is retried
// with backoff for up to one Lease, then returned (the slot is then not
// run by this replica).
func (c *CronClaims) Claim(ctx context.Context, job string, slot time.Time) (cron.Claim, error) {
	c.maybePrune(ctx)
	poll := c.opts.Lease / 4
	var failingSince time.Time
	backoff := 50 * time.Millisecond
	for {
		var attempts int
		err := c.db.QueryRowContext(ctx, claimSQL, job, slot.UTC(), c.opts.Claimer, c.opts.Lease.Seconds()).Scan(&attempts)
		if err == nil {
			if attempts > 1 {
				c.opts.Logger.WarnContext(ctx, "pgcluster: took over a cron slot whose holder stopped renewing it",
					slog.String("job", job), slog.Time("slot", slot), slog.Int("attempt", attempts))
			}
			return c.hold(job, slot), nil
		}
		wait := poll
		if errors.Is(err, sql.ErrNoRows) {
			var finished bool
			var holder string
			var left float64
			err = c.db.QueryRowContext(ctx, stateSQL, job, slot.UTC()).Scan(&finished, &holder, &left)
			switch {
			case err == nil && finished:
				return nil, nil
			case err == nil:
				// Held by a live replica: look again before its lease can
				// have run out.
				wait = min(poll, time.Duration(left*float64(time.Second))+10*time.Millisecond)
			case errors.Is(err, sql.ErrNoRows):
				continue // released or pruned meanwhile: try again
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if failingSince.IsZero() {
				failingSince = time.Now()
			} else if time.Since(failingSince) > c.opts.Lease {
				return nil, fmt.Errorf("pgcluster: claim %s at %s: %w", job, slot.UTC().Format(time.RFC3339), err)
			}
			wait, backoff = backoff, min(2*backoff, time.Second)
		} else {
			failingSince, backoff = time.Time{}, 50*time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// hold starts renewing the lease of a claim this replica got.
func (c *CronClaims) hold(job string, slot time.Time) *claim {
	ctx, cancel := context.WithCancel(context.Background())
	cl := &claim{c: c, job: job, slot: slot.UTC(), cancel: cancel, done: make(chan struct{})}
	go cl.renew(ctx)
	return cl
}

type claim struct {
	c      *CronClaims
	job    string
	slot   time.Time
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func (cl *claim) renew(ctx context.Context) {
	defer close(cl.done)
	t := time.NewTicker(cl.c.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := cl.c.db.ExecContext(ctx, `UPDATE `+ClaimsTable+`
			SET lease_until = now() + make_interval(secs => $4)
			WHERE job = $1 AND slot = $2 AND claimer = $3 AND finished_at IS NULL`,
			cl.job, cl.slot, cl.c.opts.Claimer, cl.c.opts.Lease.Seconds())
		if err != nil {
			if ctx.Err() == nil {
				cl.c.opts.Logger.Warn("pgcluster: renewing a cron claim", slog.String("job", cl.job), slog.Time("slot", cl.slot), slog.Any("err", err))
			}
			continue
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cl.c.opts.Logger.Error("pgcluster: cron claim lost (lease expired and taken over); the slot may run twice",
				slog.String("job", cl.job), slog.Time("slot", cl.slot))
			return
		}
	}
}

// Finish implements cron.Claim: it stops renewing and marks the slot
// finished (completed) or releases it for another replica (not completed).
func (cl *claim) Finish(ctx context.Context, completed bool) error {
	var err error
	cl.once.Do(func() {
		cl.cancel()
		<-cl.done
		q := `UPDATE ` + ClaimsTable + ` SET finished_at = now()
			WHERE job = $1 AND slot = $2 AND claimer = $3 AND finished_at IS NULL`
		if !completed {
			q = `UPDATE ` + ClaimsTable + ` SET lease_until = '-infinity'
				WHERE job = $1 AND slot = $2 AND claimer = $3 AND finished_at IS NULL`
		}
		var res sql.Result
		if res, err = cl.c.db.ExecContext(ctx, q, cl.job, cl.slot, cl.c.opts.Claimer); err != nil {
			err = fmt.Errorf("pgcluster: finishing claim %s: %w", cl.job, err)
			return
		}
		if n, _ := res.RowsAffected(); n == 0 {
			err = fmt.Errorf("pgcluster: finishing claim %s at %s: %w", cl.job, cl.slot.Format(time.RFC3339), ErrClaimLost)
		}
	})
	return err
}

// ErrClaimLost is returned by Finish when another replica took the slot
// over (this replica's lease had expired).
var ErrClaimLost = errors.New("claim lost to another replica")

func (c *CronClaims) maybePrune(ctx context.Context) {
	last := c.lastPrune.Load()
	now := time.Now().UnixNano()
	if now-last < int64(c.opts.PruneEvery) || !c.lastPrune.CompareAndSwap(last, now) {
		return
	}
	if _, err := c.Prune(ctx); err != nil {
		c.opts.Logger.WarnContext(ctx, "pgcluster: pruning cron claims", slog.Any("err", err))
	}
}

// Prune deletes claim rows claimed more than Retention ago and no longer
// held, and returns how many it deleted. Claim calls it every PruneEvery.
func (c *CronClaims) Prune(ctx context.Context) (int64, error) {
	res, err := c.db.ExecContext(ctx, `DELETE FROM `+ClaimsTable+`
		WHERE claimed_at < now() - make_interval(secs => $1)
		  AND (finished_at IS NOT NULL OR lease_until < now())`, c.opts.Retention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("pgcluster: prune claims: %w", err)
	}
	return res.RowsAffected()
}
