package witdiff

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/wasmtools"
	"go.bytecodealliance.org/wit"
)

// contains fails the test at the first of wants that out lacks.
func contains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q\noutput:\n%s", w, out)
			return
		}
	}
}

func report(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// contract returns the repository's wit/plugin.wit with edits (from, to, …)
// applied, written to a scratch file, and the file's path.
func contract(t *testing.T, pairs ...string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(wasmtools.RepoRoot(), "wit", "plugin.wit"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("wit/plugin.wit no longer contains %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "plugin.wit")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// grow adds one host function and one hook to the contract.
var grow = []string{
	"    emit-event: func(event-type: string, data: string) -> string;\n",
	"    emit-event: func(event-type: string, data: string) -> string;\n    /// Inserts a row; returns its id.\n    db-insert: func(table: string, row: string) -> u64;\n",
	"    on-cron-tick: func(payload: option<string>);\n",
	"    on-cron-tick: func(payload: option<string>);\n    /// Action: a post was archived.\n    on-post-archived: func(id: string);\n",
}

func TestPluginContractGrows(t *testing.T) {
	old := contract(t)
	bumped := contract(t, append(grow, "package raisfast:plugin-wit@0.1.1;", "package raisfast:plugin-wit@0.1.2;")...)
	r, err := Compare(load(t, old), load(t, bumped), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `comparing OLD raisfast:plugin-wit@0.1.1 world plugin-world with NEW raisfast:plugin-wit@0.1.2 world plugin-world
+ func raisfast:plugin-wit/host-api.db-insert: added host function | compatible | old plugins on new host: ok | new plugins on old host: refused at load if they import it
+ hook raisfast:plugin-wit/plugin-hooks.on-post-archived: added hook | compatible | old plugins on new host: ok (they do not export it, so it is not called for them) | new plugins on old host: ok (the old host ignores the extra export)
version: 0.1.1 → 0.1.2, same track 0.1: right for compatible changes
verdict: compatible (plugins built for 0.1.1 load on a host of 0.1.2)
`
	if got := report(t, r); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if !r.OK() {
		t.Error("not OK")
	}
	// semver-check refuses the added hook: a component of the old world
	// lacks an export the new world lists (see semverHookAdded).
	pass, msg, _ := semverCheck(t, old, bumped, Options{})
	if pass || !strings.Contains(msg, "on-post-archived") {
		t.Errorf("semver-check: pass=%v %s", pass, msg)
	}

	same := contract(t, grow...)
	r, err = Compare(load(t, old), load(t, same), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := report(t, r)
	contains(t, out,
		"+ func raisfast:plugin-wit/host-api.db-insert: added host function",
		"version: unchanged at 0.1.1 although the contract changed: additive changes need a bump (0.1.2) for plugins built for NEW to be told apart from plugins built for OLD",
		"verdict: compatible (plugins built for 0.1.1 load on a host of 0.1.1)",
	)
	if !r.OK() {
		t.Error("a compatible change without a bump is noted, not an error")
	}
}

// The hooks that take post-input get 22 flat values, so it is passed in
// memory, and they return option<post-input> through a pointer: a new field
// leaves their core signatures alone, and plugins built for 0.1.1 would load
// and misread the record. That is the case a core-signature check misses.
func TestPluginContractRecordInMemory(t *testing.T) {
	old := contract(t)
	new := contract(t, "        cover-image: option<string>,\n    }",
		"        cover-image: option<string>,\n        /// A summary.\n        summary: option<string>,\n    }",
		"package raisfast:plugin-wit@0.1.1;", "package raisfast:plugin-wit@0.2.0;")
	r, err := Compare(load(t, old), load(t, new), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := report(t, r)
	contains(t, out,
		"~ record raisfast:plugin-wit/types.post-input: field summary added | BREAKING: the canonical ABI layout of post-input changes (88 bytes, align 4, 22 flat values → 100 bytes, align 4, 25 flat values); the functions that pass it keep their core signature (plugin-hooks.on-post-creating, plugin-hooks.on-post-updating)",
		"old plugins on new host: load, but misread post-input values in plugin-hooks.on-post-creating, plugin-hooks.on-post-updating",
		"version: 0.1.1 → 0.2.0 moves to track 0.2, as a breaking change must",
		"verdict: BREAKING for plugins built for 0.1.1 (1 breaking change)",
	)
	if pass, msg, _ := semverCheck(t, old, new, Options{}); pass {
		t.Errorf("semver-check passes a new field: %s", msg)
	}
}

func TestDirectoriesWithDeps(t *testing.T) {
	old, new := filepath.Join("testdata", "deps", "old"), filepath.Join("testdata", "deps", "new")
	r, err := Compare(load(t, old), load(t, new), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := report(t, r)
	contains(t, out,
		"~ package t:clock: dependency version 0.1.0 → 0.1.1 | compatible: core names carry the version, and both are on track 0.1, which hosts match",
		"+ func t:clock/clock.today: added host function | compatible",
		"verdict: compatible (plugins built for 0.1.0 load on a host of 0.1.1)",
	)
	// @since(version = 0.1.1) on today is checked against t:clock's versions.
	if strings.Contains(out, "note:") {
		t.Errorf("unexpected note:\n%s", out)
	}
	pass, msg, applicable := semverCheck(t, old, new, Options{})
	if !applicable || !pass {
		t.Errorf("semver-check: pass=%v applicable=%v %s", pass, applicable, msg)
	}
}

// wasm-tools refuses an @since newer than the package version when it
// parses, so the note is reachable only with a Resolve from elsewhere.
func TestSinceNewerThanPackage(t *testing.T) {
	old := load(t, writeWIT(t, base, "0.1.0"))
	new := load(t, writeWIT(t, base, "0.1.1"))
	id, err := wit.ParseIdent("t:p@0.9.0")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, i := range new.Interfaces {
		if f := i.Functions.Get("count"); f != nil {
			f.Stability = &wit.Stable{Since: *id.Version}
			found = true
		}
	}
	if !found {
		t.Fatal("no function count")
	}
	r, err := Compare(old, new, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "func t:p/host-api.count: @since(version = 0.9.0) is newer than the package version 0.1.1"; !slices.Contains(r.Notes, want) {
		t.Errorf("notes %q lack %q", r.Notes, want)
	}
	if want := "func t:p/host-api.count: @since(version = 0.9.0) but OLD 0.1.0 already has it"; !slices.Contains(r.Notes, want) {
		t.Errorf("notes %q lack %q", r.Notes, want)
	}
}

func TestWorldChoice(t *testing.T) {
	two := strings.Replace(base, "world plugin {", "world other { import host-api; }\n\nworld plugin {", 1)
	old, new := load(t, writeWIT(t, two, "0.1.0")), load(t, writeWIT(t, two, "0.1.0"))
	if _, err := Compare(old, new, Options{}); err == nil || !strings.Contains(err.Error(), "choose one with -world") {
		t.Errorf("two worlds without -world: %v", err)
	}
	for _, w := range []string{"plugin", "t:p/plugin", "t:p/plugin@0.1.0"} {
		r, err := Compare(old, new, Options{World: w})
		if err != nil {
			t.Errorf("-world %s: %v", w, err)
			continue
		}
		if r.OldWorld != "plugin" || len(r.Changes) != 0 {
			t.Errorf("-world %s: world %s, %d changes", w, r.OldWorld, len(r.Changes))
		}
	}
	_, err := Compare(old, new, Options{World: "nope"})
	if err == nil || !strings.Contains(err.Error(), `OLD: world "nope" not found; have t:p/other, t:p/plugin`) {
		t.Errorf("unknown world: %v", err)
	}
	// A world only NEW has: the error names OLD, the side that lacks it.
	_, err = Compare(load(t, writeWIT(t, base, "0.1.0")), new, Options{World: "other"})
	if err == nil || !strings.HasPrefix(err.Error(), "OLD: ") {
		t.Errorf("world only NEW has: %v", err)
	}
}

func TestChangeString(t *testing.T) {
	c := Change{Op: "+", Kind: "func", Subject: "a:b/api.f", What: "added host function", Class: Compatible,
		OldOnNew: "ok", NewOnOld: "refused at load if they import it"}
	if got, want := c.String(), "+ func a:b/api.f: added host function | compatible | old plugins on new host: ok | new plugins on old host: refused at load if they import it"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c = Change{Op: "-", Kind: "hook", Subject: "a:b/h.g", What: "removed hook", Class: Breaking, Why: "it stops", OldOnNew: "x", NewOnOld: "y"}
	if got, want := c.String(), "- hook a:b/h.g: removed hook | BREAKING: it stops | old plugins on new host: x | new plugins on old host: y"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	c = Change{Op: "?", Kind: "func", Subject: "a:b/api.f", What: "changed", Class: NotCompared, Feature: "fancy"}
	if got, want := c.String(), "? func a:b/api.f: changed | unstable (feature fancy), not compared"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
