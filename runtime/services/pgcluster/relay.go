package pgcluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/raisfast/wasmplug/runtime/services/events"
)

// Defaults of RelayOptions.
const (
	DefaultChannel        = "wasmplug_events"
	DefaultRelayQueue     = 1024
	DefaultEventRetention = 10 * time.Minute
	DefaultPublishRetry   = 30 * time.Second
	DefaultMaxBackoff     = 5 * time.Second
	// MaxInlineBytes is the largest event (as JSON) sent inside the NOTIFY
	// payload, whose limit is 8000 bytes; larger events travel by their
	// row's sequence number and receivers read the row.
	MaxInlineBytes = 7000
	// catchUpWindow is how far below the last sequence number seen a
	// reconnected listener looks again: sequence numbers are taken at
	// insert and become visible at commit, so rows committed out of order
	// sit just below it (each replica publishes from one goroutine, so at
	// most one insert per replica is in flight).
	catchUpWindow = 1024
	// catchUpLimit bounds the rows one catch-up delivers.
	catchUpLimit = 10000
	// seenSize is how many sequence numbers are remembered to drop
	// duplicates (a notification and a catch-up row for the same event).
	seenSize = 8192
)

// RelayOptions configure an EventRelay.
type RelayOptions struct {
	// DSN opens the relay's dedicated LISTEN connection (pgx), required.
	DSN string
	// DB stores and reads events (a pool on the same database), required.
	DB *sql.DB
	// Channel is the NOTIFY channel (default "wasmplug_events").
	Channel string
	// Node names this replica as the origin of its events (default NodeID()).
	Node string
	// Queue bounds the events waiting to be published (default 1024); when
	// it is full new events are not relayed (they are still delivered on
	// this replica) and Stats().Dropped grows.
	Queue int
	// Retention is how long relayed events stay in the table, which bounds
	// what a replica whose LISTEN connection dropped can catch up on
	// (default 10 min).
	Retention time.Duration
	// PublishRetry is how long a failing insert is retried before the
	// event is dropped for the cluster (default 30 s).
	PublishRetry time.Duration
	// MaxBackoff caps the wait between reconnection attempts (default 5 s).
	MaxBackoff time.Duration
	// Logger receives connection losses and drops (default slog.Default()).
	Logger *slog.Logger
}

// RelayStats count an EventRelay's work since it started.
type RelayStats struct {
	Published  uint64 // events of this replica stored and notified
	Delivered  uint64 // events of other replicas handed to the local bus
	Dropped    uint64 // events of this replica not relayed (queue full, retries exhausted)
	Reconnects uint64 // LISTEN connections re-established after a loss
	CaughtUp   uint64 // events delivered by a catch-up read rather than a notification
}

// EventRelay carries events between the buses of replicas sharing one
// PostgreSQL database. It implements events.Relay: the Bus of this replica
// hands it every event emitted here; a background publisher stores each in
// wasmplug_events and NOTIFYs its channel in the same statement. A
// listener on a dedicated connection receives the notifications of every
// replica, skips its own (already delivered locally by Emit) and those it
// has seen, and delivers the rest with Bus.Deliver. When the connection
// drops it reconnects with backoff and reads the rows it missed from the
// table (within Retention), so a drop loses nothing younger than that.
type EventRelay struct {
	opts  RelayOptions
	log   *slog.Logger
	queue chan events.Event

	mu      sync.Mutex
	bus     *events.Bus
	started bool
	closed  bool
	cancel  context.CancelFunc
	stopPub chan struct{} // closed by Close: drain the queue and return
	pubDone chan struct{}
	lisDone chan struct{}

	published, delivered, dropped, reconnects, caughtUp atomic.Uint64

	// The listener's state (its goroutine only).
	lastSeq int64
	floor   int64 // the last sequence number at Start: older rows are never delivered
	seen    map[int64]struct{}
	ring    []int64
	ringPos int

	pid atomic.Uint32 // server process of the current LISTEN connection (0: none)
}

// NewEventRelay creates the tables if needed and returns a relay; it does
// nothing until Start.
func NewEventRelay(ctx context.Context, opts RelayOptions) (*EventRelay, error) {
	if opts.DB == nil || opts.DSN == "" {
		return nil, errors.New("pgcluster: NewEventRelay needs DB and DSN")
	}
	if opts.Channel == "" {
		opts.Channel = DefaultChannel
	}
	if opts.Node == "" {
		opts.Node = NodeID()
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultRelayQueue
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultEventRetention
	}
	if opts.PublishRetry <= 0 {
		opts.PublishRetry = DefaultPublishRetry
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := Migrate(ctx, opts.DB); err != nil {
		return nil, err
	}
	return &EventRelay{
		opts: opts, log: opts.Logger,
		queue:   make(chan events.Event, opts.Queue),
		stopPub: make(chan struct{}),
		pubDone: make(chan struct{}),
		lisDone: make(chan struct{}),
		seen:    make(map[int64]struct{}, seenSize),
		ring:    make([]int64, seenSize),
	}, nil
}

var _ events.Relay = (*EventRelay)(nil)

// Node is this replica's origin name.
func (r *EventRelay) Node() string { return r.opts.Node }

// Publish implements events.Relay: it queues ev without blocking.
func (r *EventRelay) Publish(ev events.Event) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		r.dropped.Add(1)
		return
	}
	select {
	case r.queue <- ev:
	default:
		if n := r.dropped.Add(1); n == 1 || n%100 == 0 {
			r.log.Warn("pgcluster: relay queue full, event not relayed", "type", ev.Type, "dropped_total", n)
		}
	}
}

// Start connects the listener (returning the first connection's error, so
// a wrong DSN fails the host's start) and starts relaying: events of other
// replicas go to bus, events queued by Publish go to the database.
func (r *EventRelay) Start(ctx context.Context, bus *events.Bus) error {
	r.mu.Lock()
	if r.started || r.closed {
		r.mu.Unlock()
		return errors.New("pgcluster: EventRelay started twice or closed")
	}
	r.started, r.bus = true, bus
	r.mu.Unlock()

	conn, err := r.listen(ctx, true)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	go r.listenLoop(lctx, conn)
	go r.publishLoop(lctx)
	return nil
}

// Close stops relaying: queued events are published for as long as ctx
// allows, then the listener's connection closes.
func (r *EventRelay) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	started, cancel := r.started, r.cancel
	r.mu.Unlock()
	if !started || cancel == nil {
		return nil
	}
	close(r.stopPub) // the publisher drains the queue, then returns
	var err error
	select {
	case <-r.pubDone:
	case <-ctx.Done():
		err = fmt.Errorf("pgcluster: closing relay: %w", ctx.Err())
	}
	cancel()
	<-r.pubDone
	<-r.lisDone
	return err
}

// Stats returns the relay's counters.
func (r *EventRelay) Stats() RelayStats {
	return RelayStats{
		Published: r.published.Load(), Delivered: r.delivered.Load(), Dropped: r.dropped.Load(),
		Reconnects: r.reconnects.Load(), CaughtUp: r.caughtUp.Load(),
	}
}

// ListenerPID is the server process id of the current LISTEN connection
// (0 when disconnected); tests terminate it to simulate a dropped
// connection.
func (r *EventRelay) ListenerPID() uint32 { return r.pid.Load() }

// envelope is a NOTIFY payload.
type envelope struct {
	Origin string        `json:"o"`
	Seq    int64         `json:"s"`
	Event  *events.Event `json:"e"`
}

const publishSQL = `
WITH ins AS (
	INSERT INTO ` + EventsTable + ` (id, origin, source, type, data, emitted_ns)
	VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq)
SELECT pg_notify($7, json_build_object('o', $2::text, 's', ins.seq, 'e', $8::json)::text) FROM ins`

func (r *EventRelay) publishLoop(ctx context.Context) {
	defer close(r.pubDone)
	prune := time.NewTicker(max(r.opts.Retention/10, time.Second))
	defer prune.Stop()
	for {
		select {
		case ev := <-r.queue:
			r.publish(ctx, ev)
		case <-prune.C:
			r.prune(ctx)
		case <-r.stopPub:
			for {
				select {
				case ev := <-r.queue:
					r.publish(ctx, ev)
				default:
					return
				}
			}
		case <-ctx.Done():
			return
		}
	}
}

func (r *EventRelay) publish(ctx context.Context, ev events.Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		r.dropped.Add(1)
		return
	}
	var inline any
	if len(b) <= MaxInlineBytes {
		inline = string(b)
	}
	deadline := time.Now().Add(r.opts.PublishRetry)
	backoff := 50 * time.Millisecond
	for {
		_, err = r.opts.DB.ExecContext(ctx, publishSQL, ev.ID, r.opts.Node, ev.Source, ev.Type, ev.Data, ev.Time.UnixNano(), r.opts.Channel, inline)
		if err == nil {
			r.published.Add(1)
			return
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			r.dropped.Add(1)
			r.log.Warn("pgcluster: event not relayed", "id", ev.ID, "type", ev.Type, "err", err)
			return
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		backoff = min(2*backoff, r.opts.MaxBackoff)
	}
}

func (r *EventRelay) prune(ctx context.Context) {
	if _, err := r.opts.DB.ExecContext(ctx, `DELETE FROM `+EventsTable+
		` WHERE stored_at < now() - make_interval(secs => $1)`, r.opts.Retention.Seconds()); err != nil && ctx.Err() == nil {
		r.log.Warn("pgcluster: pruning relayed events", "err", err)
	}
}

// listen opens a connection, LISTENs and (the first time) records the
// current last sequence number, so only events after the start are
// delivered; later it catches up on what was missed while disconnected.
func (r *EventRelay) listen(ctx context.Context, first bool) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, r.opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: relay connection: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{r.opts.Channel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("pgcluster: LISTEN: %w", err)
	}
	if first {
		if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM `+EventsTable).Scan(&r.lastSeq); err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("pgcluster: relay start: %w", err)
		}
		r.floor = r.lastSeq
	} else if err := r.catchUp(ctx, conn); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	r.pid.Store(conn.PgConn().PID())
	return conn, nil
}

func (r *EventRelay) listenLoop(ctx context.Context, conn *pgx.Conn) {
	defer close(r.lisDone)
	defer func() {
		r.pid.Store(0)
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err == nil {
			r.handle(ctx, conn, n.Payload)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("pgcluster: relay connection lost, reconnecting", "err", err)
		r.pid.Store(0)
		conn.Close(context.WithoutCancel(ctx))
		backoff := 50 * time.Millisecond
		for {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			c, err := r.listen(ctx, false)
			if err == nil {
				conn = c
				break
			}
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("pgcluster: relay reconnect failed", "err", err, "retry_in", backoff)
			backoff = min(2*backoff, r.opts.MaxBackoff)
		}
		r.reconnects.Add(1)
		r.log.Info("pgcluster: relay reconnected", "last_seq", r.lastSeq)
	}
}

func (r *EventRelay) handle(ctx context.Context, conn *pgx.Conn, payload string) {
	var env envelope
	if err := json.Unmarshal([]byte(payload), &env); err != nil || env.Seq <= 0 {
		r.log.Warn("pgcluster: malformed relay notification ignored", "err", err, "bytes", len(payload))
		return
	}
	if env.Origin == r.opts.Node { // delivered here by Emit already
		r.lastSeq = max(r.lastSeq, env.Seq)
		return
	}
	if _, seen := r.seen[env.Seq]; seen {
		return
	}
	ev := env.Event
	if ev == nil {
		// Too large to travel inline: read its row. If that fails (the
		// connection is going), the seq stays unmarked and the catch-up
		// after the reconnect delivers it.
		var e events.Event
		var ns int64
		err := conn.QueryRow(ctx, `SELECT id, source, type, data, emitted_ns FROM `+EventsTable+` WHERE seq = $1`, env.Seq).
			Scan(&e.ID, &e.Source, &e.Type, &e.Data, &ns)
		if err != nil {
			r.log.Warn("pgcluster: reading a relayed event", "seq", env.Seq, "err", err)
			return
		}
		e.Time = time.Unix(0, ns)
		ev = &e
	}
	r.markSeen(env.Seq)
	r.deliver(*ev)
}

// catchUp delivers the rows of other replicas stored since (a window
// below) the last sequence number seen.
func (r *EventRelay) catchUp(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT seq, id, source, type, data, emitted_ns FROM `+EventsTable+`
		WHERE seq > $1 AND origin <> $2 ORDER BY seq LIMIT $3`, max(r.floor, r.lastSeq-catchUpWindow), r.opts.Node, catchUpLimit)
	if err != nil {
		return fmt.Errorf("pgcluster: relay catch-up: %w", err)
	}
	defer rows.Close()
	var evs []events.Event
	var seqs []int64
	for rows.Next() {
		var seq, ns int64
		var e events.Event
		if err := rows.Scan(&seq, &e.ID, &e.Source, &e.Type, &e.Data, &ns); err != nil {
			return fmt.Errorf("pgcluster: relay catch-up: %w", err)
		}
		e.Time = time.Unix(0, ns)
		evs, seqs = append(evs, e), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgcluster: relay catch-up: %w", err)
	}
	if len(evs) == catchUpLimit {
		r.log.Warn("pgcluster: relay catch-up truncated", "rows", catchUpLimit)
	}
	for i, e := range evs {
		if r.markSeen(seqs[i]) {
			continue
		}
		r.caughtUp.Add(1)
		r.deliver(e)
	}
	return nil
}

// markSeen records seq and reports whether it was already seen.
func (r *EventRelay) markSeen(seq int64) bool {
	if _, ok := r.seen[seq]; ok {
		return true
	}
	if old := r.ring[r.ringPos]; old != 0 {
		delete(r.seen, old)
	}
	r.ring[r.ringPos] = seq
	r.ringPos = (r.ringPos + 1) % len(r.ring)
	r.seen[seq] = struct{}{}
	if seq > r.lastSeq {
		r.lastSeq = seq
	}
	return false
}

func (r *EventRelay) deliver(ev events.Event) {
	r.mu.Lock()
	bus := r.bus
	r.mu.Unlock()
	if err := bus.Deliver(ev); err != nil {
		if !errors.Is(err, events.ErrClosed) {
			r.log.Warn("pgcluster: relayed event refused", "id", ev.ID, "type", ev.Type, "err", err)
		}
		return
	}
	r.delivered.Add(1)
}
