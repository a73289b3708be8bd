package genhost_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/genhost"
	"github.com/raisfast/wasmplug/internal/witmodel"
)

const module = "github.com/raisfast/wasmplug"

// docs maps the declarations of a Go file to their doc text: "Color" for a
// type, "Instance.Old" for a method, "API.Old" for an interface method.
func docs(t *testing.T, src []byte) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "bindings.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil {
				if star, ok := d.Recv.List[0].Type.(*ast.StarExpr); ok {
					name = star.X.(*ast.Ident).Name + "." + name
				}
			}
			out[name] = d.Doc.Text()
		case *ast.GenDecl:
			for _, s := range d.Specs {
				ts, ok := s.(*ast.TypeSpec)
				if !ok {
					continue
				}
				out[ts.Name.Name] = d.Doc.Text()
				if it, ok := ts.Type.(*ast.InterfaceType); ok {
					for _, m := range it.Methods.List {
						out[ts.Name.Name+"."+m.Names[0].Name] = m.Doc.Text()
					}
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

// TestGates generates the host bindings of testdata/gates without and
// with the fancy feature, checks which declarations exist and how the
// gates are documented, and vets both.
func TestGates(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gen := func(opts witmodel.LoadOptions) []byte {
		t.Helper()
		w, err := witmodel.LoadWith(filepath.Join(root, "testdata", "gates"), "gated", opts)
		if err != nil {
			t.Fatal(err)
		}
		src, err := genhost.Generate(w, genhost.Options{Package: "h", Command: "witgen host (test)"})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	plain, fancy := gen(witmodel.LoadOptions{}), gen(witmodel.LoadOptions{Features: []string{"fancy"}})
	dp, df := docs(t, plain), docs(t, fancy)

	gated := []string{"Instance.Fancy", "Instance.FancyOld", "Instance.FancyHello", "API.Fancy", "API.FancyOld", "FancyRec", "FancyList"}
	for _, name := range gated {
		if _, ok := dp[name]; ok {
			t.Errorf("%s is generated without -features fancy", name)
		}
		if _, ok := df[name]; !ok {
			t.Errorf("%s is missing with -features fancy", name)
		}
	}
	for _, name := range []string{"Extra", "Imports.Extra"} {
		if _, ok := df[name]; ok {
			t.Errorf("%s is generated without -features extra", name)
		}
	}

	const dep012 = "Deprecated: since 0.1.2 (WIT @deprecated)."
	for name, want := range map[string]string{
		"Instance.Old":      dep012,
		"API.Old":           dep012,
		"Color":             dep012,
		"Legacy":            "Deprecated: since 0.2.0 (WIT @deprecated).",
		"Instance.FancyOld": dep012,
		"Instance.Newer":    "",
		"Instance.Plain":    "",
		"NewRec":            "",
	} {
		doc, ok := df[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if got := deprecation(doc); got != want {
			t.Errorf("%s: deprecation %q, want %q; doc:\n%s", name, got, want, doc)
		}
	}
	for name, line := range map[string]string{
		"Instance.Newer": "Since 0.1.1.",
		"API.Newer":      "Since 0.1.1.",
		"Instance.Old":   "Since 0.1.0.",
		"Instance.Hello": "Since 0.1.1.",
		"API":            "Since 0.1.0.",
		"NewRec":         "Since 0.1.1.",
		"Instance.Fancy": "Unstable: feature fancy.",
		"API.FancyOld":   "Unstable: feature fancy.",
		"FancyRec":       "Unstable: feature fancy.",
		"FancyList":      "Unstable: feature fancy.",
	} {
		if doc := df[name]; !strings.Contains("\n"+doc, "\n"+line+"\n") {
			t.Errorf("%s: doc has no line %q:\n%s", name, line, doc)
		}
	}
	// The WIT doc is kept ahead of the gate.
	if doc := df["Instance.Old"]; !strings.HasPrefix(doc, "Old calls the guest's test:gates/api@0.2.0#old.\nOld.\n\nSince 0.1.0.\n\n") {
		t.Errorf("Instance.Old doc:\n%s", doc)
	}

	if testing.Short() {
		t.Skip("vets the generated code in a scratch module")
	}
	dir := scratchModule(t, root)
	for pkg, src := range map[string][]byte{"plain": plain, "fancy": fancy} {
		writeFile(t, filepath.Join(dir, pkg, "bindings.go"), src)
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}

// scratchModule makes a module that requires the repository through a
// replace directive, with the repository's go.sum (as genguest's tests do).
func scratchModule(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gates")
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	wazero := ""
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require ")); len(f) >= 2 && f[0] == "github.com/tetratelabs/wazero" {
			wazero = f[1]
		}
	}
	if wazero == "" {
		t.Fatal("go.mod does not require wazero")
	}
	writeFile(t, filepath.Join(dir, "go.mod"), []byte("module example.com/gates\n\ngo 1.26\n\n"+
		"require (\n\t"+module+" v0.0.0-00010101000000-000000000000\n\tgithub.com/tetratelabs/wazero "+wazero+"\n)\n\n"+
		"replace "+module+" => "+filepath.ToSlash(root)+"\n"))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), sum)
	return dir
}

func writeFile(t *testing.T, path string, src []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
}
