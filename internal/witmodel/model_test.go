package witmodel

import (
	"testing"
)

func load(t *testing.T, path, world string) *World {
	t.Helper()
	w, err := Load(path, world)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func typeNamed(w *World, name string) *Type {
	for _, t := range w.Types {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// TestPluginLayouts checks the layouts DESIGN.md §2 records from the
// reference toolchain.
func TestPluginLayouts(t *testing.T) {
	w := load(t, "../../wit/plugin.wit", "plugin-world")
	cases := []struct {
		name        string
		size, align uint32
		offsets     map[string]uint32
	}{
		{"post-input", 88, 4, map[string]uint32{"title": 0, "content": 8, "slug": 16, "excerpt": 28, "category-id": 40, "tag-ids": 52, "status": 64, "cover-image": 76}},
		{"post-output", 128, 8, map[string]uint32{"category-id": 72, "view-count": 88, "created-at": 96, "updated-at": 104, "published-at": 112}},
		{"comment-input", 44, 4, nil},
		{"content-event", 28, 4, nil},
	}
	for _, c := range cases {
		ty := typeNamed(w, c.name)
		if ty == nil {
			t.Fatalf("type %s missing", c.name)
		}
		if ty.Size != c.size || ty.Align != c.align {
			t.Errorf("%s: size/align %d/%d, want %d/%d", c.name, ty.Size, ty.Align, c.size, c.align)
		}
		for _, f := range ty.Fields {
			if want, ok := c.offsets[f.Name]; ok && f.Offset != want {
				t.Errorf("%s.%s at %d, want %d", c.name, f.Name, f.Offset, want)
			}
		}
	}
	var hooks *Interface
	for _, i := range w.Exports {
		if i.Name == "plugin-hooks" {
			hooks = i
		}
	}
	flat := map[string]int{"on-post-creating": 22, "on-post-created": 29}
	for _, f := range hooks.Funcs {
		if want, ok := flat[f.Name]; ok {
			if len(f.FlatArgs) != want || !f.ParamsInMemory {
				t.Errorf("%s: %d flat params (in memory %v), want %d in memory", f.Name, len(f.FlatArgs), f.ParamsInMemory, want)
			}
		}
		if f.Name == "on-post-creating" {
			if f.Result.Size != 92 || f.Result.Align != 4 || !f.ResultInMemory {
				t.Errorf("option<post-input>: %d/%d", f.Result.Size, f.Result.Align)
			}
			if got := Sig(f.CoreParams, f.CoreResults); got != "(i32) -> (i32)" {
				t.Errorf("on-post-creating core sig %s", got)
			}
		}
		if f.Name == "render-markdown" {
			if got := Sig(f.CoreParams, f.CoreResults); got != "(i32 i32) -> (i32)" {
				t.Errorf("render-markdown core sig %s", got)
			}
		}
	}
	for _, f := range w.Imports[0].Funcs {
		if f.Name == "get-config" {
			if got := Sig(f.CoreParams, f.CoreResults); got != "(i32 i32 i32) -> ()" {
				t.Errorf("get-config core sig %s", got)
			}
			if f.Result.Size != 12 || f.Result.PayloadOffset != 4 {
				t.Errorf("option<string> %d payload at %d", f.Result.Size, f.Result.PayloadOffset)
			}
		}
	}
}

func TestAllTypesResolves(t *testing.T) {
	w := load(t, "../../testdata/alltypes", "alltypes")
	if len(w.Imports) != 2 || len(w.Exports) != 2 {
		t.Fatalf("imports %d exports %d", len(w.Imports), len(w.Exports))
	}
	shape := typeNamed(w, "shape")
	// cases: f32, point(i32 i32), -, string(i32 i32), u64, f64, tuple<u8,string>(i32 i32 i32), s8
	if got := Sig(shape.Flat, nil); got != "(i32 i64 i32 i32) -> ()" {
		t.Errorf("shape flat %s", got)
	}
	if shape.Size != 24 || shape.Align != 8 || shape.PayloadOffset != 8 {
		t.Errorf("shape layout %d/%d payload %d", shape.Size, shape.Align, shape.PayloadOffset)
	}
	padded := typeNamed(w, "padded")
	if padded.Size != 48 || padded.Align != 8 {
		t.Errorf("padded %d/%d", padded.Size, padded.Align)
	}
	for _, ty := range w.Types {
		if ty.GoName == "" {
			t.Errorf("type %s has no Go name", ty.Name)
		}
	}
	for _, ty := range w.AnonTypes {
		if ty.Key == "" {
			t.Errorf("anonymous %s has no key", ty.WIT)
		}
	}
	var many *Func
	for _, f := range w.Exports[0].Funcs {
		if f.Name == "many-args" {
			many = f
		}
	}
	if many == nil || !many.ParamsInMemory || many.ParamTuple.Size == 0 {
		t.Fatalf("many-args not in memory: %+v", many)
	}
}
