package runtime

import (
	"bytes"
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
// its initialiser ran: its linear memory and its
// mutable globals. The module was prepared for it by interrupt.Rewrite
// (Options.Image): its data segments are passive and its initialiser does
// nothing on an instance whose globals say it ran. The next instances are
// instantiated (no data segment to apply) and given the image before the
// generated Instantiate calls the initialiser, which then returns at once:
// for a standard Go guest that skips the Go runtime's initialisation and
// the module's thousands of data segments. See IMAGES.md for what an image
// shares between instances and why that is acceptable.

// pageSize is the granularity at which an image tells zero memory from
// non-zero memory.
const pageSize = 4096

// image is one plugin version's instance image. It is immutable.
//
// A new instance's memory is made in one of two ways, whichever writes
// less. A dense image (at least half of its memory non-zero, as a standard
// Go guest's: 1.8 of 3.3 MiB) is copied whole, by one append, which leaves
// nothing to zero first. A sparse image (a Rust or C reactor's: 8 KiB of
// 1088 KiB, 4 KiB of 128 KiB) keeps only its non-zero runs, written into a
// zeroed buffer, which is what a fresh instantiation does with the data
// segments: so an instance from the image never does more memory work
// than a fresh one, and skips the initialiser.
type image struct {
	size    int      // linear memory in bytes (a whole number of 64 KiB pages)
	dense   []byte   // all of the memory, zeros included, when dense; else nil
	runs    []memRun // the non-zero runs of 4 KiB pages, when sparse
	names   []string // exported mutable globals (interrupt.Result.Globals)
	values  []uint64 // their values
	nonZero int      // bytes in non-zero 4 KiB pages
}

// memRun is the bytes of consecutive non-zero pages starting at off.
type memRun struct {
	off  int
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
	im := &image{size: len(buf), names: names, values: make([]uint64, len(names))}
	for i, n := range names {
		g, ok := mod.ExportedGlobal(n).(api.MutableGlobal)
		if !ok {
			return nil, fmt.Errorf("%w: global %q is not exported mutable", ErrNoImage, n)
		}
		im.values[i] = g.Get()
	}
	var spans [][2]int // non-zero runs of pages: [start, end)
	for p := 0; p < len(buf); p += pageSize {
		end := min(p+pageSize, len(buf))
		if isZero(buf[p:end]) {
			continue
		}
		im.nonZero += end - p
		if n := len(spans); n > 0 && spans[n-1][1] == p {
			spans[n-1][1] = end
		} else {
			spans = append(spans, [2]int{p, end})
		}
	}
	if 2*im.nonZero >= im.size {
		im.dense = append([]byte(nil), buf...)
		return im, nil
	}
	data := make([]byte, 0, im.nonZero) // one block for all the runs
	for _, sp := range spans {
		data = append(data, buf[sp[0]:sp[1]]...)
		im.runs = append(im.runs, memRun{off: sp[0], data: data[len(data)-(sp[1]-sp[0]):]})
	}
	return im, nil
}

// memory returns a new instance's linear memory: the image's bytes, with
// capacity for exactly them (see imageAllocator).
func (im *image) memory() []byte {
	if im.dense != nil {
		// append leaves the copied part unzeroed: the memory is written once.
		return append([]byte(nil), im.dense...)
	}
	buf := make([]byte, im.size)
	for _, r := range im.runs {
		copy(buf[r.off:], r.data)
	}
	return buf
}

// zeroPage is what a zero page reads as (never written).
var zeroPage [pageSize]byte

// isZero reports whether b, at most a page, is all zeros (bytes.Equal is
// the vectorised memequal: a byte loop took a quarter of a Rust pool fill).
func isZero(b []byte) bool { return bytes.Equal(b, zeroPage[:len(b)]) }

// pages is the image's memory size in wasm pages.
func (im *image) pages() uint32 { return uint32(im.size / 65536) }

// restore gives mod, just instantiated from the image-prepared module
// through imageAllocator (so its memory already holds the image's bytes up
// to the image's size), the image's memory size and globals.
func (im *image) restore(mod api.Module) error {
	mem := mod.Memory()
	if mem == nil {
		return fmt.Errorf("%w: the instance has no memory", ErrNoImage)
	}
	pages := im.pages()
	if cur := mem.Size() / 65536; cur < pages {
		if _, ok := mem.Grow(pages - cur); !ok {
			return fmt.Errorf("%w: cannot grow memory to %d pages", ErrNoImage, pages)
		}
	} else if cur > pages {
		return fmt.Errorf("%w: a new instance has %d pages, more than the image's %d", ErrNoImage, cur, pages)
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
		kind := "dense"
		if m.img.dense == nil {
			kind = fmt.Sprintf("sparse, %d runs", len(m.img.runs))
		}
		return fmt.Sprintf("image: %d KiB of memory (%d KiB non-zero, %s), %d globals", m.img.size/1024, m.img.nonZero/1024, kind, len(m.img.names))
	case m.done:
		return m.reason
	}
	return "image: not taken yet"
}

// initProbe is the host API a first instance initialises with: it notes
// the first host function called, since an image would not repeat the
// call (nor its effects) for the instances started from it. It wraps
// every function of every imported interface; TestInitProbeCoversContract
// fails when the contract gains one that it does not wrap.
type initProbe struct {
	host plugin.HostAPI
	data plugin.Data
	used atomic.Pointer[string] // the first host function called
}

// probed lists the wrapped functions' names (pointers into it are what
// note stores, so noting allocates nothing).
var probed = [...]string{
	"log", "get-config", "http-get", "http-post", "get-data", "set-data", "get-post",
	"db-query", "db-execute", "db-begin", "db-commit", "db-rollback",
	"vfs-read", "vfs-write", "vfs-delete", "vfs-exists", "vfs-list", "vfs-stat",
	"emit-event", "new-id", "db-ph",
	"insert", "fetch-one", "fetch-all", "update", "delete", "count", "increment", "sum", "group-by",
}

// note records probed[i] as called, if it is the first.
func (p *initProbe) note(i int) {
	if p.used.Load() == nil {
		p.used.CompareAndSwap(nil, &probed[i])
	}
}

func (p *initProbe) Log(ctx context.Context, level, msg string) {
	p.note(0)
	p.host.Log(ctx, level, msg)
}

func (p *initProbe) GetConfig(ctx context.Context, key string) (string, bool) {
	p.note(1)
	return p.host.GetConfig(ctx, key)
}

func (p *initProbe) HTTPGet(ctx context.Context, url string) (string, bool) {
	p.note(2)
	return p.host.HTTPGet(ctx, url)
}

func (p *initProbe) HTTPPost(ctx context.Context, url, body string) (string, bool) {
	p.note(3)
	return p.host.HTTPPost(ctx, url, body)
}

func (p *initProbe) GetData(ctx context.Context, key string) (string, bool) {
	p.note(4)
	return p.host.GetData(ctx, key)
}

func (p *initProbe) SetData(ctx context.Context, key, value string) bool {
	p.note(5)
	return p.host.SetData(ctx, key, value)
}

func (p *initProbe) GetPost(ctx context.Context, slug string) (string, bool) {
	p.note(6)
	return p.host.GetPost(ctx, slug)
}

func (p *initProbe) DBQuery(ctx context.Context, sql string, params *string) string {
	p.note(7)
	return p.host.DBQuery(ctx, sql, params)
}

func (p *initProbe) DBExecute(ctx context.Context, sql string, params *string) string {
	p.note(8)
	return p.host.DBExecute(ctx, sql, params)
}

func (p *initProbe) DBBegin(ctx context.Context) string {
	p.note(9)
	return p.host.DBBegin(ctx)
}

func (p *initProbe) DBCommit(ctx context.Context) string {
	p.note(10)
	return p.host.DBCommit(ctx)
}

func (p *initProbe) DBRollback(ctx context.Context) string {
	p.note(11)
	return p.host.DBRollback(ctx)
}

func (p *initProbe) VFSRead(ctx context.Context, path string) (string, bool) {
	p.note(12)
	return p.host.VFSRead(ctx, path)
}

func (p *initProbe) VFSWrite(ctx context.Context, path, content string) bool {
	p.note(13)
	return p.host.VFSWrite(ctx, path, content)
}

func (p *initProbe) VFSDelete(ctx context.Context, path string) bool {
	p.note(14)
	return p.host.VFSDelete(ctx, path)
}

func (p *initProbe) VFSExists(ctx context.Context, path string) bool {
	p.note(15)
	return p.host.VFSExists(ctx, path)
}

func (p *initProbe) VFSList(ctx context.Context, path string) (string, bool) {
	p.note(16)
	return p.host.VFSList(ctx, path)
}

func (p *initProbe) VFSStat(ctx context.Context, path string) (string, bool) {
	p.note(17)
	return p.host.VFSStat(ctx, path)
}

func (p *initProbe) EmitEvent(ctx context.Context, eventType, data string) string {
	p.note(18)
	return p.host.EmitEvent(ctx, eventType, data)
}

func (p *initProbe) NewID(ctx context.Context) string {
	p.note(19)
	return p.host.NewID(ctx)
}

func (p *initProbe) DBPh(ctx context.Context, n uint32) string {
	p.note(20)
	return p.host.DBPh(ctx, n)
}

func (p *initProbe) Insert(ctx context.Context, table string, row []plugin.Field) (uint64, error) {
	p.note(21)
	return p.data.Insert(ctx, table, row)
}

func (p *initProbe) FetchOne(ctx context.Context, table string, q plugin.Query) (*[]plugin.Field, error) {
	p.note(22)
	return p.data.FetchOne(ctx, table, q)
}

func (p *initProbe) FetchAll(ctx context.Context, table string, q plugin.Query) ([][]plugin.Field, error) {
	p.note(23)
	return p.data.FetchAll(ctx, table, q)
}

func (p *initProbe) Update(ctx context.Context, table string, set []plugin.Field, filter []plugin.Condition) (uint64, error) {
	p.note(24)
	return p.data.Update(ctx, table, set, filter)
}

func (p *initProbe) Delete(ctx context.Context, table string, filter []plugin.Condition) (uint64, error) {
	p.note(25)
	return p.data.Delete(ctx, table, filter)
}

func (p *initProbe) Count(ctx context.Context, table string, filter []plugin.Condition) (uint64, error) {
	p.note(26)
	return p.data.Count(ctx, table, filter)
}

func (p *initProbe) Increment(ctx context.Context, table, column string, by int64, filter []plugin.Condition) (uint64, error) {
	p.note(27)
	return p.data.Increment(ctx, table, column, by, filter)
}

func (p *initProbe) Sum(ctx context.Context, table, column string, filter []plugin.Condition) (plugin.Value, error) {
	p.note(28)
	return p.data.Sum(ctx, table, column, filter)
}

func (p *initProbe) GroupBy(ctx context.Context, table string, by []string, agg plugin.Aggregate, column string, filter []plugin.Condition) ([]plugin.Group, error) {
	p.note(29)
	return p.data.GroupBy(ctx, table, by, agg, column, filter)
}

// imageAllocator makes the linear memory of an instance started from im:
// the image's bytes (image.memory), which restore's grow then exposes
// without copying or zeroing anything. Bytes past the image's size are
// zero, as a grown memory's must be.
type imageAllocator struct{ im *image }

func (a imageAllocator) Allocate(capacity, maximum uint64) experimental.LinearMemory {
	if uint64(a.im.size) > maximum {
		// restore fails (the memory cannot grow to the image's size).
		return &linearMemory{buf: make([]byte, 0, min(capacity, maximum)), max: maximum}
	}
	return &linearMemory{buf: a.im.memory()[:0], max: maximum}
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
		// memory): they are the image's up to its size, zeros after it.
		m.buf = m.buf[:size]
		return m.buf
	}
	nb := make([]byte, size, min(max(size, 2*uint64(cap(m.buf))), m.max))
	copy(nb, m.buf)
	m.buf = nb
	return m.buf
}

func (m *linearMemory) Free() { m.buf = nil }

// decideImage settles, after the first instance of an image-prepared
// module started (mod), whether the next instances start from its image:
// not when its initialiser called the host (probe), which an image would
// not repeat, nor when its state cannot be taken.
func (p *loaded) decideImage(probe *initProbe, mod api.Module) {
	reason := ""
	var im *image
	if used := probe.used.Load(); used != nil {
		reason = "fresh instances: the initialiser called the host function " + *used + ", which an image would not repeat"
	} else if taken, err := takeImage(mod, p.imgs.globals); err != nil {
		reason = "fresh instances: " + err.Error()
	} else {
		im = taken
	}
	p.imgs.decide(im, reason)
	if im != nil {
		p.outLog.Info("runtime: instance image taken", "pages", im.pages(), "non_zero_bytes", im.nonZero, "dense", im.dense != nil, "globals", len(im.names))
	} else {
		p.outLog.Info("runtime: instances of the plugin run their initialiser each", "reason", reason)
	}
}
