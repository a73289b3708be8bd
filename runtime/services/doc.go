// Package services groups the host services behind the plugin contract's
// host-api interface (wit/plugin.wit). Each subpackage does one job and knows
// nothing about WebAssembly or generated bindings; a runtime adapter maps the
// generated host-api methods onto them:
//
//	log                          → hostlog
//	get-config                   → config
//	http-get, http-post          → httpc
//	get-data, set-data           → kv
//	get-post                     → posts (PostStore)
//	db-query … db-rollback       → sqldb (one Session per hook call)
//	vfs-read … vfs-stat          → vfs
//	emit-event                   → events
//
// sqlitedb opens the embedded SQLite databases: the host's, which sqldb and
// posts use, and the key-value store's own, which kv uses (a separate file,
// so plugin KV never waits for a plugin's or the host's write lock; see
// RATIONALE.md). docs/host-api.md describes every function as a plugin sees
// it.
package services
