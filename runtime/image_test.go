package runtime

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/interrupt"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
	"github.com/tetratelabs/wazero/api"
)

// state is what an image holds of an instance: its memory and its
// exported mutable globals.
type state struct {
	mem     []byte
	globals map[string]uint64
}

func stateOf(t *testing.T, in *instance, names []string) state {
	t.Helper()
	mod := in.inst.(*plugin.Instance).Module()
	b, ok := mod.Memory().Read(0, mod.Memory().Size())
	if !ok {
		t.Fatal("memory unreadable")
	}
	st := state{mem: bytes.Clone(b), globals: map[string]uint64{}}
	for _, n := range names {
		st.globals[n] = mod.ExportedGlobal(n).Get()
	}
	return st
}

func diffState(a, b state) string {
	if len(a.mem) != len(b.mem) {
		return "memory sizes differ"
	}
	if i := firstDiff(a.mem, b.mem); i >= 0 {
		return "memory differs first at " + itoa(i)
	}
	if !reflect.DeepEqual(a.globals, b.globals) {
		return "globals differ"
	}
	return ""
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func itoa(i int) string { return strconv.Itoa(i) }

// both runs fn with the two instances of p's pool (size 2).
func both(t *testing.T, p *loaded, fn func(a, b *instance)) {
	t.Helper()
	err := p.pool.Do(ctx, func(ctx context.Context, a *instance) error {
		return p.pool.Do(ctx, func(ctx context.Context, b *instance) error {
			fn(a, b)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hookCalls is the sequence of hook calls the image tests replay.
var hookCalls = []plugin.PostInput{
	{Title: "Hello, Image World!", Content: "body"},
	{Title: "  WebAssembly   plugins: a tour ", Content: "x"},
	{Title: "Ünïcödé Straße 2025", Content: strings.Repeat("y", 3000)},
	{Title: "!!! ???"},
}

// replay makes the calls of hookCalls on in and returns what they gave.
func replay(t *testing.T, in *instance) []string {
	t.Helper()
	var out []string
	for _, c := range hookCalls {
		r, err := in.inst.OnPostCreating(ctx, c)
		switch {
		case err != nil:
			out = append(out, "error: "+err.Error())
		case r == nil:
			out = append(out, "none")
		case r.Slug == nil:
			out = append(out, "no slug: "+r.Title)
		default:
			out = append(out, *r.Slug+" | "+r.Title+" | "+itoa(len(r.Content)))
		}
	}
	pub := "2025-01-02T03:04:05Z"
	err := in.inst.OnPostCreated(ctx, plugin.PostOutput{ID: "p1", Title: "Hello", Slug: "hello", Status: "published",
		CreatedBy: "u1", CreatedAt: pub, UpdatedAt: pub, PublishedAt: &pub})
	out = append(out, "created: "+errString(err))
	return out
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// TestImageBehavesLikeFresh checks, for the repository's real guests, that
// an instance started from the image is the instance the image was taken
// from: the same memory and globals at the start, the same results over a
// sequence of hook calls, the same memory and globals after them; and the
// same results as the instances of a runtime with images turned off.
func TestImageBehavesLikeFresh(t *testing.T) {
	for _, g := range realGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			_, p := loadOne(t, g.wasm, 2, false, "")
			if !strings.HasPrefix(p.info().Image, "image:") {
				t.Fatalf("PluginInfo.Image = %q, want an image", p.info().Image)
			}
			// The Go guest's memory is half non-zero after its
			// initialiser, the others' nearly all zero: both ways of
			// making an image instance's memory are covered.
			if dense := p.imgs.img.dense != nil; dense != (g.name == "go") {
				t.Fatalf("%s image dense = %v (%s)", g.name, dense, p.info().Image)
			}
			_, fp := loadOne(t, g.wasm, 1, true, "")
			if got := fp.info().Image; !strings.HasPrefix(got, "fresh instances") {
				t.Fatalf("FreshInstances: PluginInfo.Image = %q", got)
			}
			var want []string
			if err := fp.pool.Do(ctx, func(_ context.Context, in *instance) error {
				want = replay(t, in)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(want[0], "hello") {
				t.Fatalf("fresh instance: %q, want a slug from the title", want[0])
			}
			names := p.imgs.globals
			both(t, p, func(a, b *instance) {
				if a.fromImage == b.fromImage {
					t.Fatalf("fromImage %v and %v: want the first instance and one from its image", a.fromImage, b.fromImage)
				}
				if d := diffState(stateOf(t, a, names), stateOf(t, b, names)); d != "" {
					t.Fatalf("before any call: %s", d)
				}
				ra, rb := replay(t, a), replay(t, b)
				if !reflect.DeepEqual(ra, want) || !reflect.DeepEqual(rb, want) {
					t.Fatalf("results:\nfirst instance %q\nfrom image     %q\nfresh runtime  %q", ra, rb, want)
				}
				if d := diffState(stateOf(t, a, names), stateOf(t, b, names)); d != "" {
					t.Errorf("after identical calls: %s", d)
				}
			})
		})
	}
}

// TestImageIsolation checks that instances started from one image share
// nothing: a change to one's memory or globals is not seen by another nor
// by the next instance started from the image.
func TestImageIsolation(t *testing.T) {
	for _, g := range realGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			_, p := loadOne(t, g.wasm, 2, false, "")
			names := p.imgs.globals
			before, err := p.newInstance(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer p.closeInstance(ctx, before)
			ref := stateOf(t, before, names)
			both(t, p, func(a, b *instance) {
				img := a
				if !img.fromImage {
					img = b
				}
				other := a
				if other == img {
					other = b
				}
				mod := img.inst.(*plugin.Instance).Module()
				// Scribble over all of the image's memory and every global.
				mod.Memory().Write(0, bytes.Repeat([]byte{0xa5}, p.imgs.img.size))
				for _, n := range names {
					mod.ExportedGlobal(n).(api.MutableGlobal).Set(0xdeadbeef)
				}
				if got := replay(t, other); !strings.HasPrefix(got[0], "hello") {
					t.Errorf("the other instance after one's changes: %q", got)
				}
				if d := diffState(stateOf(t, before, names), ref); d != "" {
					t.Errorf("an idle instance changed: %s", d)
				}
			})
			next, err := p.newInstance(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer p.closeInstance(ctx, next)
			if !next.fromImage {
				t.Fatal("the next instance did not start from the image")
			}
			if d := diffState(stateOf(t, next, names), ref); d != "" {
				t.Errorf("a new instance after another's changes: %s", d)
			}
			if got := replay(t, next); !strings.HasPrefix(got[0], "hello") {
				t.Errorf("new instance: %q", got)
			}
		})
	}
}

// initGuest's _initialize sets $n to 41 and stores "init" at 2048;
// render-markdown increments $n and returns it; filter-html loops.
var initGuest = rtt.Guest{
	Data:    map[int]string{1024: "x"},
	Globals: `(global $n (mut i32) (i32.const 0))`,
	Init: `(global.set $n (i32.const 41))
    (i32.store (i32.const 2048) (i32.const 0x74696e69))`,
	Funcs: `
  (func (export "` + rtt.Export("render-markdown") + `") (param i32 i32) (result i32)
    (global.set $n (i32.add (global.get $n)
      (i32.add (i32.sub (i32.load (i32.const 2048)) (i32.const 0x74696e69)) (i32.const 1))))
    (call $utoa (global.get $n))
    (call $some))
  (func (export "` + rtt.Export("filter-html") + `") (param i32 i32) (result i32)
    (loop $forever (br $forever))
    (call $none))`,
}

// TestImageTrapReplacement checks that an instance interrupted at its
// deadline is replaced by one from the image, with the state the
// initialiser left (not the state the first instance reached later).
func TestImageTrapReplacement(t *testing.T) {
	f := newFixture(t)
	f.cfg.PoolSize = 1
	f.cfg.CallTimeout = 200 * time.Millisecond
	f.add("n", "n", initGuest, map[string]int{"render-markdown": 0, "filter-html": 0}, "")
	rt := f.start()
	noProblems(t, rt)
	if len(rt.Plugins()) != 1 {
		t.Fatal("not loaded")
	}
	if img := rt.Plugins()[0].Image; !strings.HasPrefix(img, "image:") {
		t.Fatalf("PluginInfo.Image = %q", img)
	}
	for _, want := range []string{"42", "43"} {
		if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != want || err != nil {
			t.Fatalf("Filter = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := Filter(ctx, rt, plugin.Hooks.FilterHTML, ""); err == nil {
		t.Fatal("the looping call succeeded")
	}
	if got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, ""); got != "42" || err != nil {
		t.Fatalf("after the replacement: Filter = %q, %v; want 42 (the initialised state)", got, err)
	}
	p := rt.cur.Load().plugins[0]
	if err := p.pool.Do(ctx, func(_ context.Context, in *instance) error {
		if !in.fromImage {
			t.Error("the replacement did not start from the image")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestImageFallbacks checks the modules whose instances must run their
// initialiser each, and that PluginInfo says why.
func TestImageFallbacks(t *testing.T) {
	for _, c := range []struct {
		name string
		g    rtt.Guest
		want string
	}{
		{"host call in init", rtt.Guest{Data: map[int]string{1024: "info"}, Init: `(call $log (i32.const 1024) (i32.const 4) (i32.const 1024) (i32.const 4))`,
			Funcs: prefixGuest("x").Funcs}, "host function log"},
		{"table.set", rtt.Guest{Globals: `(table $t 1 funcref) (elem declare func $none)`, Init: `(table.set $t (i32.const 0) (ref.func $none))`,
			Funcs: prefixGuest("x").Funcs}, "changes tables"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, p := loadHooks(t, c.g.Wasm(t), 2, false, "", map[string]int{"render-markdown": 0})
			info := p.info().Image
			if !strings.HasPrefix(info, "fresh instances") || !strings.Contains(info, c.want) {
				t.Errorf("PluginInfo.Image = %q, want fresh instances because of %q", info, c.want)
			}
			both(t, p, func(a, b *instance) {
				if a.fromImage || b.fromImage {
					t.Error("an instance started from an image")
				}
			})
		})
	}
}

// TestRewriteCache checks the on-disk cache of rewritten modules: an entry
// is written at the first load and read at the next (a valid entry is
// trusted as the compiled code beside it is), and a damaged entry is
// detected, not used, and rebuilt.
func TestRewriteCache(t *testing.T) {
	dir := t.TempDir()
	wasmA, wasmB := prefixGuest("A:").Wasm(t), prefixGuest("B:").Wasm(t)
	opts := interrupt.Options{YieldEvery: yieldEvery, Image: true}
	key := rewriteKey(wasmA, opts)
	entry := filepath.Join(dir, rewriteDir, key+".wasm")
	render := func() string {
		t.Helper()
		root := t.TempDir()
		rtt.WritePlugin(t, filepath.Join(root, "p"), manifestTOML("p", map[string]int{"render-markdown": 0}, ""), wasmA)
		rt, err := New(ctx, Config{PluginsDir: root, PoolSize: 1, Logger: testLogger(t), CompilationCacheDir: dir, WatchInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(ctx)
		noProblems(t, rt)
		got, err := Filter(ctx, rt, plugin.Hooks.RenderMarkdown, "x")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := render(); got != "A:x" {
		t.Fatalf("first load: %q", got)
	}
	want, err := interrupt.Rewrite(wasmA, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkEntry := func(what string) {
		t.Helper()
		res, err := readRewrite(entry, key)
		if err != nil {
			t.Fatalf("%s: entry: %v", what, err)
		}
		if !bytes.Equal(res.Wasm, want.Wasm) || res.Image != want.Image || !reflect.DeepEqual(res.Globals, want.Globals) {
			t.Fatalf("%s: the entry is not Rewrite's output", what)
		}
	}
	checkEntry("after the first load")

	// The entry is what the next load runs: one holding B's rewrite under
	// A's key (checksummed as a valid entry) makes A's plugin answer as B.
	resB, err := interrupt.Rewrite(wasmB, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeRewrite(entry, key, resB); err != nil {
		t.Fatal(err)
	}
	if got := render(); got != "B:x" {
		t.Fatalf("with B's rewrite in A's entry: %q; the cache was not read", got)
	}
	if err := writeRewrite(entry, key, want); err != nil {
		t.Fatal(err)
	}

	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		bad  func([]byte) []byte
	}{
		{"flipped byte in the module", func(b []byte) []byte { b[len(b)-3] ^= 0x40; return b }},
		{"flipped byte in the checksum", func(b []byte) []byte { b[len(rewriteMagic)] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
		{"wrong magic", func(b []byte) []byte { b[0] = 'W'; return b }},
		{"another key's entry", func([]byte) []byte {
			other := filepath.Join(t.TempDir(), "e")
			if err := writeRewrite(other, rewriteKey(wasmB, opts), resB); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(other)
			return b
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(entry, c.bad(bytes.Clone(good)), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := readRewrite(entry, key); !errors.Is(err, errCorrupt) {
				t.Fatalf("readRewrite of a damaged entry: %v, want errCorrupt", err)
			}
			if got := render(); got != "A:x" {
				t.Fatalf("load with a damaged entry: %q", got)
			}
			checkEntry("after the rebuild")
		})
	}
}

// TestInitProbeCoversContract calls every method of the imported
// interfaces on an initProbe over nil implementations: each must note a
// distinct function before delegating (the delegation then panics on the
// nil implementation, which the test recovers). A method the probe does
// not wrap is promoted from nothing and is caught here, so a contract
// that gains a host function fails this test until the probe wraps it.
func TestInitProbeCoversContract(t *testing.T) {
	seen := map[string]string{}
	for _, iface := range []reflect.Type{reflect.TypeFor[plugin.HostAPI](), reflect.TypeFor[plugin.Data]()} {
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			p := &initProbe{}
			pm := reflect.ValueOf(p).MethodByName(m.Name)
			if !pm.IsValid() {
				t.Errorf("initProbe has no method %s (of %s)", m.Name, iface.Name())
				continue
			}
			args := make([]reflect.Value, pm.Type().NumIn())
			for j := range args {
				args[j] = reflect.Zero(pm.Type().In(j))
			}
			args[0] = reflect.ValueOf(context.Background())
			func() {
				defer func() { _ = recover() }()
				pm.Call(args)
			}()
			used := p.used.Load()
			if used == nil {
				t.Errorf("%s.%s does not note the call", iface.Name(), m.Name)
				continue
			}
			if other, dup := seen[*used]; dup {
				t.Errorf("%s and %s both note %q", other, m.Name, *used)
			}
			seen[*used] = m.Name
		}
	}
	if len(seen) != len(probed) {
		t.Errorf("%d functions noted, probed lists %d", len(seen), len(probed))
	}
}

// TestImageGrowthIsZero checks that the memory an instance started from the
// image grows past the image's size reads as zeros, as a wasm memory.grow
// must give: an image instance's memory is a copy of the image's bytes
// (imageAllocator), so anything past them must be zero, whether the growth
// fits in the copy's capacity or not, and the image's own bytes must be
// unchanged by it.
func TestImageGrowthIsZero(t *testing.T) {
	for _, g := range realGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			_, p := loadOne(t, g.wasm, 2, false, "")
			both(t, p, func(a, b *instance) {
				in := a
				if !in.fromImage {
					in = b
				}
				mem := in.inst.(*plugin.Instance).Module().Memory()
				size := mem.Size()
				if int(size) != p.imgs.img.size {
					t.Fatalf("image instance memory %d bytes, image %d", size, p.imgs.img.size)
				}
				// Dirty the last image page first: growth must not copy
				// anything but the memory itself.
				mem.WriteByte(size-1, 0x5a)
				for _, pages := range []uint32{1, 3, 40} {
					before := mem.Size()
					if _, ok := mem.Grow(pages); !ok {
						t.Fatalf("grow by %d pages failed", pages)
					}
					grown, ok := mem.Read(before, mem.Size()-before)
					if !ok {
						t.Fatal("grown memory unreadable")
					}
					if i := bytes.IndexFunc(grown, func(r rune) bool { return r != 0 }); i >= 0 {
						t.Fatalf("grown by %d pages: byte %d past %d is not zero", pages, i, before)
					}
				}
				head, _ := mem.Read(0, size-1)
				if !bytes.Equal(head, p.imgs.img.memory()[:size-1]) {
					t.Error("growing changed the image's part of the memory")
				}
				if v, _ := mem.ReadByte(size - 1); v != 0x5a {
					t.Errorf("last image byte %#x after growth, want the 0x5a written", v)
				}
			})
		})
	}
}
