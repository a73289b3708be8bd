package genguest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/genguest"
	"github.com/raisfast/wasmplug/internal/witmodel"
)

// declDocs maps the declarations of a Go file to their doc text: "package"
// for the package doc, a function's or type's name for its doc.
func declDocs(t *testing.T, name string, src []byte) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{"package": f.Doc.Text()}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				out[d.Name.Name] = d.Doc.Text()
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					out[ts.Name.Name] = d.Doc.Text()
				}
			}
		}
	}
	return out
}

// deprecation returns the "Deprecated: " paragraph of a doc text, as Go
// tools find it, or "".
func deprecation(doc string) string {
	for _, p := range strings.Split(doc, "\n\n") {
		if strings.HasPrefix(p, "Deprecated: ") {
			return strings.TrimSpace(p)
		}
	}
	return ""
}

// TestGates generates the guest bindings of testdata/gates without and
// with the fancy feature, checks which packages and functions exist and
// how the gates are documented, and vets both for wasip1 and natively.
func TestGates(t *testing.T) {
	root := repoRoot(t)
	gen := func(opts witmodel.LoadOptions, importPath string) map[string][]byte {
		t.Helper()
		w, err := witmodel.LoadWith(filepath.Join(root, "testdata", "gates"), "gated", opts)
		if err != nil {
			t.Fatal(err)
		}
		files, err := genguest.Generate(w, genguest.Options{Package: "g", ImportPath: importPath, Command: "witgen guest (test)"})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	plain := gen(witmodel.LoadOptions{}, "example.com/gates/plain")
	fancy := gen(witmodel.LoadOptions{Features: []string{"fancy"}}, "example.com/gates/fancy")

	for _, name := range []string{"api/fancy/bindings.go", "api/fancyold/bindings.go", "gated/fancyhello/bindings.go"} {
		if _, ok := plain[name]; ok {
			t.Errorf("%s is generated without -features fancy", name)
		}
		if _, ok := fancy[name]; !ok {
			t.Errorf("%s is missing with -features fancy", name)
		}
	}
	for name := range fancy {
		if strings.HasPrefix(name, "extra/") {
			t.Errorf("%s is generated without -features extra", name)
		}
	}
	api, apiFancy := declDocs(t, "api", plain["api/bindings.go"]), declDocs(t, "api", fancy["api/bindings.go"])
	for _, fn := range []string{"Fancy", "FancyOld"} {
		if _, ok := api[fn]; ok {
			t.Errorf("import wrapper %s is generated without -features fancy", fn)
		}
		if _, ok := apiFancy[fn]; !ok {
			t.Errorf("import wrapper %s is missing with -features fancy", fn)
		}
	}
	for _, name := range []string{"FancyRec", "FancyList"} {
		if _, ok := declDocs(t, "root", plain["bindings.go"])[name]; ok {
			t.Errorf("type %s is generated without -features fancy", name)
		}
	}

	const dep012 = "Deprecated: since 0.1.2 (WIT @deprecated)."
	type check struct{ file, decl, deprecation, line string }
	for _, c := range []check{
		{"api/bindings.go", "Old", dep012, "Since 0.1.0."},
		{"api/bindings.go", "Newer", "", "Since 0.1.1."},
		{"api/bindings.go", "Fancy", "", "Unstable: feature fancy."},
		{"api/bindings.go", "FancyOld", dep012, "Unstable: feature fancy."},
		{"api/bindings.go", "Plain", "", ""},
		{"api/bindings.go", "package", "", "Since 0.1.0."},
		// A deprecated export's package is deprecated, and so is its Export.
		{"api/old/bindings.go", "package", dep012, "Since 0.1.0."},
		{"api/old/bindings.go", "Export", dep012, "Since 0.1.0."},
		{"api/plain/bindings.go", "package", "", ""},
		{"api/fancy/bindings.go", "Export", "", "Unstable: feature fancy."},
		{"gated/hello/bindings.go", "Export", "", "Since 0.1.1."},
		{"legacy/bindings.go", "package", "Deprecated: since 0.2.0 (WIT @deprecated).", "Since 0.1.0."},
		{"bindings.go", "Color", dep012, "Since 0.1.0."},
		{"bindings.go", "NewRec", "", "Since 0.1.1."},
		{"bindings.go", "FancyRec", "", "Unstable: feature fancy."},
		{"bindings.go", "OldRec", "", ""},
	} {
		doc, ok := declDocs(t, c.file, fancy[c.file])[c.decl]
		if !ok {
			t.Errorf("%s: %s missing", c.file, c.decl)
			continue
		}
		if got := deprecation(doc); got != c.deprecation {
			t.Errorf("%s: %s: deprecation %q, want %q; doc:\n%s", c.file, c.decl, got, c.deprecation, doc)
		}
		if c.line != "" && !strings.Contains("\n"+doc, "\n"+c.line+"\n") {
			t.Errorf("%s: %s: doc has no line %q:\n%s", c.file, c.decl, c.line, doc)
		}
		if c.line == "" && (strings.Contains(doc, "Since ") || strings.Contains(doc, "Unstable: ")) {
			t.Errorf("%s: %s: ungated item documents a gate:\n%s", c.file, c.decl, doc)
		}
	}

	ws := newWorkspace(t, "gates") // skips under -short
	for dir, files := range map[string]map[string][]byte{"plain": plain, "fancy": fancy} {
		for name, src := range files {
			ws.write(filepath.Join(ws.dir, dir, filepath.FromSlash(name)), string(src))
		}
	}
	run(t, ws.dir, ws.wasip1, "go", "vet", "./...")
	run(t, ws.dir, ws.native, "go", "vet", "./...")
}
