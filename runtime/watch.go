package runtime

import (
	"context"
	"maps"
	"time"
)

// watch polls PluginsDir every interval and reloads when the set of plugin
// directories or the fingerprint of one (manifest + entry content, re-hashed
// only when size or mtime changed) differs from what was last loaded, and
// has stayed the same for one interval (so a file being copied is not
// loaded half-written).
func (rt *Runtime) watch(interval time.Duration) {
	defer close(rt.watchDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	var prev map[string]string
	for {
		select {
		case <-rt.watchStop:
			return
		case <-t.C:
		}
		cur, err := rt.fingerprints()
		if err != nil {
			rt.log.Warn("runtime: watching plugins", "err", err)
			continue
		}
		rt.mu.Lock()
		loaded := maps.Equal(cur, rt.lastScan)
		rt.mu.Unlock()
		stable := maps.Equal(cur, prev)
		prev = cur
		if loaded || !stable {
			continue
		}
		rt.log.Info("runtime: plugins changed; reloading")
		if err := rt.Reload(context.Background()); err != nil && !rt.closing.Load() {
			rt.log.Warn("runtime: reload", "err", err)
		}
	}
}

// fingerprints scans PluginsDir: directory → fingerprint.
func (rt *Runtime) fingerprints() (map[string]string, error) {
	scans, err := rt.scan()
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(scans))
	for _, d := range scans {
		m[d.dir] = d.fp
	}
	return m, nil
}
