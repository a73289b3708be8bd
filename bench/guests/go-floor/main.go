// Command go-floor is the hand-rolled standard-Go floor: the slug filter of
// the other guests over the minimal custom protocol of ../c-floor/floor.c
// (read that file for the encoding), exported with //go:wasmexport.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go-floor.wasm .
//
// The slug logic is the Go plugins' (strings.ToLower, then spaces to '-').
// The input buffer and the result buffer are package-level slices: they stay
// reachable, so the host may use their addresses until the next call.
package main

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

const none = 0xFFFFFFFF

var in, out []byte

//go:wasmexport floor_alloc
func floorAlloc(n uint32) uint32 {
	if uint32(cap(in)) < n || cap(in) == 0 {
		in = make([]byte, max(n, 1))
	}
	in = in[:n]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in[:cap(in)]))))
}

//go:wasmexport floor_on_post_creating
func floorOnPostCreating(n uint32) uint64 {
	b := in[:n]
	titleLen := binary.LittleEndian.Uint32(b)
	title := unsafe.String(&b[4], titleLen) // a view: used only during this call
	slugAt := 4 + titleLen
	slugAt += 4 + binary.LittleEndian.Uint32(b[slugAt:])
	if binary.LittleEndian.Uint32(b[slugAt:]) != none {
		return 0
	}
	slug := strings.ReplaceAll(strings.ToLower(title), " ", "-")
	out = append(out[:0], b[:slugAt]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(slug)))
	out = append(out, slug...)
	out = append(out, b[slugAt+4:]...)
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(out))))<<32 | uint64(len(out))
}

func main() {}
