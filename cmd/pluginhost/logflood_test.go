package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) lines(substr string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// TestGuestCrashLogBounded: a Go plugin that runs out of memory writes a
// traceback of ~70 lines to stderr; the host logs the crash of one call as
// three records (the traceback, the discarded instance, the skipped
// plugin), and further crashes of the same cause do not repeat the
// discard warning.
func TestGuestCrashLogBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go plugin")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	plugins := filepath.Join(t.TempDir(), "plugins")
	dir := filepath.Join(plugins, "gologin")
	writeGoPlugin(t, dir)
	src := strings.Replace(goLoginPlugin, "\tconst key = \"go-login\"\n",
		"\tfor i := 0; i < 1000; i++ {\n\t\tkeep[i%len(keep)] = make([]byte, 64<<20) // out of memory\n\t}\n\tconst key = \"go-login\"\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	h := newHarness(t, func(c *serverConfig) {
		c.PluginsDir = plugins
		c.Build = true
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if n := len(logs.lines("level=WARN")); n != 0 {
		t.Fatalf("%d warnings while loading:\n%s", n, strings.Join(logs.lines("level=WARN"), "\n"))
	}
	h.expect(200, "POST", "/api/login", `{"user_id":"gopher"}`, nil)
	warns := logs.lines("level=WARN")
	if len(warns) != 3 {
		t.Fatalf("one crash logged %d warnings, want 3:\n%s", len(warns), strings.Join(warns, "\n"))
	}
	for i, want := range []string{`msg="runtime: out of memory`, `msg="pool: discarding instance"`, `msg="runtime: plugin skipped"`} {
		if !strings.Contains(warns[i], want) {
			t.Errorf("warning %d lacks %s: %.300s", i, want, warns[i])
		}
	}
	if !strings.Contains(warns[0], `fatal error: out of memory`) || !strings.Contains(warns[0], "main.onLogin") || !strings.Contains(warns[0], "stream=stderr lines=") {
		t.Errorf("the traceback record lacks the traceback: %.500s", warns[0])
	}
	for range 5 {
		h.expect(200, "POST", "/api/login", `{"user_id":"gopher"}`, nil)
	}
	if n := len(logs.lines(`msg="pool: discarding instance"`)); n != 1 {
		t.Errorf("6 crashes of one cause: %d discard warnings, want 1 (repeats counted)", n)
	}
	if n := len(logs.lines("level=WARN")); n > 6*2+1 {
		t.Errorf("6 crashes logged %d warnings", n)
	}
}

// TestServeBindsFirst: serve on a port in use fails on bind, before it
// builds or loads any plugin.
func TestServeBindsFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	root := t.TempDir()
	plugins := filepath.Join(root, "plugins")
	deploy(t, plugins, testPlugin{id: "com.test.login", guest: loginGuest, hooks: map[string]int{"on-login": 1}})
	db := filepath.Join(root, "db", "x.db")
	_, errOut, err := runCLI(t, "serve", "-plugins", plugins, "-db", db, "-addr", busy.Addr().String(), "-log-level", "debug")
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "listen" || !strings.Contains(err.Error(), "-addr "+busy.Addr().String()) {
		t.Fatalf("err = %v, want a listen error naming -addr", err)
	}
	for _, l := range []string{"compiling plugin", "plugin loaded", "building"} {
		if strings.Contains(errOut, l) {
			t.Errorf("serve got to %q before binding:\n%s", l, errOut)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve opened the database before binding")
	}

	// On a free port it binds, then logs each plugin's compile before
	// serving.
	ctx, cancel := context.WithCancel(context.Background())
	var logs logBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-plugins", plugins, "-db", db, "-addr", "127.0.0.1:0", "-build=false", "-watch", "0"}, &logs, &logs)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(logs.lines("pluginhost: listening")) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, l := range logs.lines("level=INFO") {
		for _, m := range []string{"pluginhost: bound", "runtime: compiling plugin", "runtime: plugin loaded", "pluginhost: listening"} {
			if strings.Contains(l, `msg="`+m) {
				order = append(order, m)
			}
		}
	}
	want := "pluginhost: bound,runtime: compiling plugin,runtime: plugin loaded,pluginhost: listening"
	if strings.Join(order, ",") != want {
		t.Errorf("start-up order %q, want %q", order, want)
	}
	if c := logs.lines("runtime: compiling plugin"); len(c) != 1 || !strings.Contains(c[0], "plugin=com.test.login") || !strings.Contains(c[0], "bytes=") {
		t.Errorf("compile line: %q", c)
	}
}
