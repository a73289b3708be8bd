package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime/cron"
	"github.com/raisfast/wasmplug/runtime/manifest"
)

// CronPayload is the payload a [[cron]] entry's firing passes to
// Config.CronHook, as a JSON string.
type CronPayload struct {
	Label    string `json:"label"`
	JobType  string `json:"job_type"`
	CronExpr string `json:"cron_expr"`
	// FiredAt is the scheduled instant, RFC 3339 in Config.CronLocation.
	FiredAt string `json:"fired_at"`
}

// cronJobID names a [[cron]] entry of a plugin by its job_type (unique
// within the plugin). It is stable across reloads, so an unchanged entry
// keeps its next firing time.
func cronJobID(pluginID, jobType string) string {
	return pluginID + "/" + jobType
}

// Cron lists the scheduled [[cron]] entries (job ids "<plugin>/<job_type>")
// with their next firing times; nil when cron is disabled.
func (rt *Runtime) Cron() []cron.EntryInfo {
	if rt.sched == nil {
		return nil
	}
	return rt.sched.Entries()
}

// setCron gives the scheduler the [[cron]] entries of s's plugins. Called
// with rt.mu held, after s is published.
func (rt *Runtime) setCron(s *snapshot) {
	if rt.sched == nil {
		return
	}
	var jobs []cron.Job
	for _, p := range s.plugins {
		for _, c := range p.m.Cron {
			id := cronJobID(p.id, c.JobType)
			jobs = append(jobs, cron.Job{
				ID:       id,
				Schedule: c.Schedule,
				Run:      cron.Claimed(rt.cfg.CronClaims, id, rt.log, rt.cronRun(p.id, c)),
			})
		}
	}
	if err := rt.sched.Set(jobs); err != nil {
		rt.log.Error("runtime: cron jobs not updated", "err", err)
	}
}

// cronRun fires the cron hook of whichever version of pluginID is current
// when the job runs.
func (rt *Runtime) cronRun(pluginID string, c manifest.CronJob) func(context.Context, time.Time) error {
	h := rt.cronHook
	return func(ctx context.Context, firedAt time.Time) error {
		payload, err := json.Marshal(CronPayload{
			Label: c.Label, JobType: c.JobType, CronExpr: c.Expr,
			FiredAt: firedAt.Format(time.RFC3339),
		})
		if err != nil {
			return err
		}
		args, err := json.Marshal(string(payload))
		if err != nil {
			return err
		}
		s, err := rt.acquire()
		if err != nil {
			return nil // closing
		}
		defer s.release()
		p := s.byID[pluginID]
		if p == nil {
			return nil // unloaded meanwhile
		}
		return rt.invoke(ctx, p, h, func(ctx context.Context, inst plugin.Guest) error {
			_, err := h.CallJSON(inst, ctx, args)
			return err
		})
	}
}

// CronEntry is a [[cron]] entry of a loaded plugin.
type CronEntry struct {
	Plugin  string // the plugin's id
	Label   string // the entry's label (its job_type when it has none)
	JobType string // unique within the plugin
	Expr    string // the cron_expr as written
}

// CronEntries lists the [[cron]] entries of the loaded plugins, by plugin
// id, then in manifest order.
func (rt *Runtime) CronEntries() []CronEntry {
	var out []CronEntry
	for _, p := range rt.cur.Load().plugins {
		for _, c := range p.m.Cron {
			out = append(out, CronEntry{Plugin: p.id, Label: c.Label, JobType: c.JobType, Expr: c.Expr})
		}
	}
	return out
}

// FireCron fires pluginID's [[cron]] entry jobType now, as the scheduler
// fires it for the slot firedAt: Config.CronHook on that plugin (whether
// or not it subscribes to the hook) with the entry's [CronPayload]. It
// returns the hook's error (a *PluginError when the plugin failed), and an
// error when cron is disabled or no such entry is loaded.
func (rt *Runtime) FireCron(ctx context.Context, pluginID, jobType string, firedAt time.Time) error {
	if rt.cronHook == nil {
		return errors.New("runtime: cron is disabled (Config.CronHook is empty)")
	}
	s, err := rt.acquire()
	if err != nil {
		return err
	}
	p := s.byID[pluginID]
	s.release()
	if p == nil {
		return fmt.Errorf("runtime: no plugin %q is loaded", pluginID)
	}
	for _, c := range p.m.Cron {
		if c.JobType == jobType {
			return rt.cronRun(pluginID, c)(ctx, firedAt.In(rt.cfg.CronLocation))
		}
	}
	return fmt.Errorf("runtime: plugin %q has no [[cron]] entry with job_type %q", pluginID, jobType)
}
