package manifest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/manifest"
)

func TestTooLargeErrorNamesFileAndLimit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "big")
	path := writeHugeManifest(t, dir, manifest.MaxFileBytes+1)
	for name, read := range map[string]func() error{
		"Load":     func() error { _, err := manifest.Load(context.Background(), dir, hooks); return err },
		"ReadFile": func() error { _, err := manifest.ReadFile(path); return err },
		"Read": func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = manifest.Read(path, f)
			return err
		},
	} {
		err := read()
		var e *manifest.Error
		if !errors.Is(err, manifest.ErrTooLarge) || !errors.As(err, &e) || e.File != path {
			t.Errorf("%s: %v, want an *Error for %s wrapping ErrTooLarge", name, err, path)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "65536") {
			t.Errorf("%s: error does not name the file and the limit: %s", name, msg)
		}
	}
	// LoadDir reports it for that directory and loads the others.
	root := filepath.Dir(dir)
	writePlugin(t, filepath.Join(root, "ok"), seed, map[string][]byte{"plugin.wasm": wasmModule})
	ms, probs, err := manifest.LoadDir(context.Background(), root, hooks)
	if err != nil || len(ms) != 1 || len(probs) != 1 || !errors.Is(probs[0], manifest.ErrTooLarge) || probs[0].Dir != dir {
		t.Fatalf("LoadDir = %d loaded, %v, %v", len(ms), probs, err)
	}
}

// A manifest at exactly the limit (padded with a comment) is read and
// parsed.
func TestManifestAtTheLimitLoads(t *testing.T) {
	dir := t.TempDir()
	pad := manifest.MaxFileBytes - len(seed) - len("#\n")
	writePlugin(t, dir, seed+"#"+strings.Repeat("x", pad)+"\n", map[string][]byte{"plugin.wasm": wasmModule})
	if fi, _ := os.Stat(filepath.Join(dir, "manifest.toml")); fi.Size() != manifest.MaxFileBytes {
		t.Fatalf("size %d", fi.Size())
	}
	if _, err := manifest.Load(context.Background(), dir, hooks); err != nil {
		t.Fatal(err)
	}
}

// countingReader is an endless stream with no Stat method: Read cannot
// know its size, and must stop reading after the limit.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestReadStopsAtTheLimit(t *testing.T) {
	r := &countingReader{}
	_, err := manifest.Read("stream", r)
	if !errors.Is(err, manifest.ErrTooLarge) {
		t.Fatalf("Read = %v", err)
	}
	if r.n > 2*manifest.MaxFileBytes {
		t.Fatalf("read %d bytes of an endless stream", r.n)
	}
	data, err := manifest.Read("small", strings.NewReader(seed))
	if err != nil || string(data) != seed {
		t.Fatalf("Read(small) = %q, %v", data, err)
	}
	if _, err := manifest.Read("exact", io.LimitReader(r, manifest.MaxFileBytes)); err != nil {
		t.Fatalf("exactly the limit: %v", err)
	}
}

// A manifest that is a link to /dev/zero (or a FIFO) is refused, not read.
func TestReadFileRefusesNonRegular(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	writePlugin(t, dir, "", map[string][]byte{"plugin.wasm": wasmModule})
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "manifest.toml")); err != nil {
		t.Skip(err)
	}
	_, err := manifest.Load(context.Background(), dir, hooks)
	var e *manifest.Error
	if !errors.As(err, &e) || !errors.Is(err, manifest.ErrInvalid) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Load = %v", err)
	}
	if _, err := manifest.Load(context.Background(), t.TempDir(), hooks); !errors.Is(err, manifest.ErrNoManifest) {
		t.Fatalf("missing manifest: %v", err)
	}
}

// Parse refuses an oversized buffer without parsing it.
func TestParseRefusesLargeBuffer(t *testing.T) {
	data := []byte(seed + "\n[config]\n" + strings.Repeat("k = 1\n", manifest.MaxFileBytes/6))
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := manifest.Parse("big.toml", data, hooks); !errors.Is(err, manifest.ErrTooLarge) {
			t.Fatalf("Parse = %v", err)
		}
	})
	if allocs > 20 {
		t.Fatalf("refusing took %v allocations: it parsed", allocs)
	}
}

func TestCountAndLengthLimits(t *testing.T) {
	var cron, config, env, allow bytes.Buffer
	for i := range manifest.MaxCronJobs + 1 {
		fmt.Fprintf(&cron, "[[cron]]\njob_type = \"j%d\"\ncron_expr = \"@daily\"\n", i)
	}
	for i := range manifest.MaxConfigEntries + 1 {
		fmt.Fprintf(&config, "k%d = %d\n", i, i)
	}
	for i := range manifest.MaxEnvEntries + 1 {
		fmt.Fprintf(&env, "V%d = %d\n", i, i)
	}
	allow.WriteString("http_allow = [")
	for i := range manifest.MaxListEntries + 1 {
		fmt.Fprintf(&allow, "\"h%d.example.com\", ", i)
	}
	allow.WriteString("]\n")
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, src, key string
	}{
		{"cron entries", header + cron.String(), "cron"},
		{"config keys", header + "[config]\n" + config.String(), "config"},
		{"env variables", header + "[env]\n" + env.String(), "env"},
		{"env value", header + "[env]\nV = \"" + long(manifest.MaxConfigValueBytes+1) + "\"\n", "env.V"},
		{"http_allow entries", header + "[permissions]\n" + allow.String(), "permissions.http_allow"},
		{"name", strings.Replace(header, `name = "P"`, `name = "`+long(manifest.MaxShortBytes+1)+`"`, 1), "plugin.name"},
		{"description", header + `description = "` + long(manifest.MaxLongBytes+1) + "\"\n", "plugin.description"},
		{"config value", header + "[config]\nv = \"" + long(manifest.MaxConfigValueBytes+1) + "\"\n", "config.v"},
		{"config key", header + "[config]\n" + long(manifest.MaxKeyBytes+1) + " = 1\n", "config." + long(manifest.MaxKeyBytes+1)},
		{"job_type", header + "[[cron]]\njob_type = \"" + long(manifest.MaxKeyBytes+1) + "\"\ncron_expr = \"@daily\"\n", "cron[0].job_type"},
		{"cron_expr", header + "[[cron]]\njob_type = \"j\"\ncron_expr = \"" + long(manifest.MaxShortBytes+1) + "\"\n", "cron[0].cron_expr"},
		{"label", header + "[[cron]]\njob_type = \"j\"\ncron_expr = \"@daily\"\nlabel = \"" + long(manifest.MaxShortBytes+1) + "\"\n", "cron[0].label"},
		{"db_tables entry", header + "[permissions]\ndb = \"read\"\ndb_tables = [\"" + long(manifest.MaxKeyBytes+1) + "\"]\n", "permissions.db_tables[0]"},
	}
	for _, c := range cases {
		if len(c.src) > manifest.MaxFileBytes {
			t.Fatalf("%s: test manifest over the file limit", c.name)
		}
		_, err := manifest.Parse("manifest.toml", []byte(c.src), hooks)
		var es manifest.Errors
		if !errors.As(err, &es) || !errors.Is(err, manifest.ErrInvalid) {
			t.Errorf("%s: Parse = %v, want ErrInvalid", c.name, err)
			continue
		}
		found := false
		for _, e := range es {
			if e.Key == c.key && strings.Contains(e.Msg, "limit") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no limit error at %s in %v", c.name, c.key, err)
		}
	}
	// At the limits, all is well.
	cron.Reset()
	for i := range manifest.MaxCronJobs {
		fmt.Fprintf(&cron, "[[cron]]\njob_type = \"j%d\"\ncron_expr = \"@daily\"\n", i)
	}
	if m, err := manifest.Parse("manifest.toml", []byte(header+cron.String()), hooks); err != nil || len(m.Cron) != manifest.MaxCronJobs {
		t.Fatalf("%d cron entries: %v", manifest.MaxCronJobs, err)
	}
}

// BurntSushi/toml is quadratic or worse in nesting depth: 64 KiB of "{a="
// took a minute and 30 GB of allocation, 16,000 dotted-key segments 19 s.
// Such manifests are refused before the parser sees them.
func TestDeepNestingIsRefusedBeforeParsing(t *testing.T) {
	n := 16000
	cases := map[string]string{
		"inline tables": header + "[config]\nx = " + strings.Repeat("{a=", n) + "1" + strings.Repeat("}", n) + "\n",
		"arrays":        header + "[config]\nx = " + strings.Repeat("[", 2*n) + strings.Repeat("]", 2*n) + "\n",
		"dotted key":    header + "[config]\n" + strings.Repeat("a.", n) + "a = 1\n",
		"table header":  header + "[" + strings.Repeat("a.", n) + "a]\n",
		"array header":  header + "[[" + strings.Repeat("a.", n) + "a]]\n",
		"mixed":         header + "[" + strings.Repeat("a.", 8) + "a]\n" + strings.Repeat("b.", 4) + "b = [{c.d = [[{e = [[[1]]]}]]}]\n",
	}
	for name, src := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := manifest.Parse("manifest.toml", []byte(src), hooks)
		runtime.ReadMemStats(&after)
		var es manifest.Errors
		if !errors.As(err, &es) || len(es) != 1 || !errors.Is(err, manifest.ErrInvalid) || !strings.Contains(err.Error(), "nested deeper than") {
			t.Errorf("%s: Parse = %.200v", name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: refusing allocated %d bytes: it was parsed", name, alloc)
		}
	}
}

// Brackets and dots in strings and comments are not nesting, and nesting
// up to MaxDepth is left to the validator.
func TestNestingCountsOnlyStructure(t *testing.T) {
	deep := strings.Repeat("[", 40) + "." + strings.Repeat("{", 40)
	src := header + `description = "` + deep + `"  # ` + deep + "\n" +
		"[config]\n" +
		`a = '` + deep + "'\n" +
		`b = """` + "\n" + deep + `\""" """` + "\n" +
		`c = '''` + deep + "\n" + deep + `'''` + "\n" +
		`"d.` + deep + `" = 1` + "\n" +
		"[permissions]\nhttp_allow = [\n  \"a.example.com\", # " + deep + "\n  \"b.example.com\",\n]\n"
	m, err := manifest.Parse("manifest.toml", []byte(src), hooks)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config["a"] != deep || !strings.HasPrefix(m.Config["b"], deep) || len(m.Permissions.HTTPAllow) != 2 {
		t.Fatalf("parsed %+v", m)
	}
	// MaxDepth levels: a value error (config values are not tables), not a
	// nesting one; one more level is.
	for extra, want := range map[int]string{0: "must be strings", 1: "nested deeper"} {
		src := header + "[config]\nx." + strings.Repeat("a.", manifest.MaxDepth-3+extra) + "a = 1\n"
		if _, err := manifest.Parse("manifest.toml", []byte(src), hooks); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("depth %d: %v, want %q", manifest.MaxDepth+extra, err, want)
		}
	}
}

// The worst manifest the limits let through (64 KiB of distinct keys
// nested MaxDepth deep) costs the parser tens of megabytes, not gigabytes.
func TestWorstManifestWithinTheLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "[config]\n")
	d := manifest.MaxDepth - 2
	for i := 0; b.Len() < manifest.MaxFileBytes-100; i++ {
		fmt.Fprintf(&b, "k%d = %s1%s\n", i, strings.Repeat("{a=", d), strings.Repeat("}", d))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := manifest.Parse("manifest.toml", []byte(b.String()), hooks)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes nested %d deep: refused after %v, %d MB allocated: %.80v", b.Len(), d+2, elapsed, alloc>>20, err)
	if err == nil || strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("Parse = %.200v", err)
	}
	if alloc > 256<<20 {
		t.Fatalf("%d MB allocated", alloc>>20)
	}
}
