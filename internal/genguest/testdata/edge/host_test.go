// Runs testdata/edge/main.go (built as $EDGE_WASM) on host bindings of
// edge.wit generated at test time; see TestEdgeWorld.
package h

import (
	"context"
	"errors"
	"github.com/raisfast/wasmplug/witval"
	"os"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/tetratelabs/wazero"
)

type impl struct{}

func (impl) TypeFn(ctx context.Context, stack uint32, cabi string, guest Cfg, mark Big, rp V) (Cfg, error) {
	if mark == 0 {
		return Cfg{}, witval.NewResultError(Big(1<<39 | 1))
	}
	return Cfg{Stack: stack, Cabi: cabi + "!", Guest: guest.Guest}, nil
}
func (impl) APing(ctx context.Context)               {}
func (impl) Nothing(ctx context.Context) error       { return nil }
func (impl) WideRes(ctx context.Context) Big         { return BigG39 | BigG0 }
func (impl) BPing(ctx context.Context) (uint8, bool) { return 7, true }
func (impl) Type(ctx context.Context, x []witval.Tuple2[uint8, *string]) [][]byte {
	return [][]byte{{1}, {}}
}
func (impl) Get(ctx context.Context, c Cfg) witval.Tuple2[Cfg, Cfg] {
	return witval.Tuple2[Cfg, Cfg]{F0: c, F1: c}
}
func (impl) Clash(ctx context.Context, n *string, a OptionString, l []OptionString, m []*string) witval.Tuple4[OptionString, *string, []OptionString, []*string] {
	s := *n + "!"
	return witval.Tuple4[OptionString, *string, []OptionString, []*string]{F0: OptionString{S: a.S + "!", N: a.N + 1}, F1: &s, F2: l, F3: m}
}
func (impl) Imp(ctx context.Context, x float32) float32 { return x * 2 }

func TestEdge(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	if err := Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(os.Getenv("EDGE_WASM"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(ctx, r, wasm)
	if err != nil {
		t.Fatal(err)
	}
	i, err := m.Instantiate(ctx, Imports{A: impl{}, B: impl{}, EdgeImports: impl{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := i.Ping(ctx, 5)
	if v != 7 || err != nil {
		t.Errorf("ping(5) = %d, %v; want 7 (the guest checks every import's result)", v, err)
	}
	var re *witval.ResultError[uint32]
	if err := i.Exp(ctx, []byte("xyz")); !errors.As(err, &re) || re.Value != 3 {
		t.Errorf("exp: %v, want result error 3", err)
	}
	if out, err := i.Filter(ctx, "x"); out != nil || err != nil {
		t.Errorf("unimplemented filter: %v, %v; want none", out, err)
	}
	if err := i.Act(ctx, "x"); err != nil {
		t.Errorf("unimplemented action: %v", err)
	}
	if c, err := i.Main(ctx, '🎉'); err != nil || c == nil || *c != '🎉' {
		t.Errorf("main: %v, %v", c, err)
	}
	if _, err := i.Calc(ctx); !errors.Is(err, abi.ErrTrap) || !strings.Contains(err.Error(), "wasmexportCalc") {
		// The panic's message goes to the guest's stderr; the trap's wasm
		// stack names the shim.
		t.Errorf("unimplemented calc: %v; want a trap in its shim", err)
	}
}
