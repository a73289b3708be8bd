package witmodel

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const gatesWIT = "../../testdata/gates"

func loadGated(t *testing.T, opts LoadOptions) *World {
	t.Helper()
	w, err := LoadWith(gatesWIT, "gated", opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// funcNames lists "iface#func" (or "func" for world-level ones) of a direction.
func funcNames(set []*Interface) []string {
	var out []string
	for _, i := range set {
		for _, f := range i.Funcs {
			n := f.Name
			if i.Name != "" {
				n = i.Name + "#" + n
			}
			out = append(out, n)
		}
	}
	return out
}

func typeNames(w *World) []string {
	var out []string
	for _, t := range w.Types {
		out = append(out, t.Name)
	}
	return out
}

func TestGatesFilter(t *testing.T) {
	base := []string{"api#plain", "api#newer", "api#old"}
	cases := []struct {
		name             string
		opts             LoadOptions
		imports, exports []string
		types            []string
	}{
		{"no features", LoadOptions{},
			append(slices.Clone(base), "legacy#ping"),
			append(slices.Clone(base), "hello"),
			[]string{"old-rec", "new-rec", "color"}},
		{"fancy", LoadOptions{Features: []string{"fancy"}},
			append(slices.Clone(base), "api#fancy", "api#fancy-old", "legacy#ping"),
			append(slices.Clone(base), "api#fancy", "api#fancy-old", "hello", "fancy-hello"),
			[]string{"old-rec", "new-rec", "fancy-rec", "color", "fancy-list"}},
		{"other feature", LoadOptions{Features: []string{"extra"}},
			append(slices.Clone(base), "legacy#ping", "extra#go"),
			append(slices.Clone(base), "hello"),
			[]string{"old-rec", "new-rec", "color"}},
		{"all features", LoadOptions{AllFeatures: true},
			append(slices.Clone(base), "api#fancy", "api#fancy-old", "legacy#ping", "extra#go"),
			append(slices.Clone(base), "api#fancy", "api#fancy-old", "hello", "fancy-hello"),
			[]string{"old-rec", "new-rec", "fancy-rec", "color", "fancy-list"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := loadGated(t, c.opts)
			if got := funcNames(w.Imports); !slices.Equal(got, c.imports) {
				t.Errorf("imports %q, want %q", got, c.imports)
			}
			if got := funcNames(w.Exports); !slices.Equal(got, c.exports) {
				t.Errorf("exports %q, want %q", got, c.exports)
			}
			if got := typeNames(w); !slices.Equal(got, c.types) {
				t.Errorf("types %q, want %q", got, c.types)
			}
			// Indexes are those of the kept functions: dense, in order.
			for _, set := range [][]*Interface{w.Imports, w.Exports} {
				k := 0
				for _, i := range set {
					for _, f := range i.Funcs {
						if f.Index != k {
							t.Errorf("%s has index %d, want %d", f.QualifiedName(), f.Index, k)
						}
						k++
					}
				}
			}
		})
	}
	// The default of Load and Resolve is no features.
	w, err := Load(gatesWIT, "gated")
	if err != nil {
		t.Fatal(err)
	}
	if got := funcNames(w.Exports); !slices.Equal(got, cases[0].exports) {
		t.Errorf("Load: exports %q, want %q", got, cases[0].exports)
	}
}

func TestGatesRecorded(t *testing.T) {
	w := loadGated(t, LoadOptions{AllFeatures: true})
	funcs := map[string]*Func{}
	ifaces := map[string]*Interface{}
	for _, i := range w.Imports {
		ifaces[i.Name] = i
		for _, f := range i.Funcs {
			funcs["import "+f.Name] = f
		}
	}
	for _, i := range w.Exports {
		for _, f := range i.Funcs {
			funcs["export "+f.Name] = f
		}
	}
	for name, want := range map[string]Gate{
		"import plain":       {},
		"import newer":       {Since: "0.1.1"},
		"import old":         {Since: "0.1.0", Deprecated: "0.1.2"},
		"import fancy":       {Feature: "fancy"},
		"import fancy-old":   {Feature: "fancy", Deprecated: "0.1.2"},
		"export old":         {Since: "0.1.0", Deprecated: "0.1.2"},
		"export hello":       {Since: "0.1.1"},
		"export fancy-hello": {Feature: "fancy"},
	} {
		if f := funcs[name]; f == nil {
			t.Errorf("%s missing", name)
		} else if f.Gate != want {
			t.Errorf("%s: gate %+v, want %+v", name, f.Gate, want)
		}
	}
	// An interface's gate comes from its declaration when the world's
	// import does not say.
	for name, want := range map[string]Gate{
		"api":    {Since: "0.1.0"},
		"legacy": {Since: "0.1.0", Deprecated: "0.2.0"},
		"extra":  {Feature: "extra"},
	} {
		if i := ifaces[name]; i == nil {
			t.Errorf("interface %s missing", name)
		} else if i.Gate != want {
			t.Errorf("interface %s: gate %+v, want %+v", name, i.Gate, want)
		}
	}
	for name, want := range map[string]Gate{
		"old-rec":    {},
		"new-rec":    {Since: "0.1.1"},
		"color":      {Since: "0.1.0", Deprecated: "0.1.2"},
		"fancy-rec":  {Feature: "fancy"},
		"fancy-list": {Feature: "fancy"}, // an alias
	} {
		if ty := typeNamed(w, name); ty == nil {
			t.Errorf("type %s missing", name)
		} else if ty.Gate != want {
			t.Errorf("type %s: gate %+v, want %+v", name, ty.Gate, want)
		}
	}
}

// TestGatedTypeUsed checks that a kept item using a left-out type is an
// error that names both, and that enabling the feature resolves it.
func TestGatedTypeUsed(t *testing.T) {
	cases := []struct {
		name, wit   string
		feature     string
		errHas      []string
		byInterface bool
	}{
		{"function param", `
interface i {
  @unstable(feature = f1)
  record r { a: u32 }
  g: func(x: r);
}
world w { export i; }`, "f1", []string{"function g, param x", "type r of test:t/i@1.0.0", "@unstable(feature = f1)"}, false},
		{"record field", `
interface i {
  @unstable(feature = f1)
  record r { a: u32 }
  record s { inner: list<r> }
  g: func() -> s;
}
world w { import i; }`, "f1", []string{"record s, field inner", "type r of", "feature = f1"}, false},
		{"ungated use", `
interface types {
  @unstable(feature = f1)
  enum e { a, b }
}
interface i {
  use types.{e};
  g: func() -> e;
}
world w { import i; }`, "f1", []string{"interface test:t/i@1.0.0", "type e", "type e of test:t/types@1.0.0", "feature = f1"}, false},
		{"type of a gated interface", `
@unstable(feature = f2)
interface types {
  record r { a: u32 }
}
interface i {
  use types.{r};
  g: func(x: r);
}
world w { import i; }`, "f2", []string{"type r of test:t/types@1.0.0", "its interface is @unstable(feature = f2)"}, true},
		{"world-level function", `
world w {
  @unstable(feature = f1)
  record r { a: u32 }
  export g: func(x: r);
}`, "f1", []string{"function g, param x", "type r of test:t@1.0.0/w", "feature = f1"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "t.wit")
			if err := os.WriteFile(path, []byte("package test:t@1.0.0;\n"+c.wit+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadWith(path, "w", LoadOptions{})
			var ge *GatedError
			if !errors.As(err, &ge) {
				t.Fatalf("got %v, want a *GatedError", err)
			}
			if ge.Feature != c.feature || ge.ByInterface != c.byInterface {
				t.Errorf("GatedError %+v", ge)
			}
			for _, s := range c.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if _, err := LoadWith(path, "w", LoadOptions{Features: []string{c.feature}}); err != nil {
				t.Errorf("with -features %s: %v", c.feature, err)
			}
		})
	}
}

func TestGatedWorld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.wit")
	src := "package test:t@1.0.0;\n@unstable(feature = next)\nworld w { export g: func(); }\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWith(path, "w", LoadOptions{}); err == nil || !strings.Contains(err.Error(), "feature = next") {
		t.Errorf("gated world without its feature: %v", err)
	}
	if _, err := LoadWith(path, "w", LoadOptions{Features: []string{"next"}}); err != nil {
		t.Error(err)
	}
}

func TestGateDoc(t *testing.T) {
	for _, c := range []struct {
		g         Gate
		doc, want string
	}{
		{Gate{}, "Doc.", "Doc."},
		{Gate{}, "", ""},
		{Gate{Since: "0.1.1"}, "", "Since 0.1.1."},
		{Gate{Since: "0.1.1"}, " Doc.\n", "Doc.\n\nSince 0.1.1."},
		{Gate{Feature: "f"}, "Doc.", "Doc.\n\nUnstable: feature f."},
		{Gate{Since: "0.1.0", Deprecated: "0.1.2"}, "Doc.", "Doc.\n\nSince 0.1.0.\n\nDeprecated: since 0.1.2 (WIT @deprecated)."},
		{Gate{Feature: "f", Deprecated: "0.1.2"}, "", "Unstable: feature f.\n\nDeprecated: since 0.1.2 (WIT @deprecated)."},
	} {
		if got := WithGateDoc(c.doc, c.g); got != c.want {
			t.Errorf("WithGateDoc(%q, %+v) = %q, want %q", c.doc, c.g, got, c.want)
		}
	}
	o := LoadOptions{Features: []string{"a"}}
	if !o.Enabled("a") || o.Enabled("b") || !(LoadOptions{AllFeatures: true}).Enabled("b") {
		t.Error("LoadOptions.Enabled")
	}
}

func TestWithGateDocs(t *testing.T) {
	w := loadGated(t, LoadOptions{})
	docs := WithGateDocs(w.Types)
	for k, ty := range w.Types {
		switch {
		case ty.Gate.IsZero() && docs[k] != ty:
			t.Errorf("%s: ungated type copied", ty.Name)
		case !ty.Gate.IsZero() && (docs[k] == ty || docs[k].Doc != WithGateDoc(ty.Doc, ty.Gate) || docs[k].GoName != ty.GoName):
			t.Errorf("%s: doc %q", ty.Name, docs[k].Doc)
		}
		if ty.Name == "color" && strings.Contains(ty.Doc, "Deprecated") {
			t.Error("WithGateDocs changed the model's type")
		}
	}
	plain := load(t, "../../wit/plugin.wit", "plugin-world")
	if got := WithGateDocs(plain.Types); &got[0] != &plain.Types[0] {
		t.Error("WithGateDocs copied a world without gates")
	}
}
