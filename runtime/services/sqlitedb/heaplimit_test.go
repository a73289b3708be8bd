package sqlitedb

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func vmKB(field string) (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// TestSetHeapLimitTooLate: once SQLite is initialized without memory
// accounting, a heap limit would not be enforced, and SetHeapLimit says so.
func TestSetHeapLimitTooLate(t *testing.T) {
	if os.Getenv(heapChildEnv) == "1" {
		t.Skip("the child process sets the limit")
	}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := SetHeapLimit(64 << 20); !errors.Is(err, ErrHeapLimitTooLate) {
		t.Fatalf("SetHeapLimit after the first open = %v, want ErrHeapLimitTooLate", err)
	}
	if n := HeapInUse(); n != -1 {
		t.Fatalf("HeapInUse without accounting = %d, want -1", n)
	}
}

const heapChildEnv = "SQLITEDB_TEST_HEAP_LIMIT_CHILD"

// TestHeapLimit runs in a child process, which sets the limit before it opens
// any database: then a statement that would allocate past it fails with
// SQLITE_NOMEM instead of taking the memory, and the database goes on
// working.
func TestHeapLimit(t *testing.T) {
	if os.Getenv(heapChildEnv) != "1" {
		if testing.Short() {
			t.Skip("starts a child process")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHeapLimit$", "-test.v", "-test.timeout=60s")
		cmd.Env = append(os.Environ(), heapChildEnv+"=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		t.Logf("child:\n%s", out.String())
		if err != nil || !strings.Contains(out.String(), "--- PASS: TestHeapLimit") {
			t.Fatalf("child failed: %v", err)
		}
		return
	}

	const limit = 64 << 20
	prev, err := SetHeapLimit(limit)
	if err != nil || prev != 0 {
		t.Fatalf("SetHeapLimit = %d, %v", prev, err)
	}
	// Calling it again after SQLite initialized is fine: accounting is on.
	if prev, err := SetHeapLimit(limit); err != nil || prev != limit {
		t.Fatalf("second SetHeapLimit = %d, %v", prev, err)
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := HeapInUse(); n <= 0 || n > limit {
		t.Fatalf("HeapInUse = %d", n)
	}

	runtime.GC()
	debug.FreeOSMemory()
	base, measured := vmKB("VmRSS")
	measured = measured && os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	start := time.Now()
	var n int64
	err = db.QueryRowContext(ctx, "SELECT length(printf('%.*c', 200000000, 'x'))").Scan(&n)
	took := time.Since(start)
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_NOMEM {
		t.Fatalf("200 MB printf under a 64 MiB heap limit = %d, %v; want SQLITE_NOMEM", n, err)
	}
	if measured {
		peak, _ := vmKB("VmHWM")
		t.Logf("failed after %s, RSS +%d MiB", took.Round(time.Millisecond), (peak-base)>>10)
		if growth := (peak - base) << 10; growth > 2*limit {
			t.Errorf("RSS grew by %d MiB under a %d MiB limit", growth>>20, limit>>20)
		}
	}
	if err := db.QueryRowContext(ctx, "SELECT length(printf('%.*c', 1000000, 'x'))").Scan(&n); err != nil || n != 1000000 {
		t.Fatalf("after the failure: %d, %v", n, err)
	}
	if prev, err := SetHeapLimit(0); err != nil || prev != limit {
		t.Fatalf("removing the limit = %d, %v", prev, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT length(printf('%.*c', 200000000, 'x'))").Scan(&n); err != nil || n != 200000000 {
		t.Fatalf("without the limit: %d, %v", n, err)
	}
}
