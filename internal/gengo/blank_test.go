package gengo

import (
	"go/format"
	"strings"
	"testing"
)

// TestPruneBlanks: `_ = x` goes where x is used, and with x's declaration
// where neither is needed; it stays where its removal would leave a
// variable unused or drop an effect.
func TestPruneBlanks(t *testing.T) {
	src := `package p

func used(g *G) int {
	mem := g.Mem
	_ = mem
	return mem.N
}

func unused(g *G) int {
	mem := g.Mem
	_ = mem
	var err error
	_ = err
	return g.N
}

func keepsEffect(f func() int) {
	n := f()
	_ = n
}

func keepsOnlyReader(g *G) {
	mem := g.Mem
	_ = mem
}

func shadowed(x int) int {
	_ = x
	{
		x := 2
		return x
	}
}
`
	out, err := pruneBlanks([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got, err := format.Source(out)
	if err != nil {
		t.Fatalf("pruned source does not parse: %v\n%s", err, out)
	}
	want := `package p

func used(g *G) int {
	mem := g.Mem
	return mem.N
}

func unused(g *G) int {
	return g.N
}

func keepsEffect(f func() int) {
	n := f()
	_ = n
}

func keepsOnlyReader(g *G) {
	mem := g.Mem
	_ = mem
}

func shadowed(x int) int {
	_ = x
	{
		x := 2
		return x
	}
}
`
	if string(got) != want {
		t.Errorf("pruned:\n%s\nwant:\n%s", got, want)
	}
	if strings.Count(string(got), "_ = ") != 3 {
		t.Errorf("%d blank assignments left, want 3", strings.Count(string(got), "_ = "))
	}
}
