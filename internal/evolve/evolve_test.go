package evolve

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/internal/evolve/host010"
	"github.com/raisfast/wasmplug/internal/evolve/host011"
	"github.com/raisfast/wasmplug/internal/evolve/host020"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/tetratelabs/wazero"
)

// recHost serves every version's host-api (a superset of each) and records
// log lines.
type recHost struct {
	mu   sync.Mutex
	logs []string
}

func (h *recHost) Log(_ context.Context, level, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, level+": "+msg)
}
func (h *recHost) lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}
func (*recHost) GetConfig(context.Context, string) (string, bool)        { return "", false }
func (*recHost) HTTPGet(context.Context, string) (string, bool)          { return "", false }
func (*recHost) HTTPPost(context.Context, string, string) (string, bool) { return "", false }
func (*recHost) GetData(context.Context, string) (string, bool)          { return "", false }
func (*recHost) SetData(context.Context, string, string) bool            { return true }
func (*recHost) GetPost(context.Context, string) (string, bool)          { return "", false }
func (*recHost) DBQuery(context.Context, string, *string) string         { return "[]" }
func (*recHost) DBExecute(context.Context, string, *string) string       { return "{}" }
func (*recHost) DBBegin(context.Context) string                          { return "" }
func (*recHost) DBCommit(context.Context) string                         { return "" }
func (*recHost) DBRollback(context.Context) string                       { return "" }
func (*recHost) VFSRead(context.Context, string) (string, bool)          { return "", false }
func (*recHost) VFSWrite(context.Context, string, string) bool           { return true }
func (*recHost) VFSDelete(context.Context, string) bool                  { return false }
func (*recHost) VFSExists(context.Context, string) bool                  { return false }
func (*recHost) VFSList(context.Context, string) (string, bool)          { return "", false }
func (*recHost) VFSStat(context.Context, string) (string, bool)          { return "", false }
func (*recHost) EmitEvent(context.Context, string, string) string        { return "" }

func (*recHost) NowMillis(context.Context) uint64 { return 1_700_000_000_000 }

// The guests of this test. Go guests are built here; the others come
// from .ci/build-guests.sh (locally they skip loudly when not built).
func goGuest(t *testing.T, name string) []byte {
	return guests.BuildGo(t, "internal/evolve/testplugins/"+name, "internal/evolve/guest011", "internal/evolve/guest020", "guest")
}

var guestsByName = map[string]func(t *testing.T) []byte{
	"slug-rust (0.1.0)":       func(t *testing.T) []byte { return guests.Load(t, "slug-rust-010") },
	"c-plugin (0.1.1)":        func(t *testing.T) []byte { return guests.Load(t, "c-plugin") },
	"go slug example (0.1.1)": func(t *testing.T) []byte { return guests.BuildGo(t, "examples/plugins/slug", "guest") },
	"go011 (0.1.1)":           func(t *testing.T) []byte { return goGuest(t, "go011") },
	"c-evolve-011 (0.1.1)":    func(t *testing.T) []byte { return guests.Load(t, "c-evolve-011") },
	"rust-evolve-011 (0.1.1)": func(t *testing.T) []byte { return guests.Load(t, "rust-evolve-011") },
	"go020 (0.2.0)":           func(t *testing.T) []byte { return goGuest(t, "go020") },
	"rust-evolve-020 (0.2.0)": func(t *testing.T) []byte { return guests.Load(t, "rust-evolve-020") },
	"c-evolve-020 (0.2.0)":    func(t *testing.T) []byte { return guests.Load(t, "c-evolve-020") },
}

func newRuntime(t *testing.T, define func(context.Context, wazero.Runtime) error) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig())
	t.Cleanup(func() { r.Close(ctx) })
	if err := define(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// outcome is how one host took one guest.
type outcome struct {
	take    abi.Take
	built   string
	errHas  []string // for refusals: what the error says
	slug    string   // on-post-creating's slug for a title "Hello World"
	archive string   // host011 only: the log line of on-post-archived("p1"), "" when the guest lacks the hook
	login   string   // host020 only: the log line of on-login("u1", 42)
}

func refused(built string, has ...string) outcome {
	return outcome{take: abi.TakeRefused, built: built, errHas: has}
}

const tracks01and02 = "different semver tracks (0.2 and 0.1)"

// TestEvolution loads each guest into each host and checks the outcome
// the semver-track rules promise (see abi.Link).
func TestEvolution(t *testing.T) {
	ctx := context.Background()
	post := "Hello World"
	cases := []struct {
		guest string
		on010 outcome // host010, 0.1.0 (wit/plugin.wit before 0.1.1, frozen)
		on011 outcome // host011, 0.1.1
		on020 outcome // host020, 0.2.0
	}{
		{"slug-rust (0.1.0)",
			outcome{take: abi.TakeSame, built: "0.1.0", slug: "hello-world"},
			outcome{take: abi.TakeCompatible, built: "0.1.0", slug: "hello-world"},
			refused("0.1.0", "built for raisfast:plugin-wit@0.1.0, this host provides raisfast:plugin-wit@0.2.0: different semver tracks (0.1 and 0.2)")},
		{"c-plugin (0.1.1)",
			outcome{take: abi.TakeCompatible, built: "0.1.1"},
			outcome{take: abi.TakeSame, built: "0.1.1"},
			refused("0.1.1", "different semver tracks (0.1 and 0.2)")},
		// Built from guest/plugin, the real 0.1.1; it imports only functions
		// 0.1.0 has, so the older host takes it too.
		{"go slug example (0.1.1)",
			outcome{take: abi.TakeCompatible, built: "0.1.1", slug: "hello-world"},
			outcome{take: abi.TakeSame, built: "0.1.1", slug: "hello-world"},
			refused("0.1.1", "different semver tracks (0.1 and 0.2)")},
		{"go011 (0.1.1)",
			refused("0.1.1", "built for raisfast:plugin-wit@0.1.1, a later version than this host's raisfast:plugin-wit@0.1.0, and imports 1 function(s) the host does not provide: host-api#now-millis"),
			outcome{take: abi.TakeSame, built: "0.1.1", slug: "go-0.1.1", archive: "info: go-0.1.1 archived p1 at 1700000000000"},
			refused("0.1.1", "different semver tracks (0.1 and 0.2)")},
		{"c-evolve-011 (0.1.1)",
			outcome{take: abi.TakeCompatible, built: "0.1.1", slug: "c-0.1.1"},
			outcome{take: abi.TakeSame, built: "0.1.1", slug: "c-0.1.1", archive: "info: c-0.1.1 archived p1"},
			refused("0.1.1", "different semver tracks (0.1 and 0.2)")},
		{"rust-evolve-011 (0.1.1)",
			refused("0.1.1", "built for raisfast:plugin-wit@0.1.1, a later version than this host's raisfast:plugin-wit@0.1.0, and imports 1 function(s) the host does not provide: host-api#now-millis"),
			outcome{take: abi.TakeSame, built: "0.1.1", slug: "rust-0.1.1", archive: "info: rust-0.1.1 archived p1 at 1700000000000"},
			refused("0.1.1", "different semver tracks (0.1 and 0.2)")},
		{"go020 (0.2.0)",
			refused("0.2.0", "built for raisfast:plugin-wit@0.2.0, this host provides raisfast:plugin-wit@0.1.0: "+tracks01and02),
			refused("0.2.0", "built for raisfast:plugin-wit@0.2.0, this host provides raisfast:plugin-wit@0.1.1: "+tracks01and02),
			outcome{take: abi.TakeSame, built: "0.2.0", slug: "go-0.2.0", login: "info: go-0.2.0 login u1 at 42"}},
		{"rust-evolve-020 (0.2.0)",
			refused("0.2.0", tracks01and02),
			refused("0.2.0", tracks01and02),
			outcome{take: abi.TakeSame, built: "0.2.0", slug: "rust-0.2.0", login: "info: rust-0.2.0 login u1 at 42 now 1700000000000"}},
		{"c-evolve-020 (0.2.0)",
			refused("0.2.0", tracks01and02),
			refused("0.2.0", tracks01and02),
			outcome{take: abi.TakeSame, built: "0.2.0", slug: "c-0.2.0", login: "info: c-0.2.0 login u1 at 42"}},
	}
	for _, c := range cases {
		t.Run(c.guest, func(t *testing.T) {
			wasm := guestsByName[c.guest](t)
			t.Run("host 0.1.0", func(t *testing.T) {
				r := newRuntime(t, host010.Define)
				mod, err := host010.Compile(ctx, r, wasm, host010.OptionalExports())
				if !check(t, c.on010, err, func() abi.Contract { return mod.Contract() }) {
					return
				}
				h := &recHost{}
				inst, err := mod.Instantiate(ctx, host010.Imports{HostAPI: h}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer inst.Close(ctx)
				out, err := inst.OnPostCreating(ctx, host010.PostInput{Title: post})
				checkSlug(t, c.on010.slug, err, out != nil, func() *string { return out.Slug })
			})
			t.Run("host 0.1.1", func(t *testing.T) {
				r := newRuntime(t, host011.Define)
				mod, err := host011.Compile(ctx, r, wasm, host011.OptionalExports())
				if !check(t, c.on011, err, func() abi.Contract { return mod.Contract() }) {
					return
				}
				h := &recHost{}
				inst, err := mod.Instantiate(ctx, host011.Imports{HostAPI: h}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer inst.Close(ctx)
				out, err := inst.OnPostCreating(ctx, host011.PostInput{Title: post})
				checkSlug(t, c.on011.slug, err, out != nil, func() *string { return out.Slug })
				// on-post-archived is new in 0.1.1: a 0.1.0 plugin does not export it.
				err = inst.OnPostArchived(ctx, "p1")
				switch {
				case c.on011.archive == "" && !errors.Is(err, abi.ErrNotExported):
					t.Errorf("on-post-archived: %v, want ErrNotExported (the guest predates the hook)", err)
				case c.on011.archive != "" && err != nil:
					t.Errorf("on-post-archived: %v", err)
				case c.on011.archive != "" && !contains(h.lines(), c.on011.archive):
					t.Errorf("on-post-archived logged %q, want %q", h.lines(), c.on011.archive)
				}
			})
			t.Run("host 0.2.0", func(t *testing.T) {
				r := newRuntime(t, host020.Define)
				mod, err := host020.Compile(ctx, r, wasm, host020.OptionalExports())
				if !check(t, c.on020, err, func() abi.Contract { return mod.Contract() }) {
					return
				}
				h := &recHost{}
				inst, err := mod.Instantiate(ctx, host020.Imports{HostAPI: h}, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer inst.Close(ctx)
				out, err := inst.OnPostCreating(ctx, host020.PostInput{Title: post})
				checkSlug(t, c.on020.slug, err, out != nil, func() *string { return out.Slug })
				if err := inst.OnLogin(ctx, "u1", 42); err != nil {
					t.Errorf("on-login: %v", err)
				} else if !contains(h.lines(), c.on020.login) {
					t.Errorf("on-login logged %q, want %q", h.lines(), c.on020.login)
				}
			})
		})
	}
}

// check asserts the link outcome; it reports whether the module loaded.
func check(t *testing.T, want outcome, err error, contract func() abi.Contract) bool {
	t.Helper()
	if want.take == abi.TakeRefused {
		var le *abi.LinkError
		if !errors.As(err, &le) {
			t.Fatalf("loaded (err %v), want a refusal", err)
		}
		if le.Contract.Take != abi.TakeRefused || le.Contract.Built != want.built {
			t.Errorf("contract %+v, want refused, built for %s", le.Contract, want.built)
		}
		for _, w := range want.errHas {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q\nlacks %q", err, w)
			}
		}
		return false
	}
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if c := contract(); c.Take != want.take || c.Built != want.built {
		t.Errorf("contract %+v (%s), want take %v, built for %s", c, c, want.take, want.built)
	}
	return true
}

func checkSlug(t *testing.T, want string, err error, some bool, slug func() *string) {
	t.Helper()
	if err != nil {
		t.Fatalf("on-post-creating: %v", err)
	}
	if want == "" {
		return // the guest's slug logic is not this test's subject
	}
	if !some || slug() == nil || *slug() != want {
		var got any = "none"
		if some && slug() != nil {
			got = *slug()
		}
		t.Errorf("on-post-creating slug %v, want %q", got, want)
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
