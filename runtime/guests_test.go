package runtime

import (
	"fmt"

	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// Test guests, written in WAT (see package runtimetest for the helpers
// $some, $none, $concat, $utoa, $hex64 and the host imports).

// prefixGuest's render-markdown returns some(prefix + input).
func prefixGuest(prefix string) rtt.Guest {
	return rtt.Guest{
		Data: map[int]string{1024: prefix},
		Funcs: fmt.Sprintf(`
  (func (export "%s") (param $p i32) (param $l i32) (result i32)
    (call $some (call $concat (i32.const 1024) (i32.const %d) (local.get $p) (local.get $l))
                (i32.add (i32.const %d) (local.get $l))))`, rtt.Export("render-markdown"), len(prefix), len(prefix)),
	}
}

// noneGuest's render-markdown returns none.
var noneGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (call $none))`}

// trapGuest traps in render-markdown and on-login.
var trapGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    unreachable)
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    unreachable)`}

// counterGuest's render-markdown returns the number of calls this instance
// has served (a global); its filter-html loops forever.
var counterGuest = rtt.Guest{
	Globals: `(global $n (mut i32) (i32.const 0))`,
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (call $utoa (global.get $n))
    (call $some))
  (func (export "` + rtt.Export("filter-html") + `") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (call $none))`,
}

// hitGuest's on-login stores the user id under "hit" with set-data.
var hitGuest = rtt.Guest{
	Data: map[int]string{1024: "hit"},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param $p i32) (param $l i32)
    (drop (call $set_data (i32.const 1024) (i32.const 3) (local.get $p) (local.get $l))))`,
}

// dbGuest inserts a row inside a transaction: on-login leaves it open,
// on-post-deleted commits it, on-content-deleted traps after inserting.
// Each writes the JSON answers of db-begin and db-execute to the files
// "begin" and "execute" of its sandbox.
var dbGuest = func() rtt.Guest {
	const insert = "INSERT INTO t (v) VALUES ('x')"
	body := fmt.Sprintf(`
    (call $db_begin (i32.const 128))
    (drop (call $vfs_write (i32.const 1100) (i32.const 5) (i32.load (i32.const 128)) (i32.load (i32.const 132))))
    (call $db_execute (i32.const 1024) (i32.const %d) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 128))
    (drop (call $vfs_write (i32.const 1110) (i32.const 7) (i32.load (i32.const 128)) (i32.load (i32.const 132))))`, len(insert))
	return rtt.Guest{
		Data: map[int]string{1024: insert, 1100: "begin", 1110: "execute"},
		Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)` + body + `)
  (func (export "` + rtt.Export("on-post-deleted") + `") (param i32 i32)` + body + `
    (call $db_commit (i32.const 128)))
  (func (export "` + rtt.Export("on-content-deleted") + `") (param i32 i32 i32 i32)` + body + `
    unreachable)`,
	}
}()

// kvTxGuest's on-login uses the key-value store inside its own database
// transaction: db-begin, set-data("k", argument), get-data("k"), an insert
// into t, db-commit; then it stores what get-data returned under "got" and
// db-commit's answer under "commit".
var kvTxGuest = func() rtt.Guest {
	const insert = "INSERT INTO t (v) VALUES ('x')"
	return rtt.Guest{
		Data: map[int]string{1024: "k", 1030: "got", 1034: "commit", 1040: insert},
		Funcs: fmt.Sprintf(`
  (func (export "%s") (param $p i32) (param $l i32)
    (call $db_begin (i32.const 128))
    (drop (call $set_data (i32.const 1024) (i32.const 1) (local.get $p) (local.get $l)))
    (call $get_data (i32.const 1024) (i32.const 1) (i32.const 256))
    (call $db_execute (i32.const 1040) (i32.const %d) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 128))
    (call $db_commit (i32.const 128))
    (if (i32.load8_u (i32.const 256))
      (then (drop (call $set_data (i32.const 1030) (i32.const 3) (i32.load (i32.const 260)) (i32.load (i32.const 264))))))
    (drop (call $set_data (i32.const 1034) (i32.const 6) (i32.load (i32.const 128)) (i32.load (i32.const 132)))))`,
			rtt.Export("on-login"), len(insert)),
	}
}()

// clockGuest's render-markdown returns the WASI realtime clock as 16 hex
// digits of nanoseconds since the epoch.
var clockGuest = rtt.Guest{
	Imports: `
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))`,
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (if (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 256)) (then unreachable))
    (call $some (call $hex64 (i64.load (i32.const 256))) (i32.const 16)))`,
}

// cronGuest's on-cron-tick stores its payload under "tick".
var cronGuest = rtt.Guest{
	Data: map[int]string{1024: "tick"},
	Funcs: `
  (func (export "` + rtt.Export("on-cron-tick") + `") (param $tag i32) (param $p i32) (param $l i32)
    (if (local.get $tag)
      (then (drop (call $set_data (i32.const 1024) (i32.const 4) (local.get $p) (local.get $l))))))`,
}

// initTrapGuest traps in _initialize.
var initTrapGuest = rtt.Guest{
	Init: "unreachable",
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (call $none))`,
}

// growGuest's render-markdown tries to grow memory by 100 pages and returns
// "grown" or "denied".
var growGuest = rtt.Guest{
	Data: map[int]string{1024: "grown", 1040: "denied"},
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (if (result i32) (i32.eq (memory.grow (i32.const 100)) (i32.const -1))
      (then (call $some (i32.const 1040) (i32.const 6)))
      (else (call $some (i32.const 1024) (i32.const 5)))))`,
}

// fetchGuest's on-login treats its argument as a URL: it stores the body
// of http-get under "body".
var fetchGuest = rtt.Guest{
	Data: map[int]string{1024: "body"},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param $p i32) (param $l i32)
    (call $http_get (local.get $p) (local.get $l) (i32.const 128))
    (if (i32.load8_u (i32.const 128))
      (then (drop (call $set_data (i32.const 1024) (i32.const 4) (i32.load (i32.const 132)) (i32.load (i32.const 136)))))))`,
}

// printGuest's render-markdown writes "hello\npartial" to stdout and
// "oops\n" to stderr through WASI fd_write, and returns none.
var printGuest = rtt.Guest{
	Imports: `
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))`,
	Data: map[int]string{1024: "hello\npartial", 1040: "oops\n"},
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (i32.store (i32.const 512) (i32.const 1024))
    (i32.store (i32.const 516) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 520)))
    (i32.store (i32.const 512) (i32.const 1040))
    (i32.store (i32.const 516) (i32.const 5))
    (drop (call $fd_write (i32.const 2) (i32.const 512) (i32.const 1) (i32.const 520)))
    (call $none))`,
}

// sleepGuest waits 60 s through WASI poll_oneoff (one relative monotonic
// clock subscription), as Go's time.Sleep, C's nanosleep and Rust's
// thread::sleep do: in render-markdown, and in on-login after db-begin.
var sleepGuest = func() rtt.Guest {
	const sleep = `
    (i64.store (i32.const 512) (i64.const 0))          ;; userdata
    (i32.store8 (i32.const 520) (i32.const 0))         ;; tag: clock
    (i32.store (i32.const 528) (i32.const 1))          ;; clock id: monotonic
    (i64.store (i32.const 536) (i64.const 60000000000)) ;; timeout: 60 s
    (i64.store (i32.const 544) (i64.const 0))          ;; precision
    (i32.store16 (i32.const 552) (i32.const 0))        ;; flags: relative
    (drop (call $poll_oneoff (i32.const 512) (i32.const 600) (i32.const 1) (i32.const 640)))`
	return rtt.Guest{
		Imports: `
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))`,
		Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)` + sleep + `
    (call $none))
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (call $db_begin (i32.const 128))` + sleep + `)`,
	}
}()

// initLoopGuest loops forever in _initialize: filling its pool takes
// Config.InitTimeout per instance.
var initLoopGuest = rtt.Guest{
	Init: "(loop $forever (br $forever))",
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (call $none))`,
}

// envGuest's render-markdown returns its WASI environment as environ_get
// writes it: NAME=value entries, each ended by a NUL.
var envGuest = rtt.Guest{
	Imports: `
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))`,
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (if (call $environ_sizes_get (i32.const 256) (i32.const 260)) (then unreachable))
    (if (call $environ_get (i32.const 512) (i32.const 8192)) (then unreachable))
    (call $some (i32.const 8192) (i32.load (i32.const 260))))`,
}
