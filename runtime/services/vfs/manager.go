package vfs

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"sync"
)

// ErrBadPluginID reports a plugin id that cannot name a directory.
var ErrBadPluginID = errors.New("vfs: bad plugin id")

var pluginIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Manager keeps the sandbox directories of plugins, each in its own
// subdirectory of a base directory (base/<plugin id>), and hands out Sandbox
// handles on them. It is safe for concurrent use.
//
// Every handle carries its own Limits, so each plugin (and each version of a
// plugin, during a hot reload) is bounded by its own manifest, while all the
// handles on one plugin's directory share a single usage count: a write
// through any of them is seen by the quota checks of all. A directory stays
// open while a handle on it is; closing the last one releases it.
type Manager struct {
	base string
	lim  Limits
	log  *slog.Logger

	mu     sync.Mutex
	closed bool
	dirs   map[string]*sandboxDir
}

// NewManager returns a Manager rooted at base. lim are the default limits:
// the zero fields of the Limits passed to Sandbox take their values from it
// (and then from the package defaults).
func NewManager(base string, lim Limits, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	return &Manager{base: base, lim: lim, log: logger, dirs: map[string]*sandboxDir{}}
}

// Sandbox returns a new handle on the sandbox of pluginID, opening its
// directory if no handle is open on it, with limits lim (zero fields take
// the Manager's). The caller closes the handle when the plugin (or this
// version of it) is unloaded.
func (m *Manager) Sandbox(pluginID string, lim Limits) (*Sandbox, error) {
	if !pluginIDRE.MatchString(pluginID) || pluginID == "." || pluginID == ".." {
		return nil, fmt.Errorf("%w: %q", ErrBadPluginID, pluginID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	d, ok := m.dirs[pluginID]
	if !ok {
		var err error
		if d, err = openDir(filepath.Join(m.base, pluginID)); err != nil {
			return nil, err
		}
		m.dirs[pluginID] = d
	}
	d.refs++
	return newSandbox(d, m.merge(lim), m.log.With("plugin", pluginID), func() error {
		return m.release(pluginID, d)
	}), nil
}

// merge fills the zero fields of lim from the Manager's limits.
func (m *Manager) merge(lim Limits) Limits {
	if lim.MaxFileSize <= 0 {
		lim.MaxFileSize = m.lim.MaxFileSize
	}
	if lim.MaxTotalSize <= 0 {
		lim.MaxTotalSize = m.lim.MaxTotalSize
	}
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = m.lim.MaxEntries
	}
	if lim.MaxPathLen <= 0 {
		lim.MaxPathLen = m.lim.MaxPathLen
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = m.lim.MaxDepth
	}
	return lim
}

// release drops one handle's reference on d, closing it with the last.
func (m *Manager) release(pluginID string, d *sandboxDir) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d.refs--; d.refs > 0 {
		return nil
	}
	if m.dirs[pluginID] == d {
		delete(m.dirs, pluginID)
	}
	return d.close()
}

// InUse reports whether a handle on pluginID's sandbox is open.
func (m *Manager) InUse(pluginID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.dirs[pluginID]
	return ok
}

// Close closes every sandbox directory: all handles fail with ErrClosed from
// then on, and Sandbox refuses new ones.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var errs []error
	for id, d := range m.dirs {
		errs = append(errs, d.close())
		delete(m.dirs, id)
	}
	return errors.Join(errs...)
}
