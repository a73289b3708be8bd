package runtime

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	rtt "github.com/raisfast/wasmplug/runtime/runtimetest"
)

// --- disk ---

// deepPath below a per-iteration directory makes a 32-level path, the
// deepest the sandbox accepts.
var deepPath = strings.Repeat("/a", 30) + "/f"

// deepDirsGuest writes and deletes <n>/a/…/a/f for n = 0, 1, … until its
// call is stopped: every file is deleted, the directories are what is left.
var deepDirsGuest = rtt.Guest{
	Data: map[int]string{1024: deepPath, 1200: "x"},
	Funcs: fmt.Sprintf(`
  (func (export "%s") (param i32 i32)
    (local $n i32) (local $p i32) (local $l i32) (local $path i32)
    (loop $again
      (call $utoa (local.get $n))
      (local.set $l) (local.set $p)
      (local.set $path (call $concat (local.get $p) (local.get $l) (i32.const 1024) (i32.const %d)))
      (drop (call $vfs_write (local.get $path) (i32.add (local.get $l) (i32.const %d)) (i32.const 1200) (i32.const 1)))
      (drop (call $vfs_delete (local.get $path) (i32.add (local.get $l) (i32.const %d))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $again)))`, rtt.Export("on-login"), len(deepPath), len(deepPath), len(deepPath)),
}

// smallFilesGuest writes one-byte files named 0, 1, 2, … until stopped.
var smallFilesGuest = rtt.Guest{
	Data: map[int]string{1200: "x"},
	Funcs: `
  (func (export "` + rtt.Export("on-login") + `") (param i32 i32)
    (local $n i32) (local $p i32) (local $l i32)
    (loop $again
      (call $utoa (local.get $n))
      (local.set $l) (local.set $p)
      (drop (call $vfs_write (local.get $p) (local.get $l) (i32.const 1200) (i32.const 1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $again)))`,
}

func TestHostileDisk(t *testing.T) {
	const quota = 1 << 20
	for name, g := range map[string]rtt.Guest{"directories": deepDirsGuest, "small-files": smallFilesGuest} {
		t.Run(name, func(t *testing.T) {
			res := runAttack(t, attack{
				guest: g,
				hooks: map[string]int{"on-login": 0},
				extra: fmt.Sprintf("[permissions]\nvfs_max_bytes = %d\n", quota),
				call:  onLogin("u"),
			})
			entries, dirs, blocks := diskUse(t, filepath.Join(res.f.data, "evil"))
			t.Logf("sandbox holds %d entries (%d directories), %d KiB of blocks", entries, dirs, blocks>>10)
			// The quota counts blocks as the disk uses them; allow one
			// block of slack per directory level for a file system that
			// allocates more than the sandbox accounts for.
			if blocks > quota+int64(len(strings.Split(deepPath, "/")))*4096 {
				t.Errorf("sandbox uses %d KiB of disk blocks, quota %d KiB", blocks>>10, quota>>10)
			}
		})
	}
}
