package cron_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/cron/crontest"
)

// harness runs a scheduler on a manual clock in UTC.
type harness struct {
	t     *testing.T
	clk   *crontest.Clock
	s     *cron.Scheduler
	logs  *syncBuffer
	ctx   context.Context
	runCh chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func start(t *testing.T, now string, jobs ...cron.Job) *harness {
	t.Helper()
	at, err := time.Parse(time.DateTime, now)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, clk: crontest.New(at), logs: &syncBuffer{}, runCh: make(chan error, 1)}
	h.s = cron.NewScheduler(cron.WithClock(h.clk), cron.WithLocation(time.UTC),
		cron.WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))))
	if err := h.s.Set(jobs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	h.ctx = ctx
	t.Cleanup(func() {
		cancel()
		if err := h.s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	go func() { h.runCh <- h.s.Run(ctx) }()
	h.armed()
	return h
}

// armed waits until the scheduler has finished a tick and armed its timer.
func (h *harness) armed() {
	h.t.Helper()
	if err := h.clk.BlockUntilTimers(h.ctx, 1); err != nil {
		h.t.Fatalf("scheduler never armed a timer: %v", err)
	}
}

// advanceTo moves the clock to an absolute time, one timer at a time, so
// every tick on the way happens. It returns after the scheduler re-armed.
func (h *harness) advanceTo(s string) {
	h.t.Helper()
	target, err := time.Parse(time.DateTime, s)
	if err != nil {
		h.t.Fatal(err)
	}
	for {
		h.armed()
		dl, _ := h.clk.NextDeadline()
		if dl.After(target) {
			h.clk.AdvanceTo(target)
			return
		}
		h.clk.AdvanceTo(dl)
	}
}

func recvTime(t *testing.T, ch <-chan time.Time) time.Time {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatal("job did not run")
		return time.Time{}
	}
}

// recv receives a job's report and waits until the scheduler has seen the
// job return, so the next firing is not skipped as an overlap.
func (h *harness) recv(ch <-chan time.Time) time.Time {
	h.t.Helper()
	at := recvTime(h.t, ch)
	waitFor(h.t, func() bool { return h.s.Stats().Running == 0 })
	return at
}

func noRecv[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected run: %v", v)
	default:
	}
}

func job(t *testing.T, id, expr string, run func(context.Context, time.Time) error) cron.Job {
	t.Helper()
	j, err := cron.NewJob(id, expr, run)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func recorder(ch chan<- time.Time) func(context.Context, time.Time) error {
	return func(_ context.Context, at time.Time) error { ch <- at; return nil }
}

func TestSchedulerFiresOnSchedule(t *testing.T) {
	fired := make(chan time.Time, 10)
	h := start(t, "2024-01-01 05:58:10", job(t, "p/task", "0 */6 * * *", recorder(fired)))

	h.advanceTo("2024-01-01 05:59:59")
	noRecv(t, fired)
	h.advanceTo("2024-01-01 06:00:00")
	if got := h.recv(fired); !got.Equal(time.Date(2024, 1, 1, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("firedAt = %s", got)
	}
	h.advanceTo("2024-01-01 11:59:00")
	h.armed()
	noRecv(t, fired)
	h.advanceTo("2024-01-01 12:00:00")
	if got := h.recv(fired); got.Hour() != 12 {
		t.Fatalf("firedAt = %s", got)
	}
	if e := h.s.Entries(); len(e) != 1 || e[0].ID != "p/task" || !e[0].Next.Equal(time.Date(2024, 1, 1, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("Entries = %+v", e)
	}
}

func TestSchedulerMissedFiringsCollapse(t *testing.T) {
	fired := make(chan time.Time, 100)
	h := start(t, "2024-01-01 00:00:00", job(t, "hourly", "@hourly", recorder(fired)))
	h.clk.Advance(10 * time.Hour) // one jump, as after a suspend
	got := h.recv(fired)
	if !got.Equal(time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("firedAt = %s, want the first missed instant", got)
	}
	h.armed()
	noRecv(t, fired)
	if e := h.s.Entries(); !e[0].Next.Equal(time.Date(2024, 1, 1, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("next = %s", e[0].Next)
	}
}

func TestSchedulerSkipsOverlappingRun(t *testing.T) {
	started := make(chan time.Time, 10)
	release := make(chan struct{})
	h := start(t, "2024-01-01 00:00:30", job(t, "slow", "* * * * *", func(ctx context.Context, at time.Time) error {
		started <- at
		<-release
		return nil
	}))
	h.advanceTo("2024-01-01 00:01:00")
	recvTime(t, started)
	h.advanceTo("2024-01-01 00:02:00") // still running: skipped
	h.advanceTo("2024-01-01 00:03:00") // skipped again
	h.armed()
	noRecv(t, started)
	if st := h.s.Stats(); st.Fired != 1 || st.Skipped != 2 || st.Running != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	if !strings.Contains(h.logs.String(), "still running") || !strings.Contains(h.logs.String(), "job=slow") {
		t.Fatalf("skip not logged: %s", h.logs)
	}
	close(release)
	// Once it finished, the next firing runs again.
	waitFor(t, func() bool { return h.s.Stats().Running == 0 })
	h.advanceTo("2024-01-01 00:04:00")
	if got := recvTime(t, started); got.Minute() != 4 {
		t.Fatalf("firedAt = %s", got)
	}
}

// waitFor polls a condition that another goroutine makes true without a
// channel to wait on; it never asserts on elapsed time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never became true")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSchedulerSetReplacesAtomically(t *testing.T) {
	a := make(chan time.Time, 10)
	b := make(chan time.Time, 10)
	h := start(t, "2024-01-01 00:00:00",
		job(t, "a", "*/10 * * * *", recorder(a)),
		job(t, "keep", "0 1 * * *", recorder(make(chan time.Time, 10))))
	h.advanceTo("2024-01-01 00:10:00")
	h.recv(a)

	keepNext := h.s.Entries()[1].Next
	if err := h.s.Set([]cron.Job{
		job(t, "b", "*/5 * * * *", recorder(b)),
		job(t, "keep", "0 1 * * *", recorder(make(chan time.Time, 10))),
	}); err != nil {
		t.Fatal(err)
	}
	e := h.s.Entries()
	if len(e) != 2 || e[0].ID != "b" || e[1].ID != "keep" || !e[1].Next.Equal(keepNext) {
		t.Fatalf("Entries after Set = %+v", e)
	}
	h.advanceTo("2024-01-01 00:15:00")
	if got := h.recv(b); got.Minute() != 15 {
		t.Fatalf("b firedAt = %s", got)
	}
	h.advanceTo("2024-01-01 00:20:00")
	h.recv(b)
	noRecv(t, a)
}

func TestSchedulerSetValidates(t *testing.T) {
	h := start(t, "2024-01-01 00:00:00", job(t, "a", "@daily", recorder(make(chan time.Time, 1))))
	run := recorder(make(chan time.Time, 1))
	sched := cron.MustParse("@hourly")
	for name, jobs := range map[string][]cron.Job{
		"duplicate": {{ID: "x", Schedule: sched, Run: run}, {ID: "x", Schedule: sched, Run: run}},
		"no id":     {{Schedule: sched, Run: run}},
		"no sched":  {{ID: "x", Run: run}},
		"no func":   {{ID: "x", Schedule: sched}},
	} {
		if err := h.s.Set(jobs); !errors.Is(err, cron.ErrInvalidJob) {
			t.Errorf("%s: Set error = %v, want ErrInvalidJob", name, err)
		}
	}
	if e := h.s.Entries(); len(e) != 1 || e[0].ID != "a" {
		t.Fatalf("a failed Set changed the job set: %+v", e)
	}
	if _, err := cron.NewJob("x", "bad", run); !errors.Is(err, cron.ErrSyntax) {
		t.Fatalf("NewJob error = %v", err)
	}
}

func TestSchedulerSameIDAcrossSetDoesNotOverlap(t *testing.T) {
	started := make(chan time.Time, 10)
	release := make(chan struct{})
	slow := func(ctx context.Context, at time.Time) error { started <- at; <-release; return nil }
	h := start(t, "2024-01-01 00:00:00", job(t, "p/job", "* * * * *", slow))
	h.advanceTo("2024-01-01 00:01:00")
	recvTime(t, started)
	// Hot reload: a new generation's job with the same ID.
	if err := h.s.Set([]cron.Job{job(t, "p/job", "*/1 * * * *", slow)}); err != nil {
		t.Fatal(err)
	}
	h.advanceTo("2024-01-01 00:02:00")
	h.armed()
	noRecv(t, started)
	if st := h.s.Stats(); st.Skipped != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	close(release)
}

func TestSchedulerStop(t *testing.T) {
	started := make(chan time.Time, 1)
	jobDone := make(chan error, 1)
	h := start(t, "2024-01-01 00:00:00", job(t, "blocker", "* * * * *", func(ctx context.Context, at time.Time) error {
		started <- at
		<-ctx.Done()
		jobDone <- ctx.Err()
		return ctx.Err()
	}))
	h.advanceTo("2024-01-01 00:01:00")
	recvTime(t, started)
	if err := h.s.Stop(h.ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// Stop returned only after the job saw its context cancelled and returned.
	select {
	case err := <-jobDone:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("job ctx err = %v", err)
		}
	default:
		t.Fatal("Stop returned before the running job")
	}
	if err := <-h.runCh; err != nil {
		t.Fatalf("Run after Stop = %v, want nil", err)
	}
	if err := h.s.Run(context.Background()); !errors.Is(err, cron.ErrStopped) {
		t.Fatalf("second Run = %v, want ErrStopped", err)
	}
}

func TestSchedulerStopBoundedByContext(t *testing.T) {
	started := make(chan time.Time, 1)
	release := make(chan struct{})
	h := start(t, "2024-01-01 00:00:00", job(t, "stubborn", "* * * * *", func(ctx context.Context, at time.Time) error {
		started <- at
		<-release // ignores ctx
		return nil
	}))
	h.advanceTo("2024-01-01 00:01:00")
	recvTime(t, started)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.s.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop = %v, want context.Canceled", err)
	}
	close(release)
	if err := h.s.Stop(h.ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestSchedulerContextCancel(t *testing.T) {
	clk := crontest.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	s := cron.NewScheduler(cron.WithClock(clk), cron.WithLogger(slog.New(slog.DiscardHandler)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if err := s.Set([]cron.Job{job(t, "x", "@hourly", recorder(make(chan time.Time, 1)))}); err != nil {
		t.Fatal(err)
	}
	if err := clk.BlockUntilTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, cron.ErrStopped) {
		t.Fatalf("Run again = %v", err)
	}
}

func TestSchedulerStopBeforeRun(t *testing.T) {
	s := cron.NewScheduler()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, cron.ErrStopped) {
		t.Fatalf("Run = %v", err)
	}
}

func TestSchedulerConcurrentRun(t *testing.T) {
	h := start(t, "2024-01-01 00:00:00", job(t, "x", "@hourly", recorder(make(chan time.Time, 1))))
	if err := h.s.Run(context.Background()); !errors.Is(err, cron.ErrRunning) {
		t.Fatalf("Run = %v, want ErrRunning", err)
	}
}

func TestSchedulerJobErrorsAndPanics(t *testing.T) {
	var runs sync.WaitGroup
	runs.Add(2)
	h := start(t, "2024-01-01 00:00:00",
		job(t, "fails", "* * * * *", func(context.Context, time.Time) error {
			defer runs.Done()
			return errors.New("boom")
		}),
		job(t, "panics", "* * * * *", func(context.Context, time.Time) error {
			defer runs.Done()
			panic("kaboom")
		}))
	h.advanceTo("2024-01-01 00:01:00")
	runs.Wait()
	waitFor(t, func() bool { return h.s.Stats().Running == 0 })
	logs := h.logs.String()
	if !strings.Contains(logs, "job failed") || !strings.Contains(logs, "boom") ||
		!strings.Contains(logs, "job panicked") || !strings.Contains(logs, "kaboom") {
		t.Fatalf("logs: %s", logs)
	}
	// Both run again next minute: the panic did not leave "panics" marked running.
	runs.Add(2)
	h.advanceTo("2024-01-01 00:02:00")
	runs.Wait()
	if st := h.s.Stats(); st.Fired != 4 || st.Skipped != 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestSchedulerEmptySetSleeps(t *testing.T) {
	clk := crontest.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	s := cron.NewScheduler(cron.WithClock(clk))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	fired := make(chan time.Time, 1)
	// Jobs added after Run started are picked up.
	if err := s.Set([]cron.Job{job(t, "later", "@hourly", recorder(fired))}); err != nil {
		t.Fatal(err)
	}
	for {
		if err := clk.BlockUntilTimers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		dl, _ := clk.NextDeadline()
		clk.AdvanceTo(dl)
		if dl.Minute() == 0 && dl.Hour() == 1 {
			break
		}
	}
	recvTime(t, fired)
	cancel()
	<-done
}

func TestSystemClock(t *testing.T) {
	c := cron.SystemClock()
	before := time.Now()
	if c.Now().Before(before) {
		t.Fatal("Now went backwards")
	}
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	if tm.Stop() {
		t.Fatal("Stop after fire reported active")
	}
}
