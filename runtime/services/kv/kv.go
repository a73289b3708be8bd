// Package kv is the persistent per-plugin key-value store behind host-api
// get-data and set-data.
//
// Entries live in one SQL table keyed by (plugin_id, key); every method takes
// the plugin id, so a plugin can only ever see its own keys. The SQL targets
// SQLite (the embedded default, via modernc.org/sqlite; see package sqlitedb).
//
// Give the Store a database of its own, not the one plugin SQL (package
// sqldb) runs on: there, a set-data inside a plugin's db transaction would
// wait for the write lock that transaction holds, and a plugin allowed to
// read every table would read every plugin's entries. The runtime opens a
// separate SQLite file for it (see RATIONALE.md).
package kv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"
	"unicode/utf8"
)

// Default limits.
const (
	DefaultMaxKeyBytes   = 256
	DefaultMaxValueBytes = 1 << 20 // 1 MiB
	DefaultMaxEntries    = 10000
	DefaultTable         = "plugin_kv"
)

// Refusals. Callers branch on them with errors.Is.
var (
	ErrInvalidKey    = errors.New("kv: invalid key")      // empty, too long or not UTF-8
	ErrValueTooLarge = errors.New("kv: value too large")  // over Limits.MaxValueBytes
	ErrQuotaExceeded = errors.New("kv: too many entries") // a new key past Limits.MaxEntries
	ErrInvalidPlugin = errors.New("kv: invalid plugin id")
)

// Limits bound what one plugin may store. Zero fields take the defaults;
// a negative MaxEntries means unlimited.
type Limits struct {
	MaxKeyBytes   int
	MaxValueBytes int
	MaxEntries    int
}

// Options configure a Store.
type Options struct {
	Limits Limits
	// Table is the table name (default "plugin_kv"); letters, digits and _ only.
	Table string
	// Logger receives refusals at debug level (default: slog.Default()).
	Logger *slog.Logger
	// Now stamps updated_at (default time.Now).
	Now func() time.Time
}

// Store is the key-value store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	lim    Limits
	log    *slog.Logger
	now    func() time.Time
	getQ   string
	setQ   string
	delQ   string
	delAll string
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open returns a Store on db, creating its table if it is missing.
func Open(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	t := opts.Table
	if t == "" {
		t = DefaultTable
	}
	if !identRE.MatchString(t) {
		return nil, fmt.Errorf("kv: bad table name %q", t)
	}
	lim := opts.Limits
	if lim.MaxKeyBytes <= 0 {
		lim.MaxKeyBytes = DefaultMaxKeyBytes
	}
	if lim.MaxValueBytes <= 0 {
		lim.MaxValueBytes = DefaultMaxValueBytes
	}
	if lim.MaxEntries == 0 {
		lim.MaxEntries = DefaultMaxEntries
	}
	s := &Store{db: db, lim: lim, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	ddl := `CREATE TABLE IF NOT EXISTS ` + t + ` (
	plugin_id  TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (plugin_id, key)
)`
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return nil, fmt.Errorf("kv: create table %s: %w", t, err)
	}
	s.getQ = `SELECT value FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2`
	// One statement, so the quota check and the write are atomic: a new key
	// is inserted only while the plugin holds fewer than ?5 entries; an
	// existing key is always updated.
	s.setQ = `INSERT INTO ` + t + ` (plugin_id, key, value, updated_at)
SELECT ?1, ?2, ?3, ?4
WHERE ?5 < 0
   OR (SELECT count(*) FROM ` + t + ` WHERE plugin_id = ?1) < ?5
   OR EXISTS (SELECT 1 FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2)
ON CONFLICT (plugin_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
	s.delQ = `DELETE FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2`
	s.delAll = `DELETE FROM ` + t + ` WHERE plugin_id = ?1`
	return s, nil
}

// Limits returns the limits in force.
func (s *Store) Limits() Limits { return s.lim }

func (s *Store) checkKey(pluginID, key string) error {
	if pluginID == "" {
		return ErrInvalidPlugin
	}
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > s.lim.MaxKeyBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidKey, len(key), s.lim.MaxKeyBytes)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: not UTF-8", ErrInvalidKey)
	}
	return nil
}

// Get returns the value stored under key for pluginID; ok is false when
// there is none. An invalid key is reported as an error.
func (s *Store) Get(ctx context.Context, pluginID, key string) (value string, ok bool, err error) {
	if err := s.checkKey(pluginID, key); err != nil {
		return "", false, err
	}
	err = s.db.QueryRowContext(ctx, s.getQ, pluginID, key).Scan(&value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("kv: get %q for %s: %w", key, pluginID, err)
	}
	return value, true, nil
}

// Set stores value under key for pluginID, replacing any previous value.
func (s *Store) Set(ctx context.Context, pluginID, key, value string) error {
	if err := s.checkKey(pluginID, key); err != nil {
		s.log.DebugContext(ctx, "kv: set refused", "plugin", pluginID, "err", err)
		return err
	}
	if len(value) > s.lim.MaxValueBytes {
		err := fmt.Errorf("%w: %d bytes, limit %d", ErrValueTooLarge, len(value), s.lim.MaxValueBytes)
		s.log.DebugContext(ctx, "kv: set refused", "plugin", pluginID, "key", key, "err", err)
		return err
	}
	now := s.now().UTC().Format(time.RFC3339Nano)
	res, err := s.db.ExecContext(ctx, s.setQ, pluginID, key, value, now, s.lim.MaxEntries)
	if err != nil {
		return fmt.Errorf("kv: set %q for %s: %w", key, pluginID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("kv: set %q for %s: %w", key, pluginID, err)
	}
	if n == 0 {
		err := fmt.Errorf("%w: limit %d", ErrQuotaExceeded, s.lim.MaxEntries)
		s.log.DebugContext(ctx, "kv: set refused", "plugin", pluginID, "key", key, "err", err)
		return err
	}
	return nil
}

// Delete removes key for pluginID; it reports whether the key existed.
func (s *Store) Delete(ctx context.Context, pluginID, key string) (bool, error) {
	if err := s.checkKey(pluginID, key); err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, s.delQ, pluginID, key)
	if err != nil {
		return false, fmt.Errorf("kv: delete %q for %s: %w", key, pluginID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("kv: delete %q for %s: %w", key, pluginID, err)
	}
	return n > 0, nil
}

// DeleteAll removes every entry of pluginID (e.g. when it is uninstalled)
// and returns how many there were.
func (s *Store) DeleteAll(ctx context.Context, pluginID string) (int64, error) {
	if pluginID == "" {
		return 0, ErrInvalidPlugin
	}
	res, err := s.db.ExecContext(ctx, s.delAll, pluginID)
	if err != nil {
		return 0, fmt.Errorf("kv: delete all for %s: %w", pluginID, err)
	}
	return res.RowsAffected()
}
