package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/services/events"
	"github.com/raisfast/wasmplug/runtime/services/pgcluster"
)

// clusterPoolSize bounds the connections the cluster services open when
// they have no pool of their own (claims, renewals, event inserts).
const clusterPoolSize = 4

// cluster is what makes a server one replica among several on one
// PostgreSQL database: cron slots claimed there (one replica runs each)
// and events relayed through it (every replica's bus and /api/events see
// every event). A nil *cluster is a single node; its methods are then
// no-ops returning nil, so newServer calls them unconditionally.
type cluster struct {
	claims *pgcluster.CronClaims
	relay  *pgcluster.EventRelay
	db     *sql.DB // opened here (nil when the caller's pool is used)
}

// isPostgresDSN reports whether a -db value names a PostgreSQL database.
func isPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// clusterServices prepares the cluster services on the PostgreSQL
// database dsn. db is a pool on that database to share (nil: a small one
// of its own is opened). The relay's LISTEN connection is a dedicated one
// opened from dsn. Nothing runs until start.
func clusterServices(ctx context.Context, dsn string, db *sql.DB, log *slog.Logger) (_ *cluster, err error) {
	if !isPostgresDSN(dsn) {
		return nil, fmt.Errorf("cluster: %q is not a postgres:// DSN", dsn)
	}
	c := &cluster{}
	defer func() {
		if err != nil && c.db != nil {
			c.db.Close()
		}
	}()
	if db == nil {
		if db, err = sql.Open("pgx", dsn); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		db.SetMaxOpenConns(clusterPoolSize)
		c.db = db
	}
	node := pgcluster.NodeID()
	log = log.With("node", node)
	if c.claims, err = pgcluster.NewCronClaims(ctx, db, pgcluster.ClaimsOptions{Claimer: node, Logger: log}); err != nil {
		return nil, err
	}
	if c.relay, err = pgcluster.NewEventRelay(ctx, pgcluster.RelayOptions{DSN: dsn, DB: db, Node: node, Logger: log}); err != nil {
		return nil, err
	}
	return c, nil
}

// eventRelay is the events.Options.Relay of the server's bus (nil for a
// single node: an untyped nil, so the bus sees no relay).
func (c *cluster) eventRelay() events.Relay {
	if c == nil {
		return nil
	}
	return c.relay
}

// cronClaims is runtime.Config.CronClaims (nil for a single node).
func (c *cluster) cronClaims() cron.Claims {
	if c == nil {
		return nil
	}
	return c.claims
}

// start connects the relay's listener and delivers other replicas' events
// to bus. Call it after the bus exists and before the runtime starts.
func (c *cluster) start(ctx context.Context, bus *events.Bus) error {
	if c == nil {
		return nil
	}
	return c.relay.Start(ctx, bus)
}

// close stops relaying (publishing what is queued, bounded by ctx) and
// closes the pool opened here. Call it after the runtime closed (no more
// events or cron runs) and before the bus closes.
func (c *cluster) close(ctx context.Context) error {
	if c == nil {
		return nil
	}
	err := c.relay.Close(ctx)
	if c.db != nil {
		err = errors.Join(err, c.db.Close())
	}
	return err
}
