package pgdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// RoleName is the PostgreSQL role of pluginID's statements on the database
// whose name hashes to dbTag: "wp_" + dbTag + "_" + the plugin id with
// every character but a-z, 0-9 and _ replaced by _ (at most 36 of them) +
// "_" + the first 8 hex digits of the id's SHA-256, so that ids that
// sanitize alike still get roles of their own. At most 55 bytes, under
// PostgreSQL's 63. Every replica on one database derives the same name.
func RoleName(dbTag, pluginID string) string {
	h := sha256.Sum256([]byte(pluginID))
	var b strings.Builder
	for _, r := range strings.ToLower(pluginID) {
		if b.Len() == 36 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "wp_" + dbTag + "_" + b.String() + "_" + hex.EncodeToString(h[:4])
}

func databaseTag(name string) string {
	h := sha256.Sum256([]byte(name))
	return hex.EncodeToString(h[:3])
}

// roleState is what the DB last granted a plugin's role.
type roleState struct {
	mu   sync.Mutex
	name string
	fp   string    // fingerprint of the Permissions granted
	gen  int64     // DB.gen at the time
	at   time.Time // when
}

func fingerprint(p sqldb.Permissions) string {
	t := make([]string, len(p.Tables))
	for i, n := range p.Tables {
		t[i] = strings.ToLower(n)
	}
	slices.Sort(t)
	return fmt.Sprintf("%t%t%t:%s", p.Read, p.Write, p.Schema, strings.Join(t, ","))
}

// role returns pluginID's role, (re)granting its privileges first when perm
// differs from what was granted, when a plugin changed the schema through
// this DB since, or when Options.ResyncInterval has passed.
func (d *DB) role(ctx context.Context, pluginID string, perm sqldb.Permissions) (string, error) {
	d.mu.Lock()
	st := d.roles[pluginID]
	if st == nil {
		st = &roleState{name: RoleName(d.dbTag, pluginID)}
		d.roles[pluginID] = st
	}
	d.mu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	fp, gen := fingerprint(perm), d.gen.Load()
	if st.fp == fp && st.gen == gen && time.Since(st.at) < d.resync {
		return st.name, nil
	}
	if err := d.syncRole(ctx, st.name, perm); err != nil {
		st.fp = ""
		return "", &sqldb.Error{Code: sqldb.CodeSQLError, Err: err, Message: fmt.Sprintf("granting plugin %s its database privileges: %v", pluginID, err)}
	}
	st.fp, st.gen, st.at = fp, gen, time.Now()
	return st.name, nil
}

// roleAttrs are the attributes of every plugin role: it cannot log in and
// has no power beyond the privileges granted to it.
const roleAttrs = "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 0"

// syncRole creates role if it is missing (or resets its attributes) and
// makes its privileges on the host schema exactly perm's:
//
//   - USAGE on the schema with Read or Write, CREATE with Write and Schema;
//   - on every table, view and sequence of the schema that the role does
//     not own (they are its own when a plugin with Schema created them),
//     all privileges revoked, then: SELECT with Read or Write on the tables
//     perm allows (all of the schema's but Options.Internal when
//     perm.Tables is empty, else those listed); INSERT, UPDATE, DELETE with
//     Write; USAGE on the sequences those tables own with Write.
//
// It runs in one transaction under an advisory lock on the role, so
// replicas syncing the same plugin take turns.
func (d *DB) syncRole(ctx context.Context, role string, perm sqldb.Permissions) error {
	if err := d.ensureRole(ctx, role); err != nil {
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('wasmplug.pgdb.grants'), hashtext($1))`, role); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `
SELECT c.relname, c.relkind::text, c.relowner = r.oid,
       coalesce((SELECT t.relname FROM pg_depend dp JOIN pg_class t ON t.oid = dp.refobjid
                 WHERE dp.classid = 'pg_class'::regclass AND dp.objid = c.oid
                   AND dp.refclassid = 'pg_class'::regclass AND dp.deptype IN ('a', 'i') LIMIT 1), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles r
WHERE n.nspname = $1 AND r.rolname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
ORDER BY c.relname`, d.schema, role)
	if err != nil {
		return err
	}
	type rel struct {
		name, kind, owner string
		own               bool
	}
	var rels []rel
	for rows.Next() {
		var r rel
		if err := rows.Scan(&r.name, &r.kind, &r.own, &r.owner); err != nil {
			rows.Close()
			return err
		}
		rels = append(rels, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	q := func(parts ...string) string { return pgx.Identifier(parts).Sanitize() }
	r, schema := q(role), q(d.schema)
	var b strings.Builder
	fmt.Fprintf(&b, "REVOKE ALL ON SCHEMA %s FROM %s;\n", schema, r)
	if perm.Read || perm.Write {
		fmt.Fprintf(&b, "GRANT USAGE ON SCHEMA %s TO %s;\n", schema, r)
	}
	if perm.Write && perm.Schema {
		fmt.Fprintf(&b, "GRANT CREATE ON SCHEMA %s TO %s;\n", schema, r)
	}
	for _, t := range rels {
		if t.own {
			continue
		}
		name := q(d.schema, t.name)
		if t.kind == "S" {
			fmt.Fprintf(&b, "REVOKE ALL ON SEQUENCE %s FROM %s;\n", name, r)
			if perm.Write && t.owner != "" && d.allowed(perm, t.owner) {
				fmt.Fprintf(&b, "GRANT USAGE, SELECT ON SEQUENCE %s TO %s;\n", name, r)
			}
			continue
		}
		fmt.Fprintf(&b, "REVOKE ALL ON TABLE %s FROM %s;\n", name, r)
		if !d.allowed(perm, t.name) {
			continue
		}
		if perm.Read || perm.Write {
			fmt.Fprintf(&b, "GRANT SELECT ON TABLE %s TO %s;\n", name, r)
		}
		if perm.Write && t.kind != "m" {
			fmt.Fprintf(&b, "GRANT INSERT, UPDATE, DELETE ON TABLE %s TO %s;\n", name, r)
		}
	}
	if _, err := tx.ExecContext(ctx, b.String()); err != nil {
		return err
	}
	return tx.Commit()
}

// allowed reports whether perm lets a plugin at table (of the host schema).
func (d *DB) allowed(perm sqldb.Permissions, table string) bool {
	for _, t := range d.internal {
		if strings.EqualFold(t, table) {
			return false
		}
	}
	if len(perm.Tables) == 0 {
		return true
	}
	for _, t := range perm.Tables {
		if strings.EqualFold(t, table) {
			return true
		}
	}
	return false
}

// ensureRole creates role (NOLOGIN, no attributes) unless it exists, or
// puts its attributes back if someone changed them, and makes the host's
// own role a member of it, which SET ROLE needs (a superuser needs none).
// Roles belong to the cluster, not the database, so this runs outside any
// transaction and tolerates a replica creating the role at the same time.
func (d *DB) ensureRole(ctx context.Context, role string) error {
	var exists, tame, member bool
	err := d.db.QueryRowContext(ctx, `
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1),
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND NOT rolcanlogin AND NOT rolsuper AND NOT rolcreatedb
               AND NOT rolcreaterole AND NOT rolinherit AND NOT rolreplication AND NOT rolbypassrls AND rolconnlimit = 0),
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER'))`, role).Scan(&exists, &tame, &member)
	if err != nil {
		return err
	}
	r := pgx.Identifier{role}.Sanitize()
	if !exists {
		if _, err := d.db.ExecContext(ctx, "CREATE ROLE "+r+" "+roleAttrs); err != nil && !isCode(err, "42710", "23505") {
			return fmt.Errorf("creating role %s: %w", role, err)
		}
	} else if !tame {
		if _, err := d.db.ExecContext(ctx, "ALTER ROLE "+r+" "+roleAttrs); err != nil {
			return fmt.Errorf("resetting role %s: %w", role, err)
		}
	}
	if !member {
		if _, err := d.db.ExecContext(ctx, "GRANT "+r+" TO CURRENT_USER"); err != nil && !isCode(err, "23505") {
			return fmt.Errorf("making the host a member of role %s: %w", role, err)
		}
	}
	return nil
}

func isCode(err error, codes ...string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && slices.Contains(codes, pe.Code)
}
