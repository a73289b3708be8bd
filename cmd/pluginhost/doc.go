/*
Command pluginhost is the reference RaisFast host: a small blog API over
embedded SQLite that runs the WebAssembly plugins of extensions/plugins and
calls each hook of wit/plugin.wit at its moment, plus the two tools plugin
authors reach for.

	pluginhost serve [-plugins DIR] [-db FILE] [-addr HOST:PORT] [flags]
	pluginhost check [-build=false] [-json] DIR
	pluginhost call HOOK [-plugins DIR] -json '…' [-trace] [-db FILE]
	pluginhost call on-cron-tick -cron LABEL [-plugins DIR] [-db FILE]
	pluginhost build DIR
	pluginhost version

# serve

With no flags it serves http://127.0.0.1:8080, loads the plugins of
./extensions/plugins and keeps its data in ./data: the SQLite database
data/raisfast.db (created on demand), the plugins' file sandboxes in
data/plugins/<plugin id>/ and wazero's compilation cache in data/cache/.
PLUGIN_WASM_POOL_SIZE sets the instances per plugin (default 4; -pool
overrides it); PLUGIN_<ID>_<KEY> variables override plugins' [config] values
(see docs/host-api.md). extensions/init.sql, if present (-init-sql FILE), is
run on the database at every start before the plugins load: the tables of
plugins that have no schema permission. Other flags: -data, -cache (or
"off"), -watch (hot-reload polling interval, default 2s, 0 disables),
-cron=false, -build=false, -call-timeout, -max-body, -user, -log-level.

serve binds -addr first, so a busy port fails at once, before anything is
built or loaded; requests that arrive while the plugins load wait for
them. Each plugin's compile is logged (plugin id, size) before it starts:
a first start without the compilation cache takes a while per large module.

Before loading, serve builds every Go plugin (a plugin directory with go.mod
or main.go) whose entry wasm is missing or older than its Go sources, with

	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .

in that directory (into a temporary file renamed over the entry, so the
watcher never loads half a module), logging what it builds. While serving it
rebuilds changed sources at the -watch interval; the runtime's watcher then
hot-reloads the new module beside the old one. A build that fails is logged
with the compiler's output, reported by GET /api/plugins (build_problems)
and not retried until the sources change; an older wasm, if any, keeps
serving.

Cron: every [[cron]] entry of a loaded plugin fires on-cron-tick on that
plugin with the payload {"label","job_type","cron_expr","fired_at"} as JSON.

SIGINT or SIGTERM shuts down gracefully: the listener closes, requests in
flight finish (up to 15 s), the runtime drains plugin calls and closes, then
the database.

# The API

Requests and answers are JSON (UTF-8). Request bodies are one JSON object,
decoded strictly: unknown fields are refused, as are trailing data and
bodies over -max-body (5 MiB). Every error is

	{"error": "what is wrong, for people", "code": "machine_code"}

with codes bad_json, unknown_field, empty_body, invalid_input (400),
not_found (404), method_not_allowed (405, with Allow), slug_taken (409),
too_large (413), unsupported_media (415), invalid_post, invalid_comment,
comment_rejected, content_rejected, invalid_content (422), unavailable (503,
shutting down) and internal (500, details only in the log).

The acting user is the X-User-ID header, else -user ("admin"): the
reference host has no authentication and listens on loopback by default.

	POST   /api/posts                  body: post-input {title, content, slug?, excerpt?, category_id?, tag_ids?, status?, cover_image?}
	                                   on-post-creating chain → store → on-post-created; 201 with the post
	GET    /api/posts                  ?status=&category_id=&tag=&limit=&offset= → {"posts": […], "total": n}
	GET    /api/posts/{slug}           the post; an id is taken too (GET /api/posts/{id}), the slug looked up first
	PUT    /api/posts/{id}             body: post-input; title and content replace, omitted optional fields keep their value
	                                   on-post-updating chain → store → on-post-updated; 200 with the post
	DELETE /api/posts/{id}             delete → on-post-deleted(id); 204
	POST   /api/posts/{id}/comments    body: comment-input {content, nickname?, email?, parent_id?}
	                                   on-comment-creating chain → store → on-comment-created; 201 with the comment
	GET    /api/posts/{id}/comments    {"comments": […]}, oldest first
	POST   /api/content/{type}         body: the content, a JSON object
	                                   on-content-creating chain over {content_type, data, id: none} → store with a new id →
	                                   on-content-created with the id; 201 {id, content_type, data, created_at, updated_at}
	GET    /api/content/{type}         ?limit=&offset= → {"items": […], "total": n}
	GET    /api/content/{type}/{id}    the item
	PUT    /api/content/{type}/{id}    body: the new content; on-content-updating chain → store → on-content-updated; 200
	DELETE /api/content/{type}/{id}    delete → on-content-deleted(type, id); 204
	POST   /api/render                 {"markdown": "…"} (or the Markdown itself as text/markdown or text/plain)
	                                   render-markdown chain → filter-html chain → {"html": …, "renderer": "plugins"|"builtin"}
	                                   (bare text/html when Accept asks for text/html)
	POST   /api/login                  {"user_id": "…"} → on-login(user_id); 200
	GET    /api/plugins                loaded plugins (hooks and priorities, cron, pool, calls, failures), each hook's
	                                   subscribers in call order, load problems, Go build problems
	POST   /api/plugins/reload         rescan the plugins directory now, then as GET /api/plugins
	GET    /api/plugins/{id}/data/{key}     a value the plugin stored with set-data (read-only)
	GET    /api/plugins/{id}/files/{path}   a file of the plugin's sandbox (vfs-write), or a directory listing
	GET    /api/events                 ?type=post.*&source=<plugin id>: the last 200 events plugins emitted
	GET    /healthz                    {"status":"ok","plugins":n,"problems":m}; 503 when the database does not answer

Posts are answered in the shape get-post gives plugins: the fields of
post-output in snake_case (absent optional fields null) plus tag_ids and
cover_image. A missing slug is derived from the title; a missing status is
"draft"; "published" stamps published_at once.

# What a request does with the plugins

Filters run in ascending priority (ties by plugin id), each on the previous
output; a plugin returning none keeps the value; a plugin that traps, times
out or fails is skipped (logged, counted in GET /api/plugins) and the
request goes on. The host validates what comes out of the chain, not only
what came in: a filter can make a post invalid (422 invalid_post) or take a
slug that is in use (409). If the request ends while its chain runs (the
client went away), nothing is stored. Actions run after the change is
stored, in priority order, before the answer is sent (so their effects are
visible to the next request), detached from the client's connection; their
failures are logged and never undo the change.

Rejecting. A filter cannot fail a request by failing (failures are
skipped), so rejection is a value:

  - on-comment-creating rejects a comment by returning it with empty (or
    blank) content. The host stores nothing, skips on-comment-created and
    answers 422 {"code":"comment_rejected"}. A blank comment from the client
    is refused before the chain (422 invalid_comment), so blank content after
    the chain always means a plugin rejected it.
  - on-content-creating and on-content-updating reject content by returning
    blank data: 422 {"code":"content_rejected"}, nothing stored, no action.
    Other data must still be a JSON object (else 422 invalid_content). The
    content type and id are the host's: a filter's changes to them are
    ignored (and logged).
  - Posts have no rejection value; a filter may set a status such as
    "draft" or "pending" instead.

Rendering: if the render-markdown chain leaves the text unchanged (no plugin
renders, or all return none or fail), the host does not pass Markdown
through as HTML: it escapes it and wraps paragraphs in <p> ("renderer":
"builtin").

# check

check validates one plugin directory the way serve loads it and prints
OK/FAIL lines: the manifest, the subscribed hooks (each a hook of the
contract and exported by the module), the [[cron]] expressions (with their
next firing; on-cron-tick must be exported), the entry (compiles), the
contract version the plugin was built for and how this host takes it (the
same version, compatible on the same semver track, or refused with why),
the contract (imports and exports match plugin-world: plugin.Link with
OptionalExports of the manifest's hooks, as the runtime does), and finally a
load in a runtime of its own (instantiation and _initialize). It lists the
exports no subscription reaches (WARN) and the host-api imports the module
uses, builds a Go plugin first (-build=false to skip, with a WARN when its
wasm is older than its sources), and exits with status 1 on any failure.
When that build fails and an older wasm exists, check fails and says the
wasm is stale rather than checking the old module. -json prints the same
report as one JSON object:

	{"dir": "…", "ok": false, "checks": [{"status": "ok"|"fail"|"warn", "message": "…", "details": ["…"]}], "notes": ["host-api imports used: …"]}

# build

build builds the Go plugin in DIR (a manifest.toml and a go.mod or main.go)
as serve does, but whether or not its wasm is up to date:

	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <manifest entry> .

into a temporary file renamed over the entry. On failure it prints the
compiler's output on stderr, leaves an older wasm as it was and exits with
status 1.

# call

call loads the plugins of -plugins (building Go plugins first) with the
same services as serve, runs one hook through the runtime (runtime.TraceJSON,
the per-plugin form of runtime.CallJSON) and prints, for a filter, the
chain's final value as JSON (-trace shows each plugin's step on stderr),
for an action one line per subscribed plugin. -json takes the hook's
argument: an object for records (post-input, post-output, comment-input,
content-event), a JSON string for string hooks ('"# Title"'), null or a
string for on-cron-tick, {"content_type":…,"id":…} for on-content-deleted;
"@FILE" reads it from a file and "-" from stdin. Without -db the plugins see
a throw-away database and sandboxes. Exit status 1 when a plugin failed, 2
for bad arguments.

call on-cron-tick -cron LABEL fires one [[cron]] entry by hand: the one with
that label (or PLUGIN/JOB_TYPE when labels are shared), on its plugin
whether or not it subscribes to on-cron-tick, with the payload the
scheduler gives (runtime.FireCron) and fired_at the current minute. An
unknown label is a usage error that lists the entries.

# Embedding in tests

newServer(ctx, serverConfig{PluginsDir: …, DBPath: …}) returns a *server
that is an http.Handler: httptest.NewServer(s), or listenAndServe(ctx, s,
"127.0.0.1:0", ready) for a real listener; Close releases everything. Set
Build to build Go plugins first (as serve does), InitSQL for
extensions/init.sql, Clock for a manual cron clock (runtime/cron/crontest),
WatchInterval for hot reload.
*/
package main
