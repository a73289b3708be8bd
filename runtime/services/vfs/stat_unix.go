//go:build unix

package vfs

import (
	"io/fs"
	"syscall"
)

// links is the number of hard links to info's file.
func links(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// ioBlockSize is the block size the file system reports for info's file (0
// if unknown).
func ioBlockSize(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blksize)
	}
	return 0
}
