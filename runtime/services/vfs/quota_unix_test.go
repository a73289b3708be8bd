//go:build unix

package vfs

// Attacks on the sandbox quota (issue 9): directories that were never
// counted, files counted by length rather than by the blocks they occupy,
// content already on disk, hard links planted in the directory, and several
// instances writing at once. Every test measures the directory on disk
// (filepath.WalkDir and stat's Blocks) rather than trusting the sandbox's
// own counters.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// diskUse is what a sandbox directory holds on disk, its top directory
// excepted: directories, other entries, and the bytes of the blocks they
// occupy (stat's Blocks × 512).
type diskUse struct {
	dirs, files int
	bytes       int64
}

func (u diskUse) String() string {
	return fmt.Sprintf("%d directories, %d files, %d bytes of blocks", u.dirs, u.files, u.bytes)
}

func measure(t *testing.T, dir string) diskUse {
	t.Helper()
	var u diskUse
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if e.IsDir() {
			u.dirs++
		} else {
			u.files++
		}
		u.bytes += blocks(info)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// blocks is the space info's file occupies: stat's Blocks × 512.
func blocks(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}

// unitOf is the space a one-byte file takes in dir's file system: at least
// 4 KiB (what the sandbox charges at the least), more where the disk uses
// larger blocks.
func unitOf(t *testing.T, dir string) int64 {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	must(t, os.WriteFile(p, []byte("x"), 0o644))
	info, err := os.Lstat(p)
	must(t, err)
	return max(4096, blocks(info))
}

// slack is how far over its quota a sandbox's real disk use may be: the
// growth of a directory is counted after the write that caused it.
func slack(quota int64) int64 { return max(quota/16, 64<<10) }

// deepPath is a path of depth levels (the last one the file) under top.
func deepPath(top string, depth int) string {
	return top + "/" + strings.Repeat("d/", depth-2) + "f"
}

// TestDeepPathWriteDeleteLoop: writing a file 32 levels deep and deleting it,
// under a new top directory each time, used to leave the 31 directories
// behind, uncounted (45 416 of them, 178 MB, in one 4 s call). Deleting the
// file must take the directories it needed with it.
func TestDeepPathWriteDeleteLoop(t *testing.T) {
	s, dir := open(t, Limits{MaxTotalSize: 16 << 20})
	const rounds = 150
	for i := range rounds {
		p := deepPath(fmt.Sprintf("loop%d", i), DefaultMaxDepth)
		if err := s.WriteFile(p, "x"); err != nil {
			t.Fatalf("round %d: write: %v", i, err)
		}
		if err := s.Remove(p); err != nil {
			t.Fatalf("round %d: delete: %v", i, err)
		}
	}
	u := measure(t, dir)
	t.Logf("after %d write/delete rounds of a %d-level path: %v", rounds, DefaultMaxDepth, u)
	if u.dirs != 0 || u.files != 0 || u.bytes != 0 {
		t.Fatalf("write/delete loop left %v; want nothing", u)
	}
	// The same loop without the deletes stops at the quota.
	s2, dir2 := open(t, Limits{MaxTotalSize: 1 << 20})
	written := 0
	for i := range 300 {
		if err := s2.WriteFile(deepPath(fmt.Sprintf("keep%d", i), DefaultMaxDepth), "x"); err != nil {
			if !errors.Is(err, ErrQuota) {
				t.Fatalf("write %d: %v, want ErrQuota", i, err)
			}
			break
		}
		written++
	}
	u = measure(t, dir2)
	t.Logf("deep paths kept under a 1 MiB quota: %d written, %v", written, u)
	if u.bytes > 1<<20+slack(1<<20) {
		t.Fatalf("deep paths took %v under a 1 MiB quota", u)
	}
	if written == 0 {
		t.Fatal("not one 32-level path fits in 1 MiB")
	}
}

// TestOneByteFilesChargedByBlocks: 10 000 one-byte files used to count as
// 10 000 bytes while they took 40 MB of blocks. Each must be charged the
// block it occupies, so a 16 MiB quota refuses them once the blocks reach it.
func TestOneByteFilesChargedByBlocks(t *testing.T) {
	const quota = 16 << 20
	s, dir := open(t, Limits{MaxTotalSize: quota})
	unit := unitOf(t, dir)
	accepted, firstRefusal := 0, -1
	for i := range 10000 {
		err := s.WriteFile(fmt.Sprintf("f%05d", i), "x")
		if err == nil {
			accepted++
			continue
		}
		if !errors.Is(err, ErrQuota) {
			t.Fatalf("file %d: %v, want ErrQuota", i, err)
		}
		if firstRefusal < 0 {
			firstRefusal = i
		}
	}
	u := measure(t, dir)
	t.Logf("10 000 one-byte files under a 16 MiB quota: %d accepted, first refusal at file %d, %v (block %d)",
		accepted, firstRefusal, u, unit)
	if u.bytes > quota+slack(quota) {
		t.Fatalf("one-byte files took %v under a %d-byte quota", u, quota)
	}
	if want := quota / unit; int64(accepted) < want*15/16 || int64(accepted) > want {
		t.Fatalf("%d one-byte files accepted, want about %d (%d-byte blocks): refused too early", accepted, want, unit)
	}
	// Deleting files frees their blocks for others. Two, not one: the
	// quota was full to the block, and on a hash-indexed directory (ext4's
	// htree) the new name may land in a full leaf, so the directory grows
	// by a block while it takes the file (measured in CI: one delete, then
	// a write over the limit by exactly 4096 bytes).
	must(t, s.Remove("f00000"))
	must(t, s.Remove("f00001"))
	if err := s.WriteFile("again", "x"); err != nil {
		t.Fatalf("write after two deletes: %v", err)
	}
}

// TestEntryLimitCountsDirectories: the entry limit (10 000 by default) counts
// directories too, not just files: 5 100 files each in its own directory are
// 10 200 entries.
func TestEntryLimitCountsDirectories(t *testing.T) {
	s, dir := open(t, Limits{MaxTotalSize: 1 << 30})
	const limit = 10000 // the default entry limit
	refused := 0
	for i := range 5100 {
		if err := s.WriteFile(fmt.Sprintf("d%04d/f", i), "x"); err != nil {
			if !errors.Is(err, ErrQuota) {
				t.Fatalf("write %d: %v, want ErrQuota", i, err)
			}
			refused++
		}
	}
	u := measure(t, dir)
	t.Logf("5 100 files in their own directories: %d refused, %v", refused, u)
	if u.dirs+u.files > limit {
		t.Fatalf("%v: more than %d entries", u, limit)
	}
	if refused == 0 {
		t.Fatal("nothing refused")
	}
	// A new file in an existing directory is a new entry too; replacing a
	// file is not.
	if err := s.WriteFile("d0000/g", "x"); !errors.Is(err, ErrQuota) {
		t.Fatalf("new entry past the limit: %v", err)
	}
	if err := s.WriteFile("d0000/f", "replaced"); err != nil {
		t.Fatalf("replacing a file at the entry limit: %v", err)
	}
}

// TestHardLinksRefused: a hard link planted in the sandbox (by someone with
// access to the host, or through another path) names a file that may live
// outside it. Like a symbolic link leading out, it is treated as missing:
// not read, not written through, not stat'ed, not listed; deleting it
// removes the link only.
func TestHardLinksRefused(t *testing.T) {
	s, dir := open(t, Limits{})
	outside := filepath.Join(t.TempDir(), "secret.txt")
	must(t, os.WriteFile(outside, []byte("secret"), 0o644))
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(t, os.Link(outside, filepath.Join(dir, "hl")))
	must(t, os.Link(outside, filepath.Join(dir, "sub", "hl")))
	// Two links to one file inside the sandbox, and a symbolic link to a hard link.
	must(t, os.WriteFile(filepath.Join(dir, "twin-a"), []byte("twin"), 0o644))
	must(t, os.Link(filepath.Join(dir, "twin-a"), filepath.Join(dir, "twin-b")))
	must(t, os.Symlink("hl", filepath.Join(dir, "sym-to-hl")))
	must(t, os.WriteFile(filepath.Join(dir, "plain"), []byte("ok"), 0o644))
	must(t, s.Rescan())

	for _, p := range []string{"hl", "sub/hl", "twin-a", "twin-b", "sym-to-hl"} {
		if c, ok := s.Read(p); ok {
			t.Errorf("Read(%q) through a hard link: %q", p, c)
		}
		if st, ok := s.Stat(p); ok {
			t.Errorf("Stat(%q) through a hard link: %s", p, st)
		}
		if s.Exists(p) {
			t.Errorf("Exists(%q) through a hard link", p)
		}
		if s.Write(p, "overwritten") {
			t.Errorf("Write(%q) over a hard link", p)
		}
	}
	for _, d := range []string{"", "sub"} {
		l, ok := s.List(d)
		if !ok {
			t.Fatalf("List(%q) failed", d)
		}
		var es []Entry
		must(t, json.Unmarshal([]byte(l), &es))
		for _, e := range es {
			if strings.Contains(e.Name, "hl") || strings.HasPrefix(e.Name, "twin") {
				t.Errorf("List(%q) shows hard link %q", d, e.Name)
			}
		}
	}
	if c, ok := s.Read("plain"); !ok || c != "ok" {
		t.Errorf("plain file: %q %v", c, ok)
	}
	// Deleting a planted link removes the link, never the file.
	if !s.Delete("hl") || !s.Delete("sub/hl") {
		t.Error("could not delete a planted hard link")
	}
	if b, err := os.ReadFile(outside); err != nil || string(b) != "secret" {
		t.Fatalf("outside file: %q %v", b, err)
	}
	// Once the twin's second link is gone it is an ordinary file again.
	if !s.Delete("twin-b") {
		t.Fatal("delete twin-b")
	}
	if c, ok := s.Read("twin-a"); !ok || c != "twin" {
		t.Errorf("twin-a after its twin was deleted: %q %v", c, ok)
	}
}

// TestPreexistingContentCounted: what an earlier run left in the directory
// counts from the start, by its blocks and entries, including the empty
// directories earlier versions leaked.
func TestPreexistingContentCounted(t *testing.T) {
	const quota = 2 << 20
	dir := filepath.Join(t.TempDir(), "sb")
	for i := range 100 {
		d := filepath.Join(dir, fmt.Sprintf("old%03d", i), "a", "b")
		must(t, os.MkdirAll(d, 0o755))
		must(t, os.WriteFile(filepath.Join(d, "f"), []byte("x"), 0o644))
	}
	// Empty directory chains left by the write/delete leak of earlier versions.
	for i := range 200 {
		must(t, os.MkdirAll(filepath.Join(dir, fmt.Sprintf("leak%03d", i), "x", "y", "z"), 0o755))
	}
	before := measure(t, dir)
	s, err := Open(dir, Limits{MaxTotalSize: quota}, nil)
	must(t, err)
	defer s.Close()
	unit := unitOf(t, dir)
	accepted := 0
	for i := range 2000 {
		if err := s.WriteFile(fmt.Sprintf("new%04d", i), "x"); err != nil {
			if !errors.Is(err, ErrQuota) {
				t.Fatalf("write %d: %v", i, err)
			}
			break
		}
		accepted++
	}
	u := measure(t, dir)
	t.Logf("pre-existing %v; after %d one-byte writes under a 2 MiB quota: %v", before, accepted, u)
	if u.bytes > quota+slack(quota) {
		t.Fatalf("sandbox holds %v, quota %d", u, quota)
	}
	if accepted == 0 {
		t.Fatal("no room left after the old content")
	}
	// Only the room the old files left: 400 entries of one block each.
	if room := (quota - 400*unit) / unit; int64(accepted) > room {
		t.Fatalf("%d files accepted, room for %d", accepted, room)
	}
}

// TestSharedSandboxConcurrentQuota: instances of one plugin share its
// sandbox; writing from all of them at once must not get past the quota.
func TestSharedSandboxConcurrentQuota(t *testing.T) {
	const quota = 1 << 20
	base := t.TempDir()
	m := NewManager(base, Limits{}, nil)
	defer m.Close()
	var handles []*Sandbox
	for range 4 {
		h, err := m.Sandbox("p", Limits{MaxTotalSize: quota})
		must(t, err)
		handles = append(handles, h)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		h := handles[g%len(handles)]
		wg.Go(func() {
			for i := range 200 {
				p := fmt.Sprintf("g%d/i%d/a/b/c/f", g, i)
				h.Write(p, "x")
				if i%3 == 0 {
					h.Delete(p)
				}
			}
		})
	}
	wg.Wait()
	u := measure(t, filepath.Join(base, "p"))
	t.Logf("8 writers on 4 handles, 1 MiB quota: %v", u)
	if u.bytes > quota+slack(quota) {
		t.Fatalf("concurrent writers left %v, quota %d", u, quota)
	}
}
