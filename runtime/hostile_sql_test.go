package runtime

import (
	"strings"
	"testing"

	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// --- SQL ---

// sqlGuest's on-login runs its argument with db-query and stores the JSON
// answer under "sql".
var sqlGuest = rtt.Guest{
	Data: map[int]string{1900: "sql"},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param $p i32) (param $l i32)
    (call $db_query (local.get $p) (local.get $l) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 128))
    (drop (call $set_data (i32.const 1900) (i32.const 3) (i32.load (i32.const 128)) (i32.load (i32.const 132)))))`,
}

func TestHostileSQL(t *testing.T) {
	for name, q := range map[string]string{
		"randomblob": `SELECT length(randomblob(999999999))`,
		"printf":     `SELECT length(printf('%.*c', 999999999, 'x'))`,
		"zeroblob":   `SELECT length(zeroblob(999999999) || 'x')`,
		"cte-string": `WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r) SELECT length(s) FROM r`,
		"replace":    `SELECT length(replace(hex(randomblob(100000)), '0', hex(randomblob(100000))))`,
		"group":      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT length(group_concat(hex(randomblob(1000)))) FROM n`,
		"sort":       `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n ORDER BY randomblob(1000) LIMIT 1`,
	} {
		t.Run(name, func(t *testing.T) {
			res := runAttack(t, attack{
				guest: sqlGuest,
				hooks: map[string]int{"on-login": 0},
				extra: "[permissions]\ndb = \"read\"\n",
				call:  onLogin(q),
			})
			if v, _ := res.f.kv("evil", "sql"); v != "" && !strings.Contains(v, `"error"`) {
				t.Errorf("%s answered %.200s, want an error", q, v)
			}
		})
	}
}
