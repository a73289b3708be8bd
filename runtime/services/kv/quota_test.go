package kv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/internal/dbtest"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// storedBytes sums the plugin's entries from the entries table itself, not
// from the usage the quota uses.
func storedBytes(t *testing.T, s *Store, plugin string) (int, int64) {
	t.Helper()
	var n int
	var b int64
	err := s.db.QueryRowContext(context.Background(), `SELECT count(*), coalesce(sum(octet_length(key) + octet_length(value)), 0) FROM `+s.Table()+` WHERE plugin_id = $1`, plugin).Scan(&n, &b)
	if err != nil {
		t.Fatal(err)
	}
	return n, b
}

func TestByteQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxTotalBytes: 100}})
		set := func(key string, size int) error { return s.Set(ctx, "p", key, strings.Repeat("v", size-len(key))) }

		if err := set("a", 40); err != nil { // 40
			t.Fatal(err)
		}
		if err := set("b", 55); err != nil { // 95
			t.Fatal(err)
		}
		err := set("c", 6) // 101
		if !errors.Is(err, ErrByteQuotaExceeded) || errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("over the quota: %v, want ErrByteQuotaExceeded", err)
		}
		if !strings.Contains(err.Error(), "quota 100") {
			t.Errorf("error does not name the quota: %v", err)
		}
		if _, ok, _ := s.Get(ctx, "p", "c"); ok {
			t.Fatal("refused key was stored")
		}
		if err := set("c", 5); err != nil { // exactly 100
			t.Fatalf("at the quota: %v", err)
		}
		// Replacing counts the difference: a (40) → 41 is one byte too many,
		// a → 30 frees 10, then a new 10-byte entry fits.
		if err := set("a", 41); !errors.Is(err, ErrByteQuotaExceeded) {
			t.Fatalf("growing a: %v", err)
		}
		if v, _, _ := s.Get(ctx, "p", "a"); len(v) != 39 {
			t.Fatalf("refused replacement changed the value (%d bytes)", len(v))
		}
		if err := set("a", 40); err != nil {
			t.Fatalf("same size at the quota: %v", err)
		}
		if err := set("a", 30); err != nil {
			t.Fatalf("shrinking: %v", err)
		}
		if err := set("d", 10); err != nil {
			t.Fatalf("after shrinking: %v", err)
		}
		if n, b := storedBytes(t, s, "p"); n != 4 || b != 100 {
			t.Fatalf("stored %d entries, %d bytes", n, b)
		}
		if e, b, err := s.Usage(ctx, "p"); e != 4 || b != 100 || err != nil {
			t.Fatalf("Usage = %d %d %v", e, b, err)
		}
		// A single entry bigger than the whole quota, and other plugins.
		if err := s.Set(ctx, "q", "k", strings.Repeat("v", 100)); !errors.Is(err, ErrByteQuotaExceeded) {
			t.Fatalf("entry over the quota: %v", err)
		}
		if err := set("e", 1); !errors.Is(err, ErrByteQuotaExceeded) {
			t.Fatal("full plugin accepted a byte")
		}
		if err := s.Set(ctx, "q", "k", strings.Repeat("v", 99)); err != nil {
			t.Fatalf("other plugin: %v", err)
		}
		// Deleting frees bytes.
		if ok, err := s.Delete(ctx, "p", "b"); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if err := set("e", 55); err != nil {
			t.Fatalf("after delete: %v", err)
		}
		if _, err := s.DeleteAll(ctx, "p"); err != nil {
			t.Fatal(err)
		}
		if e, b, _ := s.Usage(ctx, "p"); e != 0 || b != 0 {
			t.Fatalf("after DeleteAll: %d entries, %d bytes", e, b)
		}
		if err := set("big", 100); err != nil {
			t.Fatalf("after DeleteAll: %v", err)
		}
	})
}

// The entry limit still reports itself as such when bytes are left.
func TestEntryQuotaStillDistinct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxEntries: 1, MaxTotalBytes: 1000}})
		if err := s.Set(ctx, "p", "a", "v"); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "p", "b", "v"); !errors.Is(err, ErrQuotaExceeded) || errors.Is(err, ErrByteQuotaExceeded) {
			t.Fatalf("second key: %v, want ErrQuotaExceeded", err)
		}
	})
}

func TestUnlimitedBytes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxTotalBytes: -1, MaxValueBytes: 4 << 20}})
		v := strings.Repeat("v", 4<<20)
		for i := range 5 { // 20 MiB, over the default quota
			if err := s.Set(ctx, "p", fmt.Sprint("k", i), v); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Concurrent instances of one plugin write at once: the byte quota holds.
func TestByteQuotaHoldsUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxTotalBytes: 10 << 10}})
		v := strings.Repeat("v", 1000)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 40 {
			wg.Go(func() {
				// Half replace the same few keys (counting the difference), half add new ones.
				key := fmt.Sprintf("k%02d", i)
				if i%2 == 0 {
					key = fmt.Sprintf("k%02d", i%6)
				}
				if err := s.Set(ctx, "p", key, v[:900+i]); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else if !errors.Is(err, ErrByteQuotaExceeded) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		n, b := storedBytes(t, s, "p")
		if b > 10<<10 {
			t.Fatalf("stored %d bytes in %d entries, quota %d", b, n, 10<<10)
		}
		if e, ub, _ := s.Usage(ctx, "p"); e != n || ub != b {
			t.Fatalf("usage %d/%d, table %d/%d", e, ub, n, b)
		}
		t.Logf("%d of 40 concurrent writes accepted; %d entries, %d bytes stored (quota %d)", ok, n, b, 10<<10)
	})
}

// The usage the quota reads stays equal to the table through any mix of
// writes, replacements and deletes.
func TestUsageMatchesTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxTotalBytes: 4 << 10, MaxEntries: 20}})
		r := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			p := fmt.Sprint("p", r.IntN(3))
			k := fmt.Sprint("k", r.IntN(30))
			switch r.IntN(10) {
			case 0:
				if _, err := s.Delete(ctx, p, k); err != nil {
					t.Fatal(err)
				}
			case 1:
				if r.IntN(20) == 0 {
					if _, err := s.DeleteAll(ctx, p); err != nil {
						t.Fatal(err)
					}
				}
			default:
				err := s.Set(ctx, p, k, strings.Repeat("é", r.IntN(300)))
				if err != nil && !errors.Is(err, ErrByteQuotaExceeded) && !errors.Is(err, ErrQuotaExceeded) {
					t.Fatal(err)
				}
			}
		}
		for _, p := range []string{"p0", "p1", "p2"} {
			n, b := storedBytes(t, s, p)
			e, ub, err := s.Usage(ctx, p)
			if err != nil || e != n || ub != b {
				t.Fatalf("%s: usage %d/%d %v, table %d/%d", p, e, ub, err, n, b)
			}
			if b > 4<<10 || n > 20 {
				t.Fatalf("%s over its quotas: %d entries, %d bytes", p, n, b)
			}
		}
	})
}

// A table written before the byte quota existed: Open counts what it holds,
// and a plugin already over the quota may shrink and delete but not grow.
func TestExistingTableIsCounted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		db := be.Open(t)
		table := "plugin_kv"
		if be.Dialect == sqldb.Postgres {
			table = "wasmplug.plugin_kv"
			if _, err := db.ExecContext(ctx, `CREATE SCHEMA wasmplug`); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ExecContext(ctx, `CREATE TABLE `+table+` (
		plugin_id  TEXT NOT NULL,
		key        TEXT NOT NULL,
		value      TEXT NOT NULL,
		updated_at TEXT NOT NULL,
		PRIMARY KEY (plugin_id, key)
	)`); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			if _, err := db.ExecContext(ctx, `INSERT INTO `+table+` VALUES ('p', $1, $2, 'then')`, fmt.Sprint("k", i), strings.Repeat("v", 98)); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Open(ctx, db, Options{Limits: Limits{MaxTotalBytes: 500}})
		if err != nil {
			t.Fatal(err)
		}
		if e, b, _ := s.Usage(ctx, "p"); e != 10 || b != 1000 {
			t.Fatalf("usage of the old table: %d entries, %d bytes", e, b)
		}
		if err := s.Set(ctx, "p", "new", "v"); !errors.Is(err, ErrByteQuotaExceeded) {
			t.Fatalf("new key over the quota: %v", err)
		}
		if err := s.Set(ctx, "p", "k0", strings.Repeat("v", 99)); !errors.Is(err, ErrByteQuotaExceeded) {
			t.Fatalf("growing over the quota: %v", err)
		}
		if err := s.Set(ctx, "p", "k0", "small"); err != nil {
			t.Fatalf("shrinking over the quota: %v", err)
		}
		if _, err := s.Delete(ctx, "p", "k1"); err != nil {
			t.Fatal(err)
		}
		// Reopening recomputes (and the triggers kept it right meanwhile).
		s2, err := Open(ctx, db, Options{Limits: Limits{MaxTotalBytes: 500}})
		if err != nil {
			t.Fatal(err)
		}
		n, b := storedBytes(t, s2, "p")
		if e, ub, _ := s2.Usage(ctx, "p"); e != n || ub != b || n != 9 {
			t.Fatalf("after reopen: usage %d/%d, table %d/%d", e, ub, n, b)
		}
	})
}
