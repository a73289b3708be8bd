// Command guestimpl is the resource test guest in standard Go, on the
// generated guest bindings internal/restest/guest: it implements the
// exported counter resource and uses the host's blob resource, as
// testdata/guests/c-res does in C. internal/restest builds it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared ./internal/restest/guestimpl
package main

import (
	"fmt"

	"github.com/raisfast/wasmplug/internal/restest/guest"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/badhandle"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/blobsize"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/build"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/constructorcounter"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/dropped"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/forgetblobs"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/keepblob"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/label"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/makecounters"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/maybe"
	_ "github.com/raisfast/wasmplug/internal/restest/guest/counters/methodcounteradd"
	_ "github.com/raisfast/wasmplug/internal/restest/guest/counters/methodcounterget"
	_ "github.com/raisfast/wasmplug/internal/restest/guest/counters/methodcountername"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/retag"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/returndropped"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/stashborrow"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/staticcountermerge"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/storecheck"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/sumall"
	"github.com/raisfast/wasmplug/internal/restest/guest/counters/total"
	"github.com/raisfast/wasmplug/internal/restest/guest/store"
	"github.com/raisfast/wasmplug/witval"
)

// counter implements guest.CounterImpl; the method exports call it.
type counter struct {
	name  string
	value int64
}

func (c *counter) Add(n int64) int64 { c.value += n; return c.value }
func (c *counter) Get() int64        { return c.value }
func (c *counter) Name() string      { return c.name }

// Drop runs in the destructor: the host dropped the last handle.
func (c *counter) Drop() { droppedNames = append(droppedNames, c.name) }

var (
	droppedNames []string
	kept         []guest.Blob
	stashed      uint32
)

func newCounter(name string, v int64) guest.Counter {
	return guest.NewCounter(&counter{name: name, value: v})
}

func init() {
	constructorcounter.Export(newCounter)
	staticcountermerge.Export(func(a, b guest.Counter) guest.Counter {
		ca, cb := a.Impl().(*counter), b.Impl().(*counter)
		m := newCounter(ca.name+"+"+cb.name, ca.value+cb.value)
		a.Drop()
		b.Drop()
		return m
	})
	makecounters.Export(func(n uint32) []guest.Counter {
		out := make([]guest.Counter, n)
		for i := range out {
			out[i] = newCounter(fmt.Sprintf("c%d", i), int64(i))
		}
		return out
	})
	sumall.Export(func(cs []guest.Counter) int64 {
		var s int64
		for _, c := range cs {
			s += c.Impl().Get()
		}
		return s
	})
	total.Export(func(cs []guest.Counter) int64 {
		var s int64
		for _, c := range cs {
			s += c.Impl().Get()
			c.Drop()
		}
		return s
	})
	label.Export(func(n guest.NamedCounter) guest.NamedCounter {
		return guest.NamedCounter{Label: n.Label + "!", C: n.C}
	})
	maybe.Export(func(c *guest.Counter) (guest.Counter, error) {
		if c == nil {
			return guest.Counter{}, witval.NewResultError("none")
		}
		return *c, nil
	})
	dropped.Export(func() []string { return droppedNames })
	blobsize.Export(func(b guest.Blob) uint32 { return store.BlobSize(b) }) // the borrow goes back to the host
	keepblob.Export(func(b guest.Blob) { kept = append(kept, b) })
	forgetblobs.Export(func() uint32 {
		n := len(kept)
		for _, b := range kept {
			b.Drop()
		}
		kept = nil
		return uint32(n)
	})
	build.Export(func(n uint32) []guest.Blob {
		out := make([]guest.Blob, n)
		for i := range out {
			b := store.NewBlob([]byte{byte(i), byte(i)})
			store.BlobAppend(b, []byte{byte(i + 1)})
			out[i] = b
		}
		return out
	})
	retag.Export(func(t guest.Tagged) guest.Tagged {
		doubled := store.BlobConcat(t.Item, t.Item)
		t.Item.Drop()
		return guest.Tagged{Name: t.Name + "?", Item: doubled}
	})
	storecheck.Export(func(n uint32) string {
		bs := store.MakeMany(n)
		totalSize := store.TotalSize(bs)
		for _, b := range bs[1:] {
			b.Drop()
		}
		tg := store.Wrap("w", bs[0])
		b0 := store.Unwrap(tg)
		var size uint32
		if got, err := store.Pick(&b0); err == nil {
			size = store.BlobSize(got)
			got.Drop()
		}
		none := "-"
		if _, err := store.Pick(nil); err != nil {
			if re, ok := witval.AsResultError[string](err); ok {
				none = re
			}
		}
		return fmt.Sprintf("total=%d tagged=%s size=%d none=%s", totalSize, tg.Name, size, none)
	})
	stashborrow.Export(func(b guest.Blob) { stashed = b.Handle() })
	badhandle.Export(func(how uint32) uint32 {
		var h uint32
		switch how {
		case 0: // a counter's handle passed as a blob
			h = newCounter("bad", 0).Handle()
		case 1:
			h = 12345
		case 2:
			b := store.NewBlob([]byte{1})
			b.Drop()
			h = b.Handle()
		default:
			h = stashed
		}
		// Misbehaving on purpose: none of these is a live blob handle.
		return store.BlobSize(guest.BlobFromHandle(h))
	})
	returndropped.Export(func() guest.Counter {
		c := newCounter("ghost", 0)
		c.Drop()
		return c // misbehaving on purpose: the handle is gone
	})
}

func main() {}
