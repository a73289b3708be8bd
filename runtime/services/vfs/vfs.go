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
// Files with more than one hard link are refused like links leading out: a
// hard link planted in the directory may name a file outside it, and
// os.Root cannot tell.
//
// Limits: the size of one file, the disk space of the sandbox and the
// number of entries in it. Every entry, directory or file, is charged the
// blocks it occupies (see account.go), so neither empty directories nor
// small files can take more disk than the quota says. The usage is counted
// once when the directory is opened and kept up to date by every write and
// delete made through it; deleting a file also removes the directories it
// leaves empty.
//
// A Manager keeps one such directory per plugin and hands out Sandbox
// handles on it, each with its own Limits (from the plugin's manifest) but
// all sharing the usage counters and the lock that serialises mutations, so
// every instance and every hot-reload generation of a plugin is counted
// together and none can pass the quota by writing at the same time.
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
	DefaultMaxEntries   = 10000
	DefaultMaxPathLen   = 1024
	DefaultMaxDepth     = 32
)

// Disk accounting units: each entry is charged whole blocks of the block
// size the file system reports for the sandbox directory, bounded to
// [DefaultBlockSize, MaxBlockSize] (so a network file system announcing
// 1 MiB transfers does not turn every file into a megabyte).
const (
	DefaultBlockSize = 4 << 10
	MaxBlockSize     = 64 << 10
)

// Limits bound one sandbox. Zero fields take the defaults.
type Limits struct {
	MaxFileSize int64 // bytes of content in one file
	// MaxTotalSize bounds the disk space of the sandbox: every entry (file
	// or directory) charged its size rounded up to whole blocks, at least
	// one block.
	MaxTotalSize int64
	MaxEntries   int // files and directories (and any other entry), the sandbox's own excepted
	MaxPathLen   int // bytes in a path
	MaxDepth     int // components in a path
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
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
	// ErrEscape refuses a file that may lie outside the sandbox although its
	// path is inside: one with several hard links. (Symbolic links leading
	// out are refused by os.Root, with its own error.)
	ErrEscape     = errors.New("vfs: leads out of the sandbox")
	ErrNotRegular = errors.New("vfs: not a regular file")
	ErrNotUTF8    = errors.New("vfs: file is not valid UTF-8")
	ErrClosed     = errors.New("vfs: sandbox closed")
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

// Usage is what a sandbox directory holds.
type Usage struct {
	Files int   // entries other than directories
	Dirs  int   // directories, the sandbox's own excepted
	Bytes int64 // disk space charged (see Limits.MaxTotalSize)
}

// Entries is the number of entries counted against Limits.MaxEntries.
func (u Usage) Entries() int { return u.Files + u.Dirs }

// tmpPrefix names the temporary files Write renames into place; plugins can
// neither name nor see them.
const tmpPrefix = ".vfs-tmp-"

// sandboxDir is the state of one sandbox directory, shared by every Sandbox handle
// on it: the os.Root, and the usage counters that the handles' mutations
// keep up to date under mu.
type sandboxDir struct {
	root   *os.Root
	closed atomic.Bool // set under mu, read without it by lookups

	bs int64 // charging unit, see blockSize

	mu    sync.Mutex // serialises mutations and guards the usage counters
	files int        // entries other than directories
	dirs  int
	bytes int64 // disk space charged

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
	info, err := root.Stat(".")
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("vfs: open sandbox %s: %w", path, err)
	}
	d := &sandboxDir{root: root, bs: blockSize(info)}
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

// Usage returns what the sandbox directory holds (shared by every handle on
// it).
func (s *Sandbox) Usage() Usage {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	return Usage{Files: s.d.files, Dirs: s.d.dirs, Bytes: s.d.bytes}
}

// Rescan recounts the usage from disk (after files changed behind the
// sandbox's back). Leftover temporary files and empty directories are
// removed.
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

// lookup stats name (following links that stay inside) and refuses a file
// with several hard links: it may be a file outside the sandbox.
func (s *Sandbox) lookup(name string) (fs.FileInfo, error) {
	info, err := s.root.Stat(name)
	if err != nil {
		return nil, err
	}
	if err := singleLink(info); err != nil {
		return nil, err
	}
	return info, nil
}

// singleLink refuses a non-directory with more than one hard link.
// (Directories have several by construction: ".", "..".)
func singleLink(info fs.FileInfo) error {
	if n := links(info); !info.IsDir() && n > 1 {
		return fmt.Errorf("%w: %d hard links", ErrEscape, n)
	}
	return nil
}

// ReadFile returns the content of the regular file at p.
func (s *Sandbox) ReadFile(p string) (string, error) {
	name, err := s.clean(p, false)
	if err != nil {
		return "", err
	}
	// Stat first: opening a FIFO would block.
	info, err := s.lookup(name)
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
	// Check again what was opened: the file may have been replaced, or
	// linked, in between.
	opened, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("vfs: read %s: %w", p, err)
	}
	if err := singleLink(opened); err != nil {
		return "", fmt.Errorf("vfs: read %s: %w", p, err)
	}
	if !opened.Mode().IsRegular() || !os.SameFile(info, opened) {
		return "", fmt.Errorf("vfs: read %s: %w: replaced while opened", p, ErrNotRegular)
	}
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
//
// The write is refused (ErrQuota) if the entries it adds (the file, if new,
// and the directories it creates) would take the sandbox past MaxEntries, or
// if the disk space charged afterwards would be over MaxTotalSize. The
// growth of the directory receiving the new entry is counted once it has
// happened, so the total can pass the quota by that growth (a directory
// block); every write adding space is refused from then on.
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
	// The entry replaced, if any (a link inside the sandbox is replaced by
	// the file, its target is left alone).
	var old fs.FileInfo
	switch li, err := s.root.Lstat(name); {
	case err == nil:
		info := li
		if li.Mode()&fs.ModeSymlink != 0 {
			if info, err = s.root.Stat(name); err != nil {
				return fmt.Errorf("vfs: write %s: %w", p, err)
			}
		}
		switch {
		case info.IsDir():
			return fmt.Errorf("vfs: write %s: is a directory", p)
		case !info.Mode().IsRegular():
			return fmt.Errorf("vfs: write %s: %w", p, ErrNotRegular)
		}
		if err := singleLink(info); err != nil {
			return fmt.Errorf("vfs: write %s: %w", p, err)
		}
		old = li
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	ch, err := d.openChain(path.Dir(name))
	if err != nil {
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	defer ch.close()

	existing := len(ch.roots) - 1 // level of the deepest existing directory
	missing := len(ch.names) - existing
	added := missing
	newBytes := d.bytes + int64(missing)*d.bs + d.chargeSize(size)
	if old == nil {
		added++
	} else {
		newBytes -= d.charge(old)
	}
	if entries := d.files + d.dirs; added > 0 && entries+added > s.lim.MaxEntries {
		return fmt.Errorf("vfs: write %s: %w: %d entries and %d more, limit %d", p, ErrQuota, entries, added, s.lim.MaxEntries)
	}
	if newBytes > s.lim.MaxTotalSize {
		return fmt.Errorf("vfs: write %s: %w: %d bytes of disk, limit %d", p, ErrQuota, newBytes, s.lim.MaxTotalSize)
	}

	before := ch.charge(existing)
	if err := ch.mkdirs(); err != nil {
		s.recountLocked()
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	base := path.Base(name)
	if err := writeTmp(ch.last(), base, content); err != nil {
		s.recountLocked()
		return fmt.Errorf("vfs: write %s: %w", p, err)
	}
	c := d.chargeSize(size)
	if info, err := ch.last().Lstat(base); err == nil {
		c = d.charge(info)
	}
	if old == nil {
		d.files++
	} else {
		c -= d.charge(old)
	}
	ch.countCreated(existing)
	d.bytes += c + ch.charge(existing) - before
	return nil
}

// writeTmp writes content to a new temporary file of dir and renames it to
// name.
func writeTmp(dir *os.Root, name, content string) error {
	tmp := fmt.Sprintf("%s%d", tmpPrefix, time.Now().UnixNano())
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := io.WriteString(f, content)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = dir.Remove(tmp)
		return err
	}
	if err := dir.Rename(tmp, name); err != nil {
		_ = dir.Remove(tmp)
		return err
	}
	return nil
}

// recountLocked recounts the usage from disk after a mutation failed half
// way (a directory created, a temporary file left), so that the count stays
// exact. It also removes what the failed write left.
func (s *Sandbox) recountLocked() {
	if err := s.d.rescanLocked(); err != nil {
		s.log.Warn("vfs: recount after a failed write", "err", err)
	}
}

// Remove deletes the file (or empty directory) at p, then the directories
// that leaves empty. A link is removed, never its target.
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
	ch, err := d.openChain(path.Dir(name))
	if err != nil {
		return fmt.Errorf("vfs: delete %s: %w", p, err)
	}
	defer ch.close()
	if !ch.complete() {
		return fmt.Errorf("vfs: delete %s: %w", p, fs.ErrNotExist)
	}
	dir, base := ch.last(), path.Base(name)
	info, err := dir.Lstat(base)
	if err != nil {
		return fmt.Errorf("vfs: delete %s: %w", p, err)
	}
	before := ch.charge(len(ch.roots) - 1)
	if err := dir.Remove(base); err != nil {
		return fmt.Errorf("vfs: delete %s: %w", p, err)
	}
	if info.IsDir() {
		d.dirs--
	} else {
		d.files--
	}
	d.bytes -= d.charge(info)
	ch.prune(before)
	// What was made behind the sandbox's back is not counted until the
	// next scan: deleting it must not take the count below zero.
	d.files, d.dirs, d.bytes = max(d.files, 0), max(d.dirs, 0), max(d.bytes, 0)
	return nil
}

// StatInfo describes the file or directory at p ("" or "." is the sandbox).
func (s *Sandbox) StatInfo(p string) (Info, error) {
	name, err := s.clean(p, true)
	if err != nil {
		return Info{}, err
	}
	info, err := s.lookup(name)
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
// out of the sandbox, and files with several hard links, are left out.
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
		fi, err := s.lookup(path.Join(name, d.Name()))
		if err != nil {
			continue // dangling or escaping link, hard link
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

// Exists implements vfs-exists: true for a file or directory inside the
// sandbox (not for one ReadFile and StatInfo refuse as leading out).
func (s *Sandbox) Exists(p string) bool {
	name, err := s.clean(p, true)
	if err != nil {
		return false
	}
	_, err = s.lookup(name)
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
