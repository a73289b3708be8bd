package kv

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/internal/dbtest"
)

// The incident: with only the entry limit, a plugin could store 10,000 ×
// 1 MiB. Filling one plugin with values at the value limit must be refused
// once its keys and values reach the default byte quota (16 MiB). This test
// uses only the Store's original API.
func TestFillUntilRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		ctx := context.Background()
		s, db := openStore(t, be, Options{})
		const quota = 16 << 20 // the documented default
		value := strings.Repeat("v", s.Limits().MaxValueBytes)
		var refused error
		n := 0
		for ; n < 40; n++ {
			if refused = s.Set(ctx, "com.example.fill", fmt.Sprint("k", n), value); refused != nil {
				break
			}
		}
		var stored int64
		if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(octet_length(key) + octet_length(value)), 0) FROM `+s.Table()+` WHERE plugin_id = 'com.example.fill'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d values of %d bytes stored (%d bytes of keys and values) before refusal: %v", n, len(value), stored, refused)
		if refused == nil {
			t.Fatalf("40 × %d bytes accepted (%d bytes stored), quota %d", len(value), stored, quota)
		}
		if stored > quota {
			t.Fatalf("%d bytes stored, quota %d", stored, quota)
		}
		if stored < quota-int64(len(value))-64 {
			t.Fatalf("refused at %d bytes, well under the quota %d: %v", stored, quota, refused)
		}
		if _, ok, _ := s.Get(ctx, "com.example.fill", fmt.Sprint("k", n)); ok {
			t.Fatal("the refused value was stored")
		}
		// Another plugin has its own quota.
		if err := s.Set(ctx, "com.example.other", "k", value); err != nil {
			t.Fatalf("other plugin: %v", err)
		}
	})
}
