package sqldb

import "testing"

func TestCountStatements(t *testing.T) {
	cases := []struct {
		sql  string
		want int
	}{
		{"", 0},
		{"  ;; -- nothing\n /* here */ ;", 0},
		{"SELECT 1", 1},
		{"SELECT 1;", 1},
		{"SELECT 1;  -- trailing comment", 1},
		{"SELECT 1; /* c */ ;", 1},
		{"SELECT 'a;b'", 1},
		{"SELECT 'it''s; fine'", 1},
		{`SELECT "we;ird" FROM t`, 1},
		{"SELECT `a;b`, [c;d] FROM t", 1},
		{"SELECT 1 -- ; DROP TABLE t\n", 1},
		{"SELECT /* ; */ 1", 1},
		{"SELECT 1; SELECT 2", 2},
		{"SELECT 1;DELETE FROM t", 2},
		{"SELECT 'x'; DELETE FROM t; --", 2},
		{"SELECT 'unterminated; DELETE FROM t", 1},
		{"CREATE TRIGGER tr AFTER INSERT ON a BEGIN INSERT INTO b VALUES (new.x); UPDATE c SET n = n + 1; END;", 1},
		{"CREATE TEMP TRIGGER tr AFTER INSERT ON a BEGIN SELECT CASE WHEN new.x THEN 1 ELSE 2 END; END", 1},
		{"CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT 1; END; DELETE FROM t", 2},
		{"BEGIN; DELETE FROM t; END", 3},
	}
	for _, c := range cases {
		if got := countStatements(c.sql); got != c.want {
			t.Errorf("countStatements(%q) = %d, want %d", c.sql, got, c.want)
		}
	}
}
