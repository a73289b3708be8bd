// Package runtimetest builds small WebAssembly guests of wit/plugin.wit from
// WAT and lays out plugin directories, for tests of the runtime and of hosts
// that embed it. Guests are assembled with the wasm-tools that
// go.bytecodealliance.org carries (see internal/wasmtools), so no toolchain
// is needed.
//
// A [Guest] is a core module with every host-api import declared, one
// exported memory, a bump-allocating cabi_realloc that wraps around inside
// its heap, and these helpers for export bodies:
//
//	$alloc (align size) → ptr                  bump allocation
//	$some (ptr len) → retptr                   an option<string> some(…) in the return area
//	$none () → retptr                          option<string> none
//	$concat (p1 l1 p2 l2) → ptr                new string p1‖p2 (length l1+l2)
//	$utoa (n) → ptr, len                       decimal text of the u32 n (a fresh string)
//	$hex64 (v) → ptr                           16 lower-case hex digits of the i64 v
//
// Host imports are named after the WIT functions: $log, $get_config,
// $set_data, $db_execute, … Strings a guest needs go in [Guest.Data] at
// addresses from 1024 up (below that are the return area and scratch).
package runtimetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/internal/wasmtools"
)

// Interface prefixes of the legacy core names (as wit-bindgen emits them).
const (
	HostModule  = "raisfast:plugin-wit/host-api@0.1.1"
	HooksPrefix = "raisfast:plugin-wit/plugin-hooks@0.1.1#"
)

// Export returns the legacy core export name of hook, e.g.
// Export("on-login") = "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login".
func Export(hook string) string { return HooksPrefix + hook }

// imports declares every host-api function under the legacy names.
const imports = `
  (import "` + HostModule + `" "log" (func $log (param i32 i32 i32 i32)))
  (import "` + HostModule + `" "get-config" (func $get_config (param i32 i32 i32)))
  (import "` + HostModule + `" "http-get" (func $http_get (param i32 i32 i32)))
  (import "` + HostModule + `" "http-post" (func $http_post (param i32 i32 i32 i32 i32)))
  (import "` + HostModule + `" "get-data" (func $get_data (param i32 i32 i32)))
  (import "` + HostModule + `" "set-data" (func $set_data (param i32 i32 i32 i32) (result i32)))
  (import "` + HostModule + `" "get-post" (func $get_post (param i32 i32 i32)))
  (import "` + HostModule + `" "db-query" (func $db_query (param i32 i32 i32 i32 i32 i32)))
  (import "` + HostModule + `" "db-execute" (func $db_execute (param i32 i32 i32 i32 i32 i32)))
  (import "` + HostModule + `" "db-begin" (func $db_begin (param i32)))
  (import "` + HostModule + `" "db-commit" (func $db_commit (param i32)))
  (import "` + HostModule + `" "db-rollback" (func $db_rollback (param i32)))
  (import "` + HostModule + `" "vfs-read" (func $vfs_read (param i32 i32 i32)))
  (import "` + HostModule + `" "vfs-write" (func $vfs_write (param i32 i32 i32 i32) (result i32)))
  (import "` + HostModule + `" "vfs-delete" (func $vfs_delete (param i32 i32) (result i32)))
  (import "` + HostModule + `" "vfs-exists" (func $vfs_exists (param i32 i32) (result i32)))
  (import "` + HostModule + `" "vfs-list" (func $vfs_list (param i32 i32 i32)))
  (import "` + HostModule + `" "vfs-stat" (func $vfs_stat (param i32 i32 i32)))
  (import "` + HostModule + `" "emit-event" (func $emit_event (param i32 i32 i32 i32 i32)))
`

// prelude is the memory, allocator and helpers every guest has.
const prelude = `
  (memory (export "memory") 4)
  (global $heap_start i32 (i32.const 16384))
  (global $heap_end i32 (i32.const 262144))
  (global $bump (mut i32) (i32.const 16384))
  (func $alloc (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get $align)) (then (local.set $align (i32.const 1))))
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (if (i32.gt_u (i32.add (local.get $p) (local.get $size)) (global.get $heap_end))
      (then (local.set $p (global.get $heap_start))))
    (global.set $bump (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $alloc (local.get 2) (local.get 3)))
  (func $some (param $p i32) (param $l i32) (result i32)
    (i32.store8 (i32.const 64) (i32.const 1))
    (i32.store (i32.const 68) (local.get $p))
    (i32.store (i32.const 72) (local.get $l))
    (i32.const 64))
  (func $none (result i32)
    (i32.store8 (i32.const 64) (i32.const 0))
    (i32.const 64))
  (func $concat (param $p1 i32) (param $l1 i32) (param $p2 i32) (param $l2 i32) (result i32)
    (local $d i32)
    (local.set $d (call $alloc (i32.const 1) (i32.add (local.get $l1) (local.get $l2))))
    (memory.copy (local.get $d) (local.get $p1) (local.get $l1))
    (memory.copy (i32.add (local.get $d) (local.get $l1)) (local.get $p2) (local.get $l2))
    (local.get $d))
  (func $utoa (param $n i32) (result i32 i32)
    (local $end i32) (local $p i32) (local $d i32)
    (local.set $end (i32.const 128))
    (local.set $p (i32.const 128))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (local.set $d (call $alloc (i32.const 1) (i32.sub (local.get $end) (local.get $p))))
    (memory.copy (local.get $d) (local.get $p) (i32.sub (local.get $end) (local.get $p)))
    (local.get $d)
    (i32.sub (local.get $end) (local.get $p)))
  (func $hex64 (param $v i64) (result i32)
    (local $d i32) (local $i i32) (local $nib i32)
    (local.set $d (call $alloc (i32.const 1) (i32.const 16)))
    (local.set $i (i32.const 15))
    (loop $nibbles
      (local.set $nib (i32.wrap_i64 (i64.and (local.get $v) (i64.const 15))))
      (i32.store8 (i32.add (local.get $d) (local.get $i))
        (select (i32.add (i32.const 48) (local.get $nib))
                (i32.add (i32.const 87) (local.get $nib))
                (i32.lt_u (local.get $nib) (i32.const 10))))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 4)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $nibbles (i32.ge_s (local.get $i) (i32.const 0))))
    (local.get $d))
`

// Guest describes a test guest.
type Guest struct {
	// Imports is extra module-level WAT placed before the host-api imports
	// (e.g. a WASI import); imports must come first in a module.
	Imports string
	// Data places strings in memory: address → bytes. Use addresses from
	// 1024 up to 16383.
	Data map[int]string
	// Globals and Funcs are module-level WAT: exports such as
	// (func (export "raisfast:plugin-wit/plugin-hooks@0.1.1#on-login") …),
	// globals, helpers.
	Globals string
	Funcs   string
	// Init is the body of an exported _initialize, if not empty.
	Init string
}

// WAT returns the guest's module text.
func (g Guest) WAT() string {
	var b strings.Builder
	b.WriteString("(module\n")
	b.WriteString(g.Imports)
	b.WriteString(imports)
	b.WriteString(prelude)
	b.WriteString(g.Globals)
	addrs := make([]int, 0, len(g.Data))
	for a := range g.Data {
		addrs = append(addrs, a)
	}
	sort.Ints(addrs)
	for _, a := range addrs {
		fmt.Fprintf(&b, "  (data (i32.const %d) %s)\n", a, watString(g.Data[a]))
	}
	b.WriteString(g.Funcs)
	if g.Init != "" {
		fmt.Fprintf(&b, "  (func (export \"_initialize\")\n    %s)\n", g.Init)
	}
	b.WriteString(")\n")
	return b.String()
}

// watString quotes s as a WAT string literal, escaping every byte that is
// not printable ASCII.
func watString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\%02x", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// WITPath returns the path of wit/plugin.wit in this repository.
func WITPath() (string, error) {
	root := wasmtools.RepoRoot()
	if root == "" {
		return "", fmt.Errorf("runtimetest: repository root not found")
	}
	return filepath.Join(root, "wit", "plugin.wit"), nil
}

var cache sync.Map // WAT text → []byte

// Assemble turns WAT into a core module with plugin-world's component type
// embedded, as wit-bindgen output would carry. Results are cached per text.
func Assemble(ctx context.Context, wat string) ([]byte, error) {
	if b, ok := cache.Load(wat); ok {
		return b.([]byte), nil
	}
	wit, err := WITPath()
	if err != nil {
		return nil, err
	}
	b, err := wasmtools.Embed(ctx, []byte(wat), wit, "plugin-world")
	if err != nil {
		return nil, fmt.Errorf("runtimetest: assemble: %w\n%s", err, numbered(wat))
	}
	cache.Store(wat, b)
	return b, nil
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d %s\n", i+1, l)
	}
	return b.String()
}

// Wasm assembles g or fails the test.
func (g Guest) Wasm(t testing.TB) []byte {
	t.Helper()
	b, err := Assemble(context.Background(), g.WAT())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WritePlugin writes manifest.toml and plugin.wasm into dir (created if
// needed), replacing what was there. A nil wasm writes only the manifest.
func WritePlugin(t testing.TB, dir, manifest string, wasm []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if wasm != nil {
		if err := WriteFileAtomic(filepath.Join(dir, "plugin.wasm"), wasm); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFileAtomic(filepath.Join(dir, "manifest.toml"), []byte(manifest)); err != nil {
		t.Fatal(err)
	}
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it into place, as a careful deployment would.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
