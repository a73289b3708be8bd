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

// Manager hands out one Sandbox per plugin, each in its own subdirectory of
// a base directory (base/<plugin id>). It is safe for concurrent use; the
// same Sandbox is returned to every caller for a plugin, so its usage
// counters stay right across instances and hot-reload generations.
type Manager struct {
	base string
	lim  Limits
	log  *slog.Logger

	mu        sync.Mutex
	closed    bool
	sandboxes map[string]*Sandbox
}

// NewManager returns a Manager rooted at base with per-plugin limits.
func NewManager(base string, lim Limits, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.Default()
	}
	return &Manager{base: base, lim: lim, log: logger, sandboxes: map[string]*Sandbox{}}
}

// Sandbox returns the sandbox of pluginID, opening it on first use.
func (m *Manager) Sandbox(pluginID string) (*Sandbox, error) {
	if !pluginIDRE.MatchString(pluginID) || pluginID == "." || pluginID == ".." {
		return nil, fmt.Errorf("%w: %q", ErrBadPluginID, pluginID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if s, ok := m.sandboxes[pluginID]; ok {
		return s, nil
	}
	s, err := Open(filepath.Join(m.base, pluginID), m.lim, m.log.With("plugin", pluginID))
	if err != nil {
		return nil, err
	}
	m.sandboxes[pluginID] = s
	return s, nil
}

// Close closes every sandbox.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var errs []error
	for id, s := range m.sandboxes {
		errs = append(errs, s.Close())
		delete(m.sandboxes, id)
	}
	return errors.Join(errs...)
}
