// Package events is the host's in-process event bus behind host-api
// emit-event.
//
// Emit never blocks on subscribers: each subscription has its own bounded
// queue and goroutine; when a queue is full the event is dropped for that
// subscriber only, and its Dropped counter goes up (and a warning is
// logged, at most once per second per subscription). A subscriber that
// panics is logged and keeps receiving later events. Delivery order is
// preserved per subscription; there is no ordering across subscriptions.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Defaults.
const (
	DefaultBuffer       = 256
	DefaultMaxTypeBytes = 128
	DefaultMaxDataBytes = 1 << 20
)

// Refusals, for errors.Is.
var (
	ErrInvalidType  = errors.New("events: invalid event type")
	ErrDataTooLarge = errors.New("events: data too large")
	ErrClosed       = errors.New("events: bus closed")
)

// Event is one published event.
type Event struct {
	// ID is a UUIDv7: unique and ordered by creation time.
	ID string `json:"id"`
	// Type is what the plugin passed as event-type, e.g. "post.indexed".
	Type string `json:"type"`
	// Source is the id of the plugin that emitted it ("" for the host).
	Source string `json:"source"`
	// Data is the payload as the plugin passed it (JSON by convention).
	Data string `json:"data"`
	// Time is when the event was emitted.
	Time time.Time `json:"time"`
}

// Options configure a Bus.
type Options struct {
	// Buffer is each subscription's queue length (default 256).
	Buffer int
	// MaxTypeBytes bounds the event type (default 128).
	MaxTypeBytes int
	// MaxDataBytes bounds the payload (default 1 MiB).
	MaxDataBytes int
	// Logger receives drops and subscriber panics (default slog.Default()).
	Logger *slog.Logger
	// Now stamps events (default time.Now).
	Now func() time.Time
	// Relay, when set, carries the events emitted here to the other
	// replicas of a cluster (package pgcluster's EventRelay); they come back
	// on those replicas through [Bus.Deliver]. Nil: events stay in this
	// process.
	Relay Relay
}

// Relay carries a replica's events to its peers. Publish is called by
// Emit after the local subscribers have been offered the event; it must
// not block (queue and send in the background) and must not hand the
// event back to this Bus.
type Relay interface {
	Publish(ev Event)
}

// Bus is an in-process publish/subscribe bus. It is safe for concurrent use.
type Bus struct {
	opts Options
	log  *slog.Logger

	mu     sync.RWMutex
	closed bool
	subs   map[*Subscription]struct{}
	wg     sync.WaitGroup
}

// New returns an empty Bus.
func New(opts Options) *Bus {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.MaxTypeBytes <= 0 {
		opts.MaxTypeBytes = DefaultMaxTypeBytes
	}
	if opts.MaxDataBytes <= 0 {
		opts.MaxDataBytes = DefaultMaxDataBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Bus{opts: opts, log: opts.Logger, subs: map[*Subscription]struct{}{}}
}

// validType reports whether t is acceptable as an event type: 1 to
// MaxTypeBytes bytes of letters, digits and . _ - : / (no spaces, no '*',
// which is reserved for patterns).
func (b *Bus) validType(t string) error {
	if t == "" || len(t) > b.opts.MaxTypeBytes {
		return fmt.Errorf("%w: %q (1 to %d bytes)", ErrInvalidType, t, b.opts.MaxTypeBytes)
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:/", r)) {
			return fmt.Errorf("%w: %q has %q", ErrInvalidType, t, r)
		}
	}
	return nil
}

// Emit publishes an event from pluginID and returns its id. It returns as
// soon as the event is queued for every matching subscriber (or dropped for
// those whose queue is full).
func (b *Bus) Emit(ctx context.Context, pluginID, eventType, data string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := b.validType(eventType); err != nil {
		return "", err
	}
	if len(data) > b.opts.MaxDataBytes {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrDataTooLarge, len(data), b.opts.MaxDataBytes)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("events: new id: %w", err)
	}
	ev := Event{ID: id.String(), Type: eventType, Source: pluginID, Data: data, Time: b.opts.Now()}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return "", ErrClosed
	}
	b.fanOutLocked(ev)
	if b.opts.Relay != nil {
		b.opts.Relay.Publish(ev)
	}
	return ev.ID, nil
}

func (b *Bus) fanOutLocked(ev Event) {
	for s := range b.subs {
		if s.match(ev.Type) {
			s.offer(ev)
		}
	}
}

// Deliver hands this Bus's subscribers an event emitted on another
// replica, as it was emitted there (id, source, type, data and time kept).
// It is not relayed again. It refuses what Emit would refuse (a bad type,
// oversized data) and an event without an id.
func (b *Bus) Deliver(ev Event) error {
	if ev.ID == "" {
		return fmt.Errorf("%w: event without an id", ErrInvalidType)
	}
	if err := b.validType(ev.Type); err != nil {
		return err
	}
	if len(ev.Data) > b.opts.MaxDataBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrDataTooLarge, len(ev.Data), b.opts.MaxDataBytes)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	b.fanOutLocked(ev)
	return nil
}

// EmitEvent implements host-api emit-event: it returns the new event's id,
// or "" when the event is refused (the reason is logged at debug level).
func (b *Bus) EmitEvent(ctx context.Context, pluginID, eventType, data string) string {
	id, err := b.Emit(ctx, pluginID, eventType, data)
	if err != nil {
		b.log.DebugContext(ctx, "events: emit refused", "plugin", pluginID, "type", eventType, "err", err)
		return ""
	}
	return id
}

// Handler receives events. It runs on the subscription's own goroutine.
type Handler func(Event)

// Subscription is a registered handler.
type Subscription struct {
	bus     *Bus
	pattern string
	queue   chan Event
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
	lastLog atomic.Int64 // unix nanos of the last drop warning
}

// Subscribe registers h for events whose type matches pattern:
//
//	"post.published"  exactly that type
//	"post.*"          any type starting with "post." (at any depth)
//	"*"               every event
//
// Unsubscribe (or Bus.Close) stops delivery.
func (b *Bus) Subscribe(pattern string, h Handler) (*Subscription, error) {
	if pattern != "*" {
		if err := b.validType(strings.TrimSuffix(pattern, "*")); err != nil || strings.Count(pattern, "*") > 1 ||
			(strings.HasSuffix(pattern, "*") && !strings.HasSuffix(pattern, ".*")) {
			return nil, fmt.Errorf("%w: pattern %q", ErrInvalidType, pattern)
		}
	}
	if h == nil {
		return nil, errors.New("events: nil handler")
	}
	s := &Subscription{bus: b, pattern: pattern, queue: make(chan Event, b.opts.Buffer), done: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	b.subs[s] = struct{}{}
	b.wg.Add(1)
	go s.run(h)
	return s, nil
}

func (s *Subscription) match(t string) bool {
	switch {
	case s.pattern == "*":
		return true
	case strings.HasSuffix(s.pattern, ".*"):
		return strings.HasPrefix(t, s.pattern[:len(s.pattern)-1])
	}
	return t == s.pattern
}

// offer queues ev without blocking; it is called with the bus read-locked.
func (s *Subscription) offer(ev Event) {
	select {
	case <-s.done:
		return
	default:
	}
	select {
	case s.queue <- ev:
	default:
		n := s.dropped.Add(1)
		now := time.Now().UnixNano()
		if last := s.lastLog.Load(); now-last > int64(time.Second) && s.lastLog.CompareAndSwap(last, now) {
			s.bus.log.Warn("events: subscriber too slow, event dropped",
				"pattern", s.pattern, "type", ev.Type, "dropped_total", n)
		}
	}
}

func (s *Subscription) run(h Handler) {
	defer s.bus.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case ev := <-s.queue:
			select {
			case <-s.done:
				return
			default:
			}
			s.deliver(h, ev)
		}
	}
}

func (s *Subscription) deliver(h Handler, ev Event) {
	defer func() {
		if r := recover(); r != nil {
			s.bus.log.Error("events: subscriber panicked", "pattern", s.pattern, "type", ev.Type, "panic", r)
		}
	}()
	h(ev)
}

// Dropped returns how many events were dropped because the queue was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Unsubscribe stops delivery; queued events not yet delivered are
// discarded. It does not wait for a handler that is running (so a handler
// may unsubscribe itself). It is idempotent.
func (s *Subscription) Unsubscribe() {
	s.once.Do(func() {
		close(s.done)
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
	})
}

// Close unsubscribes everyone and waits until running handlers return.
// Emit fails with ErrClosed afterwards.
func (b *Bus) Close() {
	b.mu.Lock()
	b.closed = true
	subs := make([]*Subscription, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.Unsubscribe()
	}
	b.wg.Wait()
}
