package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/guests"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
	"github.com/raisfast/wasmplug/runtime/services/kv"
	"github.com/raisfast/wasmplug/runtime/services/sqlitedb"
)

// crashChildEnv makes the test binary run `pluginhost serve` with the
// arguments in the environment instead of the tests (see TestMain): the
// crash test starts the host as a process of its own, to kill it.
const crashChildEnv = "WASMPLUG_CRASH_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(crashChildEnv); args != "" {
		if err := run(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(guests.Main(m))
}

// flakyGuest's on-post-creating traps on every other call of an instance
// and otherwise leaves the post as it is.
var flakyGuest = rtt.Guest{
	Globals: `(global $n (mut i32) (i32.const 0))`,
	Funcs: `
  (func (export "` + rtt.Export("on-post-creating") + `") (param i32) (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (if (i32.and (global.get $n) (i32.const 1)) (then unreachable))
    (call $none))`,
}

// recorderGuest's on-post-created stores the post's id under its slug.
var recorderGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-post-created") + `") (param $p i32)
    (drop (call $set_data (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))
                          (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))))`}

// hostProcess is `pluginhost serve` running as a child process.
type hostProcess struct {
	cmd  *exec.Cmd
	base string
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

func startHost(t *testing.T, args ...string) *hostProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashChildEnv+"="+strings.Join(args, "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &hostProcess{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "addr=http://"); ok {
				a, _, _ = strings.Cut(a, " ")
				select {
				case addr <- a:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() { h.err = cmd.Wait(); close(h.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-h.done })
	select {
	case a := <-addr:
		h.base = "http://" + a
	case <-h.done:
		t.Fatalf("host exited before listening: %v", h.err)
	case <-time.After(30 * time.Second):
		t.Fatal("host did not start listening")
	}
	return h
}

// TestCrashUnderLoad posts through the reference host, with one plugin
// trapping half the time and one storing every created post in its
// key-value store, kills the host with SIGKILL mid-load and restarts it:
// every acknowledged post must be there, with its key-value entry, and
// both SQLite files must pass integrity_check.
func TestCrashUnderLoad(t *testing.T) {
	root := t.TempDir()
	plugins := filepath.Join(root, "plugins")
	dbPath := filepath.Join(root, "db", "blog.db")
	deploy(t, plugins,
		testPlugin{id: "flaky", guest: flakyGuest, hooks: map[string]int{"on-post-creating": 0}},
		testPlugin{id: "recorder", guest: recorderGuest, hooks: map[string]int{"on-post-created": 0}},
	)
	args := []string{"serve", "-plugins", plugins, "-db", dbPath, "-addr", "127.0.0.1:0",
		"-build=false", "-watch", "0", "-cron=false", "-pool", "2"}
	host := startHost(t, args...)

	client := &http.Client{Timeout: 10 * time.Second}
	var (
		mu    sync.Mutex
		acked = map[string]string{} // slug → id
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				slug := fmt.Sprintf("w%d-p%d", w, i)
				body := fmt.Sprintf(`{"title":"Post %s","content":"body of %s","slug":%q}`, slug, slug, slug)
				res, err := client.Post(host.base+"/api/posts", "application/json", strings.NewReader(body))
				if err != nil {
					return // the host is gone
				}
				var p struct{ ID, Slug string }
				ok := res.StatusCode == http.StatusCreated && json.NewDecoder(res.Body).Decode(&p) == nil
				res.Body.Close()
				if ok {
					mu.Lock()
					acked[p.Slug] = p.ID
					mu.Unlock()
				}
			}
		}()
	}
	// Kill the host once it has acknowledged a few hundred posts (or after
	// 10 s, whatever it managed).
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := host.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-host.done
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d posts acknowledged before the kill", len(acked))
	}

	host = startHost(t, args...)
	missing := 0
	for slug, id := range acked {
		res, err := client.Get(host.base + "/api/posts/" + slug)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ ID string }
		json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || p.ID != id {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged post %s (%s): status %d, id %q after the restart", slug, id, res.StatusCode, p.ID)
			}
		}
	}
	if err := host.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-host.done:
	case <-time.After(30 * time.Second):
		t.Fatal("host did not stop on SIGTERM")
	}

	ctx := context.Background()
	kvPath := filepath.Join(filepath.Dir(dbPath), "plugins", "_plugin_kv.db")
	for _, file := range []string{dbPath, kvPath} {
		db, err := sqlitedb.Open(ctx, file, sqlitedb.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var res string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
			t.Errorf("%s: integrity_check = %q, %v", filepath.Base(file), res, err)
		}
		if file == kvPath {
			checkRecorded(t, db, acked)
		}
		db.Close()
	}
	t.Logf("%d posts acknowledged before SIGKILL, %d missing after the restart", len(acked), missing)
}

// checkRecorded checks that the recorder plugin's key-value entry of every
// acknowledged post survived (its action ran before the 201).
func checkRecorded(t *testing.T, db *sql.DB, acked map[string]string) {
	t.Helper()
	store, err := kv.Open(context.Background(), db, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for slug, id := range acked {
		v, ok, err := store.Get(context.Background(), "recorder", slug)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || v != id {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged posts lost their key-value entry", lost, len(acked))
	}
}
