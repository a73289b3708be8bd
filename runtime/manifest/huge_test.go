package manifest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/runtime/manifest"
)

// writeHugeManifest writes a valid manifest of about size bytes: the seed
// plus a [config] table of 56-byte lines.
func writeHugeManifest(t *testing.T, dir string, size int) string {
	t.Helper()
	writePlugin(t, dir, "", map[string][]byte{"plugin.wasm": wasmModule})
	path := filepath.Join(dir, "manifest.toml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	n, _ := fmt.Fprintf(w, "%s\n[config]\n", seed)
	line := []byte(`key_00000000 = "0000000000000000000000000000000000000000"` + "\n")
	for i := 0; n < size; i++ {
		for j, d := 11, i; j >= 4 && d > 0; j, d = j-1, d/10 {
			line[j] = byte('0' + d%10) // a distinct key per line
		}
		k, _ := w.Write(line)
		n += k
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The incident: a 56 MB manifest took 10 s and 1.09 GB RSS to load. Load
// must refuse it without reading it: the allocation it costs is that of
// the error, not of the file. (Uses only Load and the test helpers, so it
// runs against the code from before the limit too.)
func TestHugeManifestIsRefusedBeforeReading(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "huge")
	path := writeHugeManifest(t, dir, 56<<20)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	m, err := manifest.Load(context.Background(), dir, hooks)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte manifest: Load returned after %v having allocated %d bytes (heap in use %+d): %v",
		fi.Size(), elapsed, alloc, int64(after.HeapInuse)-int64(before.HeapInuse), err)
	if err == nil {
		t.Fatalf("a %d-byte manifest loaded (%d config keys)", fi.Size(), len(m.Config))
	}
	if alloc > 1<<20 {
		t.Fatalf("refusing a %d-byte manifest allocated %d bytes: it was read", fi.Size(), alloc)
	}
}

// 16 KiB of nested inline tables: under the size limit, but the TOML
// parser is quadratic in the depth (before the depth limit: 2.4 s and 2 GB
// of allocation). Parse must refuse it without parsing.
func TestDeepManifestIsRefusedCheaply(t *testing.T) {
	const depth = 4000
	src := []byte(header + "[config]\nx = " + strings.Repeat("{a=", depth) + "1" + strings.Repeat("}", depth) + "\n")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := manifest.Parse("manifest.toml", src, hooks)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes nested %d deep: Parse returned after %v having allocated %d bytes: %.100v", len(src), depth, elapsed, alloc, err)
	if err == nil {
		t.Fatal("accepted")
	}
	if alloc > 1<<20 {
		t.Fatalf("refusing it allocated %d bytes: it was parsed", alloc)
	}
}
