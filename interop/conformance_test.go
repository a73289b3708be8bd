// Package interop_test runs the conformance plugin of SPEC.md, built by
// independent toolchains, through one table of inputs: every build must
// return what the reference model returns and make the same host-api calls.
package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/tetratelabs/wazero"
)

// builds are the conformance guests .ci/build-guests.sh writes to
// .cache/guests (see SPEC.md for their toolchains). Missing ones skip the
// test locally and fail it under CI (guests.Load).
var builds = []string{"conformance-rust", "conformance-c", "conformance-go", "conformance-wbgo", "conformance-zig"}

// optionalBuilds are guests tested when present and skipped otherwise, CI or
// not. Empty: .ci/install-toolchains.sh installs every generator and
// .ci/build-guests.sh builds every guest, so CI skips nothing.
var optionalBuilds = []string{}

// allBuilds lists every build, the opt-in ones last.
var allBuilds = append(append([]string{}, builds...), optionalBuilds...)

// loadBuild returns a build's module, for optional builds skipping the test
// when it is not built. conformance-go needs only the go command, so the
// test builds it (once per machine: guests.BuildGo caches it) and never
// skips it.
func loadBuild(t *testing.T, name string) []byte {
	t.Helper()
	if name == "conformance-go" {
		return guests.BuildGo(t, "interop/go", "guest", "witval")
	}
	for _, o := range optionalBuilds {
		if o == name {
			b, err := os.ReadFile(filepath.Join(guests.Root(), ".cache", "guests", name+".wasm"))
			if err != nil {
				t.Skip("SKIPPED (opt-in guest): " + name + " is not built; run: bash .ci/build-guests.sh " + name + " (see interop/wbgo/README.md)")
			}
			return b
		}
	}
	return guests.Load(t, name)
}

// hooks lists every export of plugin-hooks, so a new hook without a row in
// the table fails TestTableCoversEveryHook.
var hooks = func() []string {
	var hs []string
	for _, h := range plugin.HookList {
		hs = append(hs, h.Name)
	}
	return hs
}()

// invoke calls c's hook on inst through the typed bindings.
func invoke(ctx context.Context, inst *plugin.Instance, c tcase) (any, error) {
	switch c.hook {
	case "on-post-creating":
		return inst.OnPostCreating(ctx, c.arg.(plugin.PostInput))
	case "on-post-updating":
		return inst.OnPostUpdating(ctx, c.arg.(plugin.PostInput))
	case "on-comment-creating":
		return inst.OnCommentCreating(ctx, c.arg.(plugin.CommentInput))
	case "on-content-creating":
		return inst.OnContentCreating(ctx, c.arg.(plugin.ContentEvent))
	case "on-content-updating":
		return inst.OnContentUpdating(ctx, c.arg.(plugin.ContentEvent))
	case "render-markdown":
		return inst.RenderMarkdown(ctx, c.arg.(string))
	case "filter-html":
		return inst.FilterHTML(ctx, c.arg.(string))
	case "on-post-created":
		return nil, inst.OnPostCreated(ctx, c.arg.(plugin.PostOutput))
	case "on-post-updated":
		return nil, inst.OnPostUpdated(ctx, c.arg.(plugin.PostOutput))
	case "on-post-deleted":
		return nil, inst.OnPostDeleted(ctx, c.arg.(string))
	case "on-comment-created":
		return nil, inst.OnCommentCreated(ctx, c.arg.(plugin.CommentInput))
	case "on-content-created":
		return nil, inst.OnContentCreated(ctx, c.arg.(plugin.ContentEvent))
	case "on-content-updated":
		return nil, inst.OnContentUpdated(ctx, c.arg.(plugin.ContentEvent))
	case "on-content-deleted":
		a := c.arg.(plugin.OnContentDeletedArgs)
		return nil, inst.OnContentDeleted(ctx, a.ContentType, a.ID)
	case "on-login":
		return nil, inst.OnLogin(ctx, c.arg.(string))
	case "on-cron-tick":
		return nil, inst.OnCronTick(ctx, c.arg.(*string))
	}
	panic("invoke: unknown hook " + c.hook)
}

// canon renders a hook result for comparison: JSON of the value, with a
// some([]) tag list always as [] (a nil and an empty Go slice are the same
// WIT value); "null" for none and for actions.
func canon(v any) string {
	if p, ok := v.(*plugin.PostInput); ok && p != nil && p.TagIDs != nil && *p.TagIDs == nil {
		cp := *p
		cp.TagIDs = &[]string{}
		v = &cp
	}
	if v == nil || reflect.ValueOf(v).IsNil() {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// expect runs the model on c.
func expect(c tcase) (result string, calls [][]string) {
	h := &fakeHost{}
	r := model(h, c.hook, c.arg)
	return canon(r), h.calls
}

// firstDiff describes where two strings first differ, with some context.
func firstDiff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	clip := func(s string) string {
		lo, hi := max(i-40, 0), min(i+40, len(s))
		return fmt.Sprintf("%q", s[lo:hi])
	}
	return fmt.Sprintf("first difference at byte %d (len want %d, got %d):\n  want …%s…\n  got  …%s…", i, len(want), len(got), clip(want), clip(got))
}

// compare reports differences between the model's and a build's result
// and host-api calls.
func compare(t *testing.T, wantResult string, wantCalls [][]string, gotResult string, gotCalls [][]string) {
	t.Helper()
	if gotResult != wantResult {
		t.Errorf("result differs: %s", firstDiff(wantResult, gotResult))
	}
	for k := 0; k < max(len(wantCalls), len(gotCalls)); k++ {
		var w, g []string
		if k < len(wantCalls) {
			w = wantCalls[k]
		}
		if k < len(gotCalls) {
			g = gotCalls[k]
		}
		if !reflect.DeepEqual(w, g) {
			ws, gs := strings.Join(w, "\x1f"), strings.Join(g, "\x1f")
			t.Errorf("host call %d of %d (got %d) differs: want %s, got %s; %s", k+1, len(wantCalls), len(gotCalls),
				short(w), short(g), firstDiff(ws, gs))
			return
		}
	}
}

// short renders a call for messages, clipping long arguments.
func short(call []string) string {
	if call == nil {
		return "(no call)"
	}
	parts := make([]string, len(call))
	for i, a := range call {
		if len(a) > 60 {
			a = a[:60] + fmt.Sprintf("…(%d bytes)", len(a))
		}
		parts[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

var compilation = wazero.NewCompilationCache()

// load compiles a build under the generated host bindings (every export
// required) and returns a function making fresh instances on a recording
// host.
func load(t *testing.T, name string) func() (*plugin.Instance, *fakeHost) {
	wasm := loadBuild(t, name)
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilation))
	t.Cleanup(func() { r.Close(ctx) })
	if err := plugin.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := plugin.Compile(ctx, r, wasm)
	if err != nil {
		t.Fatalf("%s does not link as plugin-world with every hook: %v", name, err)
	}
	return func() (*plugin.Instance, *fakeHost) {
		h := &fakeHost{}
		inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: h, Data: h}, nil)
		if err != nil {
			t.Fatalf("instantiate %s: %v", name, err)
		}
		return inst, h
	}
}

// TestConformance runs the table against every build, first all rows on
// one instance (twice, so allocations and post-return frees of earlier
// calls are exercised), then each row on a fresh instance.
func TestConformance(t *testing.T) {
	table := cases()
	ctx := context.Background()
	for _, name := range allBuilds {
		t.Run(name, func(t *testing.T) {
			newInstance := load(t, name)
			inst, host := newInstance()
			for round := 1; round <= 2; round++ {
				for _, c := range table {
					t.Run(fmt.Sprintf("shared/%d/%s/%s", round, c.hook, c.name), func(t *testing.T) {
						wantR, wantC := expect(c)
						host.calls = nil
						got, err := invoke(ctx, inst, c)
						if err != nil {
							t.Errorf("call failed: %v", err)
							inst.Close(ctx)
							inst, host = newInstance()
							return
						}
						compare(t, wantR, wantC, canon(got), host.calls)
					})
				}
			}
			inst.Close(ctx)
			for _, c := range table {
				t.Run(fmt.Sprintf("fresh/%s/%s", c.hook, c.name), func(t *testing.T) {
					wantR, wantC := expect(c)
					inst, host := newInstance()
					defer inst.Close(ctx)
					got, err := invoke(ctx, inst, c)
					if err != nil {
						t.Fatalf("call failed: %v", err)
					}
					compare(t, wantR, wantC, canon(got), host.calls)
				})
			}
		})
	}
}

// TestTableCoversEveryHook checks that the table has rows for every hook
// and that the model, across the table, calls every function of host-api
// and of data, and sees every db-error case.
func TestTableCoversEveryHook(t *testing.T) {
	seen := map[string]int{}
	called := map[string]bool{}
	for _, c := range cases() {
		seen[c.hook]++
		r, calls := expect(c)
		for _, call := range calls {
			called[call[0]] = true
		}
		for _, e := range dbErrorCases {
			if strings.Contains(r, `err:`+e) {
				called["db-error "+e] = true
			}
		}
	}
	for _, h := range hooks {
		if seen[h] == 0 {
			t.Errorf("no row for hook %s", h)
		}
	}
	var want []string
	for _, it := range []reflect.Type{reflect.TypeOf((*plugin.HostAPI)(nil)).Elem(), reflect.TypeOf((*plugin.Data)(nil)).Elem()} {
		for i := range it.NumMethod() {
			want = append(want, witName(it.Method(i).Name))
		}
	}
	for _, e := range dbErrorCases {
		want = append(want, "db-error "+e)
	}
	for _, w := range want {
		if !called[w] {
			t.Errorf("no row of the table calls %s", w)
		}
	}
	if n := len(called); n != len(want) {
		t.Errorf("the table calls %d functions and error cases (%v), want %d (%v)", n, called, len(want), want)
	}
}

// witName is the WIT name of a generated Go method name (HTTPGet → http-get,
// VFSRead → vfs-read, DBPh → db-ph, NewID → new-id).
func witName(goName string) string {
	var b strings.Builder
	rs := []rune(goName)
	for i, r := range rs {
		up := 'A' <= r && r <= 'Z'
		if up && i > 0 && (!('A' <= rs[i-1] && rs[i-1] <= 'Z') || i+1 < len(rs) && 'a' <= rs[i+1] && rs[i+1] <= 'z') {
			b.WriteByte('-')
		}
		b.WriteRune(r | 0x20*boolRune(up))
	}
	return b.String()
}

func boolRune(b bool) rune {
	if b {
		return 1
	}
	return 0
}
