package pgtest

import (
	"context"
	"testing"
)

func TestOpenGivesAnEmptyDatabaseOfItsOwn(t *testing.T) {
	a, b := Open(t), Open(t)
	ctx := context.Background()
	if _, err := a.ExecContext(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a table made in one test database is visible in another")
	}
}
