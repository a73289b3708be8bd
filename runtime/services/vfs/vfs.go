// Package vfs gives each plugin a private directory: host-api vfs-read,
// vfs-write, vfs-delete, vfs-exists, vfs-list and vfs-stat.
//
// Every access goes through an os.Root opened on the plugin's directory, so
// the kernel-level walk refuses anything that resolves outside it: ".."
// components, absolute paths and symbolic links (inside the sandbox or not)
// that point out. On top of that, paths are checked lexically (no "..", no
// leading "/", no NUL or backslash, bounded length and depth) so refusals
// are predictable and explained.
//
// Limits: the size of one file, the total size of the sandbox and the number
// of files in it. The usage is counted once when the directory is opened and
// kept up to date by every write and delete made through it. A Manager keeps
// one such directory per plugin and hands out Sandbox handles on it, each
// with its own Limits (from the plugin's manifest) but all sharing the usage
// counters, so every instance and every hot-reload generation of a plugin
// is counted together.
package vfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Default limits.
const (
	DefaultMaxFileSize  = 10 << 20  // 10 MiB
	DefaultMaxTotalSize = 100 << 20 // 100 MiB
	DefaultMaxFiles     = 10000
	DefaultMaxPathLen   = 1024
	DefaultMaxDepth     = 32
)

// Limits bound one sandbox. Zero fields take the defaults.
type Limits struct {
	MaxFileSize  int64 // bytes in one file
	MaxTotalSize int64 // bytes in all files
	MaxFiles     int   // regular files
	MaxPathLen   int   // bytes in a path
	MaxDepth     int   // components in a path
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxPathLen <= 0 {
		l.MaxPathLen = DefaultMaxPathLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Refusals, for errors.Is. Errors from the file system (fs.ErrNotExist,
// os.Root's escape errors…) are wrapped and remain matchable too.
var (
	ErrBadPath      = errors.New("vfs: path not allowed")
	ErrFileTooLarge = errors.New("vfs: file too large")
	ErrQuota        = errors.New("vfs: sandbox quota exceeded")
	ErrNotRegular   = errors.New("vfs: not a regular file")
	ErrNotUTF8      = errors.New("vfs: file is not valid UTF-8")
	ErrClosed       = errors.New("vfs: sandbox closed")
)

// Entry is one element of a List result.
type Entry struct {
	Name  string `json:"name"`
	IsDir bool   `json:"is_dir"`
	Size  int64  `json:"size"`
}

// Info is a Stat result.
type Info struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	IsDir   bool   `json:"is_dir"`
	ModTime string `json:"mod_time"` // RFC 3339, UTC
}

// tmpPrefix names the temporary files Write renames into place; plugins can
// neither name nor see them.
const tmpPrefix = ".vfs-tmp-"

// sandboxDir is the state of one sandbox directory, shared by every Sandbox handle
// on it: the os.Root, and the usage counters that the handles' mutations
// keep up to date under mu.
type sandboxDir struct {
	root   *os.Root
	closed atomic.Bool // set under mu, read without it by lookups

	mu    sync.Mutex // serialises mutations and guards the usage counters
	files int
	bytes int64

	refs int // open Manager handles; guarded by Manager.mu
}

func openDir(path string) (*sandboxDir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("vfs: create sandbox %s: %w", path, err)
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("vfs: open sandbox %s: %w", path, err)
	}
	d := &sandboxDir{root: root}
	if err := d.rescanLocked(); err != nil {
		root.Close()
		return nil, err
	}
	return d, nil
}

func (d *sandboxDir) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Load() {
		return nil
	}
	d.closed.Store(true)
	return d.root.Close()
}

// Sandbox is a handle on one plugin's directory with the limits it enforces.
// Handles on the same directory (from a Manager) share its usage counters.
// It is safe for concurrent use.
type Sandbox struct {
	d      *sandboxDir
	root   *os.Root // d.root
	lim    Limits
	log    *slog.Logger
	closed atomic.Bool
	// release gives the handle back: it closes the directory of a sandbox
	// from Open, and drops a Manager reference otherwise.
	release func() error
}

// Open opens (creating it if needed) the sandbox directory dir, on its own:
// its usage is counted by this Sandbox only. Use a Manager to share one
// directory between several handles.
func Open(dir string, lim Limits, logger *slog.Logger) (*Sandbox, error) {
	d, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	return newSandbox(d, lim, logger, d.close), nil
}

func newSandbox(d *sandboxDir, lim Limits, logger *slog.Logger, release func() error) *Sandbox {
	if logger == nil {
		logger = slog.Default()
	}
	return &Sandbox{d: d, root: d.root, lim: lim.withDefaults(), log: logger, release: release}
}

// Limits returns the limits this handle enforces (defaults filled in).
func (s *Sandbox) Limits() Limits { return s.lim }

// Close closes the handle; later calls on it fail with ErrClosed. The
// directory is released when its last handle is closed. Close is
// idempotent.
func (s *Sandbox) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.release()
}

// usable reports ErrClosed once the handle or its directory is closed.
func (s *Sandbox) usable() error {
	if s.closed.Load() || s.d.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Usage returns the number of files and bytes the sandbox directory holds
// (shared by every handle on it).
func (s *Sandbox) Usage() (files int, bytes int64) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return s.d.files, s.d.bytes
}

// Rescan recounts the usage from disk (after files changed behind the
// sandbox's back). Leftover temporary files are removed.
func (s *Sandbox) Rescan() error {
	if err := s.usable(); err != nil {
		return err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.d.closed.Load() {
		return ErrClosed
	}
	return s.d.rescanLocked()
}

func (d *sandboxDir) rescanLocked() error {
	files, bytes := 0, int64(0)
	var stale []string
	err := fs.WalkDir(d.root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			stale = append(stale, p)
			return nil
		}
		if e.Type().IsRegular() {
			info, err := e.Info()
			if err != nil {
				return err
			}
			files++
			bytes += info.Size()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("vfs: scan sandbox: %w", err)
	}
	for _, p := range stale {
		_ = d.root.Remove(p)
	}
	d.files, d.bytes = files, bytes
	return nil
}

// clean checks a plugin-supplied path and returns it in the form os.Root
// takes. The empty string and "." name the sandbox itself (allowDot).
func (s *Sandbox) clean(p string, allowDot bool) (string, error) {
	if err := s.usable(); err != nil {
		return "", err
	}
	switch {
	case p == "" || p == ".":
		if allowDot {
			return ".", nil
		}
		return "", fmt.Errorf("%w: %q names the sandbox itself", ErrBadPath, p)
	case len(p) > s.lim.MaxPathLen:
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrBadPath, len(p), s.lim.MaxPathLen)
	case !utf8.ValidString(p) || strings.ContainsAny(p, "\x00\\"):
		return "", fmt.Errorf("%w: %q has a forbidden character", ErrBadPath, p)
	case strings.HasPrefix(p, "/"):
		return "", fmt.Errorf("%w: %q is absolute", ErrBadPath, p)
	}
	parts := strings.Split(p, "/")
	for _, part := range parts {
		if part == ".." {
			return "", fmt.Errorf("%w: %q has a .. component", ErrBadPath, p)
		}
		if strings.HasPrefix(part, tmpPrefix) {
			return "", fmt.Errorf("%w: %q uses a reserved name", ErrBadPath, p)
		}
	}
	c := path.Clean(p)
	if c == "." {
		if allowDot {
			return ".", nil
		}
		return "", fmt.Errorf("%w: %q names the sandbox itself", ErrBadPath, p)
	}
	if strings.Count(c, "/")+1 > s.lim.MaxDepth {
		return "", fmt.Errorf("%w: deeper than %d", ErrBadPath, s.lim.MaxDepth)
	}
	return c, nil
}

// ReadFile returns the content of the regular file at p.
func (s *Sandbox) ReadFile(p string) (string, error) {
	name, err := s.clean(p, false)
	if err != nil {
		return "", err
	}
	info, err := s.root.Stat(name)
	if err != nil {
		return "", fmt.Errorf("vfs: read %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("vfs: read %s: %w", p, ErrNotRegular)
	}
	f, err := s.root.Open(name)
	if err != nil {
		return "", fmt.Errorf("vfs: read %s: %w", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, s.lim.MaxFileSize+1))
	if err != nil {
		return "", fmt.Errorf("vfs: read %s: %w", p, err)
	}
	if int64(len(b)) > s.lim.MaxFileSize {
		return "", fmt.Errorf("vfs: read %s: %w: limit %d bytes", p, ErrFileTooLarge, s.lim.MaxFileSize)
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("vfs: read %s: %w", p, ErrNotUTF8)
	}
	return string(b), nil
}

// WriteFile replaces (or creates) the file at p with content, creating
// parent directories. The new content appears atomically: it is written to
// a temporary file that is then renamed over p.
func (s *Sandbox) WriteFile(p, content string) error {
	name, err := s.clean(p, false)
	if err != nil {
		return err
	}
	size := int64(len(content))
	if size > s.lim.MaxFileSize {
		return fmt.Errorf("vfs: write %s: %w: %d bytes, limit %d", p, ErrFileTooLarge, size, s.lim.MaxFileSize)
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	var oldSize int64
	exists := false
	switch info, err := s.root.Stat(name); {
	case err == nil && info.IsDir():
		return fmt.Errorf("vfs: write %s: is a directory", p)
	case err == nil && !info.Mode().IsRegular():
		return fmt.Errorf("vfs: write %s: %w", p, ErrNotRegular)
	case err == nil:
		exists, oldSize = true, info.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	newFiles, newBytes := d.files, d.bytes-oldSize+size
	if !exists {
		newFiles++
	}
	if newFiles > s.lim.MaxFiles {
		return fmt.Errorf("vfs: write %s: %w: more than %d files", p, ErrQuota, s.lim.MaxFiles)
	}
	if newBytes > s.lim.MaxTotalSize {
		return fmt.Errorf("vfs: write %s: %w: %d bytes, limit %d", p, ErrQuota, newBytes, s.lim.MaxTotalSize)
	}
	parent := path.Dir(name)
	if parent != "." {
		if err := s.root.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("vfs: write %s: %w", p, err)
		}
	}
	tmp := path.Join(parent, fmt.Sprintf("%s%d", tmpPrefix, time.Now().UnixNano()))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	_, werr := io.WriteString(f, content)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = s.root.Remove(tmp)
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	if err := s.root.Rename(tmp, name); err != nil {
		_ = s.root.Remove(tmp)
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	d.files, d.bytes = newFiles, newBytes
	return nil
}

// Remove deletes the file (or empty directory) at p.
func (s *Sandbox) Remove(p string) error {
	name, err := s.clean(p, false)
	if err != nil {
		return err
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := s.usable(); err != nil {
		return err
	}
	info, err := s.root.Lstat(name)
	if err != nil {
		return fmt.Errorf("vfs: delete %s: %w", p, err)
	}
	if err := s.root.Remove(name); err != nil {
		return fmt.Errorf("vfs: delete %s: %w", p, err)
	}
	if info.Mode().IsRegular() {
		d.files--
		d.bytes -= info.Size()
	}
	return nil
}

// StatInfo describes the file or directory at p ("" or "." is the sandbox).
func (s *Sandbox) StatInfo(p string) (Info, error) {
	name, err := s.clean(p, true)
	if err != nil {
		return Info{}, err
	}
	info, err := s.root.Stat(name)
	if err != nil {
		return Info{}, fmt.Errorf("vfs: stat %s: %w", p, err)
	}
	return Info{
		Name:    path.Base(name),
		Size:    info.Size(),
		IsDir:   info.IsDir(),
		ModTime: info.ModTime().UTC().Format(time.RFC3339),
	}, nil
}

// ReadDir lists the directory at p ("" or "." is the sandbox), sorted by
// name. Symbolic links are described by what they point to; links that lead
// out of the sandbox are left out.
func (s *Sandbox) ReadDir(p string) ([]Entry, error) {
	name, err := s.clean(p, true)
	if err != nil {
		return nil, err
	}
	info, err := s.root.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("vfs: list %s: %w", p, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("vfs: list %s: not a directory", p)
	}
	des, err := fs.ReadDir(s.root.FS(), name)
	if err != nil {
		return nil, fmt.Errorf("vfs: list %s: %w", p, err)
	}
	out := make([]Entry, 0, len(des))
	for _, d := range des {
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			continue
		}
		fi, err := s.root.Stat(path.Join(name, d.Name()))
		if err != nil {
			continue // dangling or escaping link
		}
		e := Entry{Name: d.Name(), IsDir: fi.IsDir()}
		if !fi.IsDir() {
			e.Size = fi.Size()
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// The methods below have the host-api shapes: option<string> becomes
// (string, bool), failures become false/none. Refusals are logged at debug
// level with the reason.

// Read implements vfs-read.
func (s *Sandbox) Read(p string) (string, bool) {
	c, err := s.ReadFile(p)
	if err != nil {
		s.log.Debug("vfs: read refused", "path", p, "err", err)
		return "", false
	}
	return c, true
}

// Write implements vfs-write.
func (s *Sandbox) Write(p, content string) bool {
	if err := s.WriteFile(p, content); err != nil {
		s.log.Debug("vfs: write refused", "path", p, "err", err)
		return false
	}
	return true
}

// Delete implements vfs-delete.
func (s *Sandbox) Delete(p string) bool {
	if err := s.Remove(p); err != nil {
		s.log.Debug("vfs: delete refused", "path", p, "err", err)
		return false
	}
	return true
}

// Exists implements vfs-exists: true for a file or directory inside the sandbox.
func (s *Sandbox) Exists(p string) bool {
	name, err := s.clean(p, true)
	if err != nil {
		return false
	}
	_, err = s.root.Stat(name)
	return err == nil
}

// List implements vfs-list: [{"name":"a.txt","is_dir":false,"size":3}, …],
// or none when p is not a directory of the sandbox.
func (s *Sandbox) List(p string) (string, bool) {
	es, err := s.ReadDir(p)
	if err != nil {
		s.log.Debug("vfs: list refused", "path", p, "err", err)
		return "", false
	}
	b, _ := json.Marshal(es)
	return string(b), true
}

// Stat implements vfs-stat: {"name":"a.txt","size":3,"is_dir":false,
// "mod_time":"2025-01-02T03:04:05Z"}, or none when p does not exist.
func (s *Sandbox) Stat(p string) (string, bool) {
	info, err := s.StatInfo(p)
	if err != nil {
		s.log.Debug("vfs: stat refused", "path", p, "err", err)
		return "", false
	}
	b, _ := json.Marshal(info)
	return string(b), true
}
