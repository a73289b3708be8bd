package dataapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// BenchmarkTypedVsRaw does the same work through the typed API and through
// raw SQL (db-query / db-execute with their JSON), on each backend: fetch
// 10 rows by a filter with an order, count, and insert one row.
func BenchmarkTypedVsRaw(b *testing.B) {
	for _, name := range backendNames() {
		b.Run(name, func(b *testing.B) {
			be := newBackend(b, name, sqldb.Config{})
			ctx := context.Background()
			conn := be.b.Open("p", writer)
			defer conn.Close()
			tb := New(be.b, conn, "p", writer)
			for i := range 100 {
				if _, err := tb.Insert(ctx, "notes", note(fmt.Sprintf("n%03d", i), fmt.Sprintf("title %d", i%10), int64(i), float64(i)/2)); err != nil {
					b.Fatal(err)
				}
			}
			cfg, log := be.b.Config(), slog.New(slog.NewTextHandler(io.Discard, nil))
			ph := be.b.Dialect().Placeholder
			fetchSQL := `SELECT id, title, views, score, data FROM notes WHERE title = ` + ph(1) + ` ORDER BY id LIMIT 100`
			params := `["title 3"]`
			b.Run("fetch/typed", func(b *testing.B) {
				q := Query{Filter: []Condition{{"title", Eq, "title 3"}}, OrderBy: []Order{{"id", false}}}
				for b.Loop() {
					if rows, err := tb.FetchAll(ctx, "notes", q); err != nil || len(rows) != 10 {
						b.Fatal(len(rows), err)
					}
				}
			})
			b.Run("fetch/raw", func(b *testing.B) {
				for b.Loop() {
					sqldb.QueryJSON(ctx, conn, cfg, log, fetchSQL, &params)
				}
			})
			countSQL := `SELECT COUNT(*) FROM notes WHERE views >= ` + ph(1)
			cparams := `[50]`
			b.Run("count/typed", func(b *testing.B) {
				for b.Loop() {
					if _, err := tb.Count(ctx, "notes", []Condition{{"views", Ge, int64(50)}}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("count/raw", func(b *testing.B) {
				for b.Loop() {
					sqldb.QueryJSON(ctx, conn, cfg, log, countSQL, &cparams)
				}
			})
			i := 0
			insSQL := `INSERT INTO notes (id, title, views) VALUES (` + ph(1) + `, ` + ph(2) + `, ` + ph(3) + `)`
			b.Run("insert/typed", func(b *testing.B) {
				for b.Loop() {
					i++
					if _, err := tb.Insert(ctx, "notes", []Field{{"id", fmt.Sprintf("t%d", i)}, {"title", "x"}, {"views", int64(i)}}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("insert/raw", func(b *testing.B) {
				for b.Loop() {
					i++
					p := fmt.Sprintf(`["r%d","x",%d]`, i, i)
					sqldb.ExecuteJSON(ctx, conn, cfg, log, insSQL, &p)
				}
			})
		})
	}
}
