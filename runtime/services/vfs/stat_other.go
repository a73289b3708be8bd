//go:build !unix

package vfs

import "io/fs"

// links is the number of hard links to info's file: not reported by the
// file information of this platform, so taken as 1.
func links(fs.FileInfo) uint64 { return 1 }

// ioBlockSize is the block size the file system reports for info's file:
// unknown on this platform.
func ioBlockSize(fs.FileInfo) int64 { return 0 }
