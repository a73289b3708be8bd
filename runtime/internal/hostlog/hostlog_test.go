package hostlog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func capture(level slog.Level) (*bytes.Buffer, *slog.Logger) {
	var buf bytes.Buffer
	return &buf, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))
}

func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestLevelsAndPluginID(t *testing.T) {
	buf, sl := capture(slog.LevelDebug)
	l := New(sl, "com.example.p", 0)
	ctx := context.Background()
	l.Log(ctx, "debug", "d")
	l.Log(ctx, "INFO", "i")
	l.Log(ctx, "warning", "w")
	l.Log(ctx, "error", "e")
	l.Log(ctx, "fatal", "f")
	recs := records(t, buf)
	want := []struct{ level, msg string }{{"DEBUG", "d"}, {"INFO", "i"}, {"WARN", "w"}, {"ERROR", "e"}, {"INFO", "f"}}
	if len(recs) != len(want) {
		t.Fatalf("%d records", len(recs))
	}
	for i, w := range want {
		if recs[i]["level"] != w.level || recs[i]["msg"] != w.msg || recs[i]["plugin"] != "com.example.p" {
			t.Errorf("record %d = %v", i, recs[i])
		}
	}
	if recs[4]["plugin_level"] != "fatal" {
		t.Errorf("unknown level not recorded: %v", recs[4])
	}
}

func TestFilteredByHostLevel(t *testing.T) {
	buf, sl := capture(slog.LevelWarn)
	l := New(sl, "p", 0)
	l.Log(context.Background(), "info", "hidden")
	l.Log(context.Background(), "debug", "hidden")
	if buf.Len() != 0 {
		t.Fatalf("logged below host level: %s", buf)
	}
}

func TestSanitizeAndTruncate(t *testing.T) {
	buf, sl := capture(slog.LevelDebug)
	l := New(sl, "p", 10)
	l.Log(context.Background(), "info", "a\x1b[31mb\r\x00c\xff")
	l.Log(context.Background(), "info", "héllo wörld, long")
	l.Log(context.Background(), "info", "line1\nline2")
	recs := records(t, buf)
	if recs[0]["msg"] != "a\uFFFD[31mb" || recs[0]["truncated"] != true {
		t.Errorf("control chars: %q %v", recs[0]["msg"], recs[0]["truncated"])
	}
	if m := recs[1]["msg"].(string); len(m) > 10 || !strings.HasPrefix("héllo wörld", m) || recs[1]["truncated"] != true {
		t.Errorf("truncation: %q", m)
	}
	if recs[2]["msg"] != "line1\nline" {
		t.Errorf("newline: %q", recs[2]["msg"])
	}
	if out, cut := sanitize("a\x1b\x00\xff\tb", 100); out != "a\uFFFD\uFFFD\uFFFD\tb" || cut {
		t.Errorf("sanitize controls: %q %v", out, cut)
	}
	if out, cut := sanitize("short", 10); out != "short" || cut {
		t.Errorf("sanitize short: %q %v", out, cut)
	}
}
