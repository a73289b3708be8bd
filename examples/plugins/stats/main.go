// Command stats keeps site statistics in the host database and publishes
// every change on the event bus:
//
//   - on-login counts logins, in total and per user;
//   - on-post-created / on-post-updated / on-post-deleted count posts and
//     keep each post's view count (the host's view-count) in a table of
//     their own;
//   - on-comment-created counts comments.
//
// Each hook call updates its counters in one transaction (db-begin …
// db-commit; any failure rolls back, so a counter never moves without the
// rows that go with it) and, once committed, emits a "stats.updated" event
// whose data is JSON such as
//
//	{"hook":"on-login","counter":"logins","value":42,"user_id":"u1","user_logins":7}
//
// The tables (plugin_stats_counters, plugin_stats_logins, plugin_stats_posts)
// are created on first use, which needs the host to allow schema changes
// (see README.md); without that permission the plugin logs how to create them.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package main

import (
	"encoding/json"

	"github.com/raisfast/wasmplug/guest/plugin"
	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncommentcreated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onlogin"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostcreated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostdeleted"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostupdated"
)

// EventType is the type of the events the plugin emits.
const EventType = "stats.updated"

func init() {
	onlogin.Export(func(userID string) {
		update("on-login", "logins", event{"user_id": userID}, func(tx *tx, ev event) error {
			if err := tx.exec(`INSERT INTO plugin_stats_logins (user_id, logins, last_login_at) VALUES (?, 1, `+now+`)
				ON CONFLICT (user_id) DO UPDATE SET logins = logins + 1, last_login_at = excluded.last_login_at`, userID); err != nil {
				return err
			}
			n, err := tx.queryInt(`SELECT logins FROM plugin_stats_logins WHERE user_id = ?`, userID)
			ev["user_logins"] = n
			return err
		})
	})
	onpostcreated.Export(func(p plugin.PostOutput) {
		update("on-post-created", "posts.created", event{"post_id": p.ID}, func(tx *tx, ev event) error {
			return tx.exec(`INSERT INTO plugin_stats_posts (post_id, slug, views, created_at, updated_at) VALUES (?, ?, ?, `+now+`, `+now+`)
				ON CONFLICT (post_id) DO UPDATE SET slug = excluded.slug, views = excluded.views, updated_at = excluded.updated_at`,
				p.ID, p.Slug, p.ViewCount)
		})
	})
	onpostupdated.Export(func(p plugin.PostOutput) {
		update("on-post-updated", "posts.updated", event{"post_id": p.ID, "views": p.ViewCount}, func(tx *tx, ev event) error {
			return tx.exec(`INSERT INTO plugin_stats_posts (post_id, slug, views, created_at, updated_at) VALUES (?, ?, ?, `+now+`, `+now+`)
				ON CONFLICT (post_id) DO UPDATE SET slug = excluded.slug, views = excluded.views, updated_at = excluded.updated_at`,
				p.ID, p.Slug, p.ViewCount)
		})
	})
	onpostdeleted.Export(func(id string) {
		update("on-post-deleted", "posts.deleted", event{"post_id": id}, func(tx *tx, ev event) error {
			return tx.exec(`DELETE FROM plugin_stats_posts WHERE post_id = ?`, id)
		})
	})
	oncommentcreated.Export(func(c plugin.CommentInput) {
		update("on-comment-created", "comments.created", event{}, nil)
	})
}

// now is SQLite's current UTC time in RFC 3339.
const now = `strftime('%Y-%m-%dT%H:%M:%SZ', 'now')`

// event is the data of a stats.updated event.
type event map[string]any

// update runs one hook's statistics update in a transaction: it increments
// counter, runs more (if not nil) in the same transaction, commits, and then
// emits the event. On any failure the transaction is rolled back, the error
// logged, and no event emitted.
func update(hook, counter string, ev event, more func(*tx, event) error) {
	t, err := begin()
	if err != nil {
		hostapi.Log("error", hook+": "+err.Error())
		return
	}
	value, err := t.increment(counter)
	if err == nil && more != nil {
		err = more(t, ev)
	}
	if err == nil {
		err = t.commit()
	}
	if err != nil {
		t.rollback()
		hostapi.Log("error", hook+": "+err.Error())
		return
	}
	ev["hook"], ev["counter"], ev["value"] = hook, counter, value
	data, _ := json.Marshal(ev)
	if id := hostapi.EmitEvent(EventType, string(data)); id == "" {
		hostapi.Log("warn", hook+": the host refused the "+EventType+" event")
	}
}

// increment adds one to a counter and returns its new value.
func (t *tx) increment(name string) (int64, error) {
	if err := t.exec(`INSERT INTO plugin_stats_counters (name, value, updated_at) VALUES (?, 1, `+now+`)
		ON CONFLICT (name) DO UPDATE SET value = value + 1, updated_at = excluded.updated_at`, name); err != nil {
		return 0, err
	}
	return t.queryInt(`SELECT value FROM plugin_stats_counters WHERE name = ?`, name)
}

// schema creates the plugin's tables. CREATE TABLE IF NOT EXISTS still
// needs the schema permission (SQLite authorizes a CREATE before it looks
// for the table), so it runs only when a statement found a table missing.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS plugin_stats_counters (
		name TEXT PRIMARY KEY,
		value INTEGER NOT NULL DEFAULT 0,
		updated_at TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS plugin_stats_logins (
		user_id TEXT PRIMARY KEY,
		logins INTEGER NOT NULL DEFAULT 0,
		last_login_at TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS plugin_stats_posts (
		post_id TEXT PRIMARY KEY,
		slug TEXT NOT NULL,
		views INTEGER NOT NULL DEFAULT 0,
		created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL
	)`,
}

func main() {}
