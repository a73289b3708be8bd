package cron_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/cron"
)

// memClaims is an in-process cron.Claims: the first to ask gets a slot.
type memClaims struct {
	mu       sync.Mutex
	taken    map[string]bool
	finished map[string]bool // slot → completed
	err      error
}

func newMemClaims() *memClaims {
	return &memClaims{taken: map[string]bool{}, finished: map[string]bool{}}
}

func (m *memClaims) Claim(_ context.Context, job string, slot time.Time) (cron.Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	k := job + "@" + slot.UTC().Format(time.RFC3339)
	if m.taken[k] {
		return nil, nil
	}
	m.taken[k] = true
	return memClaim{m, k}, nil
}

type memClaim struct {
	m *memClaims
	k string
}

func (c memClaim) Finish(_ context.Context, completed bool) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.finished[c.k] = completed
	return nil
}

var slot = time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)

func TestClaimedRunsOnceAmongWrappers(t *testing.T) {
	claims := newMemClaims()
	var mu sync.Mutex
	runs := 0
	run := func(context.Context, time.Time) error {
		mu.Lock()
		runs++
		mu.Unlock()
		return errors.New("hook failed")
	}
	for range 3 { // three replicas' jobs fire the same slot
		err := cron.Claimed(claims, "p/j", nil, run)(context.Background(), slot)
		if err != nil && err.Error() != "hook failed" {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Errorf("ran %d times, want 1", runs)
	}
	// A failed run is still a completed one (not retried elsewhere).
	if done, ok := claims.finished["p/j@2026-01-01T06:00:00Z"]; !ok || !done {
		t.Errorf("finished = %v, %v; want completed", done, ok)
	}
}

func TestClaimedReleasesWhenCancelled(t *testing.T) {
	claims := newMemClaims()
	ctx, cancel := context.WithCancel(context.Background())
	run := func(ctx context.Context, _ time.Time) error { cancel(); <-ctx.Done(); return ctx.Err() }
	_ = cron.Claimed(claims, "p/j", nil, run)(ctx, slot)
	if done, ok := claims.finished["p/j@2026-01-01T06:00:00Z"]; !ok || done {
		t.Errorf("finished = %v, %v; want released (not completed)", done, ok)
	}
}

func TestClaimedClaimError(t *testing.T) {
	claims := newMemClaims()
	claims.err = errors.New("db down")
	ran := false
	err := cron.Claimed(claims, "p/j", nil, func(context.Context, time.Time) error { ran = true; return nil })(context.Background(), slot)
	var ce *cron.ClaimError
	if !errors.As(err, &ce) || ce.Job != "p/j" || !errors.Is(err, claims.err) || ran {
		t.Errorf("err = %v (ran %v), want a ClaimError wrapping db down and no run", err, ran)
	}
}

func TestClaimedNilClaimsRunsDirectly(t *testing.T) {
	n := 0
	run := cron.Claimed(nil, "p/j", nil, func(context.Context, time.Time) error { n++; return nil })
	run(context.Background(), slot)
	run(context.Background(), slot)
	if n != 2 {
		t.Errorf("ran %d times, want 2 (no claims: every firing runs)", n)
	}
}
