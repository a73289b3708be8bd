package interop_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/internal/wasmtools"
)

// The differential check: the same table, the same expectations, under a
// second host: jco's JavaScript implementation of the canonical ABI. Each
// build is wrapped into a component with `jco new` (with the WASI preview1
// reactor adapter that ships in jco's lib/ when the module imports
// wasi_snapshot_preview1), transpiled with `jco transpile --instantiation
// async`, and run by interop/jco/run.mjs under Node with a host-api that
// answers like fakeHost.

// knownJCOFailures are builds that cannot run under jco yet, with the
// reason. TestJCO checks that each still fails the way recorded here (so
// the entry is removed once the cause is fixed).
var knownJCOFailures = map[string]struct {
	// symptom is a substring of run.mjs's error output.
	symptom string
	reason  string
}{}

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

// customSections returns the names of a core module's custom sections.
func customSections(wasm []byte) ([]string, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, fmt.Errorf("not a wasm module")
	}
	var names []string
	for p := wasm[8:]; len(p) > 0; {
		id := p[0]
		size, n := binary.Uvarint(p[1:])
		if n <= 0 || uint64(len(p)-1-n) < size {
			return nil, fmt.Errorf("truncated section")
		}
		body := p[1+n : 1+n+int(size)]
		if id == 0 {
			l, m := binary.Uvarint(body)
			if m <= 0 || uint64(len(body)-m) < l {
				return nil, fmt.Errorf("bad custom section name")
			}
			names = append(names, string(body[m:m+int(l)]))
		}
		p = p[1+n+int(size):]
	}
	return names, nil
}

// transpile turns a build into a jco-transpiled JavaScript component,
// cached under .cache/interop-jco by the hash of the module.
func transpile(t *testing.T, jco, name string, wasm []byte) string {
	t.Helper()
	sum := sha256.Sum256(wasm)
	root := filepath.Join(guests.Root(), ".cache", "interop-jco")
	dir := filepath.Join(root, name+"-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "plugin.js")); err == nil {
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

	// A module without its world (a `witgen guest` build: standard Go has no
	// way to emit custom sections) gets it embedded first. `jco embed` would
	// do; jco 1.35's panics on this machine (see SPEC.md), so wasm-tools 1.230
	// from go.bytecodealliance.org does it.
	sections, err := customSections(wasm)
	if err != nil {
		t.Fatal(err)
	}
	hasWorld := false
	for _, s := range sections {
		hasWorld = hasWorld || len(s) >= 14 && s[:14] == "component-type"
	}
	core := wasm
	if !hasWorld {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		core, err = wasmtools.Embed(ctx, wasm, filepath.Join(guests.Root(), "wit", "plugin.wit"), "plugin-world")
		if err != nil {
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
		start := time.Now()
		cmd := exec.Command(jco, args...)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("jco %v: %v\n%s", args, err, out)
		}
		t.Logf("jco %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	}
	run(args...)
	run("transpile", "component.wasm", "--instantiation", "async", "-o", "out", "--name", "plugin", "-q")
	os.RemoveAll(dir)
	if err := os.Rename(filepath.Join(tmp, "out"), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nodeCase is one case as run.mjs reads it.
type nodeCase struct {
	Hook      string          `json:"hook"`
	Args      json.RawMessage `json:"args"`
	ViewCount string          `json:"view_count,omitempty"`
}

// nodeResult is one case as run.mjs reports it.
type nodeResult struct {
	Result json.RawMessage `json:"result"`
	Calls  [][]string      `json:"calls"`
	Error  string          `json:"error"`
}

func toNode(c tcase) nodeCase {
	arg := c.arg
	nc := nodeCase{Hook: c.hook}
	switch a := arg.(type) {
	case plugin.OnContentDeletedArgs:
		arg = []string{a.ContentType, a.ID}
	case plugin.PostOutput:
		nc.ViewCount = fmt.Sprint(a.ViewCount)
	}
	b, err := json.Marshal(arg)
	if err != nil {
		panic(err)
	}
	nc.Args = b
	return nc
}

// fromNode decodes run.mjs's result of c into the Go type invoke returns.
func fromNode(c tcase, raw json.RawMessage) (any, error) {
	var v any
	switch c.hook {
	case "on-post-creating", "on-post-updating":
		v = new(*plugin.PostInput)
	case "on-comment-creating":
		v = new(*plugin.CommentInput)
	case "on-content-creating", "on-content-updating":
		v = new(*plugin.ContentEvent)
	case "render-markdown", "filter-html":
		v = new(*string)
	default:
		if string(raw) != "null" {
			return nil, fmt.Errorf("action returned %s", raw)
		}
		return nil, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	switch p := v.(type) {
	case **plugin.PostInput:
		return *p, nil
	case **plugin.CommentInput:
		return *p, nil
	case **plugin.ContentEvent:
		return *p, nil
	case **string:
		return *p, nil
	}
	panic("unreachable")
}

// nodeCommand is run.mjs on dir with the table on standard input.
func nodeCommand(ctx context.Context, node, dir string, table []tcase) *exec.Cmd {
	in := struct {
		Cases []nodeCase `json:"cases"`
	}{}
	for _, c := range table {
		in.Cases = append(in.Cases, toNode(c))
	}
	b, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	mods := filepath.Join(guests.Root(), ".cache", "npm", "node_modules")
	cmd := exec.CommandContext(ctx, node, filepath.Join(guests.Root(), "interop", "jco", "run.mjs"), dir, mods)
	cmd.Stdin = bytes.NewReader(b)
	return cmd
}

// runNodeRaw runs run.mjs and returns its combined output.
func runNodeRaw(node, dir string, table []tcase) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := nodeCommand(ctx, node, dir, table).CombinedOutput()
	return string(out), err
}

// runNode runs the table through run.mjs on one instance.
func runNode(t *testing.T, node, dir string, table []tcase) []nodeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := nodeCommand(ctx, node, dir, table)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node run.mjs: %v\n%s", err, stderr.Bytes())
	}
	t.Logf("node run.mjs: %d cases in %v", len(table), time.Since(start).Round(time.Millisecond))
	var out []nodeResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("run.mjs output: %v\n%.2000s", err, stdout.Bytes())
	}
	if len(out) != len(table) {
		t.Fatalf("run.mjs returned %d results for %d cases", len(out), len(table))
	}
	return out
}

// TestJCO runs the conformance table against every build under jco.
func TestJCO(t *testing.T) {
	root := guests.Root()
	jco := filepath.Join(root, ".cache", "npm", "node_modules", ".bin", "jco")
	table := cases()
	for _, name := range allBuilds {
		t.Run(name, func(t *testing.T) {
			wasm := loadBuild(t, name)
			needTool(t, jco, "jco")
			node, err := exec.LookPath("node")
			if err != nil {
				needTool(t, "/usr/bin/node", "node")
				node = "/usr/bin/node"
			}
			dir := transpile(t, jco, name, wasm)
			if known, ok := knownJCOFailures[name]; ok {
				out, err := runNodeRaw(node, dir, table)
				if err == nil {
					t.Fatalf("%s now runs under jco: remove it from knownJCOFailures (was: %s)", name, known.reason)
				}
				if !strings.Contains(out, known.symptom) {
					t.Fatalf("%s fails under jco differently than recorded (%q): %v\n%s", name, known.symptom, err, out)
				}
				t.Logf("KNOWN FAILURE under jco: %s", known.reason)
				return
			}
			results := runNode(t, node, dir, table)
			for k, c := range table {
				t.Run(c.hook+"/"+c.name, func(t *testing.T) {
					r := results[k]
					if r.Error != "" {
						t.Fatalf("call failed under jco: %s", r.Error)
					}
					got, err := fromNode(c, r.Result)
					if err != nil {
						t.Fatalf("decode %s: %v", r.Result, err)
					}
					wantR, wantC := expect(c)
					compare(t, wantR, wantC, canon(got), r.Calls)
				})
			}
		})
	}
}
