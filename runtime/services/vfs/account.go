package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
)

// Disk accounting.
//
// Every entry of the sandbox (file, directory, symbolic link…) is charged
// the space it takes on disk, in whole blocks: its size rounded up to the
// block size, and at least one block, since even an empty file or directory
// takes an inode and a directory slot. The sandbox's own directory is not an
// entry; only its growth past one block is charged (the entries it holds).
//
// The charge is a function of what stat reports for the entry's current
// state (its size), so the running total can be kept exact: every mutation
// stats what it changes before and after, under sandboxDir.mu, and adds the
// difference, including the growth of the directory that received or lost
// an entry. Stat's Blocks is not used for the running total: on some file
// systems it changes after the write (ZFS allocates at the next commit, XFS
// trims speculative preallocation later, ext4 may add an extent block at
// writeback), so what was added at write time could not be subtracted
// exactly at delete time, and a write/delete loop could drift the count
// below the disk's real use.

// blockSize is the unit entries are charged in: the block size the file
// system reports for the sandbox directory, at least DefaultBlockSize and at
// most MaxBlockSize.
func blockSize(root fs.FileInfo) int64 {
	return min(max(ioBlockSize(root), DefaultBlockSize), MaxBlockSize)
}

// chargeSize is the charge of an entry of size bytes.
func (d *sandboxDir) chargeSize(size int64) int64 {
	n := max(size, 1)
	if n > math.MaxInt64-d.bs {
		return n
	}
	return (n + d.bs - 1) / d.bs * d.bs
}

// charge is the charge of the entry info describes.
func (d *sandboxDir) charge(info fs.FileInfo) int64 { return d.chargeSize(info.Size()) }

// chain holds the directories leading to one directory of the sandbox, each
// opened as an os.Root: roots[0] is the sandbox, roots[i] the directory
// names[:i], so that each step of a deep write or delete costs one system
// call instead of a walk from the top. Only the first len(roots)-1 names
// may exist.
type chain struct {
	d     *sandboxDir
	names []string
	roots []*os.Root
}

// openChain opens the directories leading to dir (a cleaned path, "." for
// the sandbox), as far as they exist. A component that is not a directory,
// or a link leading out, is an error.
func (d *sandboxDir) openChain(dir string) (*chain, error) {
	c := &chain{d: d, roots: []*os.Root{d.root}}
	if dir != "." {
		c.names = strings.Split(dir, "/")
	}
	for i, name := range c.names {
		r, err := openSubdir(c.roots[i], name, d.root, strings.Join(c.names[:i+1], "/"))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			c.close()
			return nil, err
		}
		c.roots = append(c.roots, r)
	}
	return c, nil
}

// openSubdir opens directory name of parent, whose path from the sandbox
// top is prefix. It is stat'ed first: opening a FIFO would block. A link
// may lead out of parent but stay inside the sandbox: it is then resolved
// from the top.
func openSubdir(parent *os.Root, name string, top *os.Root, prefix string) (*os.Root, error) {
	from, rel := parent, name
	info, err := parent.Stat(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		from, rel = top, prefix
		info, err = top.Stat(prefix)
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", prefix)
	}
	return from.OpenRoot(rel)
}

// complete reports whether every directory of the chain exists.
func (c *chain) complete() bool { return len(c.roots) == len(c.names)+1 }

// last is the deepest directory opened.
func (c *chain) last() *os.Root { return c.roots[len(c.roots)-1] }

func (c *chain) close() {
	for _, r := range c.roots[1:] {
		r.Close()
	}
	c.roots = c.roots[:1]
}

// charge is the current charge of level i (followed if a link); 0 if it
// cannot be stat'ed.
func (c *chain) charge(i int) int64 {
	info, err := c.roots[i].Stat(".")
	if err != nil {
		return 0
	}
	ch := c.d.charge(info)
	if i == 0 {
		ch -= c.d.bs // the sandbox's own first block is not charged
	}
	return ch
}

// mkdirs creates the missing directories of the chain. They are counted
// once the entry they are for has been added to the deepest (see count).
func (c *chain) mkdirs() error {
	for i := len(c.roots) - 1; i < len(c.names); i++ {
		if err := c.roots[i].Mkdir(c.names[i], 0o755); err != nil {
			return err
		}
		r, err := c.roots[i].OpenRoot(c.names[i])
		if err != nil {
			return err
		}
		c.roots = append(c.roots, r)
	}
	return nil
}

// countCreated counts the directories from level from+1 on, created by
// mkdirs (level from existed before).
func (c *chain) countCreated(from int) {
	for i := from; i < len(c.names); i++ {
		ch := c.d.bs
		if info, err := c.roots[i].Lstat(c.names[i]); err == nil {
			ch = c.d.charge(info)
		}
		c.d.dirs++
		c.d.bytes += ch
	}
}

// prune is called once an entry has been removed from the deepest
// directory of the chain, whose charge was before: it counts the change and
// removes that directory and its ancestors as long as they are left empty.
// The sandbox has no "make directory" call: directories exist to hold files,
// and a delete takes the ones it empties with it. A link to a directory is
// kept, and so is what is above it.
func (c *chain) prune(before int64) {
	d := c.d
	for i := len(c.roots) - 1; ; i-- {
		if i == 0 {
			d.bytes += c.charge(0) - before
			return
		}
		up, name := c.roots[i-1], c.names[i-1]
		info, err := up.Lstat(name)
		if err != nil || !info.IsDir() {
			d.bytes += c.charge(i) - before
			return
		}
		upBefore := c.charge(i - 1)
		c.roots[i].Close()
		c.roots = c.roots[:i]
		if up.Remove(name) != nil { // not empty
			d.bytes += d.charge(info) - before
			return
		}
		d.dirs--
		d.bytes -= before
		before = upBefore
	}
}

// emptyDir reports whether directory dir has no entries.
func (d *sandboxDir) emptyDir(dir string) bool {
	f, err := d.root.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return errors.Is(err, io.EOF)
}

// rescanLocked counts the directory from disk. Leftover temporary files are
// removed first, then empty directories (deepest first): what a crashed
// write, or the write/delete leak of earlier versions, left behind.
func (d *sandboxDir) rescanLocked() error {
	var stale, dirs []string
	err := fs.WalkDir(d.root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p == ".":
		case strings.HasPrefix(e.Name(), tmpPrefix) && !e.IsDir():
			stale = append(stale, p)
		case e.IsDir():
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("vfs: scan sandbox: %w", err)
	}
	for _, p := range stale {
		_ = d.root.Remove(p)
	}
	// WalkDir visits a directory before what it holds: backwards, the
	// children come first.
	for i := len(dirs) - 1; i >= 0; i-- {
		if d.emptyDir(dirs[i]) {
			_ = d.root.Remove(dirs[i])
		}
	}
	top := &chain{d: d, roots: []*os.Root{d.root}}
	files, ndirs, bytes := 0, 0, top.charge(0)
	err = fs.WalkDir(d.root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if e.IsDir() {
			ndirs++
		} else {
			files++
		}
		bytes += d.charge(info)
		return nil
	})
	if err != nil {
		return fmt.Errorf("vfs: scan sandbox: %w", err)
	}
	d.files, d.dirs, d.bytes = files, ndirs, bytes
	return nil
}
