//go:build unix

package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestHardLinkErrors: the refusals of hard-linked files are ErrEscape, for
// callers that branch on them, and the link is still counted (and freed by
// its deletion).
func TestHardLinkErrors(t *testing.T) {
	s, dir := open(t, Limits{})
	outside := filepath.Join(t.TempDir(), "secret")
	must(t, os.WriteFile(outside, []byte("secret"), 0o644))
	must(t, os.Link(outside, filepath.Join(dir, "hl")))
	must(t, s.Rescan())
	if _, err := s.ReadFile("hl"); !errors.Is(err, ErrEscape) {
		t.Errorf("ReadFile: %v, want ErrEscape", err)
	}
	if _, err := s.StatInfo("hl"); !errors.Is(err, ErrEscape) {
		t.Errorf("StatInfo: %v, want ErrEscape", err)
	}
	if err := s.WriteFile("hl", "x"); !errors.Is(err, ErrEscape) {
		t.Errorf("WriteFile: %v, want ErrEscape", err)
	}
	if u := s.Usage(); u != (Usage{Files: 1, Bytes: s.d.bs}) {
		t.Errorf("Usage = %+v: the link is an entry", u)
	}
	must(t, s.Remove("hl"))
	if u := s.Usage(); u != (Usage{}) {
		t.Errorf("Usage after delete = %+v", u)
	}
}

// TestPlantedFIFO: a FIFO where a directory or file is expected is refused
// without opening it (which would block, holding the sandbox's lock).
func TestPlantedFIFO(t *testing.T) {
	s, dir := open(t, Limits{})
	must(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	must(t, s.Rescan())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.WriteFile("fifo/x", "x"); err == nil {
			t.Error("wrote below a FIFO")
		}
		if err := s.WriteFile("fifo", "x"); !errors.Is(err, ErrNotRegular) {
			t.Errorf("write over a FIFO: %v, want ErrNotRegular", err)
		}
		if err := s.Remove("fifo/x"); err == nil {
			t.Error("deleted below a FIFO")
		}
		if _, err := s.ReadFile("fifo"); !errors.Is(err, ErrNotRegular) {
			t.Errorf("read of a FIFO: %v, want ErrNotRegular", err)
		}
		if err := s.Remove("fifo"); err != nil {
			t.Errorf("delete the FIFO: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("blocked on a FIFO")
	}
	assertCounted(t, s)
}
