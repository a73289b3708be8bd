package restest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/internal/restest/dual/host"
	"github.com/tetratelabs/wazero"
)

// A world that imports and exports one interface (dual.wit): the host's
// pool.conn and the guest's are two resources, and so are the records that
// hold them. The guest's conn wraps a host conn.

type hostPool struct {
	made, dropped []string
}

type hostConn struct {
	p    *hostPool
	name string
}

func (c *hostConn) Name(context.Context) string { return c.name }
func (c *hostConn) Drop(context.Context)        { c.p.dropped = append(c.p.dropped, c.name) }

func (p *hostPool) NewPoolConn(_ context.Context, name string) host.PoolConn {
	p.made = append(p.made, name)
	return &hostConn{p: p, name: name}
}
func (p *hostPool) Echo(_ context.Context, w host.PoolWrapped) host.PoolWrapped {
	return host.PoolWrapped{C: w.C, N: w.N * 10}
}
func (p *hostPool) Gone(context.Context) []string { return p.dropped }

func TestDualWorld(t *testing.T) {
	for _, name := range []string{"go", "c-dual", "rust-dual"} {
		t.Run(name, func(t *testing.T) {
			var wasm []byte
			if name == "go" {
				wasm = guests.BuildGo(t, "internal/restest/dual/guestimpl", "internal/restest/dual/guest", "guest/cabi", "witval")
			} else {
				wasm = guests.Load(t, name)
			}
			defer func() {
				if r := recover(); r != nil {
					mf, ok := r.(mustFail)
					if !ok {
						panic(r)
					}
					t.Fatalf("unexpected error: %v", mf.err)
				}
			}()
			ctx := context.Background()
			r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilation))
			defer r.Close(ctx)
			if err := host.Define(ctx, r); err != nil {
				t.Fatal(err)
			}
			mod := must(host.Compile(ctx, r, wasm))
			p := &hostPool{}
			inst := must(mod.Instantiate(ctx, host.Imports{Pool: p}, nil))
			c := must(inst.NewExportPoolConn(ctx, "x"))
			if !slices.Equal(p.made, []string{"x@host"}) {
				t.Fatalf("host conns made: %q", p.made)
			}
			if got := must(c.Name(ctx)); got != "guest(x@host)" {
				t.Fatalf("name %q", got)
			}
			w := must(inst.Echo(ctx, host.ExportPoolWrapped{C: c, N: 1}))
			if w.N != 21 || must(w.C.Name(ctx)) != "guest(x@host)" {
				t.Fatalf("echo: n=%d", w.N)
			}
			if !slices.Equal(p.dropped, []string{"x~"}) {
				t.Fatalf("host conns dropped: %q", p.dropped)
			}
			_, err := c.Name(ctx)
			badHandle(t, "conn moved into echo", err)
			if err := w.C.Drop(ctx); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.dropped, []string{"x~", "x@host"}) {
				t.Fatalf("the guest's destructor did not drop its host conn: %q", p.dropped)
			}
			if got := must(inst.Gone(ctx)); !slices.Equal(got, []string{"x"}) {
				t.Fatalf("guest conns gone: %q", got)
			}
			if n := inst.LiveHandles(); n != 0 {
				t.Fatalf("%d live handles", n)
			}
			if err := inst.Close(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
