package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/raisfast/wasmplug/runtime/manifest"
)

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
// missing or unreadable entry is left for manifest.Locate (in build) to
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
