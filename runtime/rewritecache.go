package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/raisfast/wasmplug/runtime/interrupt"
)

// The rewrite cache keeps interrupt.Rewrite's output under
// Config.CompilationCacheDir/interrupt, one file per input module, rewriter
// version and options, so that a restart does not rewrite again (about
// 10 ms per standard Go guest). An entry is
//
//	rewriteMagic | sha256(key | payload) | payload
//	payload = u32 length of meta | meta (JSON) | rewritten module
//
// The checksum covers the key, so a truncated, altered or misplaced entry
// is detected, logged, rebuilt and overwritten, never used. The entry is as
// trusted as the compiled code wazero keeps in the same directory: whoever
// can write there can change what runs either way.

const (
	rewriteDir   = "interrupt"
	rewriteMagic = "wasmplug-rewrite\n"
)

// rewriteMeta is what an entry says besides the module.
type rewriteMeta struct {
	Image        bool     `json:"image"`
	ImageRefused string   `json:"image_refused,omitempty"`
	Globals      []string `json:"globals,omitempty"`
}

// rewriteKey names the entry of wasm rewritten with opts.
func rewriteKey(wasm []byte, opts interrupt.Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00yield=%d\x00image=%t\x00fuel=%t\x00", interrupt.Version, opts.YieldEvery, opts.Image, opts.Fuel)
	h.Write(wasm)
	return hex.EncodeToString(h.Sum(nil))
}

// rewrite returns interrupt.Rewrite(wasm, opts), from the rewrite cache
// when Config.CompilationCacheDir is set.
func (rt *Runtime) rewrite(ctx context.Context, wasm []byte, opts interrupt.Options) (*interrupt.Result, error) {
	if rt.cfg.CompilationCacheDir == "" {
		return interrupt.Rewrite(wasm, opts)
	}
	key := rewriteKey(wasm, opts)
	path := filepath.Join(rt.cfg.CompilationCacheDir, rewriteDir, key+".wasm")
	res, err := readRewrite(path, key)
	if err == nil {
		return res, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		rt.log.WarnContext(ctx, "runtime: rewrite cache entry unusable; rewriting", "path", path, "err", err)
	}
	res, err = interrupt.Rewrite(wasm, opts)
	if err != nil {
		return nil, err // a refusal is not cached: the input is rescanned next time
	}
	if werr := writeRewrite(path, key, res); werr != nil {
		rt.log.WarnContext(ctx, "runtime: rewrite cache: cannot keep the rewritten module", "path", path, "err", werr)
	}
	return res, nil
}

// errCorrupt marks an entry that failed its checks.
var errCorrupt = errors.New("corrupt rewrite cache entry")

func readRewrite(path, key string) (*interrupt.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	const head = len(rewriteMagic) + sha256.Size
	if len(b) < head+4 || !bytes.HasPrefix(b, []byte(rewriteMagic)) {
		return nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	payload := b[head:]
	if sum := entrySum(key, payload); !bytes.Equal(sum[:], b[len(rewriteMagic):head]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	n := binary.LittleEndian.Uint32(payload)
	if uint64(n) > uint64(len(payload)-4) {
		return nil, fmt.Errorf("%w: bad metadata length", errCorrupt)
	}
	var meta rewriteMeta
	if err := json.Unmarshal(payload[4:4+n], &meta); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", errCorrupt, err)
	}
	res := &interrupt.Result{Wasm: payload[4+n:], Image: meta.Image, Globals: meta.Globals}
	if meta.ImageRefused != "" {
		res.ImageRefused = errors.New(meta.ImageRefused)
	}
	if meta.Image && len(meta.Globals) == 0 {
		return nil, fmt.Errorf("%w: an image-prepared module without globals", errCorrupt)
	}
	return res, nil
}

func entrySum(key string, payload []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write(payload)
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s
}

// writeRewrite stores res atomically (a temporary file renamed over the
// entry), so a reader never sees half an entry.
func writeRewrite(path, key string, res *interrupt.Result) error {
	meta := rewriteMeta{Image: res.Image, Globals: res.Globals}
	if res.ImageRefused != nil {
		meta.ImageRefused = res.ImageRefused.Error()
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	payload := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(mj)+len(res.Wasm)), uint32(len(mj)))
	payload = append(append(payload, mj...), res.Wasm...)
	sum := entrySum(key, payload)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	for _, part := range [][]byte{[]byte(rewriteMagic), sum[:], payload} {
		if _, err := f.Write(part); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
