-- Run by `pluginhost serve` (and `call`) on the database at every start, before the plugins load
-- (-init-sql extensions/init.sql is the default). This is the administrator's part of deploying
-- plugins that may not change the schema themselves: keep every statement idempotent.

-- com.example.stats (extensions/plugins/stats): [permissions] db = "write" grants no schema
-- changes, so its tables are created here (see examples/plugins/stats/README.md).
CREATE TABLE IF NOT EXISTS plugin_stats_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plugin_stats_logins (user_id TEXT PRIMARY KEY, logins INTEGER NOT NULL DEFAULT 0, last_login_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plugin_stats_posts (post_id TEXT PRIMARY KEY, slug TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);

-- com.example.audit (examples/plugins/audit-rust): the audit trail (id = UUID v7, at = its Unix
-- milliseconds) and the plugin's counters, on the typed data API. TEXT, INTEGER and BIGINT only, so
-- the same statements work on SQLite and PostgreSQL (BIGINT: Unix milliseconds overflow PostgreSQL's
-- 32-bit INTEGER; SQLite gives it integer affinity).
CREATE TABLE IF NOT EXISTS plugin_audit (id TEXT PRIMARY KEY, event TEXT NOT NULL, subject TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS plugin_audit_at ON plugin_audit (at);
CREATE TABLE IF NOT EXISTS plugin_audit_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL DEFAULT 0);
