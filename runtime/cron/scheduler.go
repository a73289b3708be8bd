package cron

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Clock is the scheduler's source of time. [SystemClock] is the real one;
// package crontest has a manual one for tests.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends on its channel once d has elapsed.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the scheduler uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock returns the clock backed by package time.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }

// Job is one scheduled task.
type Job struct {
	// ID names the job; it is unique within a job set and is what "the same
	// job" means for the no-overlap rule, across Set calls too.
	ID string
	// Schedule says when the job runs.
	Schedule *Schedule
	// Run does the work. firedAt is the scheduled instant (not the possibly
	// later moment the scheduler noticed it). ctx is cancelled when the
	// scheduler stops. A returned error is logged.
	Run func(ctx context.Context, firedAt time.Time) error
}

// NewJob parses expr and builds a Job.
func NewJob(id, expr string, run func(ctx context.Context, firedAt time.Time) error) (Job, error) {
	s, err := Parse(expr)
	if err != nil {
		return Job{}, fmt.Errorf("job %q: %w", id, err)
	}
	return Job{ID: id, Schedule: s, Run: run}, nil
}

// Errors returned by the scheduler.
var (
	// ErrInvalidJob is wrapped by Set's errors for a malformed job set.
	ErrInvalidJob = errors.New("cron: invalid job")
	// ErrStopped is returned by Run on a scheduler that was stopped or has
	// already run.
	ErrStopped = errors.New("cron: scheduler stopped")
	// ErrRunning is returned by Run while another Run is active.
	ErrRunning = errors.New("cron: scheduler already running")
)

// maxWait caps one sleep, so a stepped wall clock (NTP, suspend) is noticed
// within a minute even though timers measure monotonic time.
const maxWait = time.Minute

// Option configures a Scheduler.
type Option func(*Scheduler)

// WithClock sets the clock (default [SystemClock]).
func WithClock(c Clock) Option { return func(s *Scheduler) { s.clock = c } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Scheduler) { s.log = l } }

// WithLocation sets the time zone schedules are read in (default time.Local).
func WithLocation(loc *time.Location) Option { return func(s *Scheduler) { s.loc = loc } }

// Scheduler runs jobs on their schedules. Create one with [NewScheduler],
// give it jobs with [Scheduler.Set], and call [Scheduler.Run] once. A
// Scheduler is safe for concurrent use.
type Scheduler struct {
	clock Clock
	log   *slog.Logger
	loc   *time.Location

	mu      sync.Mutex
	entries []*entry        // the current job set, sorted by ID
	running map[string]bool // IDs with a Run in progress, whatever generation
	fired   uint64
	skipped uint64
	state   int // 0 new, 1 running, 2 finished

	changed  chan struct{} // buffered(1): the job set changed
	stop     chan struct{} // closed by Stop
	stopOnce sync.Once
	done     chan struct{} // closed when Run returns
	jobs     sync.WaitGroup
}

type entry struct {
	job  Job
	next time.Time // zero: never fires
}

// NewScheduler returns a scheduler with no jobs.
func NewScheduler(opts ...Option) *Scheduler {
	s := &Scheduler{
		clock:   SystemClock(),
		log:     slog.Default(),
		loc:     time.Local,
		running: make(map[string]bool),
		changed: make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Set replaces the job set atomically: after it returns, no job of the old
// set is fired again and every job of the new set is scheduled. A job whose ID
// and expression are unchanged keeps its next firing time, so a reload at
// 05:59:59 does not lose the 06:00 run. Runs already in progress are not
// interrupted, and a new job with the ID of a running one waits for it (the
// firing is skipped) as usual. On error (empty or duplicate ID, missing
// schedule or func) the current set is left as it was.
func (s *Scheduler) Set(jobs []Job) error {
	seen := make(map[string]bool, len(jobs))
	var errs []error
	for i, j := range jobs {
		switch {
		case j.ID == "":
			errs = append(errs, fmt.Errorf("%w: job %d has no ID", ErrInvalidJob, i))
		case seen[j.ID]:
			errs = append(errs, fmt.Errorf("%w: duplicate job ID %q", ErrInvalidJob, j.ID))
		case j.Schedule == nil:
			errs = append(errs, fmt.Errorf("%w: job %q has no schedule", ErrInvalidJob, j.ID))
		case j.Run == nil:
			errs = append(errs, fmt.Errorf("%w: job %q has no Run func", ErrInvalidJob, j.ID))
		}
		seen[j.ID] = true
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	s.mu.Lock()
	old := make(map[string]*entry, len(s.entries))
	for _, e := range s.entries {
		old[e.job.ID] = e
	}
	now := s.clock.Now().In(s.loc)
	next := make([]*entry, 0, len(jobs))
	for _, j := range jobs {
		e := &entry{job: j}
		if o, ok := old[j.ID]; ok && o.job.Schedule.String() == j.Schedule.String() {
			e.next = o.next
		} else {
			e.next = j.Schedule.Next(now)
		}
		next = append(next, e)
	}
	slices.SortFunc(next, func(a, b *entry) int { return cmp.Compare(a.job.ID, b.job.ID) })
	s.entries = next
	s.mu.Unlock()

	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

// Run fires jobs until ctx is cancelled or Stop is called, then cancels the
// context of running jobs, waits for them to return, and returns ctx's error
// (nil after Stop). A Scheduler runs once: a second Run returns ErrStopped, a
// concurrent one ErrRunning.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	switch s.state {
	case 1:
		s.mu.Unlock()
		return ErrRunning
	case 2:
		s.mu.Unlock()
		return ErrStopped
	}
	s.state = 1
	// Times computed by Set before Run began may be long past: start afresh.
	now := s.clock.Now().In(s.loc)
	for _, e := range s.entries {
		e.next = e.job.Schedule.Next(now)
	}
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		s.jobs.Wait()
		s.mu.Lock()
		s.state = 2
		s.mu.Unlock()
		close(s.done)
	}()

	select {
	case <-s.stop:
		return nil
	default:
	}
	for {
		wait := s.tick(ctx)
		var timer Timer
		var fire <-chan time.Time
		if wait >= 0 {
			timer = s.clock.NewTimer(wait)
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return ctx.Err()
		case <-s.stop:
			if timer != nil {
				timer.Stop()
			}
			return nil
		case <-s.changed:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// tick fires every due job and returns how long to sleep before the next one
// is due (capped at maxWait), or -1 if no job will ever fire.
func (s *Scheduler) tick(ctx context.Context) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now().In(s.loc)
	var earliest time.Time
	for _, e := range s.entries {
		if e.next.IsZero() {
			continue
		}
		if !e.next.After(now) {
			s.fireLocked(ctx, e.job, e.next)
			// Firings missed while the process was asleep collapse into this
			// one: resume from now.
			e.next = e.job.Schedule.Next(now)
			if e.next.IsZero() {
				continue
			}
		}
		if earliest.IsZero() || e.next.Before(earliest) {
			earliest = e.next
		}
	}
	if earliest.IsZero() {
		return -1
	}
	return min(earliest.Sub(now), maxWait)
}

func (s *Scheduler) fireLocked(ctx context.Context, j Job, at time.Time) {
	if s.running[j.ID] {
		s.skipped++
		s.log.WarnContext(ctx, "cron: job still running, skipping this firing",
			slog.String("job", j.ID), slog.Time("scheduled", at))
		return
	}
	s.running[j.ID] = true
	s.fired++
	s.jobs.Add(1)
	go s.runJob(ctx, j, at)
}

func (s *Scheduler) runJob(ctx context.Context, j Job, at time.Time) {
	defer s.jobs.Done()
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(ctx, "cron: job panicked", slog.String("job", j.ID), slog.Any("panic", r))
		}
		s.mu.Lock()
		delete(s.running, j.ID)
		s.mu.Unlock()
	}()
	if err := j.Run(ctx, at); err != nil {
		s.log.WarnContext(ctx, "cron: job failed", slog.String("job", j.ID),
			slog.Time("scheduled", at), slog.Any("err", err))
	}
}

// Stop makes Run return (cancelling running jobs' contexts) and waits, bounded
// by ctx, until it has and every job has returned. Stop on a scheduler that
// never ran just prevents a later Run. It is safe to call more than once.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.mu.Lock()
	st := s.state
	if st == 0 {
		s.state = 2
		close(s.done)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cron: stop: waiting for jobs: %w", ctx.Err())
	}
}

// EntryInfo describes one job of the current set.
type EntryInfo struct {
	ID      string
	Expr    string
	Next    time.Time // zero if it will never fire
	Running bool
}

// Stats counts firings since the scheduler was created.
type Stats struct {
	Fired   uint64 // runs started
	Skipped uint64 // firings skipped because the job was still running
	Running int    // runs in progress
}

// Entries lists the current job set, sorted by ID.
func (s *Scheduler) Entries() []EntryInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EntryInfo, len(s.entries))
	for i, e := range s.entries {
		out[i] = EntryInfo{ID: e.job.ID, Expr: e.job.Schedule.String(), Next: e.next, Running: s.running[e.job.ID]}
	}
	return out
}

// Stats returns the scheduler's counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Fired: s.fired, Skipped: s.skipped, Running: len(s.running)}
}
