package runtime

import (
	"context"
	"encoding/json"
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
