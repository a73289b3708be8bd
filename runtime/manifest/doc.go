// Package manifest reads and validates the manifest.toml of WebAssembly
// plugins.
//
// A plugin is a directory under extensions/plugins holding manifest.toml and
// its module:
//
//	extensions/plugins/my-plugin/
//	├── manifest.toml
//	└── plugin.wasm
//
// [Load] validates one directory, [LoadDir] all of them, [Parse] a manifest
// held in memory. Validation is strict and complete: every problem is
// reported, each as an [*Error] naming the file, the line and the key, and
// together as an [Errors] list. Errors wrap a kind (ErrUnknownKey,
// ErrUnknownHook, ErrUnsupportedRuntime, …) for callers that branch.
//
// # Format
//
//	[plugin]
//	id = "com.example.my-plugin"     # required
//	name = "My WASM Plugin"          # required
//	version = "0.1.0"                # required
//	description = "Adds slugs."      # optional
//	runtime = "wasm"                 # required
//	entry = "plugin.wasm"            # optional
//
//	[hooks.on-post-creating]
//	priority = 10
//
//	[hooks.on-post-created]          # priority defaults to 10
//
//	[[cron]]
//	label = "定时任务"
//	job_type = "my_task"
//	cron_expr = "0 */6 * * *"
//
//	[config]
//	api_base = "https://api.example.com"
//	max_items = 20
//	verbose = false
//
//	[permissions]
//	http_allow = ["api.example.com", "*.example.org"]
//	http_allow_private = false
//	db = "read"
//	db_tables = ["posts", "comments"]
//	vfs_max_bytes = 16777216
//
//	[env]
//	GOGC = 400
//
//	[limits]
//	fuel = 50000000
//
// Top-level keys other than plugin, hooks, cron, config, env, permissions
// and limits are errors, and so is any key not listed below.
//
// # [plugin] (required)
//
//   - id (string, required): the plugin's identity, unique among the loaded
//     plugins; it keys its data store, sandbox directory and logs. Lower-case
//     letters and digits in dot-separated parts which may contain "-" or "_",
//     at most 128 characters: "com.example.my-plugin".
//   - name (string, required): display name.
//   - version (string, required): a semantic version per semver.org 2.0.0,
//     without a leading "v": "0.1.0", "1.2.3-beta.1+build.5".
//   - description (string, optional): one line for people.
//   - runtime (string, required): must be "wasm". Other values belong to
//     other plugin kinds and yield ErrUnsupportedRuntime.
//   - entry (string, optional, default "plugin.wasm"): the module's path
//     relative to the plugin directory, with "/" separators. It may not be
//     absolute, contain "..", or (checked by Load) be a link leading outside
//     the directory; it must exist and be a core WebAssembly module (a
//     component is rejected with a hint).
//
// # [hooks.<name>] (optional, one table per hook)
//
// Subscribes the plugin to the hook <name>, which must be one of the
// contract's hooks (the caller passes their names, from the generated hook
// table; an unknown name is ErrUnknownHook, with a suggestion when it looks
// like a typo). The plugin is called for a hook only if it subscribes here
// and its module exports the hook.
//
//   - priority (integer, optional, default 10, range -1000..1000): plugins
//     run in ascending priority, ties broken by plugin id; for a filter each
//     receives the previous one's output.
//
// # [[cron]] (optional, any number)
//
// Each entry fires the plugin's on-cron-tick hook on a schedule.
//
//   - job_type (string, required): names the job within the plugin; unique
//     per plugin; letters, digits, "_", "." and "-".
//   - cron_expr (string, required): a five-field cron expression (minute hour
//     day-of-month month day-of-week) or @hourly/@daily/@weekly/@monthly/
//     @yearly; see package runtime/cron for the syntax. Evaluated in the
//     server's time zone.
//   - label (string, optional, default job_type): for people.
//
// # [config] (optional)
//
// Free-form settings the plugin reads with the get-config host function.
// Values must be strings, integers, floats or booleans (no tables, arrays or
// dates); get-config returns them as strings: integers in decimal, floats in
// Go's shortest 'g' form, booleans as "true"/"false".
//
// # [permissions] (optional)
//
// What the plugin's host functions may reach. Everything is denied unless
// granted here, except the sandboxed file system, which gets a default quota.
//
//   - http_allow (array of strings, default []: no HTTP): the hosts
//     http-get/http-post may contact. Each entry is a host name
//     ("api.example.com"), a wildcard for every subdomain but not the apex
//     ("*.example.org"), an IP literal ("203.0.113.7", "[2001:db8::1]"), or
//     "*" for any host; any of them may carry ":port" to allow only that port
//     (otherwise every port). Entries are case-insensitive; URLs (with a
//     scheme or path) are rejected.
//   - http_allow_private (boolean, default false): let allowed hosts resolve
//     to loopback, private (RFC 1918, ULA), link-local or unspecified
//     addresses. Off, the host refuses such connections when dialling, which
//     also defeats DNS rebinding.
//   - db ("none" | "read" | "write", default "none"): "read" allows
//     db-query; "write" adds db-execute and db-begin/db-commit/db-rollback.
//   - db_tables (array of strings, default []: every table): restricts SQL to
//     these tables. Requires db = "read" or "write".
//   - db_schema (array of strings, default []): the plugin's own tables, which
//     it may create (CREATE TABLE/INDEX … IF NOT EXISTS through db-execute),
//     alter and drop; they join the allow-list, so with db_schema and no
//     db_tables the plugin touches only them. Requires db = "write".
//   - vfs_max_bytes (integer, default 16777216 = 16 MiB): the most bytes the
//     plugin's sandbox directory may hold; 0 disables the vfs-* functions.
//
// The log, get-config, get-data/set-data, get-post and emit-event host
// functions need no permission.
//
// # [env] (optional)
//
// The guest's environment variables: what WASI environ_get returns to
// every instance of the plugin (in name order), e.g. GOGC or GOMEMLIMIT
// for a standard Go guest. Names are a letter or "_" followed by letters,
// digits or "_"; values are strings, numbers or booleans (written as
// strings) without NUL bytes; at most MaxEnvEntries (64) variables, each
// value at most MaxConfigValueBytes. Without [env] the environment is
// empty: the host's own environment never reaches a plugin.
//
// # [limits] (optional)
//
//   - fuel (integer, 1 to 2^62; default: none): a deterministic budget per
//     hook call, in checks (the function entries and loop iterations of the
//     guest, as runtime/interrupt counts them): a call that would pass more
//     is stopped (runtime.ErrFuelExhausted) and its instance replaced.
//     Unlike the call deadline it does not depend on the machine or its
//     load: a call that fits once always fits. The deadline still applies.
//
// # Limits
//
// A manifest is a few hundred bytes. These bounds keep a broken or hostile
// one from costing the host memory, time or a flood of log text:
//
//   - the file: at most MaxFileBytes (64 KiB). Load, ReadFile and Read
//     refuse a larger one from its size, before reading it (and never read
//     more than the limit plus one byte of a file that grows or has no
//     size); Parse refuses a larger buffer unparsed. A manifest that is not a
//     regular file (a FIFO, a link to /dev/zero) is refused too. The error is
//     an *Error naming the file and the limit, wrapping ErrTooLarge
//     (ErrInvalid for a file that is not regular).
//   - nesting: at most MaxDepth (16) levels of table headers, dotted keys,
//     arrays and inline tables together, checked before parsing (the TOML
//     parser is quadratic or worse in the depth).
//   - [[cron]]: at most MaxCronJobs (64) entries; [config]: at most
//     MaxConfigEntries (256) keys; http_allow and db_tables: at most
//     MaxListEntries (256) entries each. Hooks need no bound of their own:
//     each must be one of the contract's.
//   - strings: plugin.name, plugin.version, a cron label and a cron_expr at
//     most MaxShortBytes (256) bytes; plugin.description and plugin.entry at
//     most MaxLongBytes (1 KiB); a [config] key, a job_type and a db_tables
//     entry at most MaxKeyBytes (128); a [config] string value at most
//     MaxConfigValueBytes (8 KiB); plugin.id at most 128 characters.
//
// A value or list over its bound is an ErrInvalid problem like any other.
//
// # Why walk the tree instead of decoding into structs
//
// BurntSushi/toml matches struct fields case-insensitively ("ID" would pass
// for "id") and stops at the first type error. Decoding into a generic tree
// and checking it key by key is exact, reports every problem at once, and
// makes MetaData.Undecoded unnecessary: any key not explicitly handled is
// reported as unknown. v1.6.0 keeps key positions private, so lines come from
// a small scanner (positions.go).
package manifest
