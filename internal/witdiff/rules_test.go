package witdiff

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.bytecodealliance.org/wit"
)

// base is the contract the rule cases change: records, an enum, flags and
// a variant shared by host functions and hooks, an unused record, and a
// record of 18 flat values that on-big therefore passes in memory.
const base = `package t:p@{v};

/// Shared records.
interface types {
    /// A post.
    record post {
        /// Its title.
        title: string,
        body: string,
    }
    enum status { draft, published }
    flags perms { read, write }
    variant shape { none, text(string) }
    record spare { x: u32 }
    record big { a: string, b: string, c: string, d: string, e: string, f: string, g: string, h: string, i: string }
}

/// Host functions.
interface host-api {
    use types.{post, status, perms, shape};
    /// Writes a log line.
    log: func(msg: string);
    get-post: func(slug: string) -> option<post>;
    set-status: func(slug: string, s: status) -> perms;
    draw: func(s: shape);
    count: func(n: u32) -> u32;
}

/// Hooks.
interface hooks {
    use types.{post, big};
    on-post: func(p: post) -> option<post>;
    on-login: func(user: string);
    on-big: func(b: big);
}

world plugin {
    import host-api;
    export hooks;
}
`

// edit applies replacements (from, to, from, to, …) to base, failing the
// test later if one does not apply (see ruleCase.check).
func edit(pairs ...string) string {
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			return "EDIT DOES NOT APPLY: " + pairs[i]
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

type ruleCase struct {
	name     string
	old      string // WIT of OLD; base when ""
	new      string // WIT of NEW
	oldV     string // version of OLD's package ({v}); 0.1.0 when ""
	newV     string // version of NEW's package; 0.1.1 when ""
	opts     Options
	want     []string // each must be a substring of some output line
	not      []string // none may be a substring of the output
	breaking int      // breaking changes
	ok       bool     // Report.OK: the exit status 0
	// semver says why `wasm-tools component semver-check` legitimately
	// judges this case differently; "" means it must agree (it passes
	// exactly when there is no breaking change).
	semver string
}

// Where semver-check and witdiff legitimately disagree. semver-check asks
// whether a *component* of the OLD world can be used where one of the NEW
// world is expected: every export NEW lists must exist, and instances
// must carry every type NEW lists. Plugins here are core modules linked
// by name (abi.Link): exports are optional, and types exist only in the
// layout of values that functions pass.
const (
	semverHookAdded = "semver-check needs every export NEW lists; this host treats hooks as optional exports, so an OLD plugin just lacks the new one"
	semverHookGone  = "semver-check lets a component export more than NEW asks; here the plugin's hook silently stops running, which the issue counts as breaking"
	semverTypeOnly  = "semver-check compares instance type exports; in core modules a type no function passes has no presence at all"
)

var ruleCases = []ruleCase{
	{name: "identical", new: base, newV: "0.1.0",
		want: []string{"no changes", "version: 0.1.0, unchanged", "verdict: compatible, no changes"}, ok: true},
	{name: "host function added",
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    db-insert: func(row: string) -> u64;"),
		want: []string{"+ func t:p/host-api.db-insert: added host function | compatible | old plugins on new host: ok | new plugins on old host: refused at load if they import it", "version: 0.1.0 → 0.1.1, same track 0.1: right for compatible changes", "verdict: compatible (plugins built for 0.1.0 load on a host of 0.1.1)"},
		ok:   true},
	{name: "host function added without bump", newV: "0.1.0",
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    db-insert: func(row: string) -> u64;"),
		want: []string{"+ func t:p/host-api.db-insert: added host function", "version: unchanged at 0.1.0 although the contract changed: additive changes need a bump (0.1.1)"},
		ok:   true},
	{name: "host function removed",
		new:      edit("    count: func(n: u32) -> u32;\n", ""),
		want:     []string{"- func t:p/host-api.count: removed host function | BREAKING: plugins built for OLD that import it are refused at load | old plugins on new host: refused at load if they import it | new plugins on old host: ok", "version: breaking change needs 0.2.0 (OLD 0.1.0, NEW 0.1.1 are on the same track 0.1)", "verdict: BREAKING for plugins built for 0.1.0 (1 breaking change; the version bump is wrong too)"},
		breaking: 1},
	{name: "hook added",
		new:    edit("on-login: func(user: string);", "on-login: func(user: string);\n    on-logout: func(user: string);"),
		want:   []string{"+ hook t:p/hooks.on-logout: added hook | compatible | old plugins on new host: ok (they do not export it, so it is not called for them) | new plugins on old host: ok (the old host ignores the extra export)"},
		ok:     true,
		semver: semverHookAdded},
	{name: "hook removed", newV: "0.2.0",
		new:      edit("    on-login: func(user: string);\n", ""),
		want:     []string{"- hook t:p/hooks.on-login: removed hook | BREAKING: the new host never calls it: the behaviour of plugins that export it silently stops | old plugins on new host: load, but their export is ignored: the hook no longer runs", "version: 0.1.0 → 0.2.0 moves to track 0.2, as a breaking change must"},
		not:      []string{"version: breaking change needs"},
		breaking: 1,
		semver:   semverHookGone},
	{name: "param added",
		new:      edit("log: func(msg: string);", "log: func(msg: string, level: u8);"),
		want:     []string{"~ func t:p/host-api.log: params (msg: string) → (msg: string, level: u8) | BREAKING: its core signature changes from (i32 i32) -> () to (i32 i32 i32) -> () | old plugins on new host: refused at load if they import it"},
		breaking: 1},
	{name: "param retyped, same core signature",
		new:      edit("count: func(n: u32) -> u32;", "count: func(n: s32) -> u32;"),
		want:     []string{"~ func t:p/host-api.count: params (n: u32) → (n: s32) | BREAKING: its core signature stays (i32) -> (i32), but the values that cross are different | old plugins on new host: load, but misread its values if they import it"},
		breaking: 1},
	{name: "param renamed",
		new:      edit("count: func(n: u32) -> u32;", "count: func(amount: u32) -> u32;"),
		want:     []string{"~ func t:p/host-api.count: params (n: u32) → (amount: u32) | BREAKING: names are part of the WIT function type", "the same values cross (same core signature and layout), under other names"},
		breaking: 1},
	{name: "result changed",
		new:      edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u64;"),
		want:     []string{"~ func t:p/host-api.count: results u32 → u64 | BREAKING: its core signature changes from (i32) -> (i32) to (i32) -> (i64)"},
		breaking: 1},
	{name: "hook params changed",
		new:      edit("on-login: func(user: string);", "on-login: func(user: string, at: u64);"),
		want:     []string{"~ hook t:p/hooks.on-login: params (user: string) → (user: string, at: u64)", "old plugins on new host: refused at load if they export it"},
		breaking: 1},
	{name: "record field added",
		new: edit("        body: string,\n", "        body: string,\n        summary: string,\n"),
		// get-post returns option<post> through a return pointer, so its
		// core signature stays; on-post takes post flat.
		want: []string{"~ record t:p/types.post: field summary added | BREAKING: the canonical ABI layout of post changes (16 bytes, align 4, 4 flat values → 24 bytes, align 4, 6 flat values); hooks.on-post changes its core signature; host-api.get-post keeps it (the difference shows in the values)",
			"old plugins on new host: refused at load if they use hooks.on-post; load, but misread post values in host-api.get-post"},
		breaking: 1},
	{name: "record field added, every user flat",
		old:      edit("use types.{post, status, perms, shape};", "use types.{post, status, perms, shape, spare};", "draw: func(s: shape);", "draw: func(s: shape);\n    plot: func(p: spare);"),
		new:      edit("use types.{post, status, perms, shape};", "use types.{post, status, perms, shape, spare};", "draw: func(s: shape);", "draw: func(s: shape);\n    plot: func(p: spare);", "record spare { x: u32 }", "record spare { x: u32, y: u64 }"),
		want:     []string{"~ record t:p/types.spare: field y added | BREAKING: the canonical ABI layout of spare changes (4 bytes, align 4, 1 flat values → 16 bytes, align 8, 2 flat values); so every function that passes it changes its core signature (host-api.plot)", "refused at load if they use host-api.plot"},
		breaking: 1},
	{name: "record field removed",
		new:      edit("        body: string,\n", ""),
		want:     []string{"~ record t:p/types.post: field body removed | BREAKING: the canonical ABI layout of post changes"},
		breaking: 1},
	{name: "record fields reordered",
		new:      edit("        title: string,\n        body: string,\n", "        body: string,\n        /// Its title.\n        title: string,\n"),
		want:     []string{"~ record t:p/types.post: fields reordered: title, body → body, title | BREAKING: values land in other fields; the functions that pass it keep their core signature (host-api.get-post, hooks.on-post): plugins load, and the difference shows in the values", "old plugins on new host: load, but misread post values in host-api.get-post, hooks.on-post"},
		breaking: 1},
	{name: "record field retyped",
		new:      edit("        body: string,\n", "        body: list<u8>,\n"),
		want:     []string{"~ record t:p/types.post: field body: string → list<u8> | BREAKING: the layout of post stays, but field body holds another type"},
		breaking: 1},
	{name: "record field renamed",
		new:      edit("        body: string,\n", "        content: string,\n"),
		want:     []string{"~ record t:p/types.post: field body renamed to content | BREAKING: only the name changes, the value stays where it was; used by host-api.get-post, hooks.on-post", "load; host-api.get-post, hooks.on-post pass the same values (only names differ)"},
		breaking: 1},
	{name: "record in memory gets a field",
		new:      edit("h: string, i: string }", "h: string, i: string, j: string }"),
		want:     []string{"~ record t:p/types.big: field j added | BREAKING: the canonical ABI layout of big changes (72 bytes, align 4, 18 flat values → 80 bytes, align 4, 20 flat values); the functions that pass it keep their core signature (hooks.on-big)", "load, but misread big values in hooks.on-big"},
		breaking: 1},
	{name: "enum case added",
		new:      edit("enum status { draft, published }", "enum status { draft, published, archived }"),
		want:     []string{"~ enum t:p/types.status: case archived added | BREAKING: plugins built for OLD cannot take case archived (lifting an unknown case traps)", "(host-api.set-status)"},
		not:      []string{"move to other"},
		breaking: 1},
	{name: "enum case inserted",
		new:      edit("enum status { draft, published }", "enum status { draft, review, published }"),
		want:     []string{"case review added | BREAKING: plugins built for OLD cannot take case review (lifting an unknown case traps); the cases after it move to other discriminants"},
		breaking: 1},
	{name: "enum case removed",
		new:      edit("enum status { draft, published }", "enum status { draft }"),
		want:     []string{"~ enum t:p/types.status: case published removed | BREAKING: plugins built for OLD may still send or expect case published"},
		breaking: 1},
	{name: "flag added",
		new:      edit("flags perms { read, write }", "flags perms { read, write, admin }"),
		want:     []string{"~ flags t:p/types.perms: flag admin added | BREAKING: plugins built for OLD do not know flag admin", "host-api.set-status"},
		breaking: 1},
	{name: "flag removed",
		new:      edit("flags perms { read, write }", "flags perms { write }"),
		want:     []string{"~ flags t:p/types.perms: flag read removed | BREAKING: the bit of flag read is gone; the flags after it move to other bits"},
		breaking: 1},
	{name: "variant case added",
		new:      edit("variant shape { none, text(string) }", "variant shape { none, text(string), blob(list<u8>) }"),
		want:     []string{"~ variant t:p/types.shape: case blob added | BREAKING: plugins built for OLD cannot take case blob", "host-api.draw"},
		breaking: 1},
	{name: "variant payload retyped",
		new:      edit("variant shape { none, text(string) }", "variant shape { none, text(u64) }"),
		want:     []string{"~ variant t:p/types.shape: case text: string → u64 | BREAKING: the canonical ABI layout of shape changes", "refused at load if they use host-api.draw"},
		breaking: 1},
	{name: "type added where hosts import it",
		new:  edit("record spare { x: u32 }", "record spare { x: u32 }\n    record extra { y: u32 }"),
		want: []string{"+ record t:p/types.extra: added type | compatible | old plugins on new host: ok | new plugins on old host: ok"},
		ok:   true},
	{name: "type added to exported interface",
		new:    edit("    on-big: func(b: big);", "    record note { text: string }\n    on-big: func(b: big);"),
		want:   []string{"+ record t:p/hooks.note: added type | compatible"},
		ok:     true,
		semver: semverTypeOnly},
	{name: "unused type changed",
		new:  edit("record spare { x: u32 }", "record spare { x: u32, y: u32 }"),
		want: []string{"~ record t:p/types.spare: field y added | compatible: the canonical ABI layout of spare changes (4 bytes, align 4, 1 flat values → 8 bytes, align 4, 2 flat values); no function uses spare, so no core signature or value that crosses changes"},
		ok:   true},
	{name: "unused type removed",
		new:  edit("    record spare { x: u32 }\n", ""),
		want: []string{"- record t:p/types.spare: removed type | compatible: no function uses spare"},
		ok:   true},
	{name: "type definition changed",
		new:  edit("record spare { x: u32 }", "type spare = u32;\n    type ids = list<spare>;"),
		want: []string{"~ type t:p/types.spare: definition record {x: u32} → u32 | compatible", "+ type t:p/types.ids: added type"},
		ok:   true},
	{name: "imported interface added",
		new:  edit("world plugin {\n    import host-api;", "interface clock { now: func() -> u64; }\n\nworld plugin {\n    import host-api;\n    import clock;"),
		want: []string{"+ interface t:p/clock: added imported interface (functions now) | compatible | old plugins on new host: ok | new plugins on old host: refused at load if they import any of its functions"},
		ok:   true},
	{name: "exported interface added",
		new:    edit("world plugin {\n    import host-api;", "interface admin { on-admin: func(); }\n\nworld plugin {\n    import host-api;\n    export admin;"),
		want:   []string{"+ interface t:p/admin: added exported interface (hooks on-admin) | compatible | old plugins on new host: ok (they do not export it, so it is not called for them)"},
		ok:     true,
		semver: semverHookAdded},
	{name: "imported interface removed",
		new:      edit("    import host-api;\n", ""),
		want:     []string{"- interface t:p/host-api: removed imported interface (functions log, get-post, set-status, draw, count) | BREAKING: plugins built for OLD that import its functions are refused at load"},
		breaking: 1},
	{name: "exported interface removed",
		new:      edit("    export hooks;\n", ""),
		want:     []string{"- interface t:p/hooks: removed exported interface (hooks on-post, on-login, on-big) | BREAKING: the new host never calls its hooks"},
		breaking: 1,
		semver:   semverHookGone},
	{name: "interface renamed",
		new:      strings.ReplaceAll(base, "host-api", "host"),
		want:     []string{"~ interface t:p/host: renamed from t:p/host-api | BREAKING: core names carry the interface name (t:p/host-api@… → t:p/host@…) | old plugins on new host: refused at load if they import any of its functions"},
		not:      []string{"- func", "+ func"},
		breaking: 1},
	{name: "package renamed", newV: "0.2.0",
		new:      strings.Replace(base, "package t:p@", "package t:q@", 1),
		want:     []string{"~ package t:q: renamed from t:p | BREAKING: every core import and export name carries the package name (t:p/<interface>@<version>)"},
		not:      []string{"interface t:q/host-api"},
		breaking: 1},
	{name: "world renamed",
		new:  edit("world plugin {", "world plugin2 {"),
		want: []string{"~ world t:p/plugin2: renamed from plugin | compatible: no core import or export name carries the world's name"},
		ok:   true},
	{name: "doc-only", newV: "0.1.0",
		new: edit("/// Writes a log line.", "/// Writes one line to the host log.", "/// Its title.", "/// The title.", "/// Hooks.\n", ""),
		want: []string{"= func t:p/host-api.log: doc comment changed | doc-only | old plugins on new host: ok | new plugins on old host: ok",
			"= record t:p/types.post: field title: doc comment changed | doc-only",
			"= interface t:p/hooks: doc comment removed | doc-only",
			"version: 0.1.0, unchanged", "verdict: compatible (plugins built for 0.1.0 load on a host of 0.1.0)"},
		not: []string{"although the contract changed"},
		ok:  true},
	{name: "deprecation added",
		new:  edit("    count: func(n: u32) -> u32;", "    @since(version = 0.1.0)\n    @deprecated(version = 0.1.1)\n    count: func(n: u32) -> u32;"),
		want: []string{"~ func t:p/host-api.count: deprecated since 0.1.1 | compatible: deprecation is advice: the item still exists | old plugins on new host: ok | new plugins on old host: ok"},
		not:  []string{"note:"},
		ok:   true},
	{name: "deprecated in a future version",
		new:  edit("    count: func(n: u32) -> u32;", "    @since(version = 0.1.0)\n    @deprecated(version = 0.3.0)\n    count: func(n: u32) -> u32;"),
		want: []string{"note: func t:p/host-api.count: @deprecated(version = 0.3.0) is newer than the package version 0.1.1"},
		ok:   true},
	{name: "since claims OLD had it",
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @since(version = 0.1.0)\n    db-insert: func(row: string) -> u64;"),
		want: []string{"note: func t:p/host-api.db-insert: added, but @since(version = 0.1.0) says OLD 0.1.0 already had it"},
		ok:   true},
	{name: "since of a new item is fine",
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @since(version = 0.1.1)\n    db-insert: func(row: string) -> u64;"),
		want: []string{"+ func t:p/host-api.db-insert: added host function | compatible"},
		not:  []string{"note:"},
		ok:   true},
	{name: "unstable function added, feature off",
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @unstable(feature = fancy)\n    fancy: func();"),
		want: []string{"? func t:p/host-api.fancy: added | unstable (feature fancy), not compared", "version: 0.1.0 → 0.1.1 without contract changes", "verdict: compatible"},
		not:  []string{"+ func"},
		ok:   true},
	{name: "unstable function changed, feature off",
		old:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @unstable(feature = fancy)\n    fancy: func();"),
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @unstable(feature = fancy)\n    fancy: func(x: u32);"),
		want: []string{"? func t:p/host-api.fancy: changed | unstable (feature fancy), not compared"},
		ok:   true},
	{name: "unstable function changed, feature on",
		old:      edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @unstable(feature = fancy)\n    fancy: func();"),
		new:      edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    @unstable(feature = fancy)\n    fancy: func(x: u32);"),
		opts:     Options{Features: []string{"fancy"}},
		want:     []string{"~ func t:p/host-api.fancy: params () → (x: u32) | BREAKING"},
		breaking: 1},
	{name: "unstable interface changed, feature off",
		old:  edit("world plugin {\n    import host-api;", "@unstable(feature = beta)\ninterface beta { b: func(); }\n\nworld plugin {\n    import host-api;\n    @unstable(feature = beta)\n    import beta;"),
		new:  edit("world plugin {\n    import host-api;", "@unstable(feature = beta)\ninterface beta { b: func(x: u8); }\n\nworld plugin {\n    import host-api;\n    @unstable(feature = beta)\n    import beta;"),
		want: []string{"? interface t:p/beta: changed | unstable (feature beta), not compared"},
		ok:   true},
	{name: "function made unstable, feature off",
		new:      edit("    count: func(n: u32) -> u32;", "    @unstable(feature = fancy)\n    count: func(n: u32) -> u32;"),
		want:     []string{"- func t:p/host-api.count: removed host function (NEW has it behind @unstable(feature = fancy), which is not enabled) | BREAKING"},
		breaking: 1},
	{name: "function stabilized, feature off",
		old:  edit("    count: func(n: u32) -> u32;", "    @unstable(feature = fancy)\n    count: func(n: u32) -> u32;"),
		new:  edit("    count: func(n: u32) -> u32;", "    @since(version = 0.1.1)\n    count: func(n: u32) -> u32;"),
		want: []string{"+ func t:p/host-api.count: added host function (OLD has it behind @unstable(feature = fancy), which is not enabled) | compatible"},
		ok:   true},
	{name: "function stabilized, feature on",
		old:  edit("    count: func(n: u32) -> u32;", "    @unstable(feature = fancy)\n    count: func(n: u32) -> u32;"),
		new:  edit("    count: func(n: u32) -> u32;", "    @since(version = 0.1.1)\n    count: func(n: u32) -> u32;"),
		opts: Options{AllFeatures: true},
		want: []string{"~ func t:p/host-api.count: stabilized (was @unstable(feature = fancy)) | compatible"},
		ok:   true},
	{name: "compatible change on a new track", newV: "0.2.0",
		new:  edit("count: func(n: u32) -> u32;", "count: func(n: u32) -> u32;\n    db-insert: func(row: string) -> u64;"),
		want: []string{"version: new track: plugins built for 0.1.x will not load on this host unless it keeps the old major", "verdict: compatible contract on a new track"},
		ok:   true},
	{name: "breaking change in 1.x on the same track", oldV: "1.2.0", newV: "1.3.0",
		new:      edit("    count: func(n: u32) -> u32;\n", ""),
		want:     []string{"version: breaking change needs 2.0.0 (OLD 1.2.0, NEW 1.3.0 are on the same track 1)"},
		breaking: 1},
	{name: "breaking change in 0.0.z", oldV: "0.0.1", newV: "0.0.2",
		new:      edit("    count: func(n: u32) -> u32;\n", ""),
		want:     []string{"version: 0.0.1 → 0.0.2 moves to track 0.0.2, as a breaking change must; plugins built for 0.0.1 need a rebuild or an adapter"},
		breaking: 1},
	{name: "world-level function added",
		new:  edit("    export hooks;\n", "    export hooks;\n    import now: func() -> u64;\n"),
		want: []string{"+ func t:p/plugin.now: added host function | compatible"},
		ok:   true},
}

// writeWIT writes a case's WIT, its version filled in, and returns the path.
func writeWIT(t *testing.T, src, version string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plugin.wit")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(src, "{v}", version)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadMu serializes wit.LoadWIT: go.bytecodealliance.org v0.7.0 shares one
// in-memory wazero compilation cache between the runtimes it creates, and
// concurrent loads panic inside wazero (index out of range in
// moduleEngine.NewFunction). The cases run in parallel otherwise.
var loadMu sync.Mutex

func loadWIT(path string) (*wit.Resolve, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	return wit.LoadWIT(path)
}

func load(t *testing.T, path string) *wit.Resolve {
	t.Helper()
	res, err := loadWIT(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return res
}

func TestRules(t *testing.T) {
	var agree, differ atomic.Int32
	t.Cleanup(func() {
		t.Logf("semver-check agreed on %d of %d cases; %d documented disagreements", agree.Load(), len(ruleCases), differ.Load())
	})
	for _, tc := range ruleCases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			oldV, newV := cmpOr(tc.oldV, "0.1.0"), cmpOr(tc.newV, "0.1.1")
			oldSrc := cmpOr(tc.old, base)
			for _, src := range []string{oldSrc, tc.new} {
				if strings.HasPrefix(src, "EDIT DOES NOT APPLY") {
					t.Fatal(src)
				}
			}
			oldPath, newPath := writeWIT(t, oldSrc, oldV), writeWIT(t, tc.new, newV)
			r, err := Compare(load(t, oldPath), load(t, newPath), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := r.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			contains(t, out, tc.want...)
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q", w)
				}
			}
			if got := r.Breaking(); got != tc.breaking {
				t.Errorf("breaking = %d, want %d", got, tc.breaking)
			}
			if r.OK() != tc.ok {
				t.Errorf("OK = %v, want %v", r.OK(), tc.ok)
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}

			pass, msg, applicable := semverCheck(t, oldPath, newPath, tc.opts)
			if !applicable {
				t.Fatalf("semver-check not applicable: %s", msg)
			}
			compatible := r.Breaking() == 0
			switch {
			case tc.semver == "" && pass != compatible:
				t.Errorf("semver-check passes=%v but witdiff compatible=%v: %s", pass, compatible, msg)
			case tc.semver != "" && pass == compatible:
				t.Errorf("semver-check agrees (passes=%v), but the case documents a disagreement: %s", pass, tc.semver)
			case tc.semver == "":
				agree.Add(1)
			default:
				differ.Add(1)
			}
		})
	}
}
