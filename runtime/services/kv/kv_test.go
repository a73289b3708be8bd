package kv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/internal/dbtest"
)

func openStore(t *testing.T, be dbtest.Backend, opts Options) (*Store, *sql.DB) {
	t.Helper()
	db := be.Open(t)
	s, err := Open(context.Background(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

func TestSetGetOverwrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{})
		if _, ok, err := s.Get(ctx, "p1", "missing"); ok || err != nil {
			t.Fatalf("Get(missing) = ok %v, err %v", ok, err)
		}
		if err := s.Set(ctx, "p1", "k", "v1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "p1", "k", "v2"); err != nil {
			t.Fatal(err)
		}
		v, ok, err := s.Get(ctx, "p1", "k")
		if v != "v2" || !ok || err != nil {
			t.Fatalf("Get = %q %v %v", v, ok, err)
		}
		// The empty string is a value like any other.
		if err := s.Set(ctx, "p1", "empty", ""); err != nil {
			t.Fatal(err)
		}
		if v, ok, _ := s.Get(ctx, "p1", "empty"); v != "" || !ok {
			t.Fatalf("Get(empty) = %q %v", v, ok)
		}
		// Unicode round-trips.
		if err := s.Set(ctx, "p1", "ключ/键", "värde 値 🎉"); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := s.Get(ctx, "p1", "ключ/键"); v != "värde 値 🎉" {
			t.Fatalf("unicode value = %q", v)
		}
	})
}

func TestPluginsAreIsolated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{})
		if err := s.Set(ctx, "a", "shared", "from-a"); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "b", "shared", "from-b"); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := s.Get(ctx, "a", "shared"); v != "from-a" {
			t.Fatalf("a sees %q", v)
		}
		if v, _, _ := s.Get(ctx, "b", "shared"); v != "from-b" {
			t.Fatalf("b sees %q", v)
		}
		if _, ok, _ := s.Get(ctx, "c", "shared"); ok {
			t.Fatal("c sees a key it never set")
		}
		n, err := s.DeleteAll(ctx, "a")
		if n != 1 || err != nil {
			t.Fatalf("DeleteAll = %d %v", n, err)
		}
		if v, _, _ := s.Get(ctx, "b", "shared"); v != "from-b" {
			t.Fatal("DeleteAll(a) touched b")
		}
	})
}

func TestPersistsAcrossStores(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		where := be.New(t)
		db := be.Connect(t, where)
		s, err := Open(ctx, db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "p", "k", "kept"); err != nil {
			t.Fatal(err)
		}
		db.Close()

		db2 := be.Connect(t, where)
		s2, err := Open(ctx, db2, Options{}) // table exists: no error
		if err != nil {
			t.Fatal(err)
		}
		if v, ok, _ := s2.Get(ctx, "p", "k"); v != "kept" || !ok {
			t.Fatalf("after reopen: %q %v", v, ok)
		}
	})
}

func TestRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxKeyBytes: 8, MaxValueBytes: 16, MaxEntries: 2}})
		cases := []struct {
			name, plugin, key, value string
			want                     error
		}{
			{"empty key", "p", "", "v", ErrInvalidKey},
			{"long key", "p", strings.Repeat("k", 9), "v", ErrInvalidKey},
			{"non-UTF-8 key", "p", "\xff", "v", ErrInvalidKey},
			{"big value", "p", "k", strings.Repeat("v", 17), ErrValueTooLarge},
			{"no plugin", "", "k", "v", ErrInvalidPlugin},
		}
		for _, c := range cases {
			if err := s.Set(ctx, c.plugin, c.key, c.value); !errors.Is(err, c.want) {
				t.Errorf("%s: Set = %v, want %v", c.name, err, c.want)
			}
		}
		if _, _, err := s.Get(ctx, "p", ""); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Get(empty key) = %v", err)
		}
		// Exactly at the limits is fine.
		if err := s.Set(ctx, "p", strings.Repeat("k", 8), strings.Repeat("v", 16)); err != nil {
			t.Fatalf("at limits: %v", err)
		}
		if err := s.Set(ctx, "p", "second", "v"); err != nil {
			t.Fatal(err)
		}
		// A third key is over the entry quota...
		if err := s.Set(ctx, "p", "third", "v"); !errors.Is(err, ErrQuotaExceeded) {
			t.Fatalf("third key: %v, want ErrQuotaExceeded", err)
		}
		if _, ok, _ := s.Get(ctx, "p", "third"); ok {
			t.Fatal("refused key was stored")
		}
		// ...but overwriting an existing key is not, and other plugins have their own quota.
		if err := s.Set(ctx, "p", "second", "v2"); err != nil {
			t.Fatalf("overwrite at quota: %v", err)
		}
		if err := s.Set(ctx, "other", "third", "v"); err != nil {
			t.Fatalf("other plugin: %v", err)
		}
		// Deleting frees a slot.
		if ok, err := s.Delete(ctx, "p", "second"); !ok || err != nil {
			t.Fatalf("Delete = %v %v", ok, err)
		}
		if ok, _ := s.Delete(ctx, "p", "second"); ok {
			t.Fatal("second Delete reported the key existed")
		}
		if err := s.Set(ctx, "p", "third", "v"); err != nil {
			t.Fatalf("after delete: %v", err)
		}
	})
}

func TestUnlimitedEntries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, _ := openStore(t, be, Options{Limits: Limits{MaxEntries: -1}})
		for i := range 50 {
			if err := s.Set(ctx, "p", fmt.Sprint("k", i), "v"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestQuotaHoldsUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, db := openStore(t, be, Options{Limits: Limits{MaxEntries: 10}})
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() { _ = s.Set(ctx, "p", fmt.Sprint("k", i), "v") })
		}
		wg.Wait()
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+s.Table()+" WHERE plugin_id = 'p'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 10 {
			t.Fatalf("stored %d entries, quota 10", n)
		}
	})
}

func TestContextCancelled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Set(ctx, "p", "k", "v"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Set with cancelled ctx = %v", err)
		}
	})
}

func TestBadTableName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		db := be.Open(t)
		if _, err := Open(context.Background(), db, Options{Table: "kv; DROP TABLE x"}); err == nil {
			t.Fatal("accepted an injected table name")
		}
		s, err := Open(context.Background(), db, Options{Table: "custom_kv"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(context.Background(), "p", "k", "v"); err != nil {
			t.Fatal(err)
		}
	})
}
