package runtime

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/pool"
	"github.com/raisfast/wasmplug/runtime/hostapi"
	"github.com/raisfast/wasmplug/runtime/interrupt"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/raisfast/wasmplug/runtime/services/hostlog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// PoolStats is a snapshot of one plugin's instance pool.
type PoolStats = pool.Stats

// loaded is one version of one plugin: its own wazero runtime, compiled
// module and instance pool. It is immutable once built, apart from its
// counters; refs counts the snapshots that hold it.
type loaded struct {
	id, dir  string
	m        *manifest.Manifest
	fp       string
	priority map[int]int // export index → priority
	at       time.Time

	r       wazero.Runtime
	mod     plugin.GuestModule
	pool    *pool.Pool[*instance]
	host    *hostapi.Plugin
	release func() // gives back the sandbox

	refs            atomic.Int32
	calls, failures atomic.Uint64
	closeOnce       sync.Once
	closeErr        error
	stop            chan struct{} // closed by forceClose: ends the guests' waits
	// outLim rate-limits the instances' stdout/stderr lines, warnLim the
	// runtime's own warnings about the plugin (one per failed call).
	outLim, warnLim *hostlog.Limiter
	outLog          *slog.Logger // rt's logger with the plugin id
	stopOnce        sync.Once

	// alarms is non-nil when the module was instrumented
	// (runtime/interrupt): its instances stop through their flag, set by
	// rt.wd at the call deadline; it holds the live instances' alarms, for
	// forceClose.
	alarmsMu sync.Mutex
	alarms   map[*alarm]struct{}

	imgs *imager // instance images (image.go)
	// newInstance and closeInstance are the pool's factory and closer.
	newInstance   func(context.Context) (*instance, error)
	closeInstance func(context.Context, *instance) error
}

// interruptible reports whether the module was instrumented.
func (p *loaded) interruptible() bool { return p.alarms != nil }

// instance is one pooled guest instance with its host adapter.
type instance struct {
	inst  plugin.Guest
	host  *hostapi.Adapter
	waits *callWaits
	// With an instrumented module: the instance's interrupt flag, the
	// watchdog alarm that sets it, the reused call context it ends, and
	// the caller-cancellation callback (made once, so a call allocates
	// none). All nil otherwise.
	alarm    *alarm
	flag     api.MutableGlobal
	call     *callCtx
	onCancel func()
	// fromImage: the instance started from the plugin's instance image
	// (image.go) instead of running the initialiser.
	fromImage bool
}

func (p *loaded) info() PluginInfo {
	hooks := make(map[string]int, len(p.priority))
	for k, prio := range p.priority {
		hooks[plugin.HookList[k].Name] = prio
	}
	var crons []string
	for _, c := range p.m.Cron {
		crons = append(crons, c.Expr)
	}
	return PluginInfo{
		ID: p.id, Name: p.m.Name, Version: p.m.Version,
		Dir: p.dir, Entry: p.m.Entry,
		Hooks: hooks, Cron: crons,
		LoadedAt: p.at, Fingerprint: p.fp,
		Pool:  p.pool.Stats(),
		Calls: p.calls.Load(), Failures: p.failures.Load(),
		Contract:      p.mod.Contract(),
		InterruptFlag: p.interruptible(),
		Image:         p.imgs.state(),
	}
}

func (p *loaded) close(ctx context.Context) error {
	p.closeOnce.Do(func() {
		var errs []error
		if p.pool != nil {
			errs = append(errs, p.pool.Close(ctx))
		}
		if p.mod != nil {
			errs = append(errs, p.mod.Close(ctx))
		}
		errs = append(errs, p.r.Close(context.WithoutCancel(ctx)))
		if p.outLim != nil {
			p.outLim.Flush(ctx, p.outLog)
		}
		if p.host != nil {
			p.host.FlushLog(ctx)
			if p.host.HTTP != nil {
				p.host.HTTP.CloseIdleConnections()
			}
		}
		if p.release != nil {
			p.release()
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// endWaits ends the guest waits of the plugin's running calls (each call
// then ends with an exit error), the cooperative first step of forceClose.
func (p *loaded) endWaits() { p.stopOnce.Do(func() { close(p.stop) }) }

// forceClose interrupts the plugin's running calls: it sets every
// instance's interrupt flag (instrumented modules) and closes its wazero
// runtime, which with CloseOnContextDone (modules that could not be
// instrumented) ends a running call with an exit error.
func (p *loaded) forceClose() {
	p.endWaits()
	p.alarmsMu.Lock()
	for a := range p.alarms {
		a.set() // armed or not: the instances are being closed
	}
	p.alarmsMu.Unlock()
	_ = p.r.Close(context.Background())
}

// --- scanning ---

// dirScan is what a scan found in one plugin directory.
type dirScan struct {
	dir  string
	m    *manifest.Manifest // nil when err != nil
	fp   string             // fingerprint of manifest + entry; "" when unreadable
	err  error              // manifest problem
	skip bool               // not a wasm plugin (another runtime's manifest)
}

// scan reads every plugin directory of PluginsDir (sorted by name; hidden
// directories and plain files are ignored).
func (rt *Runtime) scan() ([]dirScan, error) {
	ents, err := os.ReadDir(rt.cfg.PluginsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no plugins (yet): the watcher notices when it appears
	}
	if err != nil {
		return nil, fmt.Errorf("runtime: plugins dir: %w", err)
	}
	gen := rt.stamps.begin()
	defer rt.stamps.end(gen)
	var out []dirScan
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(rt.cfg.PluginsDir, name)
		if !e.IsDir() {
			fi, err := os.Stat(dir) // a symlink to a directory counts
			if err != nil || !fi.IsDir() {
				continue
			}
		}
		out = append(out, rt.scanDir(dir))
	}
	return out, nil
}

// scanDir parses dir's manifest and fingerprints it together with the
// entry file. The fingerprint changes when either file's content does. A
// missing or unreadable entry is left for manifest.Load (in build) to
// report, with the manifest line that names it.
func (rt *Runtime) scanDir(dir string) dirScan {
	d := dirScan{dir: dir}
	mpath := filepath.Join(dir, ManifestFile)
	mhash, src, err := rt.stamps.hash(mpath, true)
	if err != nil {
		d.err = err
		if errors.Is(err, fs.ErrNotExist) {
			d.err = &manifest.Error{File: mpath, Msg: "plugin directory has no " + ManifestFile, Err: manifest.ErrNoManifest}
		}
		return d
	}
	d.fp = "m:" + mhash
	m, err := manifest.Parse(mpath, src, knownHooks)
	if errors.Is(err, manifest.ErrUnsupportedRuntime) {
		d.skip = true // another loader's plugin (runtime = "js", …)
		return d
	}
	if err != nil {
		d.err = err
		return d
	}
	d.m = m
	whash, _, err := rt.stamps.hash(filepath.Join(dir, filepath.FromSlash(m.Entry)), false)
	if err != nil {
		whash = "unreadable: " + err.Error()
	}
	d.fp = shortHash(mhash + "\x00" + m.Entry + "\x00" + whash)
	return d
}

// stampCache remembers each file's hash by (size, mtime), so polling a
// directory re-reads only files that changed.
type stampCache struct {
	mu  sync.Mutex
	m   map[string]stamp
	gen uint64 // scans started
}

type stamp struct {
	size  int64
	mtime time.Time
	hash  string
	gen   uint64 // the last scan that used it
}

// begin starts a scan; end(gen) forgets files no scan since gen looked at
// (removed plugins).
func (c *stampCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	return c.gen
}

func (c *stampCache) end(gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, st := range c.m {
		if st.gen < gen {
			delete(c.m, path)
		}
	}
}

// hash returns path's content hash; with keep it also returns the content
// (read anyway, for the manifest).
func (c *stampCache) hash(path string, keep bool) (string, []byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", nil, err
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%s: not a regular file", path)
	}
	c.mu.Lock()
	st, ok := c.m[path]
	if ok && !keep && st.size == fi.Size() && st.mtime.Equal(fi.ModTime()) {
		st.gen = c.gen
		c.m[path] = st
		c.mu.Unlock()
		return st.hash, nil, nil
	}
	c.mu.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	h := sha256.New()
	var data []byte
	if keep {
		// The manifest: at most manifest.MaxFileBytes are read (a 56 MB
		// manifest used to be read whole at every scan).
		data, err = manifest.Read(path, f)
		h.Write(data)
	} else {
		_, err = io.Copy(h, f)
	}
	if err != nil {
		return "", nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]stamp{}
	}
	c.m[path] = stamp{size: fi.Size(), mtime: fi.ModTime(), hash: sum, gen: c.gen}
	c.mu.Unlock()
	return sum, data, nil
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:12])
}

// --- reload ---

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

// build loads d's manifest strictly (manifest.Load also checks the entry
// file), compiles the entry in a fresh wazero runtime (sharing the
// compilation cache) and fills its instance pool.
func (rt *Runtime) build(ctx context.Context, d dirScan) (_ *loaded, err error) {
	m, err := manifest.Load(ctx, d.dir, knownHooks)
	if err != nil {
		return nil, err
	}
	p := &loaded{id: m.ID, dir: d.dir, m: m, fp: d.fp, at: time.Now(), priority: map[int]int{}, stop: make(chan struct{})}
	required := make([]string, 0, len(m.Hooks)+1)
	for _, h := range m.Hooks {
		k := plugin.ExportIndex(h.Name)
		if k < 0 || plugin.HookList[k].Name != h.Name {
			return nil, fmt.Errorf("%s: %w %q (known: %s)", m.File, ErrUnknownHook, h.Name, hookNames())
		}
		p.priority[k] = h.Priority
		required = append(required, h.Name)
	}
	if len(m.Cron) > 0 {
		if rt.cronHook == nil {
			rt.log.Warn("runtime: [[cron]] entries ignored: the host configured no cron hook", "plugin", m.ID)
		} else if !slices.Contains(required, rt.cronHook.Name) {
			required = append(required, rt.cronHook.Name)
		}
	}
	slices.Sort(required)

	wasm, err := os.ReadFile(m.EntryPath)
	if err != nil {
		return nil, fmt.Errorf("%s: entry: %w", m.File, err)
	}
	// Instrumented, a guest checks its interrupt flag at function entries
	// and loop headers (a load and a branch) instead of wazero's
	// close-on-context-done, which starts a goroutine per guest call.
	rcfg := rt.rcfg
	p.imgs = &imager{reason: "fresh instances: Config.FreshInstances"}
	if res, ierr := rt.rewrite(ctx, wasm, interrupt.Options{YieldEvery: yieldEvery, Image: !rt.cfg.FreshInstances}); ierr == nil {
		wasm, rcfg = res.Wasm, rt.rcfgFast
		p.alarms = map[*alarm]struct{}{}
		switch {
		case res.Image:
			p.imgs = &imager{globals: res.Globals}
		case res.ImageRefused != nil:
			p.imgs.reason = "fresh instances: " + res.ImageRefused.Error()
			rt.log.Info("runtime: instances of the plugin run their initialiser each", "plugin", m.ID, "reason", res.ImageRefused)
		}
	} else {
		p.imgs.reason = "fresh instances: not instrumented"
		rt.log.Warn("runtime: module not instrumented; its deadlines cost a goroutine per guest call", "plugin", m.ID, "err", ierr)
	}
	p.r = wazero.NewRuntimeWithConfig(ctx, rcfg)
	defer func() {
		if err != nil {
			_ = p.close(context.WithoutCancel(ctx))
		}
	}()
	if err := plugin.Define(ctx, p.r); err != nil {
		return nil, err
	}
	// Every hook the manifest subscribes to (and the cron hook, with
	// [[cron]] entries) must be exported with the right signature; other
	// exports are optional and never called.
	// A module built for another semver track of the contract goes to
	// the configured adapter for that track, if any.
	cm, err := p.r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("%s: compile: %w", m.EntryPath, err)
	}
	p.mod, err = plugin.LinkAny(ctx, p.r, cm, rt.cfg.Adapters, required...)
	if err != nil {
		_ = cm.Close(ctx)
		return nil, fmt.Errorf("%s: %w", m.EntryPath, err)
	}
	if p.host, p.release, err = rt.hostPlugin(m); err != nil {
		return nil, err
	}

	log := rt.log.With("plugin", m.ID)
	p.outLim = hostlog.NewLimiter("", hostlog.Limits{}, nil) // log carries the plugin id
	p.warnLim = hostlog.NewLimiter(m.ID, hostlog.WarnLimits(), nil)
	p.outLog = log
	factory := func(ctx context.Context) (*instance, error) {
		ictx, cancel := context.WithTimeout(ctx, rt.cfg.InitTimeout)
		defer cancel()
		a := hostapi.New(rt.svc, p.host)
		waits := &callWaits{stop: p.stop}
		mc := wazero.NewModuleConfig().
			WithStdout(newLineLogger(log, p.outLim, "stdout")).
			WithStderr(newLineLogger(log, p.outLim, "stderr")).
			WithRandSource(rand.Reader).
			WithNanosleep(waits.sleep)
		in := &instance{host: a, waits: waits}
		var (
			host plugin.HostAPI = a
			data plugin.Data    = a
		)
		// The first instance of an image-prepared module is made under
		// p.imgs's lock and gives its image to the next ones (image.go).
		img, first := p.imgs.current()
		var (
			probe      *initProbe
			mod        api.Module
			restoreErr error
		)
		if first {
			decided := false
			defer func() {
				if !decided {
					p.imgs.release()
				}
			}()
			probe = &initProbe{host: a, data: a}
			host, data = probe, probe
			defer func() {
				if mod == nil || in.inst == nil {
					return // failed: the next instance tries again
				}
				decided = true
				reason := ""
				var im *image
				if used := probe.used.Load(); used != nil {
					reason = "fresh instances: the initialiser called the host function " + *used + ", which an image would not repeat"
				} else if im, restoreErr = takeImage(mod, p.imgs.globals); restoreErr != nil {
					reason = "fresh instances: " + restoreErr.Error()
				}
				p.imgs.decide(im, reason)
				if im != nil {
					log.Info("runtime: instance image taken", "pages", im.pages, "non_zero_bytes", im.nonZero, "globals", len(im.names))
				} else {
					log.Info("runtime: instances of the plugin run their initialiser each", "reason", reason)
				}
			}()
		}
		if p.interruptible() {
			// The flag is known once the module is instantiated, before
			// its _initialize runs: the init deadline bounds that too.
			in.call = &callCtx{Context: context.Background()}
			in.alarm = newAlarm(func() {
				if in.flag != nil {
					in.flag.Set(1)
				}
				in.call.expire(context.DeadlineExceeded)
			})
			in.onCancel = in.alarm.trigger
			ictx = abi.WithInstantiated(ictx, func(m api.Module) {
				mod = m
				flag, _ := interrupt.Global(m)
				if img != nil {
					if restoreErr = img.restore(m); restoreErr != nil && flag != nil {
						flag.Set(1) // the initialiser traps at its first check
					}
				}
				in.alarm.mu.Lock()
				in.flag = flag
				if in.alarm.fired && flag != nil {
					flag.Set(1)
				}
				in.alarm.mu.Unlock()
			})
			rt.wd.arm(in.alarm, time.Now().Add(rt.cfg.InitTimeout))
			stop := context.AfterFunc(ctx, in.onCancel)
			defer stop()
		}
		if img != nil {
			ictx = experimental.WithMemoryAllocator(ictx, imageAllocator{bytes: uint64(img.pages) * 65536})
		}
		waits.bind(ictx)
		inst, err := p.mod.NewGuest(ictx, plugin.Imports{HostAPI: host, Data: data}, mc)
		waits.bind(nil)
		if in.alarm != nil {
			rt.wd.disarm(in.alarm)
		}
		if cerr := a.EndCall(); cerr != nil {
			log.Warn("runtime: ending instantiation's database session", "err", cerr)
		}
		if err == nil && restoreErr != nil && img != nil {
			_ = inst.Close(ctx)
			err = restoreErr
		}
		if err != nil {
			if restoreErr != nil && img != nil {
				p.imgs.drop("fresh instances: restoring the image failed: " + restoreErr.Error())
				return nil, fmt.Errorf("%s: starting from the instance image: %w", m.EntryPath, restoreErr)
			}
			return nil, err
		}
		in.inst = inst
		in.fromImage = img != nil
		if in.alarm != nil {
			if in.flag == nil {
				_ = inst.Close(ctx)
				return nil, fmt.Errorf("%s: the instrumented module exports no interrupt flag", m.EntryPath)
			}
			in.flag.Set(0)
			p.alarmsMu.Lock()
			p.alarms[in.alarm] = struct{}{}
			p.alarmsMu.Unlock()
		}
		return in, nil
	}
	closer := func(ctx context.Context, in *instance) error {
		if in.alarm != nil {
			p.alarmsMu.Lock()
			delete(p.alarms, in.alarm)
			p.alarmsMu.Unlock()
		}
		return in.inst.Close(ctx)
	}
	p.newInstance, p.closeInstance = factory, closer
	p.pool, err = pool.New(ctx, rt.cfg.PoolSize, factory, closer, pool.WithLogger(rt.log), pool.WithName(m.ID))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.EntryPath, err)
	}
	return p, nil
}

func hookNames() string {
	names := make([]string, len(plugin.HookList))
	for i, h := range plugin.HookList {
		names[i] = h.Name
	}
	return strings.Join(names, ", ")
}
