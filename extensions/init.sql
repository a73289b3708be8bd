-- Run by `pluginhost serve` (and `call`) on the database at every start, before the plugins load
-- (-init-sql extensions/init.sql is the default). This is the administrator's part of deploying
-- plugins that may not change the schema themselves: keep every statement idempotent.

-- com.example.stats (extensions/plugins/stats): [permissions] db = "write" grants no schema
-- changes, so its tables are created here (see examples/plugins/stats/README.md).
CREATE TABLE IF NOT EXISTS plugin_stats_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plugin_stats_logins (user_id TEXT PRIMARY KEY, logins INTEGER NOT NULL DEFAULT 0, last_login_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plugin_stats_posts (post_id TEXT PRIMARY KEY, slug TEXT NOT NULL, views INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
