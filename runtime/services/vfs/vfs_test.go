package vfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, lim Limits) (*Sandbox, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sandbox")
	s, err := Open(dir, lim, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestWriteReadStatListDelete(t *testing.T) {
	s, dir := open(t, Limits{})
	if !s.Write("cache/posts/hello.json", `{"a":1}`) {
		t.Fatal("write failed")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cache", "posts", "hello.json")); err != nil || string(b) != `{"a":1}` {
		t.Fatalf("on disk: %q %v", b, err)
	}
	if c, ok := s.Read("cache/posts/hello.json"); !ok || c != `{"a":1}` {
		t.Fatalf("Read = %q %v", c, ok)
	}
	// Overwrite replaces.
	if !s.Write("cache/posts/hello.json", "v2") {
		t.Fatal("overwrite failed")
	}
	if c, _ := s.Read("cache/posts/hello.json"); c != "v2" {
		t.Fatalf("after overwrite: %q", c)
	}
	if !s.Exists("cache/posts/hello.json") || !s.Exists("cache") || !s.Exists("") || s.Exists("nope") {
		t.Fatal("Exists wrong")
	}
	st, ok := s.Stat("cache/posts/hello.json")
	if !ok {
		t.Fatal("Stat failed")
	}
	var info Info
	if err := json.Unmarshal([]byte(st), &info); err != nil {
		t.Fatal(err)
	}
	if info.Name != "hello.json" || info.Size != 2 || info.IsDir {
		t.Fatalf("Stat = %s", st)
	}
	if mt, err := time.Parse(time.RFC3339, info.ModTime); err != nil || time.Since(mt) > time.Minute {
		t.Fatalf("mod_time %q: %v", info.ModTime, err)
	}
	if st, ok := s.Stat("cache"); !ok || !strings.Contains(st, `"is_dir":true`) {
		t.Fatalf("Stat(dir) = %s %v", st, ok)
	}
	if _, ok := s.Stat("missing"); ok {
		t.Fatal("Stat(missing) ok")
	}

	s.Write("b.txt", "bbb")
	s.Write("a.txt", "a")
	l, ok := s.List("")
	want := `[{"name":"a.txt","is_dir":false,"size":1},{"name":"b.txt","is_dir":false,"size":3},{"name":"cache","is_dir":true,"size":0}]`
	if !ok || l != want {
		t.Fatalf("List = %s", l)
	}
	if l, ok := s.List("cache/posts"); !ok || l != `[{"name":"hello.json","is_dir":false,"size":2}]` {
		t.Fatalf("List(cache/posts) = %s", l)
	}
	if l, ok := s.List("cache/posts/"); !ok || !strings.Contains(l, "hello.json") {
		t.Fatalf("trailing slash: %s %v", l, ok)
	}
	if _, ok := s.List("a.txt"); ok {
		t.Fatal("List(file) ok")
	}
	if _, ok := s.List("missing"); ok {
		t.Fatal("List(missing) ok")
	}
	if l, _ := s.List("empty-dir-that-is-not-there"); l != "" {
		t.Fatal(l)
	}

	if !s.Delete("a.txt") || s.Exists("a.txt") {
		t.Fatal("Delete failed")
	}
	if s.Delete("a.txt") {
		t.Fatal("second Delete ok")
	}
	if s.Delete("cache") {
		t.Fatal("deleted a non-empty directory")
	}
	// Deleting the last file of a directory removes the directories it
	// leaves empty.
	if !s.Delete("cache/posts/hello.json") || s.Exists("cache/posts") || s.Exists("cache") {
		t.Fatal("deleting the last file left its directories")
	}
	if u := s.Usage(); u != (Usage{Files: 1, Bytes: s.d.bs}) {
		t.Fatalf("Usage = %+v", u)
	}
}

func TestDeleteRemovesEmptiedDirectories(t *testing.T) {
	s, dir := open(t, Limits{})
	must(t, s.WriteFile("a/b/c/f", "x"))
	must(t, s.WriteFile("a/g", "x"))
	must(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "real", "keep"), nil, 0o644)) // not pruned by the scan
	must(t, os.Symlink("real", filepath.Join(dir, "link")))
	must(t, s.Rescan())
	must(t, s.WriteFile("link/h", "x"))

	must(t, s.Remove("a/b/c/f"))
	if s.Exists("a/b") || !s.Exists("a/g") {
		t.Fatal("want a/b removed, a kept (it holds g)")
	}
	// A link to a directory is not removed with its target's last file:
	// the target directory goes, the link stays (dangling).
	must(t, s.Remove("link/h"))
	if _, err := os.Lstat(filepath.Join(dir, "link")); err != nil {
		t.Fatalf("link removed: %v", err)
	}
	assertCounted(t, s)

	// Empty directories do not survive a scan; one made behind the
	// sandbox's back after it can still be deleted on its own (the count
	// is then fixed by the next scan).
	must(t, os.Mkdir(filepath.Join(dir, "a", "empty"), 0o755))
	must(t, s.Rescan())
	if s.Exists("a/empty") {
		t.Fatal("empty directory survived a scan")
	}
	must(t, os.Mkdir(filepath.Join(dir, "a", "empty"), 0o755))
	if !s.Delete("a/empty") || !s.Exists("a/g") {
		t.Fatal("delete of an empty directory")
	}
}

// assertCounted checks the running usage against a recount from disk.
func assertCounted(t *testing.T, s *Sandbox) {
	t.Helper()
	got := s.Usage()
	must(t, s.Rescan())
	if want := s.Usage(); got != want {
		t.Fatalf("running usage %+v, recounted %+v", got, want)
	}
}

func TestEmptyFileAndUnicode(t *testing.T) {
	s, _ := open(t, Limits{})
	if !s.Write("empty", "") {
		t.Fatal("empty write")
	}
	if c, ok := s.Read("empty"); !ok || c != "" {
		t.Fatalf("Read(empty) = %q %v", c, ok)
	}
	if !s.Write("文章/草稿.md", "# 你好") {
		t.Fatal("unicode path")
	}
	if c, _ := s.Read("文章/草稿.md"); c != "# 你好" {
		t.Fatal(c)
	}
	// Redundant separators and "." components are cleaned.
	if c, ok := s.Read("./文章//草稿.md"); !ok || c != "# 你好" {
		t.Fatalf("cleaned path: %q %v", c, ok)
	}
}

func TestPathRefusals(t *testing.T) {
	s, dir := open(t, Limits{MaxPathLen: 64, MaxDepth: 3})
	outside := filepath.Join(filepath.Dir(dir), "outside.txt")
	os.WriteFile(outside, []byte("secret"), 0o644)
	bad := []string{
		"../outside.txt",
		"a/../../outside.txt",
		"a/..",
		"/etc/passwd",
		outside,
		"a\\..\\b",
		"nul\x00byte",
		"\xff",
		strings.Repeat("x", 65),
		"a/b/c/d",
		".vfs-tmp-123",
	}
	for _, p := range bad {
		if _, err := s.ReadFile(p); !errors.Is(err, ErrBadPath) {
			t.Errorf("ReadFile(%q) = %v, want ErrBadPath", p, err)
		}
		if err := s.WriteFile(p, "x"); !errors.Is(err, ErrBadPath) {
			t.Errorf("WriteFile(%q) = %v, want ErrBadPath", p, err)
		}
		if s.Exists(p) || s.Delete(p) {
			t.Errorf("Exists/Delete(%q) succeeded", p)
		}
		if _, ok := s.Stat(p); ok {
			t.Errorf("Stat(%q) ok", p)
		}
	}
	for _, p := range []string{"", "."} {
		if s.Write(p, "x") || s.Delete(p) {
			t.Errorf("write/delete of the sandbox itself via %q", p)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Fatal("outside file changed")
	}
}

func TestSymlinksOutAreRefused(t *testing.T) {
	s, dir := open(t, Limits{})
	outsideDir := t.TempDir()
	os.WriteFile(filepath.Join(outsideDir, "secret.txt"), []byte("secret"), 0o644)
	// Links planted in the sandbox by someone else: absolute, relative-out, and a directory link.
	must(t, os.Symlink(filepath.Join(outsideDir, "secret.txt"), filepath.Join(dir, "abs-link")))
	must(t, os.Symlink("../../"+filepath.Base(outsideDir)+"/secret.txt", filepath.Join(dir, "rel-link")))
	must(t, os.Symlink(outsideDir, filepath.Join(dir, "dir-link")))
	// A link that stays inside is fine.
	must(t, os.WriteFile(filepath.Join(dir, "inside.txt"), []byte("ok"), 0o644))
	must(t, os.Symlink("inside.txt", filepath.Join(dir, "in-link")))
	must(t, s.Rescan())

	for _, p := range []string{"abs-link", "rel-link", "dir-link/secret.txt"} {
		if c, ok := s.Read(p); ok {
			t.Errorf("Read(%q) escaped: %q", p, c)
		}
		if s.Exists(p) {
			t.Errorf("Exists(%q) through an escaping link", p)
		}
	}
	if s.Write("dir-link/new.txt", "x") {
		t.Error("wrote through a directory link out of the sandbox")
	}
	if _, err := os.Stat(filepath.Join(outsideDir, "new.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("file created outside the sandbox")
	}
	if _, ok := s.List("dir-link"); ok {
		t.Error("listed a directory outside the sandbox")
	}
	if c, ok := s.Read("in-link"); !ok || c != "ok" {
		t.Errorf("inside link: %q %v", c, ok)
	}
	l, _ := s.List("")
	if strings.Contains(l, "abs-link") || strings.Contains(l, "dir-link") || !strings.Contains(l, "in-link") {
		t.Errorf("List shows escaping links or hides inside ones: %s", l)
	}
	// Deleting an escaping link removes the link, never its target.
	if !s.Delete("abs-link") {
		t.Error("could not delete a planted link")
	}
	if b, _ := os.ReadFile(filepath.Join(outsideDir, "secret.txt")); string(b) != "secret" {
		t.Fatal("link target changed")
	}
}

// TestLimits: sizes are charged in whole blocks (bs), every entry counts.
func TestLimits(t *testing.T) {
	probe, _ := open(t, Limits{})
	bs := probe.d.bs
	blocks := func(n int64) string { return strings.Repeat("x", int(n*bs)) }
	s, _ := open(t, Limits{MaxFileSize: 3 * bs, MaxTotalSize: 5 * bs, MaxEntries: 4})
	if err := s.WriteFile("big", blocks(3)+"x"); !errors.Is(err, ErrFileTooLarge) {
		t.Fatalf("big file: %v", err)
	}
	must(t, s.WriteFile("a", blocks(2)))
	must(t, s.WriteFile("b", blocks(2)))
	if err := s.WriteFile("c", blocks(1)+"x"); !errors.Is(err, ErrQuota) {
		t.Fatalf("over total (a byte past a block is a second block): %v", err)
	}
	must(t, s.WriteFile("c", blocks(1))) // exactly 5 blocks
	if u := s.Usage(); u != (Usage{Files: 3, Bytes: 5 * bs}) {
		t.Fatalf("Usage = %+v", u)
	}
	if err := s.WriteFile("d", ""); !errors.Is(err, ErrQuota) {
		t.Fatalf("an empty file takes a block too: %v", err)
	}
	// Shrinking an existing file is allowed, and frees room.
	must(t, s.WriteFile("a", "x"))
	if u := s.Usage(); u != (Usage{Files: 3, Bytes: 4 * bs}) {
		t.Fatalf("Usage = %+v", u)
	}
	// A directory is an entry, and takes a block.
	if err := s.WriteFile("d/e", "x"); !errors.Is(err, ErrQuota) {
		t.Fatalf("file and directory past the entry limit: %v", err)
	}
	must(t, s.WriteFile("d", "x")) // 4 entries, 5 blocks
	if err := s.WriteFile("e", ""); !errors.Is(err, ErrQuota) {
		t.Fatalf("5th entry: %v", err)
	}
	must(t, s.WriteFile("a", "y")) // replacing adds no entry
	// Deleting frees an entry and its blocks.
	must(t, s.Remove("b"))
	must(t, s.WriteFile("e", "y"))
	if s.Exists("big") || s.Exists("d/e") {
		t.Fatal("refused file exists")
	}
	assertCounted(t, s)
}

// TestAccountingMatchesRecount: after many writes, replacements and deletes
// in nested directories (enough entries in one to grow it past a block),
// through a link to a directory too, the running count is what a scan of
// the disk finds.
func TestAccountingMatchesRecount(t *testing.T) {
	s, dir := open(t, Limits{MaxTotalSize: 1 << 30})
	must(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "real", "keep"), nil, 0o644)) // not pruned by the scan
	must(t, os.Symlink("real", filepath.Join(dir, "link")))
	must(t, s.Rescan())
	rng := uint64(1)
	next := func(n int) int { // xorshift: reproducible, no global state
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	tops := []string{"flat", "a/b", "a/b/c", "link", "real", "deep/1/2/3/4"}
	for range 3000 {
		p := fmt.Sprintf("%s/file-with-a-long-name-%03d", tops[next(len(tops))], next(300))
		if next(3) == 0 {
			s.Remove(p)
			continue
		}
		must(t, s.WriteFile(p, strings.Repeat("x", next(3*int(s.d.bs)))))
	}
	assertCounted(t, s)
	if u := s.Usage(); u.Files == 0 || u.Dirs == 0 || u.Bytes < int64(u.Files+u.Dirs)*s.d.bs {
		t.Fatalf("Usage = %+v: each entry takes at least a block", u)
	}
}

func TestReadRefusesOversizeNonUTF8AndSpecialFiles(t *testing.T) {
	s, dir := open(t, Limits{MaxFileSize: 4})
	must(t, os.WriteFile(filepath.Join(dir, "big"), []byte("12345"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "bin"), []byte{0xff, 0xfe}, 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	if _, err := s.ReadFile("big"); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("big: %v", err)
	}
	if _, err := s.ReadFile("bin"); !errors.Is(err, ErrNotUTF8) {
		t.Errorf("bin: %v", err)
	}
	if _, err := s.ReadFile("d"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("dir: %v", err)
	}
	if _, err := s.ReadFile("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if s.Write("d", "x") {
		t.Error("overwrote a directory")
	}
}

func TestUsageCountedOnOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sb")
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "f"), []byte("hello"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, tmpPrefix+"1"), []byte("stale"), 0o644))
	must(t, os.MkdirAll(filepath.Join(dir, "leaked", "empty", "dirs"), 0o755))
	s, err := Open(dir, Limits{MaxEntries: 2}, nil)
	must(t, err)
	defer s.Close()
	if u := s.Usage(); u != (Usage{Files: 1, Dirs: 1, Bytes: 2 * s.d.bs}) {
		t.Fatalf("Usage = %+v", u)
	}
	if _, err := os.Stat(filepath.Join(dir, tmpPrefix+"1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("stale temp file kept")
	}
	if _, err := os.Stat(filepath.Join(dir, "leaked")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("empty directories kept")
	}
	if err := s.WriteFile("g", "x"); !errors.Is(err, ErrQuota) {
		t.Fatalf("pre-existing entries not counted: %v", err)
	}
}

func TestConcurrentWritesRespectQuota(t *testing.T) {
	s, _ := open(t, Limits{MaxEntries: 10})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { s.Write(fmt.Sprintf("f%d", i), "x") })
	}
	wg.Wait()
	l, _ := s.List("")
	var es []Entry
	must(t, json.Unmarshal([]byte(l), &es))
	if len(es) != 10 {
		t.Fatalf("%d files, limit 10", len(es))
	}
}

func TestClosed(t *testing.T) {
	s, _ := open(t, Limits{})
	must(t, s.Close())
	if err := s.WriteFile("a", "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if _, ok := s.Read("a"); ok {
		t.Fatal("read after close")
	}
}

func TestManager(t *testing.T) {
	base := t.TempDir()
	m := NewManager(base, Limits{}, nil)
	defer m.Close()
	a, err := m.Sandbox("com.example.a", Limits{})
	must(t, err)
	a2, _ := m.Sandbox("com.example.a", Limits{})
	a2.Write("y.txt", "y")
	if a.Usage().Files != 1 {
		t.Fatal("two sandboxes for one plugin")
	}
	b, err := m.Sandbox("com.example.b", Limits{})
	must(t, err)
	a.Write("x.txt", "from a")
	if b.Exists("x.txt") {
		t.Fatal("plugins share files")
	}
	if _, ok := b.Read("../com.example.a/x.txt"); ok {
		t.Fatal("b read a's file")
	}
	for _, id := range []string{"", ".", "..", "../x", "a/b", "-x", strings.Repeat("a", 200)} {
		if _, err := m.Sandbox(id, Limits{}); !errors.Is(err, ErrBadPluginID) {
			t.Errorf("Sandbox(%q) = %v", id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "com.example.a", "x.txt")); err != nil {
		t.Fatal(err)
	}
	must(t, m.Close())
	if _, err := m.Sandbox("com.example.a", Limits{}); !errors.Is(err, ErrClosed) {
		t.Fatal("Sandbox after Close")
	}
}

// TestManagerPerSandboxLimits: each handle enforces its own limits (a
// plugin's manifest, or two versions of it during a reload) against one
// usage count per directory; closing a handle leaves the others working and
// the last close releases the directory.
func TestManagerPerSandboxLimits(t *testing.T) {
	base := t.TempDir()
	m := NewManager(base, Limits{MaxFileSize: 100}, nil)
	defer m.Close()

	small, err := m.Sandbox("small", Limits{MaxTotalSize: DefaultBlockSize})
	must(t, err)
	bs := small.d.bs
	small.Close()
	small, err = m.Sandbox("small", Limits{MaxTotalSize: bs})
	must(t, err)
	big, err := m.Sandbox("big", Limits{MaxTotalSize: 1000 * bs})
	must(t, err)
	if got := small.Limits(); got.MaxTotalSize != bs || got.MaxFileSize != 100 || got.MaxEntries != DefaultMaxEntries {
		t.Errorf("small limits = %+v: want the manager's file size, the package's entry count", got)
	}
	if !small.Write("a", "x") || small.Write("b", "x") {
		t.Error("small: want one block-sized file, not two")
	}
	if !big.Write("a", strings.Repeat("x", 50)) {
		t.Error("big: 50 bytes refused under a 1000-block quota")
	}
	if big.Write("b", strings.Repeat("x", 101)) {
		t.Error("big: the manager's 100-byte file limit was not applied")
	}

	// Two versions of one plugin: own limits, one usage count.
	v1, err := m.Sandbox("p", Limits{MaxTotalSize: 10 * bs})
	must(t, err)
	v2, err := m.Sandbox("p", Limits{MaxTotalSize: 3 * bs})
	must(t, err)
	if !v1.Write("one/x", "x") || !v1.Write("one/y", "y") {
		t.Fatal("v1 write")
	}
	if v2.Write("two", "z") {
		t.Error("v2 ignored the 3 blocks v1 wrote (3-block quota)")
	}
	if !v1.Write("two", "z") {
		t.Error("v1 refused 4 blocks under its 10-block quota")
	}
	if u := v2.Usage(); u != (Usage{Files: 3, Dirs: 1, Bytes: 4 * bs}) {
		t.Errorf("v2 usage = %+v; want 3 files, 1 directory, 4 blocks", u)
	}

	must(t, v1.Close())
	if v1.Write("three", "x") {
		t.Error("write through a closed handle")
	}
	if _, ok := v1.Read("one/x"); ok {
		t.Error("read through a closed handle")
	}
	if !m.InUse("p") || !v2.Exists("one/x") || !v2.Delete("one/x") || !v2.Delete("one/y") {
		t.Error("closing v1 closed v2's directory")
	}
	if u := v2.Usage(); u != (Usage{Files: 1, Bytes: bs}) {
		t.Errorf("usage after deletes = %+v, want the one block of two", u)
	}
	must(t, v2.Close())
	must(t, v2.Close()) // idempotent: does not drop another reference
	if m.InUse("p") {
		t.Error("directory still open after its last handle closed")
	}

	// A new handle rescans the directory.
	v3, err := m.Sandbox("p", Limits{})
	must(t, err)
	if u := v3.Usage(); u != (Usage{Files: 1, Bytes: bs}) {
		t.Errorf("reopened usage = %+v; want 1 file, 1 block", u)
	}
	must(t, m.Close())
	if v3.Exists("two") || small.Write("c", "x") {
		t.Error("handles still work after Manager.Close")
	}
	must(t, v3.Close())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
