//! An audit trail of posts and logins in the host database, written on the typed data API of
//! contract 0.1.1 (`interface data` of `wit/plugin.wit`): no SQL text anywhere, the host writes
//! it for its database (SQLite or PostgreSQL).
//!
//! - `on-post-created`, `on-post-updated`, `on-post-deleted`, `on-login`: insert a row
//!   (`id` = `new-id`, a UUID v7; `event`; `subject`; `at` = the id's millisecond timestamp) into
//!   `plugin_audit`, and into `[config] mirror_table` too when that is set.
//! - `on-post-creating` (a filter that never changes the post): counts drafts in
//!   `plugin_audit_counters` with `increment` (inserting the counter row the first time).
//! - `on-cron-tick` (`[[cron]]` job `audit_summary`): logs a per-event summary (`count`,
//!   `group-by`, `fetch-one` of the draft counter) and deletes rows older than
//!   `[config] retention_days` (`delete`).
//!
//! Every `db-error` is logged with its kind and message; nothing here panics on host answers.
//! The module is built for wasm32-unknown-unknown, which has no clock: "now" is the timestamp
//! of a fresh UUID v7 from the host.

wit_bindgen::generate!({
    // Relative to this crate's Cargo.toml: the repository's contract.
    path: "../../../wit/plugin.wit",
    world: "plugin-world",
});

use exports::raisfast::plugin_wit::plugin_hooks::*;
use raisfast::plugin_wit::data::{self, Aggregate, Comparison, Condition, DbError, Field, Query, Value};
use raisfast::plugin_wit::host_api;

/// The audit table (extensions/init.sql).
const AUDIT: &str = "plugin_audit";
/// The counters table (extensions/init.sql).
const COUNTERS: &str = "plugin_audit_counters";
/// The counter of drafts seen by on-post-creating.
const DRAFTS_SEEN: &str = "drafts_seen";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const DEFAULT_RETENTION_DAYS: i64 = 30;

/// `kind: message` of a db-error, for the log.
fn describe(e: &DbError) -> String {
    match e {
        DbError::PermissionDenied(m) => format!("permission-denied: {m}"),
        DbError::NoSuchTable(m) => format!("no-such-table: {m}"),
        DbError::NoSuchColumn(m) => format!("no-such-column: {m}"),
        DbError::TypeMismatch(m) => format!("type-mismatch: {m}"),
        DbError::Constraint(m) => format!("constraint: {m}"),
        DbError::Timeout => "timeout".to_string(),
        DbError::TooLarge(m) => format!("too-large: {m}"),
        DbError::Invalid(m) => format!("invalid: {m}"),
        DbError::Unavailable(m) => format!("unavailable: {m}"),
        DbError::Backend(m) => format!("backend: {m}"),
    }
}

fn log_db_error(what: &str, e: &DbError) {
    host_api::log("error", &format!("audit: {what}: {}", describe(e)));
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn field(column: &str, value: Value) -> Field {
    Field { column: column.to_string(), value }
}

fn cond(column: &str, op: Comparison, value: Value) -> Condition {
    Condition { column: column.to_string(), op, value }
}

/// The Unix time in milliseconds of a UUID v7 (its first 48 bits), or None if `id` is not one.
fn uuid7_millis(id: &str) -> Option<i64> {
    let b = id.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[14] != b'7' {
        return None;
    }
    let hex: String = id[..8].chars().chain(id[9..13].chars()).collect();
    i64::from_str_radix(&hex, 16).ok()
}

/// A new UUID v7 from the host and its timestamp.
fn new_id() -> Option<(String, i64)> {
    let id = host_api::new_id();
    match uuid7_millis(&id) {
        Some(ms) => Some((id, ms)),
        None => {
            host_api::log("error", &format!("audit: new-id returned {id:?}, not a UUID v7"));
            None
        }
    }
}

/// The value of `key` in [config] if set and not blank.
fn config(key: &str) -> Option<String> {
    host_api::get_config(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Inserts one audit row (and its copy into mirror_table, if configured).
fn record(event: &str, subject: &str) {
    let Some((id, at)) = new_id() else { return };
    let row = vec![
        field("id", Value::Text(id)),
        field("event", text(event)),
        field("subject", text(subject)),
        field("at", Value::Integer(at)),
    ];
    if let Err(e) = data::insert(AUDIT, &row) {
        log_db_error(&format!("insert {event} into {AUDIT}"), &e);
    }
    if let Some(mirror) = config("mirror_table") {
        if let Err(e) = data::insert(&mirror, &row) {
            log_db_error(&format!("insert {event} into mirror table {mirror}"), &e);
        }
    }
}

/// Adds one to counter `name`, creating it at 1 the first time.
fn bump(name: &str) {
    let filter = vec![cond("name", Comparison::Eq, text(name))];
    // Two tries: another instance may insert the row between our increment and insert.
    for _ in 0..2 {
        match data::increment(COUNTERS, "value", 1, &filter) {
            Ok(0) => {}
            Ok(_) => return,
            Err(e) => return log_db_error(&format!("increment {name}"), &e),
        }
        match data::insert(COUNTERS, &vec![field("name", text(name)), field("value", Value::Integer(1))]) {
            Ok(_) => return,
            Err(DbError::Constraint(_)) => continue, // created meanwhile: increment it
            Err(e) => return log_db_error(&format!("create counter {name}"), &e),
        }
    }
    host_api::log("warn", &format!("audit: counter {name} not updated"));
}

/// The value of counter `name` (0 when it does not exist yet).
fn counter(name: &str) -> Result<i64, DbError> {
    let q = Query {
        columns: vec!["value".to_string()],
        filter: vec![cond("name", Comparison::Eq, text(name))],
        order_by: vec![],
        limit: None,
        offset: None,
    };
    Ok(match data::fetch_one(COUNTERS, &q)? {
        Some(row) => match row.first().map(|f| &f.value) {
            Some(Value::Integer(n)) => *n,
            _ => 0,
        },
        None => 0,
    })
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Integer(n) => n.to_string(),
        Value::Real(x) => x.to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// Logs "audit summary: N rows (event=n, …); drafts seen: d".
fn summary() {
    let total = match data::count(AUDIT, &vec![]) {
        Ok(n) => n,
        Err(e) => return log_db_error("count", &e),
    };
    let groups = match data::group_by(AUDIT, &["event".to_string()], Aggregate::Count, "id", &vec![]) {
        Ok(g) => g,
        Err(e) => return log_db_error("group-by event", &e),
    };
    let per_event: Vec<String> = groups
        .iter()
        .map(|g| {
            let key = g.key.first().map(|f| show(&f.value)).unwrap_or_default();
            format!("{key}={}", show(&g.value))
        })
        .collect();
    let drafts = match counter(DRAFTS_SEEN) {
        Ok(n) => n.to_string(),
        Err(e) => {
            log_db_error("fetch-one drafts_seen", &e);
            "unknown".to_string()
        }
    };
    host_api::log(
        "info",
        &format!("audit summary: {total} rows ({}); drafts seen: {drafts}", per_event.join(", ")),
    );
}

/// Deletes the rows older than retention_days (default 30; 0 keeps everything).
fn prune() {
    let days = match config("retention_days") {
        None => DEFAULT_RETENTION_DAYS,
        Some(v) => match v.parse::<i64>() {
            Ok(d) if (0..=36500).contains(&d) => d,
            _ => {
                host_api::log("warn", &format!("audit: retention_days = {v:?} is not a number of days from 0 to 36500; nothing deleted"));
                return;
            }
        },
    };
    if days == 0 {
        return;
    }
    let Some((_, now)) = new_id() else { return };
    let cutoff = now - days * DAY_MS;
    match data::delete(AUDIT, &vec![cond("at", Comparison::Lt, Value::Integer(cutoff))]) {
        Ok(n) => host_api::log("info", &format!("audit retention: deleted {n} rows older than {days} days")),
        Err(e) => log_db_error("retention delete", &e),
    }
}

struct Plugin;

impl Guest for Plugin {
    fn on_post_creating(input: PostInput) -> Option<PostInput> {
        if input.status.as_deref() == Some("draft") {
            bump(DRAFTS_SEEN);
        }
        None
    }

    fn on_post_updating(_input: PostInput) -> Option<PostInput> {
        None
    }

    fn on_comment_creating(_input: CommentInput) -> Option<CommentInput> {
        None
    }

    fn on_content_creating(_input: ContentEvent) -> Option<ContentEvent> {
        None
    }

    fn on_content_updating(_input: ContentEvent) -> Option<ContentEvent> {
        None
    }

    fn render_markdown(_input: String) -> Option<String> {
        None
    }

    fn filter_html(_input: String) -> Option<String> {
        None
    }

    fn on_post_created(output: PostOutput) {
        record("post.created", &output.id);
    }

    fn on_post_updated(output: PostOutput) {
        record("post.updated", &output.id);
    }

    fn on_post_deleted(id: String) {
        record("post.deleted", &id);
    }

    fn on_comment_created(_input: CommentInput) {}

    fn on_content_created(_input: ContentEvent) {}

    fn on_content_updated(_input: ContentEvent) {}

    fn on_content_deleted(_content_type: String, _id: String) {}

    fn on_login(user_id: String) {
        record("login", &user_id);
    }

    fn on_cron_tick(payload: Option<String>) {
        // The payload is the runtime's JSON (label, job_type, cron_expr, fired_at); this plugin
        // has one [[cron]] entry, so it needs none of it.
        let _ = payload;
        summary();
        prune();
    }
}

export!(Plugin);
