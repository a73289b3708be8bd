package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// An instance image is the state of a plugin's first instance right after
// its initialiser ran: its linear memory (the non-zero pages only) and its
// mutable globals. The module was prepared for it by interrupt.Rewrite
// (Options.Image): its data segments are passive and its initialiser does
// nothing on an instance whose globals say it ran. The next instances are
// instantiated (no data segment to apply) and given the image before the
// generated Instantiate calls the initialiser, which then returns at once:
// for a standard Go guest that skips the Go runtime's initialisation and
// the module's thousands of data segments. See IMAGES.md for what an image
// shares between instances and why that is acceptable.

// pageSize is the granularity at which an image keeps memory: zero pages
// are left out (a new instance's memory is zero already).
const pageSize = 4096

// image is one plugin version's instance image. It is immutable.
type image struct {
	pages   uint32   // memory size, in wasm pages
	runs    []run    // non-zero parts of memory, in order
	names   []string // exported mutable globals (interrupt.Result.Globals)
	values  []uint64 // their values
	nonZero int      // bytes in runs
}

// run is a non-zero stretch of memory.
type run struct {
	off  uint32
	data []byte
}

// ErrNoImage reports why a plugin's instances cannot start from an image;
// PluginInfo.Image says so too.
var ErrNoImage = errors.New("runtime: no instance image")

// takeImage copies mod's memory and the globals named in names.
func takeImage(mod api.Module, names []string) (*image, error) {
	mem := mod.Memory()
	if mem == nil {
		return nil, fmt.Errorf("%w: the module has no memory", ErrNoImage)
	}
	buf, ok := mem.Read(0, mem.Size())
	if !ok {
		return nil, fmt.Errorf("%w: memory unreadable", ErrNoImage)
	}
	im := &image{pages: mem.Size() / 65536, names: names, values: make([]uint64, len(names))}
	for i, n := range names {
		g, ok := mod.ExportedGlobal(n).(api.MutableGlobal)
		if !ok {
			return nil, fmt.Errorf("%w: global %q is not exported mutable", ErrNoImage, n)
		}
		im.values[i] = g.Get()
	}
	for p := 0; p < len(buf); {
		if isZero(buf[p:min(p+pageSize, len(buf))]) {
			p += pageSize
			continue
		}
		start := p
		for p < len(buf) && !isZero(buf[p:min(p+pageSize, len(buf))]) {
			p += pageSize
		}
		end := min(p, len(buf))
		im.runs = append(im.runs, run{off: uint32(start), data: append([]byte(nil), buf[start:end]...)})
		im.nonZero += end - start
	}
	return im, nil
}

func isZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// restore gives mod, just instantiated from the image-prepared module, the
// image's memory and globals.
func (im *image) restore(mod api.Module) error {
	mem := mod.Memory()
	if mem == nil {
		return fmt.Errorf("%w: the instance has no memory", ErrNoImage)
	}
	if cur := mem.Size() / 65536; cur < im.pages {
		if _, ok := mem.Grow(im.pages - cur); !ok {
			return fmt.Errorf("%w: cannot grow memory to %d pages", ErrNoImage, im.pages)
		}
	} else if cur > im.pages {
		return fmt.Errorf("%w: a new instance has %d pages, more than the image's %d", ErrNoImage, cur, im.pages)
	}
	for _, r := range im.runs {
		if !mem.Write(r.off, r.data) {
			return fmt.Errorf("%w: writing memory at %d", ErrNoImage, r.off)
		}
	}
	for i, n := range im.names {
		g, ok := mod.ExportedGlobal(n).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("%w: global %q is not exported mutable", ErrNoImage, n)
		}
		g.Set(im.values[i])
	}
	return nil
}

// imager decides, once per plugin version, whether its instances start
// from an image, and holds the image.
type imager struct {
	globals []string // the module's mutable globals; nil: not image-prepared

	mu     sync.Mutex // held while the first instance is made
	img    *image
	reason string // why there is no image, once decided
	done   bool
}

// current returns the image, or nil with whether a first instance still
// has to be made (and the image taken): then the lock is held, and the
// caller must call decide.
func (m *imager) current() (img *image, first bool) {
	if m.globals == nil {
		return nil, false
	}
	m.mu.Lock()
	if m.done {
		defer m.mu.Unlock()
		return m.img, false
	}
	return nil, true
}

// decide records the result of the first instance and releases the lock.
func (m *imager) decide(img *image, reason string) {
	m.img, m.reason, m.done = img, reason, true
	m.mu.Unlock()
}

// drop turns images off after an image could not be restored: the next
// instances run their initialiser (which, $inited being 0, does all the
// work instantiation and the original initialiser did).
func (m *imager) drop(reason string) {
	m.mu.Lock()
	m.img, m.reason = nil, reason
	m.mu.Unlock()
}

// release gives the lock back without deciding (the first instance could
// not be made; the next one tries again).
func (m *imager) release() { m.mu.Unlock() }

// state describes the imager for PluginInfo.Image.
func (m *imager) state() string {
	if m.globals == nil {
		return m.reason
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.img != nil:
		return fmt.Sprintf("image: %d KiB of memory (%d KiB non-zero), %d globals", uint64(m.img.pages)*64, m.img.nonZero/1024, len(m.img.names))
	case m.done:
		return m.reason
	}
	return "image: not taken yet"
}

// initProbe is the host API a first instance initialises with: it notes
// the first host function called, since an image would not repeat the
// call (nor its effects) for the instances started from it.
type initProbe struct {
	plugin.HostAPI
	used atomic.Pointer[string] // the first host function called
}

// The host functions' names, for initProbe.
var (
	hLog        = "log"
	hGetConfig  = "get-config"
	hHttpGet    = "http-get"
	hHttpPost   = "http-post"
	hGetData    = "get-data"
	hSetData    = "set-data"
	hGetPost    = "get-post"
	hDbQuery    = "db-query"
	hDbExecute  = "db-execute"
	hDbBegin    = "db-begin"
	hDbCommit   = "db-commit"
	hDbRollback = "db-rollback"
	hVfsRead    = "vfs-read"
	hVfsWrite   = "vfs-write"
	hVfsDelete  = "vfs-delete"
	hVfsExists  = "vfs-exists"
	hVfsList    = "vfs-list"
	hVfsStat    = "vfs-stat"
	hEmitEvent  = "emit-event"
)

// note records name as called, if it is the first (no allocation: the
// probe stays the first instance's host API for its whole life).
func (p *initProbe) note(name *string) {
	if p.used.Load() == nil {
		p.used.CompareAndSwap(nil, name)
	}
}

func (p *initProbe) Log(ctx context.Context, level, msg string) {
	p.note(&hLog)
	p.HostAPI.Log(ctx, level, msg)
}
func (p *initProbe) GetConfig(ctx context.Context, key string) (string, bool) {
	p.note(&hGetConfig)
	return p.HostAPI.GetConfig(ctx, key)
}
func (p *initProbe) HTTPGet(ctx context.Context, url string) (string, bool) {
	p.note(&hHttpGet)
	return p.HostAPI.HTTPGet(ctx, url)
}
func (p *initProbe) HTTPPost(ctx context.Context, url, body string) (string, bool) {
	p.note(&hHttpPost)
	return p.HostAPI.HTTPPost(ctx, url, body)
}
func (p *initProbe) GetData(ctx context.Context, key string) (string, bool) {
	p.note(&hGetData)
	return p.HostAPI.GetData(ctx, key)
}
func (p *initProbe) SetData(ctx context.Context, key, value string) bool {
	p.note(&hSetData)
	return p.HostAPI.SetData(ctx, key, value)
}
func (p *initProbe) GetPost(ctx context.Context, slug string) (string, bool) {
	p.note(&hGetPost)
	return p.HostAPI.GetPost(ctx, slug)
}
func (p *initProbe) DBQuery(ctx context.Context, sql string, params *string) string {
	p.note(&hDbQuery)
	return p.HostAPI.DBQuery(ctx, sql, params)
}
func (p *initProbe) DBExecute(ctx context.Context, sql string, params *string) string {
	p.note(&hDbExecute)
	return p.HostAPI.DBExecute(ctx, sql, params)
}
func (p *initProbe) DBBegin(ctx context.Context) string {
	p.note(&hDbBegin)
	return p.HostAPI.DBBegin(ctx)
}
func (p *initProbe) DBCommit(ctx context.Context) string {
	p.note(&hDbCommit)
	return p.HostAPI.DBCommit(ctx)
}
func (p *initProbe) DBRollback(ctx context.Context) string {
	p.note(&hDbRollback)
	return p.HostAPI.DBRollback(ctx)
}
func (p *initProbe) VFSRead(ctx context.Context, path string) (string, bool) {
	p.note(&hVfsRead)
	return p.HostAPI.VFSRead(ctx, path)
}
func (p *initProbe) VFSWrite(ctx context.Context, path, content string) bool {
	p.note(&hVfsWrite)
	return p.HostAPI.VFSWrite(ctx, path, content)
}
func (p *initProbe) VFSDelete(ctx context.Context, path string) bool {
	p.note(&hVfsDelete)
	return p.HostAPI.VFSDelete(ctx, path)
}
func (p *initProbe) VFSExists(ctx context.Context, path string) bool {
	p.note(&hVfsExists)
	return p.HostAPI.VFSExists(ctx, path)
}
func (p *initProbe) VFSList(ctx context.Context, path string) (string, bool) {
	p.note(&hVfsList)
	return p.HostAPI.VFSList(ctx, path)
}
func (p *initProbe) VFSStat(ctx context.Context, path string) (string, bool) {
	p.note(&hVfsStat)
	return p.HostAPI.VFSStat(ctx, path)
}
func (p *initProbe) EmitEvent(ctx context.Context, eventType, data string) string {
	p.note(&hEmitEvent)
	return p.HostAPI.EmitEvent(ctx, eventType, data)
}

// imageAllocator makes the linear memory of an instance started from im:
// its first allocation already has room for the image's pages, so that
// restore's grow does not copy the memory wazero allocated for the
// module's declared minimum.
type imageAllocator struct{ bytes uint64 }

func (a imageAllocator) Allocate(capacity, maximum uint64) experimental.LinearMemory {
	c := min(max(capacity, a.bytes), maximum)
	return &linearMemory{buf: make([]byte, 0, c), max: maximum}
}

// linearMemory is a []byte grown like wazero's own memories.
type linearMemory struct {
	buf []byte
	max uint64
}

func (m *linearMemory) Reallocate(size uint64) []byte {
	if size > m.max {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		// Bytes past len were never handed out (wazero never shrinks a
		// memory): they are still make's zeros.
		m.buf = m.buf[:size]
		return m.buf
	}
	nb := make([]byte, size, min(max(size, 2*uint64(cap(m.buf))), m.max))
	copy(nb, m.buf)
	m.buf = nb
	return m.buf
}

func (m *linearMemory) Free() { m.buf = nil }
