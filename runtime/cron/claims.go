package cron

import (
	"context"

	"log/slog"
	"time"
)

// Claims decides which of several schedulers sharing a job set (host
// replicas) runs a job's scheduled slot. Every replica's scheduler fires the
// slot; each asks Claim, and only the one that gets a [Claim] runs the job.
// A nil Claims (one node) always runs it. Package pgcluster implements it on
// PostgreSQL.
type Claims interface {
	// Claim tries to take slot (the scheduled instant) of job for this
	// replica. It returns a non-nil Claim when this replica must run the
	// job, and (nil, nil) when the slot is done or being done elsewhere.
	// An implementation may block while another replica holds the slot
	// (to take it over if that replica dies); it returns ctx's error when
	// ctx ends first.
	Claim(ctx context.Context, job string, slot time.Time) (Claim, error)
}

// Claim is a slot this replica holds.
type Claim interface {
	// Finish records the end of the run. completed is false when the run
	// was cut short by this replica stopping (its context cancelled): the
	// slot is then released at once for another replica to take over.
	// A run that ended with an error is completed: a failed job is logged,
	// not retried, as on one node.
	Finish(ctx context.Context, completed bool) error
}

// finishTimeout bounds recording a run's end (the job's own context may be
// cancelled by then).
const finishTimeout = 10 * time.Second

// Claimed wraps run so that it runs only when claims gives this replica
// the slot (run as is when claims is nil). The wrapper returns nil when
// another replica has the slot, and an error wrapping the claim's when
// the claim could not be decided (the slot is then not run here).
func Claimed(claims Claims, job string, log *slog.Logger, run func(ctx context.Context, firedAt time.Time) error) func(context.Context, time.Time) error {
	if claims == nil {
		return run
	}
	if log == nil {
		log = slog.Default()
	}
	return func(ctx context.Context, firedAt time.Time) error {
		c, err := claims.Claim(ctx, job, firedAt)
		if err != nil {
			return &ClaimError{Job: job, Slot: firedAt, Err: err}
		}
		if c == nil {
			log.DebugContext(ctx, "cron: slot run by another replica", slog.String("job", job), slog.Time("scheduled", firedAt))
			return nil
		}
		// Deferred so a panicking run (recovered by the scheduler) finishes
		// its claim too.
		defer func() { finish(ctx, log, job, firedAt, c, ctx.Err() == nil) }()
		return run(ctx, firedAt)
	}
}

func finish(ctx context.Context, log *slog.Logger, job string, at time.Time, c Claim, completed bool) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := c.Finish(fctx, completed); err != nil {
		log.WarnContext(ctx, "cron: recording the end of a claimed run", slog.String("job", job),
			slog.Time("scheduled", at), slog.Bool("completed", completed), slog.Any("err", err))
	}
}

// ClaimError is returned by a [Claimed] job whose claim failed.
type ClaimError struct {
	Job  string
	Slot time.Time
	Err  error
}

func (e *ClaimError) Error() string {
	return "cron: claiming " + e.Job + " at " + e.Slot.UTC().Format(time.RFC3339) + ": " + e.Err.Error()
}

func (e *ClaimError) Unwrap() error { return e.Err }
