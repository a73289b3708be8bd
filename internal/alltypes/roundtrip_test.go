package alltypes_test

// Round trips through the standard Go test guest (internal/alltypes/guestimpl,
// built on its generated guest bindings internal/alltypes/guest): the host
// calls a guest-side export through the generated host bindings, the guest
// forwards the value to the same-named host-side import, the host echoes it
// back, and the guest returns it. Every value must come back bit for bit.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/witval"

	"github.com/raisfast/wasmplug/abi"
	"github.com/raisfast/wasmplug/internal/alltypes/host"
	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/raisfast/wasmplug/internal/wasmtools"
	"github.com/tetratelabs/wazero"
)

// guestWasm is the built test guest, set by TestMain.
var guestWasm []byte

// compilation is shared by the tests' runtimes: the guest is compiled once.
var compilation = wazero.NewCompilationCache()

// guestEnv selects a guest built by .ci/build-guests.sh (such as
// "c-alltypes") instead of the Go guest; TestOtherToolchains sets it when
// it re-runs this whole suite.
const guestEnv = "ALLTYPES_GUEST"

// guestName is the guest under test: "go" or the value of guestEnv.
var guestName = "go"

func TestMain(m *testing.M) {
	var wasm []byte
	var err error
	if name := os.Getenv(guestEnv); name != "" {
		guestName = name
		wasm, err = os.ReadFile(filepath.Join(guests.Root(), ".cache", "guests", name+".wasm"))
	} else {
		wasm, err = buildGuest()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load the test guest:", err)
		os.Exit(1)
	}
	guestWasm = wasm
	os.Exit(guests.Main(m))
}

// TestOtherToolchains re-runs every test of this package against the
// guests other toolchains build (wit-bindgen's C generator with clang-16),
// in a child process of this test binary.
func TestOtherToolchains(t *testing.T) {
	if guestName != "go" {
		t.Skip("already running against " + guestName)
	}
	for _, name := range []string{"c-alltypes"} {
		t.Run(name, func(t *testing.T) {
			guests.Load(t, name) // skip locally (fail in CI) when it is not built
			cmd := exec.Command(os.Args[0], "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), guestEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("suite against %s failed: %v\n%s", name, err, out)
			}
			if !strings.Contains(string(out), "--- PASS: TestEverything") {
				t.Fatalf("suite against %s ran no round trip:\n%s", name, out)
			}
			t.Logf("suite passed against %s", name)
		})
	}
}

// guestSources are the directories (relative to the repository root) whose
// Go files make up the test guest; their hash keys the cached build.
var guestSources = []string{"guest/cabi", "internal/alltypes/guest", "internal/alltypes/guestimpl"}

// buildGuest builds the guest with `GOOS=wasip1 GOARCH=wasm go build
// -buildmode=c-shared`, caching the module under .cache/guests keyed by a
// hash of its sources and the Go version.
func buildGuest() ([]byte, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, dir := range guestSources {
		var files []string
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, p := range files {
			src, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(root, p)
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(src))
			h.Write(src)
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		src, _ := os.ReadFile(filepath.Join(root, f))
		h.Write(src)
	}
	cache := filepath.Join(root, ".cache", "guests")
	out := filepath.Join(cache, "alltypes-go-"+hex.EncodeToString(h.Sum(nil))[:16]+".wasm")
	if wasm, err := os.ReadFile(out); err == nil {
		return wasm, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	tmp := out + ".tmp"
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", tmp, "./internal/alltypes/guestimpl")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, err
	}
	// Builds of older sources are never used again.
	if old, _ := filepath.Glob(filepath.Join(cache, "alltypes-go-*.wasm")); len(old) > 0 {
		for _, p := range old {
			if p != out {
				os.Remove(p)
			}
		}
	}
	return os.ReadFile(out)
}

// echoHost implements both host interfaces by echoing every argument.
type echoHost struct {
	pings, nows atomic.Int64
}

func (*echoHost) EchoBool(_ context.Context, x bool) bool       { return x }
func (*echoHost) EchoS8(_ context.Context, x int8) int8         { return x }
func (*echoHost) EchoU8(_ context.Context, x uint8) uint8       { return x }
func (*echoHost) EchoS16(_ context.Context, x int16) int16      { return x }
func (*echoHost) EchoU16(_ context.Context, x uint16) uint16    { return x }
func (*echoHost) EchoS32(_ context.Context, x int32) int32      { return x }
func (*echoHost) EchoU32(_ context.Context, x uint32) uint32    { return x }
func (*echoHost) EchoS64(_ context.Context, x int64) int64      { return x }
func (*echoHost) EchoU64(_ context.Context, x uint64) uint64    { return x }
func (*echoHost) EchoF32(_ context.Context, x float32) float32  { return x }
func (*echoHost) EchoF64(_ context.Context, x float64) float64  { return x }
func (*echoHost) EchoChar(_ context.Context, x rune) rune       { return x }
func (*echoHost) EchoString(_ context.Context, x string) string { return x }
func (*echoHost) EchoBytes(_ context.Context, x []byte) []byte  { return x }
func (*echoHost) EchoNames(_ context.Context, x []string) []string {
	return x
}
func (*echoHost) EchoOption(_ context.Context, x *string) (string, bool) {
	if x == nil {
		return "", false
	}
	return *x, true
}
func (*echoHost) EchoNested(_ context.Context, x *[]*string) ([]*string, bool) {
	if x == nil {
		return nil, false
	}
	return *x, true
}
func (*echoHost) EchoResult(_ context.Context, x witval.Result[string, uint32]) (string, error) {
	if x.IsErr {
		return "", witval.NewResultError(x.Err)
	}
	return x.OK, nil
}
func (*echoHost) EchoUnitResult(_ context.Context, x witval.Result[witval.Unit, string]) error {
	if x.IsErr {
		return witval.NewResultError(x.Err)
	}
	return nil
}
func (*echoHost) EchoTuple(_ context.Context, x witval.Tuple3[uint8, string, float64]) witval.Tuple3[uint8, string, float64] {
	return x
}
func (*echoHost) EchoColor(_ context.Context, x host.Color) host.Color      { return x }
func (*echoHost) EchoPerms(_ context.Context, x host.Perms) host.Perms      { return x }
func (*echoHost) EchoWide(_ context.Context, x host.Wide) host.Wide         { return x }
func (*echoHost) EchoPoint(_ context.Context, x host.Point) host.Point      { return x }
func (*echoHost) EchoPadded(_ context.Context, x host.Padded) host.Padded   { return x }
func (*echoHost) EchoShape(_ context.Context, x host.Shape) host.Shape      { return x }
func (*echoHost) EchoShapes(_ context.Context, x []host.Shape) []host.Shape { return x }
func (*echoHost) EchoEverything(_ context.Context, x host.Everything) host.Everything {
	return x
}
func (*echoHost) EchoMeta(_ context.Context, x host.Meta, l host.Level) witval.Tuple2[host.Meta, host.Level] {
	return witval.Tuple2[host.Meta, host.Level]{F0: x, F1: l}
}
func (*echoHost) ManyArgs(_ context.Context, a1 uint8, a2 int16, a3 uint32, a4 int64, a5 float32, a6 float64, a7 string, a8 bool, a9 rune, a10 uint64, a11 int8, a12 uint16, a13 string, a14 float32, a15 host.Point) string {
	return manyArgsString(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)
}
func (h *echoHost) Ping(context.Context) { h.pings.Add(1) }
func (*echoHost) SumPoints(_ context.Context, x []host.Point) int64 {
	var s int64
	for _, p := range x {
		s += int64(p.X) + int64(p.Y)
	}
	return s
}
func (h *echoHost) Now(context.Context) uint64 { h.nows.Add(1); return uint64(time.Now().UnixNano()) }

func manyArgsString(args ...any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case float32:
			parts[i] = fmt.Sprintf("%#x", math.Float32bits(v))
		case float64:
			parts[i] = fmt.Sprintf("%#x", math.Float64bits(v))
		default:
			parts[i] = fmt.Sprintf("%T=%v", a, a)
		}
	}
	return strings.Join(parts, "|")
}

type fixture struct {
	ctx  context.Context
	r    wazero.Runtime
	mod  *host.Module
	inst *host.Instance
	h    *echoHost
}

func newRuntime(t testing.TB) (context.Context, wazero.Runtime, *host.Module) {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilation))
	t.Cleanup(func() { r.Close(ctx) })
	if err := host.Define(ctx, r); err != nil {
		t.Fatal(err)
	}
	mod, err := host.Compile(ctx, r, guestWasm)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, r, mod
}

func setup(t testing.TB) *fixture {
	t.Helper()
	ctx, r, mod := newRuntime(t)
	h := &echoHost{}
	inst, err := mod.Instantiate(ctx, host.Imports{HostSide: h, AlltypesImports: h}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close(ctx) })
	return &fixture{ctx: ctx, r: r, mod: mod, inst: inst, h: h}
}

// check fails unless got equals want (deeply, with floats compared by bits).
func check[T any](t *testing.T, name string, want, got T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s(%s): %v", name, short(want), err)
	}
	if !sameBits(reflect.ValueOf(want), reflect.ValueOf(got)) {
		t.Errorf("%s: got %s, want %s", name, short(got), short(want))
	}
}

func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 200 {
		s = s[:200] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// sameBits is reflect.DeepEqual with floats compared bit for bit (so NaN
// payloads and -0 count) and nil slices equal to empty ones.
func sameBits(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32:
		return math.Float32bits(float32(a.Float())) == math.Float32bits(float32(b.Float()))
	case reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameBits(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		if a.Type().Elem().Kind() == reflect.Uint8 {
			return bytes.Equal(a.Bytes(), b.Bytes())
		}
		for i := range a.Len() {
			if !sameBits(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameBits(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

func ptr[T any](v T) *T { return &v }

var (
	nan32   = math.Float32frombits(0x7fc01234) // a quiet NaN with a payload
	nan64   = math.Float64frombits(0x7ff8000000abcdef)
	negZero = math.Copysign(0, -1)
	bigUTF8 = func() string { // 1 MiB of multi-byte UTF-8
		const unit = "héllo, 世界 🎉 "
		s := strings.Repeat(unit, 1<<20/len(unit))
		return s + strings.Repeat("x", 1<<20-len(s))
	}()
	oneMiB   = strings.Repeat("x", 1<<20)
	allBytes = func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}()
)

func TestScalars(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	for _, v := range []bool{false, true} {
		got, err := i.EchoBool(ctx, v)
		check(t, "echo-bool", v, got, err)
	}
	for _, v := range []int8{math.MinInt8, -1, 0, 1, math.MaxInt8} {
		got, err := i.EchoS8(ctx, v)
		check(t, "echo-s8", v, got, err)
	}
	for _, v := range []uint8{0, 1, 0x7f, 0x80, math.MaxUint8} {
		got, err := i.EchoU8(ctx, v)
		check(t, "echo-u8", v, got, err)
	}
	for _, v := range []int16{math.MinInt16, -1, 0, 1, math.MaxInt16} {
		got, err := i.EchoS16(ctx, v)
		check(t, "echo-s16", v, got, err)
	}
	for _, v := range []uint16{0, 1, 0x8000, math.MaxUint16} {
		got, err := i.EchoU16(ctx, v)
		check(t, "echo-u16", v, got, err)
	}
	for _, v := range []int32{math.MinInt32, -1, 0, 1, math.MaxInt32} {
		got, err := i.EchoS32(ctx, v)
		check(t, "echo-s32", v, got, err)
	}
	for _, v := range []uint32{0, 1, 0x80000000, math.MaxUint32} {
		got, err := i.EchoU32(ctx, v)
		check(t, "echo-u32", v, got, err)
	}
	for _, v := range []int64{math.MinInt64, -1, 0, 1, math.MaxInt64} {
		got, err := i.EchoS64(ctx, v)
		check(t, "echo-s64", v, got, err)
	}
	for _, v := range []uint64{0, 1, 1 << 63, math.MaxUint64} {
		got, err := i.EchoU64(ctx, v)
		check(t, "echo-u64", v, got, err)
	}
	for _, v := range []float32{0, float32(negZero), 1.5, -math.MaxFloat32, math.SmallestNonzeroFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), nan32, float32(math.NaN())} {
		got, err := i.EchoF32(ctx, v)
		check(t, "echo-f32", v, got, err)
	}
	for _, v := range []float64{0, negZero, 1.5, -math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), nan64, math.NaN()} {
		got, err := i.EchoF64(ctx, v)
		check(t, "echo-f64", v, got, err)
	}
	for _, v := range []rune{0, 'a', 'é', '世', '🎉', 0xD7FF, 0xE000, 0x10FFFF} {
		got, err := i.EchoChar(ctx, v)
		check(t, "echo-char", v, got, err)
	}
}

func TestStringsAndLists(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	for _, v := range []string{"", "a", "héllo, 世界 🎉", "nul\x00inside", oneMiB, bigUTF8} {
		got, err := i.EchoString(ctx, v)
		check(t, "echo-string", v, got, err)
	}
	for _, v := range [][]byte{{}, {0}, allBytes, bytes.Repeat(allBytes, 4096)} {
		got, err := i.EchoBytes(ctx, v)
		check(t, "echo-bytes", v, got, err)
	}
	for _, v := range [][]string{{}, {""}, {"", "a", "ü", "世界"}, {oneMiB, "", bigUTF8}} {
		got, err := i.EchoNames(ctx, v)
		check(t, "echo-names", v, got, err)
	}
	for _, v := range []*string{nil, ptr(""), ptr("x"), ptr(bigUTF8)} {
		got, err := i.EchoOption(ctx, v)
		check(t, "echo-option", v, got, err)
	}
	for _, v := range []*[]*string{nil, ptr([]*string{}), ptr([]*string{nil, ptr(""), ptr("x")}), ptr([]*string{nil, nil})} {
		got, err := i.EchoNested(ctx, v)
		check(t, "echo-nested", v, got, err)
	}
	for _, v := range [][]host.Point{{}, {{X: 1, Y: 2}}, {{X: math.MaxInt32, Y: math.MaxInt32}, {X: math.MaxInt32, Y: math.MaxInt32}, {X: math.MinInt32, Y: -1}}} {
		got, err := i.SumPoints(ctx, v)
		var want int64
		for _, p := range v {
			want += int64(p.X) + int64(p.Y)
		}
		check(t, "sum-points", want, got, err)
	}
}

func TestResults(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	for _, v := range []string{"", "ok", bigUTF8} {
		got, err := i.EchoResult(ctx, witval.OK[string, uint32](v))
		check(t, "echo-result ok", v, got, err)
	}
	for _, e := range []uint32{0, 7, math.MaxUint32} {
		_, err := i.EchoResult(ctx, witval.Err[string](e))
		var re *witval.ResultError[uint32]
		if !errors.As(err, &re) || re.Value != e {
			t.Errorf("echo-result err(%d): got %v", e, err)
		}
	}
	if err := i.EchoUnitResult(ctx, witval.OK[witval.Unit, string](witval.Unit{})); err != nil {
		t.Errorf("echo-unit-result ok: %v", err)
	}
	for _, e := range []string{"", "boom", bigUTF8} {
		err := i.EchoUnitResult(ctx, witval.Err[witval.Unit](e))
		var re *witval.ResultError[string]
		if !errors.As(err, &re) || re.Value != e {
			t.Errorf("echo-unit-result err(%q): got %v", short(e), err)
		}
	}
}

func TestCompound(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	for _, v := range []witval.Tuple3[uint8, string, float64]{{}, {F0: 255, F1: "x", F2: nan64}, {F0: 1, F1: "世界", F2: math.Inf(-1)}, {F1: oneMiB, F2: negZero}} {
		got, err := i.EchoTuple(ctx, v)
		check(t, "echo-tuple", v, got, err)
	}
	for c := host.ColorRed; c <= host.ColorMagenta; c++ {
		got, err := i.EchoColor(ctx, c)
		check(t, "echo-color", c, got, err)
	}
	for p := host.Perms(0); p < 8; p++ {
		got, err := i.EchoPerms(ctx, p)
		check(t, "echo-perms", p, got, err)
	}
	wides := []host.Wide{0, 0xfffff, 0x55555, 0xaaaaa, host.WideF0, host.WideF19, host.WideF0 | host.WideF19}
	for b := 0; b < 20; b++ {
		wides = append(wides, host.Wide(1)<<b, 0xfffff&^(host.Wide(1)<<b))
	}
	for _, w := range wides {
		got, err := i.EchoWide(ctx, w)
		check(t, "echo-wide", w, got, err)
	}
	for _, p := range []host.Point{{}, {X: math.MinInt32, Y: math.MaxInt32}, {X: -1, Y: 1}} {
		got, err := i.EchoPoint(ctx, p)
		check(t, "echo-point", p, got, err)
	}
	for _, p := range []host.Padded{{}, {A: 255, B: math.MinInt64, C: math.MaxUint16, D: ptr(""), E: nan32, F: '🎉', G: true},
		{A: 1, B: math.MaxInt64, C: 1, D: ptr("padded"), E: float32(math.Inf(-1)), F: 0x10FFFF}} {
		got, err := i.EchoPadded(ctx, p)
		check(t, "echo-padded", p, got, err)
	}
	for _, s := range allShapes {
		got, err := i.EchoShape(ctx, s)
		check(t, "echo-shape", s, got, err)
	}
	for _, v := range [][]host.Shape{{}, allShapes, append(append([]host.Shape{}, allShapes...), allShapes...)} {
		got, err := i.EchoShapes(ctx, v)
		check(t, "echo-shapes", v, got, err)
	}
	for _, m := range []host.Meta{{}, {ID: math.MaxUint32, Label: "λ"}, {ID: 1, Label: oneMiB}} {
		for l := host.LevelLow; l <= host.LevelHigh; l++ {
			got, err := i.EchoMeta(ctx, m, l)
			check(t, "echo-meta", witval.Tuple2[host.Meta, host.Level]{F0: m, F1: l}, got, err)
		}
	}
}

var allShapes = []host.Shape{
	host.ShapeCircle{Value: nan32},
	host.ShapeCircle{Value: float32(math.Inf(1))},
	host.ShapeRect{Value: host.Point{X: math.MinInt32, Y: math.MaxInt32}},
	host.ShapeEmpty{},
	host.ShapeLabel{Value: ""},
	host.ShapeLabel{Value: "label 世界"},
	host.ShapeBig{Value: math.MaxUint64},
	host.ShapeRatio{Value: negZero},
	host.ShapeRatio{Value: nan64},
	host.ShapeTagged{Value: witval.Tuple2[uint8, string]{F0: 255, F1: "tag"}},
	host.ShapeSmall{Value: math.MinInt8},
	host.ShapeSmall{Value: math.MaxInt8},
}

func everything(s string) host.Everything {
	return host.Everything{
		B: true, I8v: math.MinInt8, U8v: math.MaxUint8, I16v: math.MinInt16, U16v: math.MaxUint16,
		I32v: math.MinInt32, U32v: math.MaxUint32, I64v: math.MinInt64, U64v: math.MaxUint64,
		F32v: nan32, F64v: math.Inf(-1), Ch: '🎉', S: s, Bytes: allBytes,
		Names:   []string{"", "a", s},
		Opt:     ptr(""),
		Nested:  ptr([]*string{nil, ptr(""), ptr("x")}),
		Res:     witval.Err[string](uint32(42)),
		UnitRes: witval.Err[witval.Unit]("unit error"),
		Tup:     witval.Tuple3[uint8, string, float64]{F0: 7, F1: "seven", F2: negZero},
		Color:   host.ColorMagenta, Perms: host.PermsRead | host.PermsExec, Wide: 0xabcde,
		Shape:  host.ShapeTagged{Value: witval.Tuple2[uint8, string]{F0: 1, F1: "t"}},
		Points: []host.Point{{X: 1, Y: 2}, {X: -3, Y: -4}},
		Meta:   host.Meta{ID: 9, Label: "meta"}, Level: host.LevelHigh,
		Shapes: allShapes,
		OptOpt: ptr(ptr(uint32(0))),
	}
}

func TestEverything(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	minimal := host.Everything{Shape: host.ShapeEmpty{}, Res: witval.OK[string, uint32]("")}
	okCase := everything("ok")
	okCase.Res, okCase.UnitRes, okCase.OptOpt = witval.OK[string, uint32]("fine"), witval.OK[witval.Unit, string](witval.Unit{}), ptr[*uint32](nil)
	for _, v := range []host.Everything{minimal, everything(""), everything(bigUTF8), okCase} {
		got, err := i.EchoEverything(ctx, v)
		check(t, "echo-everything", v, got, err)
	}
}

func TestManyArgsPingVersion(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	type args struct {
		a1  uint8
		a2  int16
		a3  uint32
		a4  int64
		a5  float32
		a6  float64
		a7  string
		a8  bool
		a9  rune
		a10 uint64
		a11 int8
		a12 uint16
		a13 string
		a14 float32
		a15 host.Point
	}
	for _, a := range []args{
		{},
		{math.MaxUint8, math.MinInt16, math.MaxUint32, math.MinInt64, nan32, nan64, "seven", true, '🎉', math.MaxUint64, math.MinInt8, math.MaxUint16, bigUTF8, float32(negZero), host.Point{X: math.MinInt32, Y: math.MaxInt32}},
		{1, -1, 1, -1, float32(math.Inf(1)), math.Inf(-1), "", false, 0x10FFFF, 1, -1, 1, "", 1, host.Point{X: 1, Y: -1}},
	} {
		got, err := i.ManyArgs(ctx, a.a1, a.a2, a.a3, a.a4, a.a5, a.a6, a.a7, a.a8, a.a9, a.a10, a.a11, a.a12, a.a13, a.a14, a.a15)
		want := manyArgsString(a.a1, a.a2, a.a3, a.a4, a.a5, a.a6, a.a7, a.a8, a.a9, a.a10, a.a11, a.a12, a.a13, a.a14, a.a15)
		check(t, "many-args", want, got, err)
	}
	for n := int64(1); n <= 3; n++ {
		if err := i.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.h.pings.Load(); got != n {
			t.Errorf("after %d pings the host saw %d", n, got)
		}
	}
	v, err := i.Version(ctx)
	check(t, "version", "alltypes-"+strings.TrimSuffix(guestName, "-alltypes")+"/1", v, err)
	if f.h.nows.Load() != 1 {
		t.Errorf("version called now %d times, want 1", f.h.nows.Load())
	}
}

// TestManyCalls makes 10,000 calls that move strings and lists both ways
// and checks that linear memory stops growing: every cabi_realloc
// allocation and every pinned result is released.
func TestManyCalls(t *testing.T) {
	f := setup(t)
	ctx, i := f.ctx, f.inst
	s := strings.Repeat("grow? ", 1000) // 6 KB per string, both directions
	ev := everything("many calls")
	call := func(n int) {
		for k := range n {
			got, err := i.EchoString(ctx, s)
			if err != nil || got != s {
				t.Fatalf("call %d: %v", k, err)
			}
			if k%10 == 0 {
				got, err := i.EchoEverything(ctx, ev)
				if err != nil || !sameBits(reflect.ValueOf(ev), reflect.ValueOf(got)) {
					t.Fatalf("call %d: echo-everything: %v", k, err)
				}
			}
		}
	}
	mem := func() uint32 { return f.inst.Module().Memory().Size() }
	start := mem()
	call(1000) // warm up: the Go heap settles at its GC target
	warm := mem()
	call(10000)
	end := mem()
	t.Logf("linear memory: %d KiB at start, %d KiB after 1,000 calls, %d KiB after 11,000 (%d bytes moved per call)",
		start>>10, warm>>10, end>>10, 2*len(s))
	// 10,000 calls move ~120 MB through the guest; a leak of even one
	// string per call would add 60 MB.
	if end > warm+4<<20 {
		t.Errorf("linear memory grew from %d to %d KiB over 10,000 calls", warm>>10, end>>10)
	}
}

// TestCoreNames checks the module's core imports and exports against the
// names and signatures wasm-tools derives from the world (legacy mangling).
func TestCoreNames(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reference", "alltypes.legacy.txt"))
	if err != nil {
		t.Skip("no reference table:", err)
	}
	want := map[string]bool{}
	for _, line := range strings.Split(string(ref), "\n") {
		if strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "export ") {
			want[line] = true
		}
	}
	imports, exports, err := wasmtools.CoreSignatures(context.Background(), guestWasm)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, s := range append(imports, exports...) {
		line := s.String()
		if strings.Contains(line, `"wasi_snapshot_preview1"`) {
			continue
		}
		got[line] = true
		if line == `export func "`+abi.CarvableExport+`" () -> ()` {
			continue // guest/cabi's marker for hosts that carve cabi_realloc blocks
		}
		if !want[line] {
			t.Errorf("module has %s, which the world does not", line)
		}
	}
	for line := range want {
		// Post-returns are optional: the guest exports them where it has
		// something to release (results in memory).
		if !got[line] && !strings.Contains(line, "cabi_post_") {
			t.Errorf("module lacks %s", line)
		}
	}
}

// TestInstanceCost reports the module size, instantiation time and
// linear memory per instance.
func TestInstanceCost(t *testing.T) {
	ctx, _, mod := newRuntime(t)
	h := &echoHost{}
	const n = 20
	var total time.Duration
	var mem uint32
	for range n {
		start := time.Now()
		inst, err := mod.Instantiate(ctx, host.Imports{HostSide: h, AlltypesImports: h}, nil)
		total += time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		mem = inst.Module().Memory().Size()
		inst.Close(ctx)
	}
	t.Logf("guest module %d KiB; instantiate (with _initialize) %v on average; linear memory %d KiB per instance",
		len(guestWasm)>>10, total/n, mem>>10)
}

func BenchmarkEchoString(b *testing.B) {
	f := setup(b)
	s := strings.Repeat("x", 1024)
	for b.Loop() {
		if _, err := f.inst.EchoString(f.ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInstantiate(b *testing.B) {
	ctx, _, mod := newRuntime(b)
	h := &echoHost{}
	for b.Loop() {
		inst, err := mod.Instantiate(ctx, host.Imports{HostSide: h, AlltypesImports: h}, nil)
		if err != nil {
			b.Fatal(err)
		}
		inst.Close(ctx)
	}
}
