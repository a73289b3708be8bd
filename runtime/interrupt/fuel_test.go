package interrupt

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// fuelModule has a counted loop (count n runs its body n times: n loop
// checks and one function entry), a call chain (calls n: n+1 entries) and
// a trap of its own.
const fuelModule = `(module
  (memory 1)
  (func (export "count") (param $n i32)
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))
  (func $down (param $n i32)
    (if (i32.gt_s (local.get $n) (i32.const 0))
      (then (call $down (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "calls") (param $n i32) (call $down (local.get $n)))
  (func (export "boom") unreachable))`

// fuelOf instantiates wasm rewritten with Fuel (and yield points, as a
// runtime has them) on e and returns the instance and its fuel.
func fuelOf(t *testing.T, e engine, wasm []byte) (api.Module, api.MutableGlobal) {
	t.Helper()
	out, err := InstrumentWith(wasm, Options{YieldEvery: yieldEvery, Fuel: true})
	if err != nil {
		t.Fatal(err)
	}
	mod := instantiate(t, newRuntime(t, e), out)
	fuel, ok := FuelGlobal(mod)
	if !ok {
		t.Fatal("no fuel global")
	}
	if _, ok := Global(mod); !ok {
		t.Fatal("no interrupt flag beside the fuel")
	}
	return mod, fuel
}

// TestFuel checks the budget is a deterministic count of checks: a call
// given exactly what it needs returns with none left, one unit less traps
// with the fuel at -1, the same call always takes the same fuel, a guest's
// own trap leaves the fuel at 0 or more, and an instance whose host never
// sets the fuel runs as without it.
func TestFuel(t *testing.T) {
	ctx := context.Background()
	wasm := assemble(t, fuelModule)
	for _, e := range []engine{compiler, interpreter} {
		t.Run(e.name, func(t *testing.T) {
			mod, fuel := fuelOf(t, e, wasm)
			if got := int64(fuel.Get()); got != math.MaxInt64 {
				t.Fatalf("initial fuel %d, want MaxInt64 (no budget)", got)
			}
			for _, c := range []struct {
				fn   string
				arg  uint64
				need int64
			}{
				{"count", 10, 11}, {"count", 1000, 1001}, {"calls", 0, 2}, {"calls", 50, 52},
			} {
				for range 3 { // the same call takes the same fuel every time
					fuel.Set(uint64(c.need))
					if _, err := mod.ExportedFunction(c.fn).Call(ctx, c.arg); err != nil {
						t.Fatalf("%s(%d) with %d units: %v", c.fn, c.arg, c.need, err)
					}
					if left := int64(fuel.Get()); left != 0 {
						t.Fatalf("%s(%d): %d units left of %d, want 0", c.fn, c.arg, left, c.need)
					}
				}
				fuel.Set(uint64(c.need - 1))
				_, err := mod.ExportedFunction(c.fn).Call(ctx, c.arg)
				if err == nil || !strings.Contains(err.Error(), "unreachable") {
					t.Fatalf("%s(%d) with %d units: %v, want an unreachable trap", c.fn, c.arg, c.need-1, err)
				}
				if left := int64(fuel.Get()); left != -1 {
					t.Fatalf("%s(%d) ran out: fuel %d, want -1", c.fn, c.arg, left)
				}
			}
			fuel.Set(5)
			if _, err := mod.ExportedFunction("boom").Call(ctx); err == nil {
				t.Fatal("boom returned")
			}
			if left := int64(fuel.Get()); left != 4 {
				t.Fatalf("after the guest's own trap: fuel %d, want 4 (one entry taken, not exhausted)", left)
			}
		})
	}
}

// TestFuelStopsRunaways runs every runaway of the interrupt tests with a
// budget instead of a flag: each traps with its fuel at -1.
func TestFuelStopsRunaways(t *testing.T) {
	ctx := context.Background()
	for _, rw := range runaways {
		t.Run(rw.name, func(t *testing.T) {
			// Yield points need a memory; the runaways have none.
			mod, fuel := fuelOf(t, compiler, assemble(t, strings.Replace(rw.wat, "(module", "(module (memory 1)", 1)))
			fuel.Set(1 << 20)
			_, err := mod.ExportedFunction("run").Call(ctx, rw.args...)
			if err == nil || !strings.Contains(err.Error(), "unreachable") {
				t.Fatalf("got %v, want an unreachable trap", err)
			}
			if left := int64(fuel.Get()); left != -1 {
				t.Fatalf("fuel %d after the trap, want -1", left)
			}
		})
	}
}

// TestFuelExportTaken checks a module that already exports the fuel's
// name is refused, like one exporting the flag's.
func TestFuelExportTaken(t *testing.T) {
	wasm := assemble(t, `(module (global (export "wasmplug:fuel") (mut i64) (i64.const 0)))`)
	if _, err := InstrumentWith(wasm, Options{Fuel: true}); err == nil || !strings.Contains(err.Error(), FuelExport) {
		t.Fatalf("got %v, want a refusal naming %q", err, FuelExport)
	}
}
