package abi

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	wasi "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

type testImports struct{ name string }

// fakeFunc stands in for an exported function: Enter only checks it is there.
type fakeFunc struct{ api.Function }

var testWorld = &World{Exports: []CoreFunc{{WIT: "t:w/i#present"}, {WIT: "t:w/i#absent"}}}

func newTestInstance() *Instance[testImports] {
	return &Instance[testImports]{
		w:       testWorld,
		imports: testImports{name: "served"},
		funcs:   []api.Function{fakeFunc{}, nil},
		posts:   make([]api.Function, 2),
		stack:   make([]uint64, 1),
	}
}

func TestHostOutsideCallTraps(t *testing.T) {
	defer func() {
		var te *TrapError
		r := recover()
		err, _ := r.(error)
		if !errors.As(err, &te) || !errors.Is(err, ErrNoInstance) || te.Func != "t:w/i#f" {
			t.Fatalf("recovered %v, want a TrapError of t:w/i#f matching ErrNoInstance", r)
		}
	}()
	Host[testImports](context.Background(), "t:w/i#f")
}

type ctxKey struct{}

func TestHostFindsTheCallingInstance(t *testing.T) {
	i := newTestInstance()
	_, ctx, err := i.Enter(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer i.Leave()
	if got := Host[testImports](ctx, "f"); got != i || got.Imports().name != "served" {
		t.Fatalf("Host from the call's context = %p, want %p", got, i)
	}
	// A host function may run under a context derived from the call's.
	derived := context.WithValue(ctx, ctxKey{}, 1)
	if got := Host[testImports](derived, "f"); got != i {
		t.Fatalf("Host from a derived context = %p, want %p", got, i)
	}
	// Another world's instances are not found through it.
	defer func() {
		if recover() == nil {
			t.Fatal("Host of another Imports type found an instance")
		}
	}()
	Host[struct{}](ctx, "f")
}

func TestEnterRefusals(t *testing.T) {
	ctx := context.Background()
	i := newTestInstance()
	if _, _, err := i.Enter(ctx, 1); !errors.Is(err, ErrNotExported) || !strings.Contains(err.Error(), "t:w/i#absent") {
		t.Errorf("absent export: %v", err)
	}
	if _, _, err := i.Enter(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := i.Enter(ctx, 0); err == nil || !strings.Contains(err.Error(), "already in a call") {
		t.Errorf("reentrant call: %v", err)
	}
	i.Leave()
	boom := errors.New("boom")
	if err := i.Trapped(0, boom); !errors.Is(err, ErrTrap) || !errors.Is(err, boom) {
		t.Errorf("Trapped = %v", err)
	}
	if _, _, err := i.Enter(ctx, 0); !errors.Is(err, boom) || !strings.Contains(err.Error(), "unusable") {
		t.Errorf("call after a trap: %v", err)
	}
	if i.Err() == nil {
		t.Error("Err is nil after a trap")
	}
}

func TestLowerFailed(t *testing.T) {
	i := newTestInstance()
	if err := i.LowerFailed(0, errors.New("bad utf-8")); errors.Is(err, ErrTrap) || i.Err() != nil {
		t.Errorf("a bad argument made the instance unusable: %v", err)
	}
	if err := i.LowerFailed(0, ErrRealloc); !errors.Is(err, ErrTrap) || i.Err() == nil {
		t.Errorf("a failed realloc left the instance usable: %v", err)
	}
}

func TestEnterReusesTheCallContext(t *testing.T) {
	i := newTestInstance()
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		_, _, err := i.Enter(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		i.Leave()
	})
	if allocs != 0 {
		t.Errorf("Enter with the same context allocates %v times", allocs)
	}
	_, c1, _ := i.Enter(ctx, 0)
	i.Leave()
	_, c2, _ := i.Enter(context.WithValue(ctx, ctxKey{}, 2), 0)
	i.Leave()
	if c1 == c2 {
		t.Error("a new caller context reused the old call context")
	}
}

// uncomparable is a Context of a type == panics on.
type uncomparable struct {
	context.Context
	f []int
}

func TestSameContextUncomparable(t *testing.T) {
	a := uncomparable{Context: context.Background()}
	if sameContext(a, a) {
		t.Error("an uncomparable context counted as the same")
	}
	bg := context.Background()
	if !sameContext(bg, bg) {
		t.Error("a context is not the same as itself")
	}
}

func TestDestroyWithoutDestructor(t *testing.T) {
	i := newTestInstance()
	if err := i.Destroy(context.Background(), 3, 7); err != nil {
		t.Errorf("Destroy of a resource without destructor: %v", err)
	}
}

func TestWorldDefine(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	w := &World{
		Imports: []CoreFunc{{WIT: "t:w/i#f", Interface: "t:w/i", Name: "f", Params: []api.ValueType{api.ValueTypeI32}}},
		Host:    []api.GoModuleFunc{func(context.Context, api.Module, []uint64) {}},
		Modules: []ModuleRef{{Name: "t:w/i@1.0.0", Interface: "t:w/i"}, {Name: "t:w/i", Interface: "t:w/i"}},
	}
	if err := w.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Define(ctx, r); err != nil {
		t.Fatalf("second Define: %v", err)
	}
	for _, name := range []string{"t:w/i@1.0.0", "t:w/i", wasi.ModuleName} {
		if r.Module(name) == nil {
			t.Errorf("module %s not defined", name)
		}
	}
	def, ok := r.Module("t:w/i").ExportedFunctionDefinitions()["f"]
	if !ok || len(def.ParamTypes()) != 1 || def.ParamTypes()[0] != api.ValueTypeI32 || def.GoFunction() == nil {
		t.Errorf("t:w/i's f: %v", def)
	}
	if err := w.DefineModule(ctx, r, "other", "t:w/none"); err == nil || !strings.Contains(err.Error(), `"t:w/none"`) {
		t.Errorf("DefineModule of an interface the world lacks: %v", err)
	}
}

// wrapped is a comparable Context type whose == compares an interface: it
// panics when that holds an uncomparable value.
type wrapped struct{ context.Context }

func TestComparesSafely(t *testing.T) {
	for _, c := range []struct {
		ctx  context.Context
		safe bool
	}{
		{context.Background(), true},
		{context.WithValue(context.Background(), ctxKey{}, 1), true}, // a pointer
		{wrapped{context.Background()}, false},
		{uncomparable{Context: context.Background()}, false},
	} {
		if got := comparesSafely(reflect.TypeOf(c.ctx)); got != c.safe {
			t.Errorf("comparesSafely(%T) = %v, want %v", c.ctx, got, c.safe)
		}
	}
	// Contexts that cannot take the fast path are still reused when equal,
	// and one whose == would panic is not.
	i := newTestInstance()
	w := wrapped{context.Background()}
	_, c1, _ := i.Enter(w, 0)
	i.Leave()
	_, c2, _ := i.Enter(w, 0)
	i.Leave()
	if c1 != c2 {
		t.Error("an equal wrapped context was not reused")
	}
	u := wrapped{uncomparable{Context: context.Background()}}
	_, c3, _ := i.Enter(u, 0)
	i.Leave()
	_, c4, _ := i.Enter(u, 0)
	i.Leave()
	if c3 == c4 {
		t.Error("a context whose == panics was reused")
	}
}

// TestSnapshotProbe: the key wazero's engine asks every call's context for
// was found (a wazero upgrade that moves it fails here, not silently in
// the benchmarks), and the bindings' context answers it without asking
// the caller's.
func TestSnapshotProbe(t *testing.T) {
	if snapshotProbe == nil {
		t.Fatal("experimental.WithSnapshotter's key not found: wazero changed its layout")
	}
	if got := experimental.WithSnapshotter(context.Background()).Value(snapshotProbe); got == nil {
		t.Fatal("the probe is not the snapshotter key")
	}
	asked := 0
	c := &callContext[struct{}]{Context: countingCtx{Context: context.Background(), n: &asked}}
	if c.Value(snapshotProbe) != nil || asked != 0 {
		t.Errorf("the probe went to the caller's context (%d lookups)", asked)
	}
	if c.Value(probeKey{}); asked != 1 {
		t.Errorf("other keys must reach the caller's context: %d lookups", asked)
	}
}

type probeKey struct{}

type countingCtx struct {
	context.Context
	n *int
}

func (c countingCtx) Value(key any) any { *c.n++; return c.Context.Value(key) }
