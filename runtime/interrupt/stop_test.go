package interrupt

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// runaway is a guest that never returns unless interrupted.
type runaway struct {
	name string
	wat  string // exports "run"
	args []uint64
}

var runaways = []runaway{
	{"infinite loop", `(module (func (export "run") (loop $l (br $l))))`, nil},
	{"loop calling a function", `(module
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "run") (local $x i32)
    (loop $l (local.set $x (call $inc (local.get $x))) (br $l))))`, nil},
	{"inner infinite loop", `(module
  (func (export "run") (local $i i32)
    (loop $outer
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (loop $inner (br_if $inner (i32.const 1)))
      (br $outer))))`, nil},
	// Recursion that never ends without overflowing the stack: 2^62 calls
	// at a depth of at most 62, and not a loop in sight, so only the
	// function-entry checks can stop it.
	{"unbounded recursion", `(module
  (func $r (export "run") (param $d i32)
    (if (i32.lt_u (local.get $d) (i32.const 62))
      (then
        (call $r (i32.add (local.get $d) (i32.const 1)))
        (call $r (i32.add (local.get $d) (i32.const 1)))))))`, []uint64{0}},
	{"tail-call recursion", `(module
  (func $t (export "run") (param i64) (return_call $t (i64.add (local.get 0) (i64.const 1)))))`, []uint64{0}},
	{"mutual recursion through a table", `(module
  (type $v (func (param i32)))
  (table funcref (elem $a $b))
  (func $a (type $v) (param $d i32)
    (if (i32.lt_u (local.get $d) (i32.const 62))
      (then
        (call_indirect (type $v) (i32.add (local.get $d) (i32.const 1)) (i32.const 1))
        (call_indirect (type $v) (i32.add (local.get $d) (i32.const 1)) (i32.const 1)))))
  (func $b (type $v) (param $d i32) (call $a (local.get $d)))
  (func (export "run") (call $a (i32.const 0))))`, nil},
}

// Generous bounds for a shared machine: a runaway must still be running
// after started, and must stop within stopWithin of the flag being set.
const (
	started    = 50 * time.Millisecond
	stopWithin = 5 * time.Second
)

// yieldEvery is the YieldEvery of the tests that use yield points.
const yieldEvery = 1 << 12

// runUntilInterrupted calls run in a goroutine, sets the flag once it has
// run for a while, and expects an "unreachable" trap soon after; it
// returns how long that took.
func runUntilInterrupted(t *testing.T, mod api.Module, args ...uint64) time.Duration {
	t.Helper()
	flag, ok := Global(mod)
	if !ok {
		t.Fatal("no flag")
	}
	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction("run").Call(context.Background(), args...)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("returned before the interruption: %v", err)
	case <-time.After(started):
	}
	set := time.Now()
	flag.Set(1)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("got %v, want an unreachable trap", err)
		}
		return time.Since(set)
	case <-time.After(stopWithin):
		t.Fatalf("still running %v after the flag was set", stopWithin)
	}
	return 0
}

// TestInterrupt runs each runaway in an instrumented module, sets the flag
// from another goroutine while it runs and expects an "unreachable" trap
// soon after. That the compiler engine stops the loops at all shows it
// loads the flag afresh at every check instead of hoisting the load out of
// the loop.
//
// Without yield points, the compiler engine needs what the package
// documentation says: a free P for the goroutine that sets the flag, and no
// stop-the-world while the guest runs (it would wait for the guest
// forever, and the guest for the flag). So those subtests need GOMAXPROCS
// >= 2, turn the collector off, and run in a child process that is killed
// if it hangs all the same, so that a hang fails the test instead of
// stalling the run.
func TestInterrupt(t *testing.T) {
	child := os.Getenv(childEnv) != ""
	for _, e := range []engine{compiler, interpreter} {
		for _, opts := range []Options{{}, {YieldEvery: yieldEvery}} {
			unsafe := opts.YieldEvery == 0 && e.name == compiler.name
			if child && !unsafe {
				continue
			}
			name := e.name + "/flag only"
			if opts.YieldEvery != 0 {
				name = e.name + "/with yield points"
			}
			t.Run(name, func(t *testing.T) {
				if e.name == interpreter.name && raceEnabled {
					// The interpreter reads globals as plain Go fields: the
					// host's Set from another goroutine is a data race by the
					// Go memory model (benign in practice on amd64 and arm64).
					t.Skip("the interpreter's global reads race with Set by design")
				}
				if unsafe {
					if runtime.GOMAXPROCS(0) < 2 {
						t.Skip("needs a second P to set the flag")
					}
					if !child {
						runChild(t, "^TestInterrupt$")
						return
					}
					defer debug.SetGCPercent(debug.SetGCPercent(-1))
				}
				for _, g := range runaways {
					t.Run(g.name, func(t *testing.T) {
						wasm, err := InstrumentWith(assemble(t, memoryFor(g.wat, opts)), opts)
						if err != nil {
							t.Fatal(err)
						}
						mod := instantiate(t, newRuntime(t, e), wasm)
						t.Logf("stopped %v after the flag was set", runUntilInterrupted(t, mod, g.args...))
					})
				}
			})
		}
	}
}

// childEnv marks the child process of runChild.
const childEnv = "INTERRUPT_TEST_CHILD"

// runChild runs the tests matching pattern in a child process of this test
// binary, killed after a minute, and fails unless they pass.
func runChild(t *testing.T, pattern string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+pattern, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "stopped") || strings.Contains(line, "--- FAIL") || strings.Contains(line, "_test.go") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if err != nil {
		t.Fatalf("child process: %v (a hang if killed)", err)
	}
}

// memoryFor adds a memory to a module that has none when opts has yield
// points, which need one.
func memoryFor(wat string, opts Options) string {
	if opts.YieldEvery == 0 || strings.Contains(wat, "(memory") {
		return wat
	}
	return strings.TrimSuffix(strings.TrimSpace(wat), ")") + " (memory 0))"
}

// TestInterruptUnderLoad is the case that needs yield points: more
// runaway guests than Ps, and the garbage collector forced to run all the
// time. Code compiled by wazero cannot be preempted, so without yield
// points the goroutine that sets the flags would never run again (and a
// stop-the-world would never complete). Each instance stops only when its
// own flag is set, as when one watchdog serves many instances.
func TestInterruptUnderLoad(t *testing.T) {
	opts := Options{YieldEvery: yieldEvery}
	wasm, err := InstrumentWith(assemble(t, memoryFor(runaways[1].wat, opts)), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t, compiler)
	n := runtime.GOMAXPROCS(0) + 2
	flags := make([]api.MutableGlobal, n)
	done := make([]chan error, n)
	for i := range n {
		mod := instantiate(t, r, wasm)
		flags[i], _ = Global(mod)
		done[i] = make(chan error, 1)
		go func() {
			_, err := mod.ExportedFunction("run").Call(context.Background())
			done[i] <- err
		}()
	}
	stopGC := make(chan struct{})
	gcDone := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stopGC:
				gcDone <- n
				return
			default:
				runtime.GC()
				n++
			}
		}
	}()
	stopped := func(i int) {
		t.Helper()
		select {
		case err := <-done[i]:
			if err == nil || !strings.Contains(err.Error(), "unreachable") {
				t.Fatalf("instance %d: got %v, want an unreachable trap", i, err)
			}
		case <-time.After(stopWithin):
			t.Fatalf("instance %d not interrupted", i)
		}
	}
	time.Sleep(started)
	set := time.Now()
	flags[0].Set(1)
	stopped(0)
	t.Logf("instance 0 stopped %v after its flag was set, %d other instances running", time.Since(set), n-1)
	time.Sleep(started)
	for i := 1; i < n; i++ {
		select {
		case err := <-done[i]:
			t.Errorf("instance %d stopped with its flag clear: %v", i, err)
		default:
		}
		flags[i].Set(1)
	}
	for i := 1; i < n; i++ {
		stopped(i)
	}
	close(stopGC)
	t.Logf("%d garbage collections ran meanwhile", <-gcDone)
}
