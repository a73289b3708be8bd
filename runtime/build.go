package runtime

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/pool"
	"github.com/raisfast/wasmplug/runtime/internal/hostapi"
	"github.com/raisfast/wasmplug/runtime/internal/hostlog"
	"github.com/raisfast/wasmplug/runtime/interrupt"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// build turns the manifest the scan parsed into a loaded plugin: it checks
// the entry file (manifest.Locate), instruments and compiles the entry in
// a fresh wazero runtime (sharing the compilation cache), links it against
// the contract and fills its instance pool.
func (rt *Runtime) build(ctx context.Context, d dirScan) (_ *loaded, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := d.m
	if err := m.Locate(d.dir); err != nil {
		return nil, err
	}
	p := &loaded{id: m.ID, dir: d.dir, m: m, fp: d.fp, at: time.Now(), priority: map[int]int{}, stop: make(chan struct{})}
	if m.Permissions.DB != manifest.DBNone && rt.cfg.DB == nil {
		return nil, fmt.Errorf("%s: [permissions] db = %q: %w", m.File, m.Permissions.DB, ErrNoDatabase)
	}
	required, err := rt.subscribe(p)
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(m.EntryPath)
	if err != nil {
		return nil, fmt.Errorf("%s: entry: %w", m.File, err)
	}
	wasm, rcfg := rt.instrument(ctx, p, wasm)
	p.r = wazero.NewRuntimeWithConfig(ctx, rcfg)
	defer func() {
		if err != nil {
			_ = p.close(context.WithoutCancel(ctx))
		}
	}()
	if err := plugin.Define(ctx, p.r); err != nil {
		return nil, err
	}
	// Compiling a large module the cache does not hold takes seconds: say
	// so before, so a first start is not a silent gap.
	rt.log.Info("runtime: compiling plugin", "plugin", m.ID, "entry", m.EntryPath, "bytes", len(wasm))
	cm, err := p.r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("%s: compile: %w", m.EntryPath, err)
	}
	// Every hook the manifest subscribes to (and the cron hook, with
	// [[cron]] entries) must be exported with the right signature; other
	// exports are optional and never called. A module built for another
	// semver track of the contract goes to the configured adapter for
	// that track, if any.
	p.mod, err = plugin.LinkAny(ctx, p.r, cm, rt.cfg.Adapters, required...)
	if err != nil {
		_ = cm.Close(ctx)
		return nil, fmt.Errorf("%s: %w", m.EntryPath, err)
	}
	if p.host, p.release, err = rt.hostPlugin(m); err != nil {
		return nil, err
	}
	p.outLog = rt.log.With("plugin", m.ID)
	p.outLim = hostlog.NewLimiter("", hostlog.Limits{}, nil) // outLog carries the plugin id
	p.warnLim = hostlog.NewLimiter(m.ID, hostlog.WarnLimits(), nil)
	p.newInstance = func(ctx context.Context) (*instance, error) { return rt.startInstance(ctx, p) }
	p.closeInstance = p.stopInstance
	p.pool, err = pool.New(ctx, rt.cfg.PoolSize, p.newInstance, p.closeInstance, pool.WithLogger(rt.log), pool.WithName(m.ID))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.EntryPath, err)
	}
	return p, nil
}

// subscribe records the priority of each hook p's manifest subscribes to
// and returns the exports the module must have: those hooks, and the cron
// hook when the manifest has [[cron]] entries (sorted).
func (rt *Runtime) subscribe(p *loaded) ([]string, error) {
	m := p.m
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
	return required, nil
}

// instrument rewrites wasm so that it checks its interrupt flag at
// function entries and loop headers (a load and a branch) instead of
// wazero's close-on-context-done, which starts a goroutine per guest call,
// and prepares it for instance images unless Config.FreshInstances. It
// returns the module to compile and the wazero configuration to compile it
// with; a module the rewriter refuses runs as it is, interruptible the
// expensive way.
func (rt *Runtime) instrument(ctx context.Context, p *loaded, wasm []byte) ([]byte, wazero.RuntimeConfig) {
	p.imgs = &imager{reason: "fresh instances: Config.FreshInstances"}
	res, err := rt.rewrite(ctx, wasm, interrupt.Options{YieldEvery: yieldEvery, Image: !rt.cfg.FreshInstances, Fuel: p.m.Limits.Fuel > 0})
	if err != nil {
		p.imgs.reason = "fresh instances: not instrumented"
		rt.log.Warn("runtime: module not instrumented; its deadlines cost a goroutine per guest call", "plugin", p.id, "err", err)
		if p.m.Limits.Fuel > 0 {
			rt.log.Warn("runtime: [limits] fuel not enforced: the module could not be instrumented", "plugin", p.id)
		}
		return wasm, rt.rcfg
	}
	p.alarms = map[*alarm]struct{}{}
	p.wd = rt.wd
	switch {
	case res.Image:
		p.imgs = &imager{globals: res.Globals}
	case res.ImageRefused != nil:
		p.imgs.reason = "fresh instances: " + res.ImageRefused.Error()
		rt.log.Info("runtime: instances of the plugin run their initialiser each", "plugin", p.id, "reason", res.ImageRefused)
	}
	return res.Wasm, rt.rcfgFast
}

// startInstance is p's pool factory: one guest instance with its host
// adapter, under Config.InitTimeout. The first instance of an
// image-prepared module is made under p.imgs's lock and gives its image to
// the next ones, which start from it instead of running the initialiser
// (image.go).
func (rt *Runtime) startInstance(ctx context.Context, p *loaded) (*instance, error) {
	ictx, cancel := context.WithTimeout(ctx, rt.cfg.InitTimeout)
	defer cancel()
	a := hostapi.New(rt.svc, p.host)
	waits := &callWaits{stop: p.stop}
	in := &instance{host: a, waits: waits,
		stdout: newLineLogger(p.outLog, p.outLim, "stdout"),
		stderr: newLineLogger(p.outLog, p.outLim, "stderr")}
	mc := wazero.NewModuleConfig().
		WithStdout(in.stdout).
		WithStderr(in.stderr).
		WithRandSource(rand.Reader).
		WithNanosleep(waits.sleep)
	for _, k := range slices.Sorted(maps.Keys(p.m.Env)) { // one order for every instance
		mc = mc.WithEnv(k, p.m.Env[k])
	}
	var (
		host plugin.HostAPI = a
		data plugin.Data    = a
	)
	img, first := p.imgs.current()
	var (
		mod        api.Module // set once instantiated (instrumented modules)
		restoreErr error      // restoring img into mod failed
	)
	if first {
		probe := &initProbe{host: a, data: a}
		host, data = probe, probe
		defer func() {
			if mod == nil || in.inst == nil {
				p.imgs.release() // failed: the next instance tries again
				return
			}
			p.decideImage(probe, mod)
		}()
	}
	if p.interruptible() {
		// The flag is known once the module is instantiated, before its
		// _initialize runs: the init deadline bounds that too.
		in.call = newCallCtx(rt.wd)
		in.alarm = rt.wd.newAlarm(func() {
			if in.flag != nil {
				in.flag.Set(1)
			}
			in.call.expire(endedDeadline)
		}, in.call.callerCancelled)
		defer func() {
			if in.inst == nil { // failed: the alarm goes with the instance
				rt.wd.release(in.alarm)
			}
		}()
		in.onCancel = in.alarm.trigger
		ictx = abi.WithInstantiated(ictx, func(m api.Module) {
			mod = m
			flag, _ := interrupt.Global(m)
			if p.m.Limits.Fuel > 0 {
				in.fuel, _ = interrupt.FuelGlobal(m)
			}
			if img != nil {
				if restoreErr = img.restore(m); restoreErr != nil && flag != nil {
					flag.Set(1) // the initialiser traps at its first check
				}
			}
			in.alarm.mu.Lock()
			in.flag = flag
			if in.alarm.hasFired() && flag != nil {
				flag.Set(1)
			}
			in.alarm.mu.Unlock()
		})
		rt.wd.arm(in.alarm, time.Now().Add(rt.cfg.InitTimeout))
		stop := context.AfterFunc(ctx, in.onCancel)
		defer stop()
	}
	if img != nil {
		ictx = experimental.WithMemoryAllocator(ictx, imageAllocator{im: img})
	}
	waits.bind(ictx)
	inst, err := p.mod.NewGuest(ictx, plugin.Imports{HostAPI: host, Data: data}, mc)
	waits.bind(nil)
	in.flushOutput()
	if in.alarm != nil {
		rt.wd.disarm(in.alarm)
	}
	if cerr := a.EndCall(); cerr != nil {
		p.outLog.Warn("runtime: ending instantiation's database session", "err", cerr)
	}
	if err == nil && restoreErr != nil && img != nil {
		_ = inst.Close(ctx)
		err = restoreErr
	}
	if err != nil {
		if restoreErr != nil && img != nil {
			p.imgs.drop("fresh instances: restoring the image failed: " + restoreErr.Error())
			return nil, fmt.Errorf("%s: starting from the instance image: %w", p.m.EntryPath, restoreErr)
		}
		return nil, err
	}
	in.inst = inst
	in.fromImage = img != nil
	if in.alarm != nil {
		if in.flag == nil {
			_ = inst.Close(ctx)
			return nil, fmt.Errorf("%s: the instrumented module exports no interrupt flag", p.m.EntryPath)
		}
		in.flag.Set(0)
		p.alarmsMu.Lock()
		p.alarms[in.alarm] = struct{}{}
		p.alarmsMu.Unlock()
	}
	return in, nil
}

// flushOutput logs what the guest wrote to stdout and stderr since the
// last flush: one record per stream for a call, however many lines.
func (in *instance) flushOutput() {
	in.stdout.flushCall()
	in.stderr.flushCall()
}

// stopInstance is p's pool closer.
func (p *loaded) stopInstance(ctx context.Context, in *instance) error {
	if in.alarm != nil {
		p.alarmsMu.Lock()
		delete(p.alarms, in.alarm)
		p.alarmsMu.Unlock()
		p.wd.release(in.alarm)
	}
	return in.inst.Close(ctx)
}

func hookNames() string { return strings.Join(knownHooks, ", ") }
