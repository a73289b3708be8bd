package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// none encodes an absent option in the floor protocol.
const none = 0xFFFFFFFF

// Floor is the host side of the hand-rolled protocol of
// guests/c-floor/floor.c (and guests/go-floor): the post's fields are
// written straight into one guest buffer, the guest splices the slug in,
// and the host copies the result out with one allocation and slices the
// fields from it. It is the least a host can do for this call, so it is the
// floor the generated bindings are compared with. It has no per-field
// allocation calls, no UTF-8 validation and no post-return.
//
// Like a plugin.Instance it serves one call at a time.
type Floor struct {
	mod    api.Module
	mem    api.Memory
	alloc  api.Function
	filter api.Function
	stack  [1]uint64
}

// NewFloor instantiates a floor guest (anonymous, real clocks, _initialize
// called once, as the generated bindings do). r must have WASI preview1
// instantiated if the guest imports it (Go guests do).
func NewFloor(ctx context.Context, r wazero.Runtime, cm wazero.CompiledModule) (*Floor, error) {
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions().WithSysNanotime().WithSysWalltime()
	mod, err := r.InstantiateModule(ctx, cm, cfg)
	if err != nil {
		return nil, err
	}
	f := &Floor{
		mod:    mod,
		mem:    mod.ExportedMemory("memory"),
		alloc:  mod.ExportedFunction("floor_alloc"),
		filter: mod.ExportedFunction("floor_on_post_creating"),
	}
	if f.mem == nil || f.alloc == nil || f.filter == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("floor: guest lacks memory, floor_alloc or floor_on_post_creating")
	}
	if init := mod.ExportedFunction("_initialize"); init != nil {
		if _, err := init.Call(ctx); err != nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("floor: _initialize: %w", err)
		}
	}
	return f, nil
}

// Close closes the guest instance.
func (f *Floor) Close(ctx context.Context) error { return f.mod.Close(ctx) }

// OnPostCreating runs the guest's slug filter: nil means none (the post
// already had a slug).
func (f *Floor) OnPostCreating(ctx context.Context, in *plugin.PostInput) (*plugin.PostInput, error) {
	n := encodedSize(in)
	f.stack[0] = uint64(n)
	if err := f.alloc.CallWithStack(ctx, f.stack[:]); err != nil {
		return nil, err
	}
	buf, ok := f.mem.Read(uint32(f.stack[0]), uint32(n))
	if !ok {
		return nil, errors.New("floor: input buffer out of bounds")
	}
	encode(buf, in)
	f.stack[0] = uint64(n)
	if err := f.filter.CallWithStack(ctx, f.stack[:]); err != nil {
		return nil, err
	}
	r := f.stack[0]
	if r == 0 {
		return nil, nil
	}
	out, ok := f.mem.Read(uint32(r>>32), uint32(r))
	if !ok {
		return nil, errors.New("floor: result out of bounds")
	}
	return decode(string(out)) // the one copy; every field is a substring of it
}

func encodedSize(p *plugin.PostInput) int {
	n := 8 + len(p.Title) + len(p.Content) + 4*6
	for _, s := range [...]*string{p.Slug, p.Excerpt, p.CategoryID, p.Status, p.CoverImage} {
		if s != nil {
			n += len(*s)
		}
	}
	if p.TagIDs != nil {
		for _, t := range *p.TagIDs {
			n += 4 + len(t)
		}
	}
	return n
}

// encode writes p into b, which has exactly encodedSize(p) bytes.
func encode(b []byte, p *plugin.PostInput) {
	i := 0
	str := func(s string) {
		binary.LittleEndian.PutUint32(b[i:], uint32(len(s)))
		i += 4 + copy(b[i+4:], s)
	}
	opt := func(s *string) {
		if s == nil {
			binary.LittleEndian.PutUint32(b[i:], none)
			i += 4
			return
		}
		str(*s)
	}
	str(p.Title)
	str(p.Content)
	opt(p.Slug)
	opt(p.Excerpt)
	opt(p.CategoryID)
	if p.TagIDs == nil {
		binary.LittleEndian.PutUint32(b[i:], none)
		i += 4
	} else {
		binary.LittleEndian.PutUint32(b[i:], uint32(len(*p.TagIDs)))
		i += 4
		for _, t := range *p.TagIDs {
			str(t)
		}
	}
	opt(p.Status)
	opt(p.CoverImage)
}

var errShort = errors.New("floor: result truncated")

// decoder reads the floor encoding from s; fields are substrings of s.
type decoder struct {
	s   string
	err error
}

func (d *decoder) u32() uint32 {
	if len(d.s) < 4 {
		d.err, d.s = errShort, ""
		return 0
	}
	v := uint32(d.s[0]) | uint32(d.s[1])<<8 | uint32(d.s[2])<<16 | uint32(d.s[3])<<24
	d.s = d.s[4:]
	return v
}

func (d *decoder) bytes(n uint32) string {
	if uint64(len(d.s)) < uint64(n) {
		d.err, d.s = errShort, ""
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

func (d *decoder) str() string { return d.bytes(d.u32()) }

func (d *decoder) opt() *string {
	n := d.u32()
	if n == none {
		return nil
	}
	v := d.bytes(n)
	return &v
}

func decode(s string) (*plugin.PostInput, error) {
	d := decoder{s: s}
	p := &plugin.PostInput{Title: d.str(), Content: d.str(), Slug: d.opt(), Excerpt: d.opt(), CategoryID: d.opt()}
	if n := d.u32(); n != none {
		if uint64(n)*4 > uint64(len(d.s)) {
			return nil, errShort
		}
		tags := make([]string, n)
		for i := range tags {
			tags[i] = d.str()
		}
		p.TagIDs = &tags
	}
	p.Status, p.CoverImage = d.opt(), d.opt()
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}
