package runtime

import (
	"context"
	"fmt"
	"slices"

	"github.com/raisfast/wasmplug/runtime/manifest"
)

// Reload rescans PluginsDir and makes the result current without failing
// calls in flight: a plugin directory whose manifest and entry are
// unchanged keeps its loaded version (and its instances' state); an added or
// changed one is compiled and its pool filled beside the running version;
// then the new set is swapped in atomically and the versions no longer
// used are drained and closed in the background. A directory that fails to
// load is reported by Problems; if an earlier version of it was loaded, that
// version keeps serving. Reload returns an error only when the plugins
// directory cannot be read or the runtime is closed.
func (rt *Runtime) Reload(ctx context.Context) error {
	if rt.closing.Load() {
		return ErrClosed
	}
	// Close cancels a reload in progress (compiles, pool fills) instead of
	// waiting for it: Close is bounded by its own context.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(rt.life, cancel)()
	select {
	case rt.reloading <- struct{}{}:
	case <-ctx.Done():
		if rt.closing.Load() {
			return ErrClosed
		}
		return fmt.Errorf("runtime: reload: waiting for the reload in progress: %w", ctx.Err())
	}
	defer func() { <-rt.reloading }()
	rt.mu.Lock()
	closed := rt.closed
	rt.mu.Unlock()
	if closed {
		return ErrClosed
	}
	scans, err := rt.scan()
	if err != nil {
		return err
	}
	// Reloads are serialised by rt.reloading, so old stays current until
	// this one publishes (or Close publishes the closed snapshot).
	old := rt.cur.Load()
	var (
		keep     []*loaded
		problems []Problem
		byID     = map[string]string{} // id → dir that claimed it
		fps      = make(map[string]string, len(scans))
	)
	for _, d := range scans {
		fps[d.dir] = d.fp
		if d.skip {
			continue
		}
		prev := old.byDir[d.dir]
		p, err := rt.resolve(ctx, d, prev, byID)
		if err != nil {
			pr := Problem{Dir: d.dir, Err: err}
			if d.m != nil {
				pr.Plugin = d.m.ID
			}
			if prev != nil {
				if pr.Plugin == "" {
					pr.Plugin = prev.id
				}
				if _, dup := byID[prev.id]; !dup {
					p, pr.Serving = prev, true
				}
			}
			problems = append(problems, pr)
			if !rt.closing.Load() {
				rt.log.Warn("runtime: plugin not loaded", "dir", d.dir, "plugin", pr.Plugin, "err", err, "previous_version_serving", pr.Serving)
			}
			if p == nil {
				continue
			}
		}
		byID[p.id] = d.dir
		keep = append(keep, p)
	}

	rt.mu.Lock()
	if rt.closed {
		// Close ran while this reload built: nobody can reach the new builds.
		rt.mu.Unlock()
		for _, p := range keep {
			if !slices.Contains(old.plugins, p) {
				rt.closePlugin(p)
			}
		}
		return ErrClosed
	}
	defer rt.mu.Unlock()
	for _, p := range old.plugins {
		if !slices.Contains(keep, p) {
			rt.log.Info("runtime: plugin unloaded", "plugin", p.id, "dir", p.dir)
		}
	}
	rt.lastScan = fps
	next := newSnapshot(keep, problems, false)
	rt.publish(next)
	rt.setCron(next)
	return nil
}

// resolve returns the version of d to serve: prev if d is unchanged, a
// freshly built one otherwise.
func (rt *Runtime) resolve(ctx context.Context, d dirScan, prev *loaded, byID map[string]string) (*loaded, error) {
	if d.err != nil {
		return nil, d.err
	}
	if other, dup := byID[d.m.ID]; dup {
		return nil, &manifest.Error{File: d.m.File, Key: "plugin.id", Err: manifest.ErrDuplicateID,
			Msg: fmt.Sprintf("plugin id %q is already used by %s (loaded); %s is not loaded", d.m.ID, other, d.dir)}
	}
	if prev != nil && prev.fp == d.fp {
		return prev, nil
	}
	p, err := rt.build(ctx, d)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.live[p] = true
	rt.mu.Unlock()
	c := p.mod.Contract()
	rt.log.Info("runtime: plugin loaded", "plugin", p.id, "version", p.m.Version, "dir", p.dir, "replaces_previous", prev != nil,
		"contract_built", c.Built, "contract_host", c.Host, "contract", c.Take.String())
	return p, nil
}
