package abi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/raisfast/wasmplug/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// oneMemory is a wasm module that exports one page of memory as "mem".
var oneMemory = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
	0x07, 0x07, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x00, // export "mem" = memory 0
}

func memory(t *testing.T) api.Memory {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	mod, err := r.Instantiate(ctx, oneMemory)
	if err != nil {
		t.Fatal(err)
	}
	return mod.Memory()
}

// TestAlignBeforeSize checks that the memory functions take the alignment
// before the size, as cabi_realloc(old_ptr, old_size, align, new_size)
// and Guest.Alloc do: the arguments are all uint32, so only behaviour tells
// a swap.
func TestAlignBeforeSize(t *testing.T) {
	mem := memory(t)
	// align 4, size 2 at 2: misaligned (swapped, align 2 and size 4 would pass)
	if _, err := abi.ReadAligned(mem, 2, 4, 2); !errors.Is(err, abi.ErrMisaligned) {
		t.Errorf("ReadAligned(ptr 2, align 4, size 2) = %v, want misaligned", err)
	}
	if err := abi.CheckRegion(mem, 2, 4, 2); !errors.Is(err, abi.ErrMisaligned) {
		t.Errorf("CheckRegion(ptr 2, align 4, size 2) = %v, want misaligned", err)
	}
	// align 1, size 8 at 4: 8 bytes
	if b, err := abi.ReadAligned(mem, 4, 1, 8); err != nil || len(b) != 8 {
		t.Errorf("ReadAligned(ptr 4, align 1, size 8) = %d bytes, %v; want 8", len(b), err)
	}
	// 3 elements, align 2, size 4 at 2: 12 bytes
	if b, err := abi.ReadList(mem, 2, 3, 2, 4); err != nil || len(b) != 12 {
		t.Errorf("ReadList(ptr 2, 3 × align 2, size 4) = %d bytes, %v; want 12", len(b), err)
	}
	if _, err := abi.ReadList(mem, 2, 3, 4, 2); !errors.Is(err, abi.ErrMisaligned) {
		t.Errorf("ReadList(ptr 2, 3 × align 4, size 2) = %v, want misaligned", err)
	}
}
