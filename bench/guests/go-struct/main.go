// Command go-struct is the hand-rolled protocol of ../c-floor/floor.c in
// standard Go written the ordinary way: the guest decodes the whole post
// into a struct (copying every string), runs the same slug logic as the
// other Go guests, and encodes the whole post back. ../go-floor is the
// minimal version (a view of the title, the rest spliced through); this one
// shows what a typical hand-written Go guest costs.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go-struct.wasm .
package main

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

const none = 0xFFFFFFFF

type post struct {
	Title, Content            string
	Slug, Excerpt, CategoryID *string
	TagIDs                    *[]string
	Status, CoverImage        *string
}

var in, out []byte

//go:wasmexport floor_alloc
func floorAlloc(n uint32) uint32 {
	if uint32(cap(in)) < n || cap(in) == 0 {
		in = make([]byte, max(n, 1))
	}
	in = in[:n]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in[:cap(in)]))))
}

type reader struct{ b []byte }

func (r *reader) u32() uint32 {
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) str() string {
	n := r.u32()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) opt() *string {
	if binary.LittleEndian.Uint32(r.b) == none {
		r.b = r.b[4:]
		return nil
	}
	s := r.str()
	return &s
}

func decode(b []byte) post {
	r := reader{b}
	p := post{Title: r.str(), Content: r.str(), Slug: r.opt(), Excerpt: r.opt(), CategoryID: r.opt()}
	if n := r.u32(); n != none {
		tags := make([]string, n)
		for i := range tags {
			tags[i] = r.str()
		}
		p.TagIDs = &tags
	}
	p.Status, p.CoverImage = r.opt(), r.opt()
	return p
}

func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendOpt(b []byte, s *string) []byte {
	if s == nil {
		return binary.LittleEndian.AppendUint32(b, none)
	}
	return appendStr(b, *s)
}

func encode(b []byte, p *post) []byte {
	b = appendStr(b, p.Title)
	b = appendStr(b, p.Content)
	b = appendOpt(b, p.Slug)
	b = appendOpt(b, p.Excerpt)
	b = appendOpt(b, p.CategoryID)
	if p.TagIDs == nil {
		b = binary.LittleEndian.AppendUint32(b, none)
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(*p.TagIDs)))
		for _, t := range *p.TagIDs {
			b = appendStr(b, t)
		}
	}
	b = appendOpt(b, p.Status)
	return appendOpt(b, p.CoverImage)
}

//go:wasmexport floor_on_post_creating
func floorOnPostCreating(n uint32) uint64 {
	p := decode(in[:n])
	if p.Slug != nil {
		return 0
	}
	slug := strings.ReplaceAll(strings.ToLower(p.Title), " ", "-")
	p.Slug = &slug
	out = encode(out[:0], &p)
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(out))))<<32 | uint64(len(out))
}

func main() {}
