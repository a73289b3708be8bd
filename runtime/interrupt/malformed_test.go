package interrupt

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
	"github.com/tetratelabs/wazero"
)

// TestMalformed checks that bad inputs are refused with the right kind of
// error at the right offset.
func TestMalformed(t *testing.T) {
	typeFunc := "01 04 01 60 00 00  03 02 01 00 " // one () -> () function
	cases := []struct {
		name, in string
		opts     Options
		kind     error
		offset   int
		reason   string
	}{
		{"empty", "", Options{}, ErrMalformed, 0, "header"},
		{"short header", "0061736d 01", Options{}, ErrMalformed, 5, "header"},
		{"bad magic", "0061736e 01000000", Options{}, ErrMalformed, 0, "magic"},
		{"component", "0061736d 0d000100", Options{}, ErrUnsupported, 4, "component"},
		{"version 2", "0061736d 02000000", Options{}, ErrUnsupported, 4, "version 2"},
		{"truncated section size", header + "01", Options{}, ErrMalformed, 9, "unexpected end of section size"},
		{"section past the end", header + "01 05 01 60", Options{}, ErrMalformed, 10, "unexpected end of section"},
		{"six-byte LEB128", header + "01 80 80 80 80 80 00", Options{}, ErrMalformed, 9, "invalid LEB128 u32"},
		{"LEB128 past 32 bits", header + "01 ff ff ff ff 1f", Options{}, ErrMalformed, 9, "invalid LEB128 u32"},
		{"unknown section", header + "0e 00", Options{}, ErrUnsupported, 8, "unknown section id 14"},
		{"sections out of order", header + "03 01 00 01 01 00", Options{}, ErrMalformed, 11, "out of order"},
		{"two global sections", header + "06 01 00 06 01 00", Options{}, ErrMalformed, 11, "out of order or repeated"},
		{"count beyond the section", header + "06 01 05", Options{}, ErrMalformed, 10, "globals count 5 exceeds"},
		{"import kind", header + "02 06 01 01 61 01 62 05", Options{}, ErrMalformed, 15, "unknown import kind"},
		{"global mutability", header + "06 06 01 7f 02 41 00 0b", Options{}, ErrMalformed, 12, "mutability"},
		{"body past the section", header + typeFunc + "0a 04 01 05 00 0b", Options{}, ErrMalformed, 22, "unexpected end of function body"},
		{"missing end", header + typeFunc + "0a 04 01 02 00 01", Options{}, ErrMalformed, 24, "function 0: unexpected end of expression"},
		{"bytes after the end", header + typeFunc + "0a 05 01 03 00 0b 01", Options{}, ErrMalformed, 24, "function 0: 1 bytes left over"},
		{"bytes after the last body", header + typeFunc + "0a 05 01 02 00 0b 00", Options{}, ErrMalformed, 24, "left over at the end of the code section"},
		{"GC opcode", header + typeFunc + "0a 06 01 04 00 fb 00 0b", Options{}, ErrUnsupported, 23, "unknown opcode 0xfb"},
		{"unknown 0xfc opcode", header + typeFunc + "0a 06 01 04 00 fc 63 0b", Options{}, ErrUnsupported, 23, "unknown opcode 0xfc 99"},
		{"unassigned SIMD opcode", header + typeFunc + "0a 07 01 05 00 fd 9a 01 0b", Options{}, ErrUnsupported, 23, "unknown opcode 0xfd 0x9a"},
		{"bad s32", header + typeFunc + "0a 0b 01 09 00 41 80 80 80 80 70 1a 0b", Options{}, ErrMalformed, 24, "invalid LEB128 s32"},
		{"bad value type", header + typeFunc + "0a 06 01 04 01 01 55 0b", Options{}, ErrMalformed, 24, "unknown value type 0x55"},
		{"bad block type", header + typeFunc + "0a 06 01 04 00 02 55 0b", Options{}, ErrMalformed, 24, "unknown value type 0x55"},
		{"negative block type", header + typeFunc + "0a 07 01 05 00 02 80 7f 0b", Options{}, ErrMalformed, 24, "invalid block type -128"},
		{"global index out of range", header + typeFunc + "0a 07 01 05 00 23 00 1a 0b", Options{}, ErrMalformed, 23, "global index 0 out of range (0 globals)"},
		{"delegate outside try", header + typeFunc + "0a 06 01 04 00 18 00 0b", Options{}, ErrMalformed, 23, "delegate outside a try"},
		{"exported global out of range", header + "07 05 01 01 67 03 00", Options{}, ErrMalformed, 13, "export of global 0 out of range"},
		{"already instrumented", header + "06 06 01 7f 01 41 00 0b 07 16 01 " + exportHex + " 00", Options{}, ErrInstrumented, 19, "export 0"},
		// Vectors wazero would allocate for before reading them.
		{"four billion tables", header + "04 06 fc ff ff ff 0f 00", Options{}, ErrMalformed, 10, "tables count 4294967292 exceeds"},
		{"four billion parameters", header + "01 08 01 60 ff ff ff ff 0f 00", Options{}, ErrMalformed, 12, "value types count"},
		{"a 4 GiB data segment", header + "0b 07 01 01 ff ff ff ff 0f", Options{}, ErrMalformed, 17, "unexpected end of data segment"},
		{"four billion elements", header + "09 08 01 01 00 ff ff ff ff 0f", Options{}, ErrMalformed, 13, "elements count"},
		{"four billion function names", header + "00 0c 04 6e616d65 01 05 ff ff ff ff 0f", Options{}, ErrMalformed, 17, "names count"},
		{"too many locals in a function", header + typeFunc + "0a 08 01 06 01 d1 86 03 7f 0b", Options{}, ErrUnsupported, 23, "more than 50000 locals"},
		{"too many locals in all", header + "01 04 01 60 00 00 03 16 15" + strings.Repeat(" 00", 21) +
			"0a 94 01 15" + strings.Repeat(" 06 01 d0 86 03 7f 0b", 21), // 21 × 50000
			Options{}, ErrUnsupported, 183, "more than 1048576 locals in all"},
		{"yield points without a memory", header, Options{YieldEvery: 10}, ErrUnsupported, 8, "need a memory"},
		{"yield points with memory64", header + "05 03 01 04 01", Options{YieldEvery: 10}, ErrUnsupported, 8, "32-bit memory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := InstrumentWith(unhex(t, c.in), c.opts)
			if err == nil {
				t.Fatalf("accepted, gave %x", out)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, c.kind) {
				t.Fatalf("got %v (%T), want a %v", err, err, c.kind)
			}
			if e.Offset != c.offset || !strings.Contains(e.Reason, c.reason) {
				t.Fatalf("got %q at %d, want %q at %d", e.Reason, e.Offset, c.reason, c.offset)
			}
			t.Log(err)
		})
	}
}

// validator compiles modules with wazero's interpreter (the validation is
// the compiler's, and cheaper to run).
var validator = sync.OnceValue(func() wazero.Runtime {
	return wazero.NewRuntimeWithConfig(context.Background(), interpreter.config().WithCoreFeatures(features))
})

// compileErr reports whether wazero accepts wasm. A panic in wazero fails
// the test: Instrument is to refuse what would crash the engine.
func compileErr(t *testing.T, wasm []byte) error {
	t.Helper()
	ctx := context.Background()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("wazero panicked on a module of %d bytes: %v", len(wasm), p)
		}
	}()
	cm, err := validator().CompileModule(ctx, wasm)
	if err == nil {
		cm.Close(ctx)
	}
	return err
}

// maxChecked is the size past which checkInstrument does not compile: a
// fuzzer's mutations of a multi-megabyte Go guest would spend their time
// in wazero.
const maxChecked = 1 << 20

// checkInstrument is the property of every input: Instrument never panics;
// it refuses with an *Error at an offset inside the input; what it
// returns, wazero accepts exactly when it accepts the input (and wazero can
// be given it: every vector is bounded, see vectors.go), and Instrument
// refuses to instrument it again. With refusals set, it also checks that
// Instrument refuses only modules wazero refuses too (or that already
// have the flag), which means giving wazero inputs Instrument found
// unsafe: only for inputs known not to be allocation bombs, such as
// prefixes of real modules and seeded mutations that were tried.
func checkInstrument(t *testing.T, in []byte, refusals bool) {
	t.Helper()
	out, err := Instrument(in)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(in) {
			t.Fatalf("error %v (%T) is not an *Error inside the input", err, err)
		}
		if refusals && len(in) <= maxChecked && !errors.Is(err, ErrInstrumented) {
			if compileErr(t, in) == nil {
				t.Fatalf("refused a module wazero accepts: %v", err)
			}
		}
		return
	}
	if _, err := Instrument(out); !errors.Is(err, ErrInstrumented) && len(in) <= maxChecked && compileErr(t, in) == nil {
		t.Fatalf("instrumenting twice: %v, want ErrInstrumented", err)
	}
	if len(in) > maxChecked {
		return
	}
	inErr, outErr := compileErr(t, in), compileErr(t, out)
	if inErr != nil && outErr == nil && emptyTrailingCustom(in) {
		// wazero 1.12 refuses a module whose last section is a custom
		// section with no payload (a zero-length Read at the end of the
		// input gives io.EOF); in the output that section is no longer
		// last. The input was valid; the fuzzer found this.
		return
	}
	if (inErr == nil) != (outErr == nil) {
		t.Fatalf("wazero on the input: %v; on the output: %v", inErr, outErr)
	}
	// With images: never an error where plain instrumentation had none (a
	// module that cannot be imaged is instrumented without), and a module
	// wazero accepts stays accepted.
	res, err := Rewrite(in, Options{Image: true})
	if err != nil && inErr == nil {
		t.Fatalf("Rewrite with Image: %v", err)
	}
	if err == nil && res.Image && inErr == nil {
		if imgErr := compileErr(t, res.Wasm); imgErr != nil {
			t.Fatalf("wazero accepts the input but not its image-prepared rewrite: %v", imgErr)
		}
	}
	// With fuel (no yield points: the input may have no memory): the same
	// refusals as plain instrumentation, and what wazero accepted it still
	// accepts.
	fuel, err := InstrumentWith(in, Options{Fuel: true})
	if err != nil {
		if inErr == nil {
			t.Fatalf("InstrumentWith Fuel refused what plain instrumentation took: %v", err)
		}
		return
	}
	if fuelErr := compileErr(t, fuel); (fuelErr == nil) != (inErr == nil) {
		t.Fatalf("wazero on the input: %v; on the fuelled output: %v", inErr, fuelErr)
	}
}

// emptyTrailingCustom reports whether the last section of the module wasm
// is a custom section with nothing after its name.
func emptyTrailingCustom(wasm []byte) bool {
	m, err := scan(wasm)
	if err != nil || len(m.sections) == 0 {
		return false
	}
	s := m.sections[len(m.sections)-1]
	r := &reader{b: wasm, pos: s.body, end: s.end}
	r.name("custom section name")
	return s.id == secCustom && r.err == nil && r.pos == s.end
}

// seeds are the modules the malformation tests start from: the C and Rust
// guests (and one Go guest) when built, and the WAT modules of the other
// tests.
func seeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	dir := filepath.Join(guests.Root(), ".cache", "guests")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.wasm"))
	gos, _ := filepath.Glob(filepath.Join(dir, "go", "go009-*.wasm"))
	for _, p := range append(paths, gos...) {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if bytes.Contains(b, []byte("go:buildid")) && len(gos) > 0 && p != gos[0] {
			continue // one Go guest is enough
		}
		out = append(out, b)
	}
	for _, m := range watModules {
		out = append(out, assemble(tb, m.wat))
	}
	for _, g := range runaways {
		out = append(out, assemble(tb, g.wat))
	}
	return out
}

// TestTruncated instruments every prefix of the small seeds (and a sample
// of the prefixes of the large ones).
func TestTruncated(t *testing.T) {
	for _, s := range seeds(t) {
		step := 1
		if len(s) > 64<<10 {
			step = len(s)/4096 + 1
		}
		for n := 0; n < len(s); n += step {
			checkTruncated(t, s[:n])
		}
	}
}

// checkTruncated: a prefix is either refused, or it ended on a section
// boundary and is a module of its own, which checkInstrument holds to
// the property.
func checkTruncated(t *testing.T, in []byte) {
	t.Helper()
	if _, err := Instrument(in); err == nil {
		checkInstrument(t, in, true)
		return
	} else if !errors.Is(err, ErrMalformed) {
		t.Fatalf("prefix of %d bytes: %v, want ErrMalformed", len(in), err)
	}
}

// TestMutated instruments seeded-random mutations of the small seeds:
// flipped bits, overwritten, inserted and deleted bytes.
func TestMutated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var small [][]byte
	for _, s := range seeds(t) {
		if len(s) <= 64<<10 {
			small = append(small, s)
		}
	}
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		in := mutate(rng, small[rng.IntN(len(small))])
		checkInstrument(t, in, true)
	}
}

// mutate returns a copy of b with 1 to 4 random changes.
func mutate(rng *rand.Rand, b []byte) []byte {
	out := bytes.Clone(b)
	for range 1 + rng.IntN(4) {
		if len(out) == 0 {
			return out
		}
		i := rng.IntN(len(out))
		switch rng.IntN(4) {
		case 0:
			out[i] ^= 1 << rng.IntN(8)
		case 1:
			out[i] = []byte{0x00, 0x0b, 0x80, 0xff, 0x7f, 0x40, 0x03, 0x23}[rng.IntN(8)]
		case 2:
			out = append(out[:i], append([]byte{byte(rng.Uint32())}, out[i:]...)...)
		case 3:
			out = append(out[:i], out[i+1:]...)
		}
	}
	return out
}

// FuzzInstrument holds every input to checkInstrument (without the check
// of refusals, which would hand wazero the allocation bombs the fuzzer
// finds: its first find was a table count of 4294967292, which made
// wazero 1.12 allocate 64 GiB and the process die; testdata/fuzz holds it
// and the other finds). The seeds are the real guests (C, Rust; Go ones
// with FUZZ_BIG=1) and the WAT modules of the other tests. Run it with
// -fuzzminimizetime=50x: minimizing a 30 KiB find takes the default 60 s
// and the whole run with it.
func FuzzInstrument(f *testing.F) {
	for _, s := range seeds(f) {
		if len(s) <= maxChecked || os.Getenv("FUZZ_BIG") != "" {
			f.Add(s)
		}
	}
	f.Add(unhex(f, header+"01 04 01 60 00 00 03 02 01 00 0a 09 01 07 00 03 40 0c 00 0b 0b"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkInstrument(t, in, false)
	})
}
