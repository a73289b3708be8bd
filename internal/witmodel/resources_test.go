package witmodel

import (
	"slices"
	"testing"
)

func funcNamed(i *Interface, name string) *Func {
	for _, f := range i.Funcs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// TestResources checks what the model says of the resource test world:
// resources by ID and side, function kinds and Go names, self as a borrow,
// handle layouts, and the intrinsics' core names.
func TestResources(t *testing.T) {
	w := load(t, "../restest/wit", "res")
	if len(w.Resources) != 2 {
		t.Fatalf("%d resources", len(w.Resources))
	}
	blob, counter := w.Resources[0], w.Resources[1]
	if blob.Name != "blob" || blob.ID != 1 || blob.Export || blob.Iface.Qualified != "test:res/store@0.1.0" {
		t.Fatalf("blob: %+v", blob)
	}
	if counter.Name != "counter" || counter.ID != 2 || !counter.Export || counter.Iface.Name != "counters" {
		t.Fatalf("counter: %+v", counter)
	}
	if counter.Constructor == nil || len(counter.Methods) != 3 || len(counter.Statics) != 1 {
		t.Fatalf("counter functions: %+v", counter)
	}
	store, counters := w.Imports[0], w.Exports[0]
	for _, c := range []struct {
		iface          *Interface
		name, goName   string
		kind           FuncKind
		method         string
		core           string
		firstParamKind Kind
	}{
		{store, "[constructor]blob", "NewBlob", Constructor, "New", "(i32 i32) -> (i32)", 0},
		{store, "[method]blob.size", "BlobSize", Method, "Size", "(i32) -> (i32)", Borrow},
		{store, "[static]blob.concat", "BlobConcat", Static, "Concat", "(i32 i32) -> (i32)", Borrow},
		{counters, "[method]counter.add", "CounterAdd", Method, "Add", "(i32 i64) -> (i64)", Borrow},
		{counters, "[static]counter.merge", "CounterMerge", Static, "Merge", "(i32 i32) -> (i32)", Own},
		{counters, "keep-blob", "KeepBlob", Freestanding, "", "(i32) -> ()", Own},
	} {
		f := funcNamed(c.iface, c.name)
		if f == nil {
			t.Fatalf("no function %s", c.name)
		}
		if f.GoName != c.goName || f.Kind != c.kind || f.MethodName != c.method {
			t.Errorf("%s: GoName %s kind %d method %q", c.name, f.GoName, f.Kind, f.MethodName)
		}
		if got := Sig(f.CoreParams, f.CoreResults); got != c.core {
			t.Errorf("%s: core %s, want %s", c.name, got, c.core)
		}
		if c.firstParamKind != 0 && f.Params[0].Type.Kind != c.firstParamKind {
			t.Errorf("%s: first param is %s, want %s", c.name, f.Params[0].Type.Kind, c.firstParamKind)
		}
	}
	if h := blob.Own; h.Size != 4 || h.Align != 4 || !slices.Equal(h.Flat, []CoreType{I32}) || !h.HasHandles() || h.HasPointers() {
		t.Errorf("own<blob> layout: %+v", h)
	}
	tagged := typeNamed(w, "tagged")
	if tagged == nil || !tagged.HasHandles() || tagged.HasBorrows() || tagged.Size != 12 {
		t.Errorf("tagged: %+v", tagged)
	}
	if f := funcNamed(store, "total-size"); !f.BorrowsParams() || !f.UsesHandles() {
		t.Error("total-size takes a list of borrows")
	}
	if f := funcNamed(counters, "dropped"); f.UsesHandles() {
		t.Error("dropped uses no handles")
	}
	if got := counter.DtorNames(); !slices.Equal(got, []string{"test:res/counters@0.1.0#[dtor]counter", "test:res/counters#[dtor]counter"}) {
		t.Errorf("dtor names %q", got)
	}
	if got := counters.ExportModules(); !slices.Equal(got, []string{"[export]test:res/counters@0.1.0", "[export]test:res/counters"}) {
		t.Errorf("export modules %q", got)
	}
	if got := funcNamed(counters, "[method]counter.add").ExportNames()[0]; got != "test:res/counters@0.1.0#[method]counter.add" {
		t.Errorf("export name %q", got)
	}
}

// TestResourceNames checks the awkward names of the edge world: two
// resources named thing, a resource named like its interface and one named
// like a generated type get their interface's name; methods named like the
// handle types' own get a suffix.
func TestResourceNames(t *testing.T) {
	w := load(t, "../restest/testdata/edge", "edge")
	var names []string
	for _, r := range w.Resources {
		names = append(names, r.GoName)
	}
	slices.Sort(names)
	if want := []string{"Bare", "CounterCounter", "CounterGuest", "Empty", "Handle", "OtherThing", "Token", "TypesThing", "Wtoken"}; !slices.Equal(names, want) {
		t.Fatalf("resource Go names %q, want %q", names, want)
	}
	types := w.Imports[0]
	if f := funcNamed(types, "[method]thing.drop"); f == nil || f.MethodName != "DropMethod" || f.GoName != "TypesThingDropMethod" {
		t.Fatalf("thing.drop: %+v", f)
	}
	if f := funcNamed(types, "[constructor]thing"); f == nil || f.GoName != "NewTypesThing" {
		t.Fatalf("thing constructor: %+v", f)
	}
}
