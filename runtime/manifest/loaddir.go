package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadDir loads every plugin directory under root (typically
// extensions/plugins): each subdirectory holding a manifest.toml is one
// plugin. It returns the manifests that are valid, in directory-name order,
// and one DirError for each directory that is not; a bad plugin never stops
// the others from loading.
//
// Skipped silently: entries that are not directories (after following
// symbolic links) and directories whose name starts with "." (editor and VCS
// droppings, half-copied hot-reload directories by convention). A directory
// without manifest.toml is reported with ErrNoManifest, so callers can
// ignore it if they wish.
//
// Two directories declaring the same id: the first in directory-name order
// is loaded, every later one is reported with ErrDuplicateID, naming both
// directories. (Picking one deterministically keeps "my-plugin" working when
// a copy "my-plugin.bak" appears beside it.)
//
// err is non-nil only if root itself cannot be read or ctx ends; the results
// gathered so far are returned with it.
func LoadDir(ctx context.Context, root string, knownHooks []string) (plugins []*Manifest, problems []*DirError, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("manifest: reading plugin directory: %w", err)
	}
	byID := map[string]*Manifest{}
	for _, e := range entries { // ReadDir sorts by name
		if err := ctx.Err(); err != nil {
			return plugins, problems, err
		}
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		m, err := Load(ctx, dir, knownHooks)
		if err != nil {
			problems = append(problems, &DirError{Dir: dir, Err: err})
			continue
		}
		if first, dup := byID[m.ID]; dup {
			problems = append(problems, &DirError{Dir: dir, Err: Errors{{
				File: m.File, Line: m.idLine, Key: "plugin.id", Err: ErrDuplicateID,
				Msg: fmt.Sprintf("plugin id %q is already used by %s (loaded); %s is not loaded", m.ID, first.Dir, dir),
			}}})
			continue
		}
		byID[m.ID] = m
		plugins = append(plugins, m)
	}
	return plugins, problems, nil
}
