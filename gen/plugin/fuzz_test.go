package plugin

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/internal/wasmtools"
	"github.com/tetratelabs/wazero"
)

// fuzzGuest returns whatever its memory says: exports return the i32 at
// address 0 as their result pointer or value, and on-login calls host
// imports with arguments read from addresses 4.. — so the fuzzer controls
// every pointer, length, discriminant and byte the host lifts.
const fuzzGuest = `(module
  (import "raisfast:plugin-wit/host-api@0.1.0" "get-config" (func $get_config (param i32 i32 i32)))
  (import "raisfast:plugin-wit/host-api@0.1.0" "log" (func $log (param i32 i32 i32 i32)))
  (import "raisfast:plugin-wit/host-api@0.1.0" "db-query" (func $db_query (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (global $bump (mut i32) (i32.const 65536))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $bump (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $bump) (i32.const 131072))
      (then (global.set $bump (i32.add (i32.const 65536) (local.get 3)))
            (local.set $p (i32.const 65536))))
    (local.get $p))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-post-creating") (param i32) (result i32)
    (i32.load (i32.const 0)))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#render-markdown") (param i32 i32) (result i32)
    (i32.load (i32.const 0)))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-comment-creating") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.load (i32.const 0)))
  (func (export "cabi_post_raisfast:plugin-wit/plugin-hooks@0.1.0#render-markdown") (param i32))
  (func (export "raisfast:plugin-wit/plugin-hooks@0.1.0#on-login") (param i32 i32)
    (call $get_config (i32.load (i32.const 4)) (i32.load (i32.const 8)) (i32.load (i32.const 12)))
    (call $log (i32.load (i32.const 16)) (i32.load (i32.const 20)) (i32.load (i32.const 24)) (i32.load (i32.const 28)))
    (call $db_query (i32.load (i32.const 32)) (i32.load (i32.const 36)) (i32.load (i32.const 40))
                    (i32.load (i32.const 44)) (i32.load (i32.const 48)) (i32.load (i32.const 52)))))`

var fuzzWasm = sync.OnceValues(func() ([]byte, error) {
	return wasmtools.Embed(context.Background(), []byte(fuzzGuest), witPath, "plugin-world")
})

func FuzzLift(f *testing.F) {
	wasm, err := fuzzWasm()
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if err := Define(ctx, r); err != nil {
		f.Fatal(err)
	}
	mod, err := Compile(ctx, r, wasm, OptionalExports())
	if err != nil {
		f.Fatal(err)
	}
	// Seeds: a valid option<string> some("hi") at 256 with the string at 512;
	// out-of-bounds pointers; a bad discriminant; invalid UTF-8.
	valid := make([]byte, 1024)
	binary.LittleEndian.PutUint32(valid[0:], 256)
	valid[256] = 1
	binary.LittleEndian.PutUint32(valid[260:], 512)
	binary.LittleEndian.PutUint32(valid[264:], 2)
	copy(valid[512:], "hi")
	binary.LittleEndian.PutUint32(valid[4:], 512)  // get-config key ptr
	binary.LittleEndian.PutUint32(valid[8:], 2)    // key len
	binary.LittleEndian.PutUint32(valid[12:], 600) // retptr
	f.Add(valid)
	bad := append([]byte(nil), valid...)
	bad[256] = 7
	f.Add(bad)
	utf := append([]byte(nil), valid...)
	utf[512], utf[513] = 0xff, 0xfe
	f.Add(utf)
	oob := append([]byte(nil), valid...)
	binary.LittleEndian.PutUint32(oob[0:], 0xfffffff0)
	binary.LittleEndian.PutUint32(oob[8:], 0x7fffffff)
	f.Add(oob)
	f.Add([]byte{})

	host := nopHost{}
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := mod.Instantiate(ctx, Imports{HostAPI: host}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Close(ctx)
		if len(data) > 65536 {
			data = data[:65536]
		}
		inst.Module().Memory().Write(0, data)
		check := func(err error) {
			if err != nil && !errors.Is(err, abi.ErrTrap) {
				t.Fatalf("untyped failure: %v", err)
			}
		}
		// Each call may poison the instance; use fresh ones.
		s, err := inst.RenderMarkdown(ctx, "# title")
		check(err)
		if s != nil && !utf8.ValidString(*s) {
			t.Fatalf("lifted invalid UTF-8 %q", *s)
		}
		for _, call := range []func(*Instance) error{
			func(i *Instance) error {
				_, err := i.OnPostCreating(ctx, PostInput{Title: "t", Content: "c"})
				return err
			},
			func(i *Instance) error { _, err := i.OnCommentCreating(ctx, CommentInput{Content: "c"}); return err },
			func(i *Instance) error { return i.OnLogin(ctx, "u") },
		} {
			i2, err := mod.Instantiate(ctx, Imports{HostAPI: host}, nil)
			if err != nil {
				t.Fatal(err)
			}
			i2.Module().Memory().Write(0, data)
			check(call(i2))
			i2.Close(ctx)
		}
	})
}

type configHost struct{ nopHost }

func (configHost) GetConfig(_ context.Context, key string) (string, bool) {
	return "value-of-" + key, true
}

// TestLiftsPlantedValues checks the harness above reaches real lifting: a
// planted some("hi") comes back, bad data becomes typed errors, and the
// host's answer to get-config lands at the guest's return pointer.
func TestLiftsPlantedValues(t *testing.T) {
	wasm, err := fuzzWasm()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := newRuntime(t)
	mod, err := Compile(ctx, r, wasm, OptionalExports())
	if err != nil {
		t.Fatal(err)
	}
	mem := make([]byte, 1024)
	binary.LittleEndian.PutUint32(mem[0:], 256)
	mem[256] = 1
	binary.LittleEndian.PutUint32(mem[260:], 512)
	binary.LittleEndian.PutUint32(mem[264:], 2)
	copy(mem[512:], "hi")
	binary.LittleEndian.PutUint32(mem[4:], 512)
	binary.LittleEndian.PutUint32(mem[8:], 2)
	binary.LittleEndian.PutUint32(mem[12:], 600)
	// log("hi","hi") and db-query("hi", none, ret=700)
	for _, off := range []int{16, 24, 32} {
		binary.LittleEndian.PutUint32(mem[off:], 512)
		binary.LittleEndian.PutUint32(mem[off+4:], 2)
	}
	binary.LittleEndian.PutUint32(mem[52:], 700)

	inst, err := mod.Instantiate(ctx, Imports{HostAPI: configHost{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	inst.Module().Memory().Write(0, mem)
	s, err := inst.RenderMarkdown(ctx, "# x")
	if err != nil || s == nil || *s != "hi" {
		t.Fatalf("render-markdown = %v, %v; want some(hi)", s, err)
	}
	if err := inst.OnLogin(ctx, "u"); err != nil {
		t.Fatalf("on-login: %v", err)
	}
	m := inst.Module().Memory()
	tag, _ := m.ReadByte(600)
	p, _ := m.ReadUint32Le(604)
	n, _ := m.ReadUint32Le(608)
	got, _ := m.Read(p, n)
	if tag != 1 || string(got) != "value-of-hi" {
		t.Fatalf("get-config result at 600: tag %d %q", tag, got)
	}

	// Corrupt discriminant → typed error, instance poisoned.
	inst2, _ := mod.Instantiate(ctx, Imports{HostAPI: configHost{}}, nil)
	mem[256] = 9
	inst2.Module().Memory().Write(0, mem)
	_, err = inst2.RenderMarkdown(ctx, "x")
	if !errors.Is(err, abi.ErrBadDiscriminant) || !errors.Is(err, abi.ErrTrap) {
		t.Fatalf("bad discriminant: %v", err)
	}
	if _, err := inst2.RenderMarkdown(ctx, "x"); !errors.Is(err, abi.ErrTrap) {
		t.Fatalf("poisoned instance accepted a call: %v", err)
	}
	// Invalid UTF-8 in the key the guest passes to get-config → trap.
	inst3, _ := mod.Instantiate(ctx, Imports{HostAPI: configHost{}}, nil)
	mem[256] = 1
	mem[512] = 0xff
	inst3.Module().Memory().Write(0, mem)
	if err := inst3.OnLogin(ctx, "u"); !errors.Is(err, abi.ErrInvalidUTF8) {
		t.Fatalf("invalid UTF-8 key: %v", err)
	}
}
