// Package kv is the persistent per-plugin key-value store behind host-api
// get-data and set-data.
//
// Entries live in one SQL table keyed by (plugin_id, key); every method takes
// the plugin id, so a plugin can only ever see its own keys. The SQL runs on
// SQLite (the embedded default, via modernc.org/sqlite; see package
// sqlitedb) and on PostgreSQL (a pgx *sql.DB), chosen by the driver.
//
// On SQLite, give the Store a database of its own, not the one plugin SQL
// (package sqldb) runs on: there, a set-data inside a plugin's db
// transaction would wait for the write lock that transaction holds, and a
// plugin allowed to read every table would read every plugin's entries. The
// runtime opens a separate SQLite file for it (see RATIONALE.md).
//
// On PostgreSQL the Store shares the host's database, which has row locks
// and roles: its tables live in schema Options.Schema (default "wasmplug",
// pgdb.InternalSchema), on which package pgdb grants plugin roles nothing,
// so no plugin SQL can name them. A write takes a transaction-level
// advisory lock on its plugin id first, so concurrent writers of one plugin
// (on any replica) take turns and cannot race past the quotas.
//
// # Quotas
//
// Each plugin may hold at most Limits.MaxEntries keys and Limits.MaxTotalBytes
// bytes of keys plus values (UTF-8 bytes, as stored). Both are checked by the
// statement that writes, so concurrent instances of one plugin cannot race
// past them. The usage is kept per plugin in a second table, <table>_usage,
// maintained by triggers on the entries table (so any write, from this Store
// or not, keeps it right) and recomputed by Open; a write then costs one
// lookup, not a scan of the plugin's entries.
package kv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// Default limits.
const (
	DefaultMaxKeyBytes   = 256
	DefaultMaxValueBytes = 1 << 20 // 1 MiB
	DefaultMaxEntries    = 10000
	DefaultMaxTotalBytes = 16 << 20 // 16 MiB of keys and values per plugin
	DefaultTable         = "plugin_kv"
)

// Refusals. Callers branch on them with errors.Is.
var (
	ErrInvalidKey    = errors.New("kv: invalid key")      // empty, too long or not UTF-8
	ErrValueTooLarge = errors.New("kv: value too large")  // over Limits.MaxValueBytes
	ErrQuotaExceeded = errors.New("kv: too many entries") // a new key past Limits.MaxEntries
	// ErrByteQuotaExceeded: the write would take the plugin's keys and
	// values past Limits.MaxTotalBytes.
	ErrByteQuotaExceeded = errors.New("kv: byte quota exceeded")
	ErrInvalidPlugin     = errors.New("kv: invalid plugin id")
)

// Limits bound what one plugin may store. Zero fields take the defaults;
// a negative MaxEntries or MaxTotalBytes means unlimited.
type Limits struct {
	MaxKeyBytes   int
	MaxValueBytes int
	MaxEntries    int
	// MaxTotalBytes bounds the sum of len(key)+len(value) over the plugin's
	// entries. Replacing a value counts the difference; a write that does not
	// grow the entry is always allowed, so a plugin over a lowered quota can
	// still shrink or delete.
	MaxTotalBytes int64
}

// Options configure a Store.
type Options struct {
	Limits Limits
	// Table is the table name (default "plugin_kv"); letters, digits and _ only.
	Table string
	// Schema is the PostgreSQL schema of the tables (default "wasmplug",
	// created if missing; letters, digits and _ only). Unused on SQLite.
	Schema string
	// Logger receives refusals at debug level (default: slog.Default()).
	Logger *slog.Logger
	// Now stamps updated_at (default time.Now).
	Now func() time.Time
}

// Store is the key-value store. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	pg     bool   // PostgreSQL: writes take an advisory lock first
	table  string // the entries table, schema-qualified on PostgreSQL
	lim    Limits
	log    *slog.Logger
	now    func() time.Time
	getQ   string
	setQ   string
	delQ   string
	delAll string
	usageQ string
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
	if lim.MaxTotalBytes == 0 {
		lim.MaxTotalBytes = DefaultMaxTotalBytes
	}
	dialect := pgdb.DialectOf(db)
	s := &Store{db: db, pg: dialect == sqldb.Postgres, lim: lim, log: opts.Logger, now: opts.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pg {
		schema := opts.Schema
		if schema == "" {
			schema = pgdb.InternalSchema
		}
		if !identRE.MatchString(schema) {
			return nil, fmt.Errorf("kv: bad schema name %q", schema)
		}
		if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil && !isPgDuplicate(err) {
			return nil, fmt.Errorf("kv: create schema %s: %w", schema, err)
		}
		t = schema + "." + t
	}
	s.table = t
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
	if err := s.openUsage(ctx, t); err != nil {
		return nil, err
	}
	u := t + "_usage"
	rb := func(q string) string { return pgdb.Rebind(dialect, q) }
	defer func() {
		s.getQ, s.setQ, s.delQ, s.delAll, s.usageQ = rb(s.getQ), rb(s.setQ), rb(s.delQ), rb(s.delAll), rb(s.usageQ)
	}()
	s.getQ = `SELECT value FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2`
	// One statement, so the quota checks and the write are atomic (SQLite
	// takes the write lock before the statement reads anything):
	//   - entries: a new key is inserted only while the plugin holds fewer
	//     than ?5 entries; an existing key is always updated;
	//   - bytes: the plugin's total without this key's current entry, plus
	//     the new entry (?6 bytes), must stay within ?7; an entry that does
	//     not grow is always written.
	// The usage row is kept by the triggers of openUsage.
	size := `(SELECT octet_length(key) + octet_length(value) FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2)`
	s.setQ = `INSERT INTO ` + t + ` (plugin_id, key, value, updated_at)
SELECT ?1, ?2, ?3, ?4
WHERE (?5 < 0
       OR coalesce((SELECT entries FROM ` + u + ` WHERE plugin_id = ?1), 0) < ?5
       OR EXISTS (SELECT 1 FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2))
  AND (?7 < 0
       OR coalesce((SELECT bytes FROM ` + u + ` WHERE plugin_id = ?1), 0) - coalesce(` + size + `, 0) + ?6 <= ?7
       OR ?6 <= coalesce(` + size + `, -1))
ON CONFLICT (plugin_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
	s.delQ = `DELETE FROM ` + t + ` WHERE plugin_id = ?1 AND key = ?2`
	s.delAll = `DELETE FROM ` + t + ` WHERE plugin_id = ?1`
	s.usageQ = `SELECT entries, bytes FROM ` + u + ` WHERE plugin_id = ?1`
	return s, nil
}

// openUsage creates table t_usage (entries and bytes per plugin) and the
// triggers that keep it in step with t, and recomputes it from t, so a
// table written before the quota existed (or without the triggers) starts
// right.
func (s *Store) openUsage(ctx context.Context, t string) error {
	u := t + "_usage"
	size := func(row string) string {
		return `octet_length(` + row + `.key) + octet_length(` + row + `.value)`
	}
	add := func(row string) string {
		return `INSERT INTO ` + u + ` (plugin_id, entries, bytes) VALUES (` + row + `.plugin_id, 1, ` + size(row) + `)
	ON CONFLICT (plugin_id) DO UPDATE SET entries = entries + 1, bytes = bytes + excluded.bytes;`
	}
	sub := func(row string) string {
		return `UPDATE ` + u + ` SET entries = entries - 1, bytes = bytes - (` + size(row) + `) WHERE plugin_id = ` + row + `.plugin_id;
	DELETE FROM ` + u + ` WHERE plugin_id = ` + row + `.plugin_id AND entries <= 0;`
	}
	ddl := []string{
		`CREATE TABLE IF NOT EXISTS ` + u + ` (
	plugin_id TEXT PRIMARY KEY,
	entries   BIGINT NOT NULL,
	bytes     BIGINT NOT NULL
)`,
	}
	if s.pg {
		ddl = append(ddl, pgUsageTriggers(t, u)...)
	} else {
		ddl = append(ddl,
			`CREATE TRIGGER IF NOT EXISTS `+u+`_insert AFTER INSERT ON `+t+` BEGIN
	`+add("new")+`
END`,
			`CREATE TRIGGER IF NOT EXISTS `+u+`_update AFTER UPDATE ON `+t+` BEGIN
	`+sub("old")+`
	`+add("new")+`
END`,
			`CREATE TRIGGER IF NOT EXISTS `+u+`_delete AFTER DELETE ON `+t+` BEGIN
	`+sub("old")+`
END`)
	}
	for _, q := range ddl {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("kv: create usage table %s: %w", u, err)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("kv: recompute %s: %w", u, err)
	}
	defer tx.Rollback() // after Commit, a no-op
	// The DELETE comes first, so the transaction takes the write lock before
	// it reads the entries; PostgreSQL needs the entries locked against
	// writers (another replica's) explicitly.
	if s.pg {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE `+t+` IN SHARE MODE`); err != nil {
			return fmt.Errorf("kv: recompute %s: %w", u, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+u); err != nil {
		return fmt.Errorf("kv: recompute %s: %w", u, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+u+` (plugin_id, entries, bytes)
SELECT plugin_id, count(*), sum(octet_length(key) + octet_length(value)) FROM `+t+` GROUP BY plugin_id`); err != nil {
		return fmt.Errorf("kv: recompute %s: %w", u, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("kv: recompute %s: %w", u, err)
	}
	return nil
}

// Usage returns how many entries pluginID holds and their size in bytes
// (keys plus values), as the quotas count them.
func (s *Store) Usage(ctx context.Context, pluginID string) (entries int, bytes int64, err error) {
	if pluginID == "" {
		return 0, 0, ErrInvalidPlugin
	}
	err = s.db.QueryRowContext(ctx, s.usageQ, pluginID).Scan(&entries, &bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("kv: usage of %s: %w", pluginID, err)
	}
	return entries, bytes, nil
}

// Table is the entries table, schema-qualified on PostgreSQL.
func (s *Store) Table() string { return s.table }

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
	size := int64(len(key) + len(value))
	if s.lim.MaxTotalBytes >= 0 && size > s.lim.MaxTotalBytes {
		err := fmt.Errorf("%w: entry of %d bytes, quota %d", ErrByteQuotaExceeded, size, s.lim.MaxTotalBytes)
		s.log.DebugContext(ctx, "kv: set refused", "plugin", pluginID, "key", key, "err", err)
		return err
	}
	now := s.now().UTC().Format(time.RFC3339Nano)
	n, err := s.write(ctx, pluginID, func(ctx context.Context, q execer) (sql.Result, error) {
		return q.ExecContext(ctx, s.setQ, pluginID, key, value, now, s.lim.MaxEntries, size, s.lim.MaxTotalBytes)
	})
	if err != nil {
		return fmt.Errorf("kv: set %q for %s: %w", key, pluginID, err)
	}
	if n == 0 {
		err := s.refusal(ctx, pluginID, size)
		s.log.DebugContext(ctx, "kv: set refused", "plugin", pluginID, "key", key, "err", err)
		return err
	}
	return nil
}

// refusal says which quota refused a write of size bytes. It reads the
// usage after the fact, only to word the error: the decision was the
// statement's.
func (s *Store) refusal(ctx context.Context, pluginID string, size int64) error {
	entries, bytes, err := s.Usage(ctx, pluginID)
	if err != nil {
		// Which one is unknown: the error matches both.
		return fmt.Errorf("kv: refused by a quota (%w, %w); reading the usage: %w", ErrQuotaExceeded, ErrByteQuotaExceeded, err)
	}
	if s.lim.MaxEntries >= 0 && entries >= s.lim.MaxEntries && (s.lim.MaxTotalBytes < 0 || bytes+size <= s.lim.MaxTotalBytes) {
		return fmt.Errorf("%w: limit %d", ErrQuotaExceeded, s.lim.MaxEntries)
	}
	return fmt.Errorf("%w: %d bytes stored, entry of %d bytes, quota %d", ErrByteQuotaExceeded, bytes, size, s.lim.MaxTotalBytes)
}

// Delete removes key for pluginID; it reports whether the key existed.
func (s *Store) Delete(ctx context.Context, pluginID, key string) (bool, error) {
	if err := s.checkKey(pluginID, key); err != nil {
		return false, err
	}
	n, err := s.write(ctx, pluginID, func(ctx context.Context, q execer) (sql.Result, error) {
		return q.ExecContext(ctx, s.delQ, pluginID, key)
	})
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
	n, err := s.write(ctx, pluginID, func(ctx context.Context, q execer) (sql.Result, error) {
		return q.ExecContext(ctx, s.delAll, pluginID)
	})
	if err != nil {
		return 0, fmt.Errorf("kv: delete all for %s: %w", pluginID, err)
	}
	return n, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// write runs one writing statement and returns the rows it affected. On
// SQLite the statement alone is atomic (it takes the write lock before it
// reads); on PostgreSQL it runs in a transaction that first takes an
// advisory lock on the plugin, so the usage it reads cannot change under it.
func (s *Store) write(ctx context.Context, pluginID string, fn func(context.Context, execer) (sql.Result, error)) (int64, error) {
	if !s.pg {
		res, err := fn(ctx, s.db)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() // after Commit, a no-op
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('wasmplug.kv'), hashtext($1))`, pluginID); err != nil {
		return 0, err
	}
	res, err := fn(ctx, tx)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// pgUsageTriggers are openUsage's triggers in PL/pgSQL.
func pgUsageTriggers(t, u string) []string {
	fn := u + "_maintain"
	trg := strings.ReplaceAll(u, ".", "_") + "_trigger"
	if i := strings.LastIndexByte(u, '.'); i >= 0 {
		trg = u[i+1:] + "_trigger"
	}
	return []string{
		`CREATE OR REPLACE FUNCTION ` + fn + `() RETURNS trigger LANGUAGE plpgsql AS $kv$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE ` + u + ` SET entries = entries - 1, bytes = bytes - (octet_length(OLD.key) + octet_length(OLD.value)) WHERE plugin_id = OLD.plugin_id;
		DELETE FROM ` + u + ` WHERE plugin_id = OLD.plugin_id AND entries <= 0;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO ` + u + ` AS x (plugin_id, entries, bytes) VALUES (NEW.plugin_id, 1, octet_length(NEW.key) + octet_length(NEW.value))
		ON CONFLICT (plugin_id) DO UPDATE SET entries = x.entries + 1, bytes = x.bytes + excluded.bytes;
	END IF;
	RETURN NULL;
END
$kv$`,
		`CREATE OR REPLACE TRIGGER ` + trg + ` AFTER INSERT OR UPDATE OR DELETE ON ` + t + ` FOR EACH ROW EXECUTE FUNCTION ` + fn + `()`,
	}
}

// isPgDuplicate: a concurrent CREATE SCHEMA IF NOT EXISTS of another
// replica can still fail with a unique violation.
func isPgDuplicate(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06")
}
