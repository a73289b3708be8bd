// A guest of edge.wit: names that collide with generated identifiers, 40
// flags, variants with joined flat types, results of records, same-named
// functions in several interfaces, world-level imports and exports (one
// named main), types whose helper names clash (option-string, option<string>). ping checks every import's result and traps on a mismatch.
package main

import (
	"github.com/raisfast/wasmplug/witval"

	"example.com/edge/g"
	"example.com/edge/g/a"
	"example.com/edge/g/b"
	"example.com/edge/g/c/ping"
	_ "example.com/edge/g/d/act"    // exported, unimplemented: does nothing
	_ "example.com/edge/g/d/calc"   // exported, unimplemented: traps
	_ "example.com/edge/g/d/filter" // exported, unimplemented: returns none
	"example.com/edge/g/edge"
	"example.com/edge/g/edge/exp"
	"example.com/edge/g/edge/mainx"
)

func must(ok bool, msg string) {
	if !ok {
		panic(msg)
	}
}

func init() {
	ping.Export(func(x int8) int8 {
		a.Ping()
		v, ok := b.Ping()
		must(v == 7 && ok, "b.ping")
		f := 2.5
		c, err := a.TypeFn(1, "c", g.Cfg{Guest: &f}, g.BigG39, g.VD{Value: g.Cfg{Cabi: "x"}})
		must(err == nil && c.Stack == 1 && c.Cabi == "c!" && *c.Guest == 2.5, "typefn")
		_, err = a.TypeFn(1, "c", g.Cfg{}, 0, g.VC{})
		e, ok := witval.AsResultError[g.Big](err)
		must(ok && e == g.BigG39|g.BigG0, "typefn err")
		must(a.Nothing() == nil, "nothing")
		must(a.WideRes() == g.BigG39|g.BigG0, "wide")
		l := b.Type(nil)
		must(len(l) == 2 && len(l[0]) == 1 && l[0][0] == 1 && len(l[1]) == 0, "type")
		t := b.Get(c)
		must(t.F0.Cabi == "c!" && t.F1.Cabi == "c!", "get")
		s := "s"
		cl := b.Clash(&s, g.OptionString{S: "a", N: 2}, []g.OptionString{{S: "l", N: 3}}, []*string{nil, &s})
		must(cl.F0 == g.OptionString{S: "a!", N: 3} && *cl.F1 == "s!" && len(cl.F2) == 1 && cl.F2[0].S == "l" && len(cl.F3) == 2 && cl.F3[0] == nil && *cl.F3[1] == "s", "clash")
		return x + int8(edge.Imp(1))
	})
	exp.Export(func(x []byte) error { return witval.NewResultError(uint32(len(x))) })
	mainx.Export(func(x rune) *rune { return &x })
}

func main() {}
