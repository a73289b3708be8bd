package restest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/internal/restest/host"
	"github.com/raisfast/wasmplug/internal/wasmtools"
	"github.com/raisfast/wasmplug/witval"
)

// The differential check: the same calls on the same guest under a
// second host, jco's JavaScript implementation of the canonical ABI. Each
// guest is wrapped into a component with `jco new` (with WASI's reactor
// adapter when it imports wasi_snapshot_preview1), transpiled, and driven
// by jco/run.mjs under Node; script below makes the same calls on the
// wazero host bindings, and the two traces must agree.

// jcoDivergences are the trace lines where jco is known to differ from
// the canonical ABI (the wazero host follows the spec): want is the spec's
// answer, jco what jco 1.x says.
var jcoDivergences = map[string]struct{ want, jco, why string }{
	"return-dropped": {"trap", "ok", "jco does not check an owned handle in an export's result against the table (the spec's lift_own traps)"},
}

func list[T any](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// script makes run.mjs's calls on the wazero host bindings; keep the two in step.
func script(t *testing.T, e *env) []string {
	ctx, i, w := e.ctx, e.inst, e.w
	var trace []string
	out := func(f string, a ...any) { trace = append(trace, fmt.Sprintf(f, a...)) }
	{
		a := must(i.NewCounter(ctx, "a", 5))
		out("add=%d", must(a.Add(ctx, 3)))
		out("get=%d", must(a.Get(ctx)))
		out("name=%s", must(a.Name(ctx)))
		b := must(i.NewCounter(ctx, "b", 10))
		m := must(i.CounterMerge(ctx, a, b))
		out("merged=%d %s", must(m.Get(ctx)), must(m.Name(ctx)))
		out("dropped=%s", list(must(i.Dropped(ctx))))
		if err := m.Drop(ctx); err != nil {
			t.Fatal(err)
		}
		out("dropped=%s", list(must(i.Dropped(ctx))))
	}
	{
		cs := must(i.MakeCounters(ctx, 10))
		out("sum-all=%d", must(i.SumAll(ctx, cs)))
		var odd, even []*host.Counter
		for k, c := range cs {
			if k%2 == 1 {
				odd = append(odd, c)
			} else {
				even = append(even, c)
			}
		}
		slices.Reverse(odd)
		out("total-odd=%d", must(i.Total(ctx, odd)))
		out("total-even=%d", must(i.Total(ctx, even)))
		out("dropped=%s", list(must(i.Dropped(ctx))))
	}
	{
		nc := must(i.Label(ctx, host.NamedCounter{Label: "x", C: must(i.NewCounter(ctx, "r", 7))}))
		out("label=%s %d", nc.Label, must(nc.C.Get(ctx)))
		_, err := i.Maybe(ctx, nil)
		var re *witval.ResultError[string]
		if errors.As(err, &re) {
			out("maybe(none)=err:%s", re.Value)
		} else {
			out("maybe(none)=ok")
		}
		out("maybe(some)=%d", must(must(i.Maybe(ctx, &nc.C)).Get(ctx)))
	}
	{
		b := w.blob([]byte("hello"))
		out("blob-size=%d", must(i.BlobSize(ctx, b)))
		for k := range 3 {
			if err := i.KeepBlob(ctx, w.blob([]byte{byte(k)})); err != nil {
				t.Fatal(err)
			}
		}
		n := must(i.ForgetBlobs(ctx))
		out("forget-blobs=%d dropped=%s", n, list(w.dropped))
		var built []string
		for _, hb := range must(i.Build(ctx, 3)) {
			built = append(built, joinBytes(hb.(*blob).data))
		}
		out("built=%s", list(built))
		tg := must(i.Retag(ctx, host.Tagged{Name: "t", Item: w.blob([]byte("ab"))}))
		out("retag=%s %s dropped=%s", tg.Name, joinBytes(tg.Item.(*blob).data), list(w.dropped))
		out("store-check=%s", must(i.StoreCheck(ctx, 4)))
		out("live-blobs=%d", len(w.live))
	}
	if _, err := i.ReturnDropped(ctx); err != nil {
		out("return-dropped=trap")
	} else {
		out("return-dropped=ok")
	}
	return trace
}

func joinBytes(b []byte) string {
	s := make([]string, len(b))
	for i, x := range b {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// needTool returns path if it exists; otherwise it skips the test, or fails
// it under CI (guests.RequireEnv), like guests.Load.
func needTool(t *testing.T, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	msg := what + " not found at " + path + "; run: bash .ci/install-toolchains.sh"
	if os.Getenv(guests.RequireEnv) != "" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED (interop): " + msg)
	return ""
}

// transpile turns a guest into a jco-transpiled component, cached under
// .cache/restest-jco by the hash of the module.
func transpile(t *testing.T, jco, name string, wasm []byte) string {
	t.Helper()
	sum := sha256.Sum256(wasm)
	root := filepath.Join(guests.Root(), ".cache", "restest-jco")
	dir := filepath.Join(root, name+"-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "res.js")); err == nil {
		return dir
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(root, name+".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	core := wasm
	if !bytes.Contains(wasm, []byte("component-type")) {
		// a witgen guest build carries no world: embed it (wasm-tools from go.bytecodealliance.org)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if core, err = wasmtools.Embed(ctx, wasm, filepath.Join(guests.Root(), "internal", "restest", "wit", "res.wit"), "res"); err != nil {
			t.Fatalf("embed the world into %s: %v", name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "core.wasm"), core, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"new", "core.wasm", "-o", "component.wasm"}
	if bytes.Contains(wasm, []byte("wasi_snapshot_preview1")) {
		args = append(args, "--wasi-reactor")
	}
	run := func(args ...string) {
		cmd := exec.Command(jco, args...)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("jco %v: %v\n%s", args, err, out)
		}
	}
	run(args...)
	run("transpile", "component.wasm", "--instantiation", "async", "-o", "out", "--name", "res", "-q")
	os.RemoveAll(dir)
	if err := os.Rename(filepath.Join(tmp, "out"), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestResourcesJCO(t *testing.T) {
	root := guests.Root()
	jco := filepath.Join(root, ".cache", "npm", "node_modules", ".bin", "jco")
	for _, name := range guestsUnderTest {
		t.Run(name, func(t *testing.T) {
			wasm := load(t, name)
			needTool(t, jco, "jco")
			node, err := exec.LookPath("node")
			if err != nil {
				node = needTool(t, "/usr/bin/node", "node")
			}
			dir := transpile(t, jco, name, wasm)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, filepath.Join(root, "internal", "restest", "jco", "run.mjs"), dir,
				filepath.Join(root, ".cache", "npm", "node_modules"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("node run.mjs: %v\n%s", err, stderr.Bytes())
			}
			var got []string
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("run.mjs output: %v\n%.2000s", err, stdout.Bytes())
			}
			var want []string
			func() {
				defer func() {
					if r := recover(); r != nil {
						mf, ok := r.(mustFail)
						if !ok {
							panic(r)
						}
						t.Fatalf("wazero side: %v", mf.err)
					}
				}()
				want = script(t, setup(t, wasm))
			}()
			if len(got) != len(want) {
				t.Fatalf("jco traced %d lines, wazero %d:\njco:    %q\nwazero: %q", len(got), len(want), got, want)
			}
			for k := range want {
				key, wv, _ := strings.Cut(want[k], "=")
				_, gv, _ := strings.Cut(got[k], "=")
				if d, ok := jcoDivergences[key]; ok {
					if wv != d.want || gv != d.jco {
						t.Errorf("%s: wazero %q, jco %q; recorded divergence was wazero %q, jco %q (%s): update jcoDivergences", key, wv, gv, d.want, d.jco, d.why)
					} else {
						t.Logf("KNOWN DIVERGENCE %s: %s", key, d.why)
					}
					continue
				}
				if got[k] != want[k] {
					t.Errorf("line %d: jco %q, wazero %q", k, got[k], want[k])
				}
			}
		})
	}
}
