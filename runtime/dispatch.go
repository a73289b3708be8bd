package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/pool"
)

// PluginError is the failure of one plugin in a dispatch. The plugin was
// skipped (a filter's value stays as it was) and the failure was logged.
type PluginError struct {
	Plugin string
	Hook   string
	Err    error
}

func (e *PluginError) Error() string {
	return fmt.Sprintf("plugin %s: %s: %v", e.Plugin, e.Hook, e.Err)
}

func (e *PluginError) Unwrap() error { return e.Err }

// Filter runs the filter hook h over v: every plugin subscribed to h, in
// ascending priority (ties by plugin id), gets the previous plugin's output;
// a plugin returning none leaves the value as it is; a plugin that fails
// (trap, timeout, error) is skipped with the value unchanged.
//
// The returned value is always the chain's result and always usable. The
// error, errors.Join of one *PluginError per skipped plugin (already logged),
// is informational: most hosts ignore it. Once ctx ends, the remaining
// plugins are skipped too. The error is ErrClosed after Close.
//
//	html, _ := runtime.Filter(ctx, rt, plugin.Hooks.RenderMarkdown, md)
func Filter[T any](ctx context.Context, rt *Runtime, h plugin.Filter[T], v T) (T, error) {
	if err := checkHook(h.Hook, plugin.HookFilter, h.Call == nil); err != nil {
		return v, err
	}
	s, err := rt.acquire()
	if err != nil {
		return v, err
	}
	defer s.release()
	var errs []error
	for _, p := range s.hooks[h.Index] {
		var out *T
		err := rt.invoke(ctx, p, &h.Hook, func(ctx context.Context, inst plugin.Guest) error {
			var err error
			out, err = h.Call(inst, ctx, v)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if out != nil {
			v = *out
		}
	}
	return v, errors.Join(errs...)
}

// Action runs the action hook h with arguments a on every plugin subscribed
// to it, one after the other in ascending priority (ties by plugin id). A
// failing plugin does not stop the others. The error, as Filter's, is nil
// when every plugin succeeded, else errors.Join of one *PluginError per
// failure (already logged; PluginErrors lists them), or ErrClosed.
//
//	err := runtime.Action(ctx, rt, plugin.Hooks.OnPostCreated, post)
func Action[A any](ctx context.Context, rt *Runtime, h plugin.Action[A], a A) error {
	if err := checkHook(h.Hook, plugin.HookAction, h.Call == nil); err != nil {
		return err
	}
	s, err := rt.acquire()
	if err != nil {
		return err
	}
	defer s.release()
	var errs []error
	for _, p := range s.hooks[h.Index] {
		if err := rt.invoke(ctx, p, &h.Hook, func(ctx context.Context, inst plugin.Guest) error {
			return h.Call(inst, ctx, a)
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// PluginErrors lists the plugin failures in an error of Filter or Action
// (one per plugin skipped, in call order); none for nil or ErrClosed.
func PluginErrors(err error) []*PluginError {
	var out []*PluginError
	var walk func(error)
	walk = func(err error) {
		var pe *PluginError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, err := range e.Unwrap() {
				walk(err)
			}
		default:
			if errors.As(err, &pe) {
				out = append(out, pe)
			}
		}
	}
	walk(err)
	return out
}

// checkHook rejects a hook value that is not an entry of plugin.HookList of
// the expected kind (a zero plugin.Filter, for instance).
func checkHook(h plugin.Hook, kind plugin.HookKind, noCall bool) error {
	if h.Index < 0 || h.Index >= len(plugin.HookList) || plugin.HookList[h.Index].Name != h.Name || noCall {
		return fmt.Errorf("%w: %q is not an entry of plugin.Hooks", ErrUnknownHook, h.Name)
	}
	if h.Kind != kind {
		return fmt.Errorf("runtime: hook %s has kind %d, not %d", h.Name, h.Kind, kind)
	}
	return nil
}

// Step is what one plugin did in a traced call.
type Step struct {
	Plugin   string
	Priority int
	// Output is the plugin's result as JSON: for a filter its option (null
	// = none, the value kept), for an action null.
	Output   json.RawMessage
	Err      error
	Duration time.Duration
}

// Trace is the outcome of [TraceJSON].
type Trace struct {
	Hook string
	Kind plugin.HookKind
	// Output is the result: a filter chain's final value, or null.
	Output json.RawMessage
	Steps  []Step
}

// CallJSON dispatches the hook named hook with arguments as JSON, for
// generic tools (a CLI): the single parameter's value, or an object of all
// parameters by snake_case name (see plugin.Hook). A filter runs as a chain
// exactly like [Filter] and returns the final value; an action runs like
// [Action] and returns null. Errors: ErrUnknownHook, ErrClosed, invalid
// arguments, or errors.Join of the *PluginError of skipped plugins (the
// output is still the chain's result).
func CallJSON(ctx context.Context, rt *Runtime, hook string, args []byte) (json.RawMessage, error) {
	tr, err := TraceJSON(ctx, rt, hook, args)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, st := range tr.Steps {
		if st.Err != nil {
			errs = append(errs, st.Err)
		}
	}
	return tr.Output, errors.Join(errs...)
}

// TraceJSON is CallJSON reporting what each plugin did. Its error is only
// ErrUnknownHook, ErrClosed or invalid arguments; plugin failures are in the
// steps.
func TraceJSON(ctx context.Context, rt *Runtime, hook string, args []byte) (*Trace, error) {
	k := plugin.ExportIndex(hook)
	if k < 0 {
		return nil, fmt.Errorf("%w: %q", ErrUnknownHook, hook)
	}
	h := plugin.HookList[k]
	if !json.Valid(args) {
		return nil, fmt.Errorf("runtime: %s: arguments are not valid JSON", h.Name)
	}
	s, err := rt.acquire()
	if err != nil {
		return nil, err
	}
	defer s.release()
	tr := &Trace{Hook: h.Name, Kind: h.Kind, Output: json.RawMessage("null")}
	cur := bytes.Clone(args)
	if h.Kind == plugin.HookFilter {
		tr.Output = cur
	}
	for _, p := range s.hooks[k] {
		st := Step{Plugin: p.id, Priority: p.priority[k]}
		start := time.Now()
		var out []byte
		err := rt.invoke(ctx, p, &h, func(ctx context.Context, inst plugin.Guest) error {
			var err error
			out, err = h.CallJSON(inst, ctx, cur)
			return err
		})
		st.Duration = time.Since(start)
		if err != nil {
			if isArgError(err) {
				return nil, fmt.Errorf("runtime: %w", err)
			}
			st.Err = err
		} else {
			st.Output = out
			if h.Kind == plugin.HookFilter && !bytes.Equal(bytes.TrimSpace(out), []byte("null")) {
				cur = out
				tr.Output = out
			}
		}
		tr.Steps = append(tr.Steps, st)
	}
	return tr, nil
}

// isArgError reports an argument decoding failure of a generated CallJSON.
func isArgError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te)
}

// invoke runs fn on a free instance of p under the per-call deadline and
// ends the instance's host-side call state afterwards (rolling back an open
// transaction). An instance whose call trapped or timed out is discarded
// and replaced by the pool. Failures are logged and returned as
// *PluginError.
func (rt *Runtime) invoke(ctx context.Context, p *loaded, h *plugin.Hook, fn func(context.Context, plugin.Guest) error) error {
	p.calls.Add(1)
	err := p.pool.Do(ctx, func(ctx context.Context, in *instance) error {
		var err error
		var timedOut bool
		if in.alarm != nil {
			if in.fuel != nil {
				in.fuel.Set(uint64(p.m.Limits.Fuel))
			}
			err, timedOut = rt.callFlagged(ctx, in, fn)
		} else {
			cctx, cancel := context.WithTimeout(ctx, rt.cfg.CallTimeout)
			in.waits.bind(cctx)
			err = fn(cctx, in.inst)
			in.waits.bind(nil)
			timedOut = cctx.Err() != nil && ctx.Err() == nil
			cancel()
		}
		in.flushOutput()
		if cerr := in.host.EndCall(); cerr != nil {
			rt.log.Warn("runtime: ending call's database session", "plugin", p.id, "hook", h.Name, "err", cerr)
		}
		if err == nil {
			return nil
		}
		switch {
		case timedOut:
			err = fmt.Errorf("exceeded the call deadline of %s: %w", rt.cfg.CallTimeout, err)
		case in.fuel != nil && int64(in.fuel.Get()) < 0:
			err = fmt.Errorf("%w (%d, [limits] fuel): %w", ErrFuelExhausted, p.m.Limits.Fuel, err)
		}
		if errors.Is(err, abi.ErrTrap) || in.inst.Err() != nil {
			return pool.Discard(err)
		}
		return err
	})
	if err == nil {
		return nil
	}
	if isArgError(err) {
		return err // the caller's arguments, not the plugin's failure
	}
	p.failures.Add(1)
	p.warnLim.Log(ctx, rt.log, slog.LevelWarn, "runtime: plugin skipped", "plugin", p.id, "hook", h.Name, "err", err)
	return &PluginError{Plugin: p.id, Hook: h.Name, Err: err}
}

// callFlagged runs fn on an instrumented instance: its deadline is the
// watchdog's alarm, which sets the interrupt flag and ends the call's
// reused context, at the deadline or, polled by the watchdog, once the
// caller's ctx is done. It allocates nothing and takes no lock unless a
// host function asks for the call context's done channel.
func (rt *Runtime) callFlagged(ctx context.Context, in *instance, fn func(context.Context, plugin.Guest) error) (err error, timedOut bool) {
	now := rt.wd.now()
	at := now + int64(rt.cfg.CallTimeout)
	in.call.begin(ctx, at)
	in.waits.bind(in.call)
	rt.wd.armAt(in.alarm, now, at, ctx.Done() != nil)
	err = fn(in.call, in.inst)
	if rt.wd.disarm(in.alarm) { // nothing sets the flag from here on
		timedOut = ctx.Err() == nil
		if err == nil {
			in.flag.Set(0) // it fired as the call returned: the instance is fine
		}
	}
	in.waits.bind(nil)
	in.call.end()
	return err, timedOut
}
