package runtime

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// countGuest's on-login loops once per byte of its argument: the fuel a
// call takes grows with the argument and depends on nothing else.
var countGuest = rtt.Guest{Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param $p i32) (param $n i32)
    (loop $l
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))))`}

// TestFuelBudget checks [limits] fuel end to end: a runaway plugin is
// stopped by its budget (ErrFuelExhausted, not the deadline, which is a
// minute away) and replaced, again at every call; a plugin whose calls fit
// in the budget runs them, every time, and one that does not fit fails
// every time; a plugin without [limits] is not budgeted.
func TestFuelBudget(t *testing.T) {
	f := newFixture(t)
	f.cfg.CallTimeout = time.Minute
	hooks := map[string]int{"on-login": 0}
	f.add("loop", "loop", loopGuest, hooks, "[limits]\nfuel = 100000\n")
	f.add("count", "count", countGuest, hooks, "[limits]\nfuel = 1000\n")
	f.add("free", "free", countGuest, hooks, "")
	rt := f.start()
	if p := rt.Problems(); len(p) != 0 {
		t.Fatalf("load problems: %v", p)
	}
	for _, c := range []struct {
		arg  string
		fail []string // plugins that must fail, by id
	}{
		{"u", []string{"loop"}},
		{strings.Repeat("x", 900), []string{"loop"}},
		{strings.Repeat("x", 1100), []string{"count", "loop"}},
		{strings.Repeat("x", 100000), []string{"count", "loop"}},
	} {
		for range 3 {
			start := time.Now()
			err := Action(ctx, rt, plugin.Hooks.OnLogin, c.arg)
			if took := time.Since(start); took > 30*time.Second {
				t.Fatalf("argument of %d bytes: the calls took %v: stopped by the deadline, not the budget", len(c.arg), took)
			}
			var failed []string
			for _, e := range joined(err) {
				var pe *PluginError
				if !errors.As(e, &pe) {
					t.Fatalf("argument of %d bytes: %v is not a *PluginError", len(c.arg), e)
				}
				if !errors.Is(pe, ErrFuelExhausted) {
					t.Fatalf("argument of %d bytes: %s failed with %v, want ErrFuelExhausted", len(c.arg), pe.Plugin, pe.Err)
				}
				failed = append(failed, pe.Plugin)
			}
			if strings.Join(failed, ",") != strings.Join(c.fail, ",") {
				t.Fatalf("argument of %d bytes: %v ran out of fuel, want %v", len(c.arg), failed, c.fail)
			}
		}
	}
	for _, info := range rt.Plugins() {
		if !info.InterruptFlag {
			t.Errorf("%s is not instrumented", info.ID)
		}
	}
}

// joined splits an error made by errors.Join into its parts (nil: none).
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
