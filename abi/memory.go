package abi

import (
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"
)

// maxZeroSizeList bounds lists whose elements take no memory, which no
// bounds check can limit.
const maxZeroSizeList = 1 << 20

// Read returns a view of size bytes at ptr, checked against memory bounds.
func Read(mem api.Memory, ptr, size uint32) ([]byte, error) {
	if uint64(ptr)+uint64(size) > uint64(mem.Size()) {
		return nil, &BoundsError{Ptr: uint64(ptr), Len: uint64(size), MemSize: uint64(mem.Size())}
	}
	b, ok := mem.Read(ptr, size)
	if !ok {
		return nil, &BoundsError{Ptr: uint64(ptr), Len: uint64(size), MemSize: uint64(mem.Size())}
	}
	return b, nil
}

// ReadAligned is [Read] that also checks ptr against align. Like every
// function of this package that takes both, it takes the alignment before
// the size, as the canonical ABI's cabi_realloc(old_ptr, old_size, align,
// new_size) does.
func ReadAligned(mem api.Memory, ptr, align, size uint32) ([]byte, error) {
	if align > 1 && ptr&(align-1) != 0 {
		return nil, &AlignmentError{Ptr: ptr, Align: align}
	}
	return Read(mem, ptr, size)
}

// ReadList returns a view of count elements of elemSize bytes at ptr,
// checking alignment, overflow and bounds before anything is allocated.
func ReadList(mem api.Memory, ptr, count, align, elemSize uint32) ([]byte, error) {
	total := uint64(count) * uint64(elemSize)
	if total > 1<<32-1 {
		return nil, &SizeError{Count: uint64(count), ElemSize: elemSize}
	}
	if elemSize == 0 && count > maxZeroSizeList {
		return nil, &SizeError{Count: uint64(count), ElemSize: elemSize}
	}
	return ReadAligned(mem, ptr, align, uint32(total))
}

// CheckRegion reports whether [ptr, ptr+size) is inside memory and aligned.
func CheckRegion(mem api.Memory, ptr, align, size uint32) error {
	_, err := ReadAligned(mem, ptr, align, size)
	return err
}

// LoadString copies the UTF-8 string at ptr out of guest memory.
func LoadString(mem api.Memory, ptr, length uint32) (string, error) {
	if length == 0 {
		return "", nil
	}
	b, err := Read(mem, ptr, length)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", &UTF8Error{Ptr: ptr, Len: length}
	}
	return string(b), nil
}

// LoadBytes copies list<u8> at ptr out of guest memory.
func LoadBytes(mem api.Memory, ptr, length uint32) ([]byte, error) {
	b, err := Read(mem, ptr, length)
	if err != nil {
		return nil, err
	}
	out := make([]byte, length)
	copy(out, b)
	return out, nil
}

// Char converts a core i32 to a WIT char, rejecting surrogates and values
// past U+10FFFF.
func Char(v uint32) (rune, error) {
	if v >= 0x110000 || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, &CharError{Value: v}
	}
	return rune(v), nil
}

// CheckChar validates a rune before it is lowered.
func CheckChar(r rune) error {
	_, err := Char(uint32(r))
	return err
}

// ListSize returns count*elemSize, or an error if it does not fit in 32 bits.
func ListSize(count int, elemSize uint32) (uint32, error) {
	total := uint64(count) * uint64(elemSize)
	if count < 0 || total > 1<<32-1 {
		return 0, &SizeError{Count: uint64(count), ElemSize: elemSize}
	}
	return uint32(total), nil
}
