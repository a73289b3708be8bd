// Package pgcluster makes several host replicas on one PostgreSQL database
// behave as one cluster: [CronClaims] lets exactly one replica run each
// scheduled [[cron]] slot (a claimed-slot row with a lease), and
// [EventRelay] carries the events emitted on one replica to the event
// buses of all the others (a table plus LISTEN/NOTIFY).
//
// Both keep their state in tables of their own, created by [Migrate]:
//
//	wasmplug_cron_claims  one row per (job, slot) claimed; pruned after a day
//	wasmplug_events       every relayed event; pruned after ten minutes
//
// A single node needs neither: the runtime and the event bus work without
// them and without PostgreSQL. docs/scale-out.md describes the topology and
// the failure behaviour.
package pgcluster

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
)

// Table names.
const (
	ClaimsTable = "wasmplug_cron_claims"
	EventsTable = "wasmplug_events"
)

// migrateLock is the advisory lock key that serialises Migrate across
// replicas starting together (concurrent CREATE TABLE IF NOT EXISTS can
// fail on PostgreSQL's catalogue).
const migrateLock = 0x7761736d706c7567 // "wasmplug"

const schema = `
CREATE TABLE IF NOT EXISTS ` + ClaimsTable + ` (
	job         text        NOT NULL,
	slot        timestamptz NOT NULL,
	claimer     text        NOT NULL,
	claimed_at  timestamptz NOT NULL DEFAULT now(),
	lease_until timestamptz NOT NULL,
	finished_at timestamptz,
	attempts    integer     NOT NULL DEFAULT 1,
	PRIMARY KEY (job, slot)
);
CREATE INDEX IF NOT EXISTS ` + ClaimsTable + `_claimed_at ON ` + ClaimsTable + ` (claimed_at);
CREATE TABLE IF NOT EXISTS ` + EventsTable + ` (
	seq        bigserial   PRIMARY KEY,
	id         text        NOT NULL,
	origin     text        NOT NULL,
	source     text        NOT NULL,
	type       text        NOT NULL,
	data       text        NOT NULL,
	emitted_ns bigint      NOT NULL, -- Event.Time, Unix nanoseconds (exact)
	stored_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ` + EventsTable + `_stored_at ON ` + EventsTable + ` (stored_at);
`

// Migrate creates the package's tables if they do not exist. Replicas may
// call it at the same time.
func Migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("pgcluster: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
		return fmt.Errorf("pgcluster: migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("pgcluster: migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("pgcluster: migrate: %w", err)
	}
	return nil
}

// NodeID returns a name for this replica, unique per process start:
// "<hostname>/<pid>/<random>". It names claim holders and event origins.
func NodeID() string {
	h, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", h, os.Getpid(), hex.EncodeToString(b[:]))
}
