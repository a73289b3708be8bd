package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// WAT guests of plugin-world for the HTTP tests (package runtimetest
// supplies the host imports, memory, a bump cabi_realloc and the helpers
// $some, $none, $concat, $utoa). Return areas used below: 512 (option<
// post-input>, 92 bytes), 640 (option<comment-input>, 48), 704 (option<
// content-event>, 32), 768 (emit-event's result). Strings live from 1024.

// testManifest returns a manifest.toml for id subscribing to hooks (name →
// priority), plus extra TOML.
func testManifest(id string, hooks map[string]int, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[plugin]\nid = %q\nname = %q\nversion = \"0.1.0\"\nruntime = \"wasm\"\nentry = \"plugin.wasm\"\n\n", id, "Test "+id)
	for _, h := range slices.Sorted(maps.Keys(hooks)) {
		fmt.Fprintf(&b, "[hooks.%s]\npriority = %d\n\n", h, hooks[h])
	}
	b.WriteString(extra)
	return b.String()
}

// postGuest:
//   - on-post-creating: some(input with title "Title From Plugin" and slug
//     "plugin-slug");
//   - on-post-updating: some(input with title + " (edited)");
//   - on-post-created: set-data("last-slug", slug), vfs-write(
//     "cache/posts/<slug>.json", "{}"), emit-event("post.created", slug);
//   - on-post-updated: set-data("updated-title", title);
//   - on-post-deleted: set-data("deleted", id).
var postGuest = rtt.Guest{
	Data: map[int]string{
		1024: "Title From Plugin", // 17
		1056: "plugin-slug",       // 11
		1072: "last-slug",         // 9
		1088: "cache/posts/",      // 12
		1104: ".json",             // 5
		1112: "{}",                // 2
		1120: "post.created",      // 12
		1136: "deleted",           // 7
		1152: " (edited)",         // 9
		1168: "updated-title",     // 13
	},
	Funcs: `
  (func (export "` + rtt.Export("on-post-creating") + `") (param $p i32) (result i32)
    (i32.store8 (i32.const 512) (i32.const 1))
    (memory.copy (i32.const 516) (local.get $p) (i32.const 88))
    (i32.store (i32.const 516) (i32.const 1024))
    (i32.store (i32.const 520) (i32.const 17))
    (i32.store8 (i32.const 532) (i32.const 1))
    (i32.store (i32.const 536) (i32.const 1056))
    (i32.store (i32.const 540) (i32.const 11))
    (i32.const 512))
  (func (export "` + rtt.Export("on-post-updating") + `") (param $p i32) (result i32)
    (local $tp i32) (local $tl i32)
    (local.set $tp (i32.load (local.get $p)))
    (local.set $tl (i32.load offset=4 (local.get $p)))
    (i32.store8 (i32.const 512) (i32.const 1))
    (memory.copy (i32.const 516) (local.get $p) (i32.const 88))
    (i32.store (i32.const 516) (call $concat (local.get $tp) (local.get $tl) (i32.const 1152) (i32.const 9)))
    (i32.store (i32.const 520) (i32.add (local.get $tl) (i32.const 9)))
    (i32.const 512))
  (func (export "` + rtt.Export("on-post-created") + `") (param $p i32)
    (local $sp i32) (local $sl i32) (local $path i32) (local $pl i32)
    (local.set $sp (i32.load offset=16 (local.get $p)))
    (local.set $sl (i32.load offset=20 (local.get $p)))
    (drop (call $set_data (i32.const 1072) (i32.const 9) (local.get $sp) (local.get $sl)))
    (local.set $path (call $concat (i32.const 1088) (i32.const 12) (local.get $sp) (local.get $sl)))
    (local.set $pl (i32.add (i32.const 12) (local.get $sl)))
    (local.set $path (call $concat (local.get $path) (local.get $pl) (i32.const 1104) (i32.const 5)))
    (local.set $pl (i32.add (local.get $pl) (i32.const 5)))
    (drop (call $vfs_write (local.get $path) (local.get $pl) (i32.const 1112) (i32.const 2)))
    (call $emit_event (i32.const 1120) (i32.const 12) (local.get $sp) (local.get $sl) (i32.const 768)))
  (func (export "` + rtt.Export("on-post-updated") + `") (param $p i32)
    (drop (call $set_data (i32.const 1168) (i32.const 13) (i32.load offset=8 (local.get $p)) (i32.load offset=12 (local.get $p)))))
  (func (export "` + rtt.Export("on-post-deleted") + `") (param $p i32) (param $l i32)
    (drop (call $set_data (i32.const 1136) (i32.const 7) (local.get $p) (local.get $l))))`,
}

// prefixGuest's render-markdown returns some(prefix + input); its
// filter-html returns some(input + suffix).
func prefixGuest(prefix, suffix string) rtt.Guest {
	return rtt.Guest{
		Data: map[int]string{1024: prefix, 2048: suffix},
		Funcs: fmt.Sprintf(`
  (func (export "%s") (param $p i32) (param $l i32) (result i32)
    (call $some (call $concat (i32.const 1024) (i32.const %d) (local.get $p) (local.get $l))
                (i32.add (i32.const %d) (local.get $l))))
  (func (export "%s") (param $p i32) (param $l i32) (result i32)
    (call $some (call $concat (local.get $p) (local.get $l) (i32.const 2048) (i32.const %d))
                (i32.add (i32.const %d) (local.get $l))))`,
			rtt.Export("render-markdown"), len(prefix), len(prefix),
			rtt.Export("filter-html"), len(suffix), len(suffix)),
	}
}

// commentGuest:
//   - on-comment-creating: a comment starting with "!" is rejected (some with
//     content ""); otherwise some(comment with nickname "anon" if none);
//   - on-comment-created: set-data("last-comment", content).
var commentGuest = rtt.Guest{
	Data: map[int]string{1024: "anon", 1040: "last-comment"},
	Funcs: `
  (func (export "` + rtt.Export("on-comment-creating") + `")
      (param $p i32) (param $l i32) (param $t1 i32) (param $p1 i32) (param $l1 i32)
      (param $t2 i32) (param $p2 i32) (param $l2 i32) (param $t3 i32) (param $p3 i32) (param $l3 i32) (result i32)
    (i32.store8 (i32.const 640) (i32.const 1))
    (if (i32.and (i32.gt_u (local.get $l) (i32.const 0)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 33)))
      (then
        (i32.store (i32.const 644) (i32.const 0))
        (i32.store (i32.const 648) (i32.const 0))
        (i32.store8 (i32.const 652) (i32.const 0))
        (i32.store8 (i32.const 664) (i32.const 0))
        (i32.store8 (i32.const 676) (i32.const 0))
        (return (i32.const 640))))
    (i32.store (i32.const 644) (local.get $p))
    (i32.store (i32.const 648) (local.get $l))
    (i32.store8 (i32.const 652) (i32.const 1))
    (if (local.get $t1)
      (then (i32.store (i32.const 656) (local.get $p1)) (i32.store (i32.const 660) (local.get $l1)))
      (else (i32.store (i32.const 656) (i32.const 1024)) (i32.store (i32.const 660) (i32.const 4))))
    (i32.store8 (i32.const 664) (local.get $t2))
    (i32.store (i32.const 668) (local.get $p2))
    (i32.store (i32.const 672) (local.get $l2))
    (i32.store8 (i32.const 676) (local.get $t3))
    (i32.store (i32.const 680) (local.get $p3))
    (i32.store (i32.const 684) (local.get $l3))
    (i32.const 640))
  (func (export "` + rtt.Export("on-comment-created") + `")
      (param $p i32) (param $l i32) (param i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (drop (call $set_data (i32.const 1040) (i32.const 12) (local.get $p) (local.get $l))))`,
}

// contentGuest:
//   - on-content-creating and on-content-updating (one function): data "{}"
//     is rejected (some with data ""); otherwise some(event with data
//     {"stamped":true,"orig":<data>});
//   - on-content-created / on-content-updated: set-data("created"/"updated", data);
//   - on-content-deleted: set-data("deleted", type + "/" + id).
var contentGuest = func() rtt.Guest {
	const prefix = `{"stamped":true,"orig":`
	return rtt.Guest{
		Data: map[int]string{1024: prefix, 1056: "}", 1064: "created", 1072: "updated", 1080: "deleted", 1088: "/"},
		Funcs: fmt.Sprintf(`
  (func $filter (param $tp i32) (param $tl i32) (param $dp i32) (param $dl i32)
      (param $it i32) (param $ip i32) (param $il i32) (result i32)
    (local $d i32)
    (i32.store8 (i32.const 704) (i32.const 1))
    (i32.store (i32.const 708) (local.get $tp))
    (i32.store (i32.const 712) (local.get $tl))
    (i32.store8 (i32.const 724) (local.get $it))
    (i32.store (i32.const 728) (local.get $ip))
    (i32.store (i32.const 732) (local.get $il))
    (if (i32.and (i32.eq (local.get $dl) (i32.const 2)) (i32.eq (i32.load16_u (local.get $dp)) (i32.const 0x7d7b)))
      (then
        (i32.store (i32.const 716) (i32.const 0))
        (i32.store (i32.const 720) (i32.const 0))
        (return (i32.const 704))))
    (local.set $d (call $concat (i32.const 1024) (i32.const %[1]d) (local.get $dp) (local.get $dl)))
    (local.set $d (call $concat (local.get $d) (i32.add (i32.const %[1]d) (local.get $dl)) (i32.const 1056) (i32.const 1)))
    (i32.store (i32.const 716) (local.get $d))
    (i32.store (i32.const 720) (i32.add (i32.const %[2]d) (local.get $dl)))
    (i32.const 704))
  (export "%[3]s" (func $filter))
  (export "%[4]s" (func $filter))
  (func (export "%[5]s") (param i32 i32) (param $dp i32) (param $dl i32) (param i32 i32 i32)
    (drop (call $set_data (i32.const 1064) (i32.const 7) (local.get $dp) (local.get $dl))))
  (func (export "%[6]s") (param i32 i32) (param $dp i32) (param $dl i32) (param i32 i32 i32)
    (drop (call $set_data (i32.const 1072) (i32.const 7) (local.get $dp) (local.get $dl))))
  (func (export "%[7]s") (param $tp i32) (param $tl i32) (param $ip i32) (param $il i32)
    (local $d i32) (local $n i32)
    (local.set $d (call $concat (local.get $tp) (local.get $tl) (i32.const 1088) (i32.const 1)))
    (local.set $n (i32.add (local.get $tl) (i32.const 1)))
    (local.set $d (call $concat (local.get $d) (local.get $n) (local.get $ip) (local.get $il)))
    (drop (call $set_data (i32.const 1080) (i32.const 7) (local.get $d) (i32.add (local.get $n) (local.get $il)))))`,
			len(prefix), len(prefix)+1,
			rtt.Export("on-content-creating"), rtt.Export("on-content-updating"),
			rtt.Export("on-content-created"), rtt.Export("on-content-updated"), rtt.Export("on-content-deleted")),
	}
}()

// loginGuest's on-login stores the user id under "last-login"; its
// on-cron-tick stores the payload under "tick".
var loginGuest = rtt.Guest{
	Data: map[int]string{1024: "last-login", 1040: "tick"},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param $p i32) (param $l i32)
    (drop (call $set_data (i32.const 1024) (i32.const 10) (local.get $p) (local.get $l))))
  (func (export "` + rtt.Export("on-cron-tick") + `") (param $tag i32) (param $p i32) (param $l i32)
    (if (local.get $tag)
      (then (drop (call $set_data (i32.const 1040) (i32.const 4) (local.get $p) (local.get $l))))))`,
}

// trapGuest traps in render-markdown and on-post-creating.
var trapGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    unreachable)
  (func (export "` + rtt.Export("on-post-creating") + `") (param i32) (result i32)
    unreachable)`}
