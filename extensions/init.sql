-- Run by `pluginhost serve` (and `call`) on the database at every start, before the plugins load
-- (-init-sql extensions/init.sql is the default). This is the administrator's part of deploying
-- plugins that may not change the schema themselves: keep every statement idempotent. (A plugin
-- whose manifest lists its tables in [permissions] db_schema, as com.example.stats does, creates
-- them itself.)

-- com.example.audit (examples/plugins/audit-rust): the audit trail (id = UUID v7, at = its Unix
-- milliseconds) and the plugin's counters, on the typed data API. TEXT, INTEGER and BIGINT only, so
-- the same statements work on SQLite and PostgreSQL (BIGINT: Unix milliseconds overflow PostgreSQL's
-- 32-bit INTEGER; SQLite gives it integer affinity).
CREATE TABLE IF NOT EXISTS plugin_audit (id TEXT PRIMARY KEY, event TEXT NOT NULL, subject TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS plugin_audit_at ON plugin_audit (at);
CREATE TABLE IF NOT EXISTS plugin_audit_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL DEFAULT 0);
