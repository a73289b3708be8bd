package interrupt

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/evolve/host009"
	"github.com/raisfast/wasmplug/internal/evolve/host011"
	"github.com/raisfast/wasmplug/internal/evolve/host020"
	"github.com/tetratelabs/wazero"
)

// section is one section of a module as the tests see it.
type testSection struct {
	id   byte
	body []byte
}

// sectionsOf lists the sections of a well-formed module (a test-side
// decoder, independent of the package's).
func sectionsOf(t *testing.T, b []byte) []testSection {
	t.Helper()
	var out []testSection
	for p := 8; p < len(b); {
		id := b[p]
		p++
		var size, shift int
		for {
			c := b[p]
			p++
			size |= int(c&0x7f) << shift
			shift += 7
			if c < 0x80 {
				break
			}
		}
		out = append(out, testSection{id, b[p : p+size]})
		p += size
	}
	return out
}

// TestGuestsStructure instruments every guest built for the interop tests
// (C with clang, Rust, standard Go; plugins of every WIT version and the
// all-types guests): each rewritten module compiles (with wazero's
// validation) exactly when the original does, every section but the
// global, export and code sections is unchanged and in place, and the
// code section grew by one check per function and per loop.
func TestGuestsStructure(t *testing.T) {
	for _, g := range guestFiles(t) {
		t.Run(g.name, func(t *testing.T) {
			orig := readGuest(t, g)
			for _, opts := range []Options{{}, {YieldEvery: yieldEvery}, {YieldEvery: yieldEvery, Fuel: true}} {
				out, err := InstrumentWith(orig, opts)
				if err != nil {
					t.Fatal(err)
				}
				r := newRuntime(t, interpreter)
				ctx := context.Background()
				if _, err := r.CompileModule(ctx, orig); err != nil {
					t.Fatalf("original does not compile: %v", err)
				}
				if _, err := r.CompileModule(ctx, out); err != nil {
					t.Fatalf("instrumented (%+v) does not compile: %v", opts, err)
				}
				before, after := sectionsOf(t, orig), sectionsOf(t, out)
				if len(before) != len(after) {
					t.Fatalf("%d sections became %d", len(before), len(after))
				}
				for i := range before {
					b, a := before[i], after[i]
					if b.id != a.id {
						t.Fatalf("section %d: id %d became %d", i, b.id, a.id)
					}
					switch b.id {
					case secGlobal, secExport:
						// The count grows by the added entries, which follow
						// the original ones.
						n := countOf(b.body)
						entries := b.body[len(leb(n)):]
						added := 1
						if b.id == secGlobal && opts.YieldEvery != 0 {
							added++
						}
						if opts.Fuel {
							added++ // the fuel global, and its export
						}
						rest, ok := bytes.CutPrefix(a.body, append(leb(n+added), entries...))
						if !ok {
							t.Fatalf("section id %d: the original entries are not kept", b.id)
						}
						if b.id == secExport && !bytes.HasPrefix(rest, append(leb(len(ExportName)), ExportName+"\x03"...)) {
							t.Fatalf("export section: added %x", rest)
						}
					case secCode:
						if len(a.body) <= len(b.body) {
							t.Errorf("code section did not grow")
						}
					default:
						if !bytes.Equal(a.body, b.body) {
							t.Errorf("section %d (id %d) changed", i, b.id)
						}
					}
				}
			}
		})
	}
}

// countOf decodes the leading LEB128 count of a section body.
func countOf(b []byte) int {
	var v, shift int
	for _, c := range b {
		v |= int(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			break
		}
	}
	return v
}

// TestGuestsBehave calls every hook of every plugin guest, with the host
// bindings of its WIT version, before and after instrumentation (with and
// without yield points) under the compiler engine: hook results, errors and
// host calls must be the same. In -short mode only the C and Rust guests
// run (compiling a Go guest takes a second or more per variant).
func TestGuestsBehave(t *testing.T) {
	seenGo := map[string]bool{}
	for _, g := range guestFiles(t) {
		orig := readGuest(t, g)
		b, ok := bindingOf(orig)
		if !ok {
			continue // not a plugin (the all-types guests)
		}
		if strings.HasPrefix(g.lang, "go") {
			// One Go guest per toolchain and WIT version is enough, and
			// costly.
			if testing.Short() || seenGo[g.lang+b.version] {
				continue
			}
			seenGo[g.lang+b.version] = true
		}
		t.Run(g.name, func(t *testing.T) {
			want := transcript(t, b, orig)
			for _, opts := range []Options{{}, {YieldEvery: yieldEvery}, {YieldEvery: yieldEvery, Fuel: true}} {
				out, err := InstrumentWith(orig, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got := transcript(t, b, out); !slices.Equal(got, want) {
					t.Fatalf("with %+v:\ngot  %q\nwant %q", opts, got, want)
				}
			}
			t.Logf("%d hooks and host calls agree", len(want))
		})
	}
}

// binding is the generated host bindings of one WIT version.
type binding struct {
	version string
	define  func(context.Context, wazero.Runtime) error
	// open compiles and instantiates wasm and returns its hooks.
	open func(ctx context.Context, r wazero.Runtime, wasm []byte, h *recHost) ([]hookCall, error)
}

// hookCall calls one hook with JSON arguments.
type hookCall struct {
	name string
	call func(ctx context.Context, args []byte) ([]byte, error)
}

var bindings = []binding{
	{"0.0.9", host009.Define, func(ctx context.Context, r wazero.Runtime, wasm []byte, h *recHost) ([]hookCall, error) {
		mod, err := host009.Compile(ctx, r, wasm, host009.OptionalExports())
		if err != nil {
			return nil, err
		}
		inst, err := mod.Instantiate(ctx, host009.Imports{HostAPI: h}, nil)
		if err != nil {
			return nil, err
		}
		var calls []hookCall
		for k, hk := range host009.HookList {
			if inst.Has(k) {
				calls = append(calls, hookCall{hk.Name, func(ctx context.Context, a []byte) ([]byte, error) { return hk.CallJSON(inst, ctx, a) }})
			}
		}
		return calls, nil
	}},
	{"0.1.1", host011.Define, func(ctx context.Context, r wazero.Runtime, wasm []byte, h *recHost) ([]hookCall, error) {
		mod, err := host011.Compile(ctx, r, wasm, host011.OptionalExports())
		if err != nil {
			return nil, err
		}
		inst, err := mod.Instantiate(ctx, host011.Imports{HostAPI: h}, nil)
		if err != nil {
			return nil, err
		}
		var calls []hookCall
		for k, hk := range host011.HookList {
			if inst.Has(k) {
				calls = append(calls, hookCall{hk.Name, func(ctx context.Context, a []byte) ([]byte, error) { return hk.CallJSON(inst, ctx, a) }})
			}
		}
		return calls, nil
	}},
	{"0.2.0", host020.Define, func(ctx context.Context, r wazero.Runtime, wasm []byte, h *recHost) ([]hookCall, error) {
		mod, err := host020.Compile(ctx, r, wasm, host020.OptionalExports())
		if err != nil {
			return nil, err
		}
		inst, err := mod.Instantiate(ctx, host020.Imports{HostAPI: h}, nil)
		if err != nil {
			return nil, err
		}
		var calls []hookCall
		for k, hk := range host020.HookList {
			if inst.Has(k) {
				calls = append(calls, hookCall{hk.Name, func(ctx context.Context, a []byte) ([]byte, error) { return hk.CallJSON(inst, ctx, a) }})
			}
		}
		return calls, nil
	}},
	{"0.1.0", plugin.Define, func(ctx context.Context, r wazero.Runtime, wasm []byte, h *recHost) ([]hookCall, error) {
		mod, err := plugin.Compile(ctx, r, wasm, plugin.OptionalExports())
		if err != nil {
			return nil, err
		}
		inst, err := mod.Instantiate(ctx, plugin.Imports{HostAPI: h, Data: h}, nil)
		if err != nil {
			return nil, err
		}
		var calls []hookCall
		for k, hk := range plugin.HookList {
			if inst.Has(k) {
				calls = append(calls, hookCall{hk.Name, func(ctx context.Context, a []byte) ([]byte, error) { return hk.CallJSON(inst, ctx, a) }})
			}
		}
		return calls, nil
	}},
}

// bindingOf picks the bindings of the WIT version whose host-api or hooks
// wasm names.
func bindingOf(wasm []byte) (binding, bool) {
	// The real contract (gen/plugin, 0.1.1 today) takes 0.1.0 and 0.1.1
	// plugins; host011 only those of its own test contract, which are the
	// ones that name its additions.
	if bytes.Contains(wasm, []byte("raisfast:plugin-wit/host-api@0.1.1")) || bytes.Contains(wasm, []byte("raisfast:plugin-wit/plugin-hooks@0.1.1")) {
		if !bytes.Contains(wasm, []byte("now-millis")) && !bytes.Contains(wasm, []byte("on-post-archived")) {
			return bindings[len(bindings)-1], true
		}
	}
	for _, b := range bindings {
		if bytes.Contains(wasm, []byte("raisfast:plugin-wit/host-api@"+b.version)) ||
			bytes.Contains(wasm, []byte("raisfast:plugin-wit/plugin-hooks@"+b.version)) {
			return b, true
		}
	}
	return binding{}, false
}

// transcript runs every hook of wasm once, in a fresh runtime, and lists
// what each returned and every host call the guest made.
func transcript(t *testing.T, b binding, wasm []byte) []string {
	t.Helper()
	ctx := context.Background()
	r := newRuntime(t, compiler)
	if err := b.define(ctx, r); err != nil {
		t.Fatal(err)
	}
	h := &recHost{}
	calls, err := b.open(ctx, r, wasm, h)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ok := 0
	for _, c := range calls {
		res, err := c.call(ctx, []byte(sampleArgs(b.version, c.name)))
		msg := "ok"
		if err != nil {
			msg, _, _ = strings.Cut(err.Error(), "\n")
		} else {
			ok++
		}
		out = append(out, fmt.Sprintf("%s -> %s (%s)", c.name, res, msg))
	}
	if ok == 0 {
		t.Fatalf("no hook succeeded: %q", out)
	}
	return append(out, h.lines()...)
}

// sampleArgs are JSON arguments for each hook.
func sampleArgs(version, hook string) string {
	post := `{"title":"Hello Wasm World","content":"Some *markdown* text, with émoji 🎉 and <b>tags</b>.","tag_ids":["a","b"]}`
	switch hook {
	case "on-post-creating", "on-post-updating":
		return post
	case "on-post-created", "on-post-updated":
		return `{"id":"1","title":"T","slug":"my-post","content":"c","status":"draft","created_by":"u","view_count":3,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	case "on-comment-creating", "on-comment-created":
		return `{"content":"hi there, buy cheap pills","nickname":"n"}`
	case "on-content-creating", "on-content-updating", "on-content-created", "on-content-updated":
		return `{"content_type":"page","data":"{\"a\":1}"}`
	case "on-content-deleted":
		return `{"content_type":"page","id":"7"}`
	case "on-cron-tick":
		return `"payload"`
	case "on-login":
		if version == "0.2.0" {
			return `{"user_id":"u1","at_millis":42}`
		}
		return `"u1"`
	case "render-markdown", "filter-html":
		return `"# Title\n\nSome *text* <script>x</script> and a [link](http://x)."`
	}
	return `"p1"`
}

// recHost serves the host API of every WIT version and records each call.
type recHost struct {
	mu    sync.Mutex
	calls []string
}

func (h *recHost) record(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, fmt.Sprintf(format, args...))
}

func (h *recHost) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

func (h *recHost) Log(_ context.Context, level, msg string) { h.record("log %s %s", level, msg) }
func (h *recHost) GetConfig(_ context.Context, k string) (string, bool) {
	h.record("get-config %s", k)
	return "", false
}
func (h *recHost) HTTPGet(_ context.Context, u string) (string, bool) {
	h.record("http-get %s", u)
	return "", false
}
func (h *recHost) HTTPPost(_ context.Context, u, b string) (string, bool) {
	h.record("http-post %s %s", u, b)
	return "", false
}
func (h *recHost) GetData(_ context.Context, k string) (string, bool) {
	h.record("get-data %s", k)
	return "", false
}
func (h *recHost) SetData(_ context.Context, k, v string) bool {
	h.record("set-data %s %s", k, v)
	return true
}
func (h *recHost) GetPost(_ context.Context, s string) (string, bool) {
	h.record("get-post %s", s)
	return "", false
}
func (h *recHost) DBQuery(_ context.Context, q string, p *string) string {
	h.record("db-query %s %v", q, p != nil)
	return "[]"
}
func (h *recHost) DBExecute(_ context.Context, q string, p *string) string {
	h.record("db-execute %s %v", q, p != nil)
	return "{}"
}
func (h *recHost) DBBegin(context.Context) string    { h.record("db-begin"); return "" }
func (h *recHost) DBCommit(context.Context) string   { h.record("db-commit"); return "" }
func (h *recHost) DBRollback(context.Context) string { h.record("db-rollback"); return "" }
func (h *recHost) VFSRead(_ context.Context, p string) (string, bool) {
	h.record("vfs-read %s", p)
	return "", false
}
func (h *recHost) VFSWrite(_ context.Context, p, c string) bool {
	h.record("vfs-write %s %s", p, c)
	return true
}
func (h *recHost) VFSDelete(_ context.Context, p string) bool {
	h.record("vfs-delete %s", p)
	return false
}
func (h *recHost) VFSExists(_ context.Context, p string) bool {
	h.record("vfs-exists %s", p)
	return false
}
func (h *recHost) VFSList(_ context.Context, p string) (string, bool) {
	h.record("vfs-list %s", p)
	return "", false
}
func (h *recHost) VFSStat(_ context.Context, p string) (string, bool) {
	h.record("vfs-stat %s", p)
	return "", false
}
func (h *recHost) EmitEvent(_ context.Context, e, d string) string {
	h.record("emit-event %s %s", e, d)
	return ""
}
func (h *recHost) NowMillis(context.Context) uint64 { h.record("now-millis"); return 1_700_000_000_000 }
func (h *recHost) KVGet(_ context.Context, k string) (string, bool) {
	h.record("kv-get %s", k)
	return "", false
}
func (h *recHost) KVSet(_ context.Context, k, v string) bool {
	h.record("kv-set %s %s", k, v)
	return true
}
func (h *recHost) SiteName(context.Context) string { h.record("site-name"); return "site" }
func (h *recHost) NewID(context.Context) string {
	h.record("new-id")
	return ""
}
func (h *recHost) DBPh(_ context.Context, n uint32) string {
	h.record("db-ph %d", n)
	return "?"
}

// The data interface (contract 0.1.1): fixed answers, every call recorded.

func (h *recHost) Insert(_ context.Context, table string, row []plugin.Field) (uint64, error) {
	h.record("insert %s %v", table, row)
	return 1, nil
}
func (h *recHost) FetchOne(_ context.Context, table string, q plugin.Query) (*[]plugin.Field, error) {
	h.record("fetch-one %s %s", table, showQuery(q))
	return nil, nil
}
func (h *recHost) FetchAll(_ context.Context, table string, q plugin.Query) ([][]plugin.Field, error) {
	h.record("fetch-all %s %s", table, showQuery(q))
	return [][]plugin.Field{{{Column: "id", Value: plugin.ValueText{Value: "r1"}}}}, nil
}
func (h *recHost) Update(_ context.Context, table string, set []plugin.Field, f []plugin.Condition) (uint64, error) {
	h.record("update %s %v %v", table, set, f)
	return 2, nil
}
func (h *recHost) Delete(_ context.Context, table string, f []plugin.Condition) (uint64, error) {
	h.record("delete %s %v", table, f)
	return 3, nil
}
func (h *recHost) Count(_ context.Context, table string, f []plugin.Condition) (uint64, error) {
	h.record("count %s %v", table, f)
	return 4, nil
}
func (h *recHost) Increment(_ context.Context, table, column string, by int64, f []plugin.Condition) (uint64, error) {
	h.record("increment %s %s %d %v", table, column, by, f)
	return 5, nil
}
func (h *recHost) Sum(_ context.Context, table, column string, f []plugin.Condition) (plugin.Value, error) {
	h.record("sum %s %s %v", table, column, f)
	return plugin.ValueInteger{Value: 6}, nil
}
func (h *recHost) GroupBy(_ context.Context, table string, by []string, agg plugin.Aggregate, column string, f []plugin.Condition) ([]plugin.Group, error) {
	h.record("group-by %s %v %d %s %v", table, by, agg, column, f)
	return []plugin.Group{{Key: []plugin.Field{{Column: "k", Value: plugin.ValueText{Value: "a"}}}, Value: plugin.ValueInteger{Value: 7}}}, nil
}

// showQuery prints q with its optional limit and offset by value (not by
// pointer, which differs between runs).
func showQuery(q plugin.Query) string {
	opt := func(p *uint32) string {
		if p == nil {
			return "none"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%v %v %v limit=%s offset=%s", q.Columns, q.Filter, q.OrderBy, opt(q.Limit), opt(q.Offset))
}
