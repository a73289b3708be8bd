package restest_test

// Resource round trips: the host drives the resource world
// (internal/restest/wit/res.wit) through its generated bindings
// (internal/restest/host) against each guest toolchain. The guests
// implement the exported counter resource and use the host's blob
// resource; the host checks handles, ownership moves, drop order and the
// traps the canonical ABI asks for.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/internal/restest/host"
	"github.com/raisfast/wasmplug/witval"
	"github.com/tetratelabs/wazero"
)

// world is the host's side: the store interface and its blobs.
type world struct {
	nextID  int
	dropped []int // blob ids in the order the host saw them dropped
	live    map[int]*blob
}

type blob struct {
	w    *world
	id   int
	data []byte
	gone bool
}

func newWorld() *world { return &world{live: map[int]*blob{}} }

func (w *world) blob(data []byte) *blob {
	w.nextID++
	b := &blob{w: w, id: w.nextID, data: slices.Clone(data)}
	w.live[b.id] = b
	return b
}

func (b *blob) Read(context.Context) []byte           { return slices.Clone(b.data) }
func (b *blob) Append(_ context.Context, more []byte) { b.data = append(b.data, more...) }
func (b *blob) Size(context.Context) uint32           { return uint32(len(b.data)) }
func (b *blob) Drop(context.Context) {
	if b.gone {
		panic(fmt.Sprintf("blob %d dropped twice", b.id))
	}
	b.gone = true
	delete(b.w.live, b.id)
	b.w.dropped = append(b.w.dropped, b.id)
}

func (w *world) NewBlob(_ context.Context, init []byte) host.Blob { return w.blob(init) }
func (w *world) BlobConcat(_ context.Context, a, b host.Blob) host.Blob {
	return w.blob(append(slices.Clone(a.(*blob).data), b.(*blob).data...))
}
func (w *world) MakeMany(_ context.Context, n uint32) []host.Blob {
	out := make([]host.Blob, n)
	for i := range out {
		out[i] = w.blob([]byte{byte(i)})
	}
	return out
}
func (w *world) TotalSize(_ context.Context, items []host.Blob) uint32 {
	var n uint32
	for _, b := range items {
		n += uint32(len(b.(*blob).data))
	}
	return n
}
func (w *world) Wrap(_ context.Context, name string, b host.Blob) host.Tagged {
	return host.Tagged{Name: name + "-wrapped", Item: b}
}
func (w *world) Unwrap(_ context.Context, t host.Tagged) host.Blob { return t.Item }
func (w *world) Pick(_ context.Context, b *host.Blob) (host.Blob, error) {
	if b == nil {
		return nil, errors.New("empty")
	}
	return *b, nil
}

// guestsUnderTest are the resource guests: "go" is internal/restest/guestimpl
// (built here), the others are built by .ci/build-guests.sh.
var guestsUnderTest = []string{"go", "c-res", "rust-res"}

func load(t *testing.T, name string) []byte {
	if name == "go" {
		return guests.BuildGo(t, "internal/restest/guestimpl", "internal/restest/guest", "guest/cabi", "witval")
	}
	return guests.Load(t, name)
}

type env struct {
	t    *testing.T
	ctx  context.Context
	r    wazero.Runtime
	mod  *host.Module
	w    *world
	inst *host.Instance
}

// compilation is shared by the tests' runtimes: each guest is compiled once.
var compilation = wazero.NewCompilationCache()

func setup(t *testing.T, wasm []byte) *env {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilation))
	t.Cleanup(func() { r.Close(ctx) })
	if err := host.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := host.Compile(ctx, r, wasm)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, r: r, mod: mod}
	e.inst, e.w = e.instance()
	return e
}

func (e *env) instance() (*host.Instance, *world) {
	e.t.Helper()
	w := newWorld()
	inst, err := e.mod.Instantiate(e.ctx, host.Imports{Store: w}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { inst.Close(e.ctx) })
	return inst, w
}

// mustFail carries a failed call out of must to run, which fails the test.
type mustFail struct{ err error }

// must returns v, or ends the running subtest (see run) when err is set.
func must[T any](v T, err error) T {
	if err != nil {
		panic(mustFail{err})
	}
	return v
}

// run runs a subtest whose must calls end it with a failure.
func run(t *testing.T, name string, wasm []byte, f func(*testing.T, *env)) {
	t.Run(name, func(t *testing.T) {
		defer func() {
			if r := recover(); r != nil {
				mf, ok := r.(mustFail)
				if !ok {
					panic(r)
				}
				t.Fatalf("unexpected error: %v", mf.err)
			}
		}()
		f(t, setup(t, wasm))
	})
}

func badHandle(t *testing.T, what string, err error) {
	t.Helper()
	var he *abi.HandleError
	if !errors.As(err, &he) || !errors.Is(err, abi.ErrBadHandle) {
		t.Fatalf("%s: got %v, want an *abi.HandleError", what, err)
	}
}

func TestResources(t *testing.T) {
	for _, name := range guestsUnderTest {
		t.Run(name, func(t *testing.T) {
			wasm := load(t, name)
			run(t, "methods", wasm, testMethods)
			run(t, "many-live-handles", wasm, testMany)
			run(t, "records-options", wasm, testRecords)
			run(t, "host-blobs", wasm, testBlobs)
			run(t, "store-calls", wasm, testStore)
			run(t, "other-instance", wasm, testOtherInstance)
			run(t, "returns-dropped-handle", wasm, testReturnsDropped)
			run(t, "close-drops-host-resources", wasm, testClose)
			if name != "go" { // the Go guest takes a while for a million handles; the host side is the same
				run(t, "table-full", wasm, testTableFull)
			}
			for how, why := range []string{"wrong resource type: it is a counter", "unknown handle", "unknown handle", "unknown handle"} {
				name := []string{"wrong-type", "unknown", "dropped", "borrow-past-call"}[how]
				run(t, "bad-handle-"+name, wasm, func(t *testing.T, e *env) { testBadHandle(t, e, uint32(how), why) })
			}
		})
	}
}

func testMethods(t *testing.T, e *env) {
	ctx, i := e.ctx, e.inst
	a := must(i.NewCounter(ctx, "a", 5))
	if got := must(a.Add(ctx, 3)); got != 8 {
		t.Fatalf("add: %d, want 8", got)
	}
	if got := must(a.Get(ctx)); got != 8 {
		t.Fatalf("get: %d, want 8", got)
	}
	if got := must(a.Name(ctx)); got != "a" {
		t.Fatalf("name: %q", got)
	}
	b := must(i.NewCounter(ctx, "b", 10))
	// merge takes both counters: they move into the guest, which drops them.
	m := must(i.CounterMerge(ctx, a, b))
	if got := must(m.Get(ctx)); got != 18 {
		t.Fatalf("merged: %d, want 18", got)
	}
	if got := must(m.Name(ctx)); got != "a+b" {
		t.Fatalf("merged name %q", got)
	}
	_, err := a.Get(ctx)
	badHandle(t, "a moved into merge", err)
	badHandle(t, "drop of a moved counter", b.Drop(ctx))
	if got := must(i.Dropped(ctx)); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("dropped %q, want [a b]", got)
	}
	if err := m.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	badHandle(t, "second drop", m.Drop(ctx))
	if got := must(i.Dropped(ctx)); !slices.Equal(got, []string{"a", "b", "a+b"}) {
		t.Fatalf("dropped %q", got)
	}
	if i.Err() != nil {
		t.Fatalf("instance broken: %v", i.Err())
	}
	// Generic JSON dispatch refuses functions with handles, and calls the others.
	if _, err := host.HookList[host.ExportIndex("make-counters")].CallJSON(i, ctx, []byte("3")); err == nil || !strings.Contains(err.Error(), "JSON") {
		t.Fatalf("CallJSON of make-counters: %v, want a refusal", err)
	}
	if out, err := host.HookList[host.ExportIndex("dropped")].CallJSON(i, ctx, nil); err != nil || string(out) != `["a","b","a+b"]` {
		t.Fatalf("CallJSON of dropped: %s %v", out, err)
	}
}

func testMany(t *testing.T, e *env) {
	ctx, i := e.ctx, e.inst
	const n = 1000
	cs := must(i.MakeCounters(ctx, n))
	if len(cs) != n {
		t.Fatalf("%d counters", len(cs))
	}
	if got := i.LiveHandles(); got != 0 {
		t.Fatalf("%d handles left in the guest's table; returned ones move to the host", got)
	}
	if got := must(i.SumAll(ctx, cs)); got != n*(n-1)/2 {
		t.Fatalf("sum-all: %d", got)
	}
	for k, c := range cs {
		if got := must(c.Name(ctx)); got != fmt.Sprintf("c%d", k) {
			t.Fatalf("counter %d is %q", k, got)
		}
	}
	// The host drops every odd one, last first; the guest's destructor sees that order.
	var want []string
	for k := n - 1; k >= 0; k -= 2 {
		if err := cs[k].Drop(ctx); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("c%d", k))
	}
	var evens []*host.Counter
	for k := 0; k < n; k += 2 {
		evens = append(evens, cs[k])
		want = append(want, fmt.Sprintf("c%d", k))
	}
	// total takes the list of owned handles and drops them in list order.
	if got := must(i.Total(ctx, evens)); got != (n/2)*(n-2)/2 {
		t.Fatalf("total: %d", got)
	}
	if got := must(i.Dropped(ctx)); !slices.Equal(got, want) {
		t.Fatalf("drop order differs: first %q", got[:min(4, len(got))])
	}
	_, err := evens[0].Get(ctx)
	badHandle(t, "counter moved into a list", err)
	// New handles after all those drops work (indexes are reused only once free).
	c := must(i.NewCounter(ctx, "late", 1))
	d := must(i.NewCounter(ctx, "later", 2))
	if must(c.Get(ctx)) != 1 || must(d.Get(ctx)) != 2 {
		t.Fatal("late counters mixed up")
	}
}

func testRecords(t *testing.T, e *env) {
	ctx, i := e.ctx, e.inst
	c := must(i.NewCounter(ctx, "r", 7))
	nc := must(i.Label(ctx, host.NamedCounter{Label: "x", C: c}))
	if nc.Label != "x!" || must(nc.C.Get(ctx)) != 7 {
		t.Fatalf("label: %+v", nc)
	}
	_, err := c.Get(ctx)
	badHandle(t, "counter moved inside a record", err)
	_, err = i.Maybe(ctx, nil)
	var re *witval.ResultError[string]
	if !errors.As(err, &re) || re.Value != "none" {
		t.Fatalf("maybe(none): %v", err)
	}
	got := must(i.Maybe(ctx, &nc.C))
	if must(got.Get(ctx)) != 7 {
		t.Fatal("maybe(some) lost the counter")
	}
}

func testBlobs(t *testing.T, e *env) {
	ctx, i, w := e.ctx, e.inst, e.w
	b := w.blob([]byte("hello"))
	// a borrow lent to the guest, passed back to the host's blob.size
	if got := must(i.BlobSize(ctx, b)); got != 5 {
		t.Fatalf("blob-size: %d", got)
	}
	if b.gone {
		t.Fatal("a borrowed blob was dropped")
	}
	if n := i.LiveHandles(); n != 0 {
		t.Fatalf("%d handles live after the call; the borrow must end with it", n)
	}
	// owned blobs kept by the guest are dropped when it forgets them, in its order
	var ids []int
	for k := range 5 {
		kb := w.blob([]byte{byte(k)})
		ids = append(ids, kb.id)
		if err := i.KeepBlob(ctx, kb); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.dropped) != 0 {
		t.Fatalf("dropped early: %v", w.dropped)
	}
	if n := i.LiveHandles(); n != 5 {
		t.Fatalf("the guest holds %d handles, want 5", n)
	}
	if got := must(i.ForgetBlobs(ctx)); got != 5 {
		t.Fatalf("forget-blobs: %d", got)
	}
	if n := i.LiveHandles(); n != 0 {
		t.Fatalf("%d handles live after the guest dropped all", n)
	}
	if !slices.Equal(w.dropped, ids) {
		t.Fatalf("drop order %v, want %v", w.dropped, ids)
	}
	// blobs the guest builds through the host come back owned by the host
	built := must(i.Build(ctx, 3))
	for k, hb := range built {
		if got := hb.(*blob).data; !slices.Equal(got, []byte{byte(k), byte(k), byte(k + 1)}) {
			t.Fatalf("built blob %d: %v", k, got)
		}
		if hb.(*blob).gone {
			t.Fatal("a blob returned to the host was dropped")
		}
	}
	// a record holding an owned blob, and a static function
	tb := w.blob([]byte("ab"))
	tg := must(i.Retag(ctx, host.Tagged{Name: "t", Item: tb}))
	if tg.Name != "t?" || string(tg.Item.(*blob).data) != "abab" || !tb.gone {
		t.Fatalf("retag: %q %q, old dropped %v", tg.Name, tg.Item.(*blob).data, tb.gone)
	}
}

func testStore(t *testing.T, e *env) {
	got := must(e.inst.StoreCheck(e.ctx, 4))
	if want := "total=4 tagged=w-wrapped size=1 none=empty"; got != want {
		t.Fatalf("store-check: %q, want %q", got, want)
	}
	if len(e.w.live) != 0 {
		t.Fatalf("blobs the guest made and dropped are still live: %d", len(e.w.live))
	}
}

func testOtherInstance(t *testing.T, e *env) {
	ctx := e.ctx
	other, _ := e.instance()
	c := must(e.inst.NewCounter(ctx, "mine", 1))
	_, err := other.CounterAdd(ctx, c, 1)
	badHandle(t, "counter of another instance", err)
	if other.Err() != nil {
		t.Fatalf("a host-side handle error broke the instance: %v", other.Err())
	}
	if must(c.Get(ctx)) != 1 {
		t.Fatal("counter changed")
	}
}

func testReturnsDropped(t *testing.T, e *env) {
	_, err := e.inst.ReturnDropped(e.ctx)
	if !errors.Is(err, abi.ErrTrap) || !errors.Is(err, abi.ErrBadHandle) {
		t.Fatalf("returning a dropped handle: %v, want a trap with abi.ErrBadHandle", err)
	}
	if !strings.Contains(err.Error(), "unknown handle") {
		t.Fatalf("error does not say why: %v", err)
	}
	if _, err := e.inst.Dropped(e.ctx); err == nil {
		t.Fatal("the instance still takes calls after a trap")
	}
}

func testClose(t *testing.T, e *env) {
	ctx, w := e.ctx, e.w
	b1, b2 := w.blob([]byte("1")), w.blob([]byte("2"))
	for _, b := range []*blob{b1, b2} {
		if err := e.inst.KeepBlob(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.inst.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !b1.gone || !b2.gone || !slices.Equal(w.dropped, []int{b1.id, b2.id}) {
		t.Fatalf("close dropped %v, want %v", w.dropped, []int{b1.id, b2.id})
	}
}

// testBadHandle has the guest pass the host a handle that is not a live
// blob: the call traps with the *abi.HandleError that says why, the
// instance refuses further calls, and the host never panics.
func testBadHandle(t *testing.T, e *env, how uint32, why string) {
	if how == 3 {
		b := e.w.blob([]byte("x"))
		if err := e.inst.StashBorrow(e.ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.inst.BadHandle(e.ctx, how)
	if !errors.Is(err, abi.ErrTrap) {
		t.Fatalf("bad handle %d: %v, want a trap", how, err)
	}
	badHandle(t, fmt.Sprintf("bad handle %d", how), err)
	if !strings.Contains(err.Error(), why) {
		t.Fatalf("bad handle %d: %v, want it to say %q", how, err, why)
	}
	if e.inst.Err() == nil {
		t.Fatal("the instance is still usable after a trap")
	}
}

// testTableFull has the guest make one handle more than the table holds:
// [resource-new] traps with the reason instead of growing without bound.
func testTableFull(t *testing.T, e *env) {
	_, err := e.inst.MakeCounters(e.ctx, abi.MaxHandles+1)
	if !errors.Is(err, abi.ErrTrap) {
		t.Fatalf("%d handles: %v, want a trap", abi.MaxHandles+1, err)
	}
	badHandle(t, "table full", err)
	if !strings.Contains(err.Error(), "table is full") {
		t.Fatalf("error does not say why: %v", err)
	}
}
