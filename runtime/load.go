package runtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/pool"
	"github.com/raisfast/wasmplug/runtime/internal/hostapi"
	"github.com/raisfast/wasmplug/runtime/internal/hostlog"
	"github.com/raisfast/wasmplug/runtime/manifest"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
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
	wd       *watchdog // rt.wd, where the alarms are registered

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
	// stdout and stderr log the guest's output, one record per call.
	stdout, stderr *lineLogger
	// With an instrumented module: the instance's interrupt flag, the
	// watchdog alarm that sets it, the reused call context it ends, and
	// the caller-cancellation callback (made once, so a call allocates
	// none). All nil otherwise.
	alarm *alarm
	flag  api.MutableGlobal
	// fuel is the instance's fuel global when the manifest sets [limits]
	// fuel (nil otherwise): set to the budget before every call.
	fuel     api.MutableGlobal
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
