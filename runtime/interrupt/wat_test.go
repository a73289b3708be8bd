package interrupt

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// call is one call of an exported function and, if want is not nil, the
// results it must give.
type call struct {
	fn   string
	args []uint64
	want []uint64
}

// watModule is a hand-written module exercising one part of the format.
type watModule struct {
	name  string
	env   string // WAT of a module instantiated first as "env", if any
	wat   string
	calls []call
}

func tri(n uint64) (s uint64) {
	for i := range n {
		for j := range i {
			s += i * j
		}
	}
	return s
}

func machine(n int) uint64 {
	acc := uint32(0)
	for range n {
		acc = (acc + 1) * 3
	}
	return uint64(acc)
}

var watModules = []watModule{
	{name: "nested loops and a loop with parameters", wat: `(module
  (func (export "tri") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $s i64)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $inner_done
          (loop $inner
            (br_if $inner_done (i32.ge_u (local.get $j) (local.get $i)))
            (local.set $s (i64.add (local.get $s)
              (i64.extend_i32_u (i32.mul (local.get $i) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $s))
  (func $step (param i64 i64 i32) (result i64 i64 i32)
    (local.get 1) (i64.add (local.get 0) (local.get 1)) (i32.sub (local.get 2) (i32.const 1)))
  (func (export "fib") (param $n i32) (result i64)
    (local $c i32)
    (i64.const 0) (i64.const 1) (local.get $n)
    (loop $l (param i64 i64 i32) (result i64 i64 i32)
      (call $step)
      (local.tee $c)
      (local.get $c)
      (br_if $l))
    (drop) (drop)))`,
		calls: []call{
			{"tri", []uint64{0}, []uint64{0}},
			{"tri", []uint64{1}, []uint64{0}},
			{"tri", []uint64{300}, []uint64{tri(300)}},
			{"fib", []uint64{10}, []uint64{55}},
			{"fib", []uint64{90}, []uint64{2880067194370816120}},
		}},
	{name: "br_table", wat: `(module
  (func (export "classify") (param $x i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get $x)))
      (return (i32.const 10)))
     (return (i32.const 20)))
    (return (i32.const 30)))
    (i32.const 40))
  (func (export "machine") (param $n i32) (result i32)
    (local $state i32) (local $acc i32)
    (loop $top
      (block $s2 (block $s1 (block $s0
        (br_table $s0 $s1 $s2 (local.get $state)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
        (local.set $state (i32.const 1))
        (br $top))
       (local.set $acc (i32.mul (local.get $acc) (i32.const 3)))
       (local.set $state (i32.const 2))
       (br $top))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (local.set $state (i32.const 0))
      (br_if $top (local.get $n)))
    (local.get $acc)))`,
		calls: []call{
			{"classify", []uint64{0}, []uint64{10}},
			{"classify", []uint64{1}, []uint64{20}},
			{"classify", []uint64{2}, []uint64{30}},
			{"classify", []uint64{3}, []uint64{40}},
			{"classify", []uint64{99}, []uint64{40}},
			{"machine", []uint64{1}, []uint64{machine(1)}},
			{"machine", []uint64{1000}, []uint64{machine(1000)}},
		}},
	{name: "SIMD", wat: `(module
  (memory (export "memory") 1)
  (data (i32.const 64) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (func (export "simd") (param $n i32) (result i32)
    (local $v v128) (local $w v128) (local $i i32)
    (local.set $v (v128.const i32x4 1 2 3 4))
    (local.set $w (v128.load8x8_s offset=64 (i32.const 0)))
    (loop $l
      (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 1 1 1)))
      (local.set $v (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $v) (local.get $v)))
      (local.set $w (i16x8.add_sat_s (local.get $w) (v128.load offset=64 (i32.const 0))))
      (local.set $v (v128.xor (local.get $v) (i8x16.swizzle (local.get $w) (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (v128.store offset=16 (i32.const 0) (local.get $v))
    (v128.store32_lane 2 (i32.const 4) (local.get $v))
    (local.set $w (v128.load32_splat (i32.const 4)))
    (local.set $w (i32x4.replace_lane 0 (local.get $w) (i32.const 100)))
    (local.set $w (v128.load16_lane offset=64 3 (i32.const 0) (local.get $w)))
    (local.set $w (f32x4.add (local.get $w) (f32x4.splat (f32.const 1.5))))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $w)) (i32x4.extract_lane 3 (local.get $w)))
      (i32.add (i32.load offset=16 (i32.const 0))
        (i32.add (i8x16.extract_lane_u 15 (local.get $v)) (i32x4.bitmask (local.get $v)))))))`,
		calls: []call{{"simd", []uint64{1}, nil}, {"simd", []uint64{1000}, nil}}},
	{name: "bulk memory, tables, saturating conversions and sign extension", wat: `(module
  (memory 1 2)
  (data $d "hello, bulk world")
  (table 4 8 funcref)
  (type $rt (func (result i32)))
  (elem $e func $a $b)
  (func $a (result i32) (i32.const 11))
  (func $b (result i32) (i32.const 22))
  (func (export "bulk") (result i32)
    (local $i i32) (local $s i32)
    (memory.fill (i32.const 0) (i32.const 0x61) (i32.const 100))
    (memory.init $d (i32.const 10) (i32.const 0) (i32.const 17))
    (data.drop $d)
    (memory.copy (i32.const 50) (i32.const 10) (i32.const 17))
    (table.init $e (i32.const 0) (i32.const 0) (i32.const 2))
    (elem.drop $e)
    (table.copy (i32.const 2) (i32.const 0) (i32.const 2))
    (drop (table.grow (ref.null func) (i32.const 1)))
    (table.fill (i32.const 4) (ref.func $b) (i32.const 1))
    (drop (memory.grow (i32.const 1)))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
    (i32.add (local.get $s)
      (i32.add (call_indirect (type $rt) (i32.const 3))
        (i32.add (call_indirect (type $rt) (i32.const 4))
          (i32.add (table.size)
            (i32.add (memory.size)
              (i32.add (i32.trunc_sat_f64_s (f64.const 1e30))
                (i32.extend8_s (i32.const 0xff)))))))))
  (func (export "refs") (param $i i32) (result i32)
    (select (result i32) (i32.const 1) (i32.const 0)
      (ref.is_null (table.get (local.get $i))))))`,
		calls: []call{
			// 66 bytes of 'a', the data twice, $b twice (slots 3 and 4), 5 table
			// slots, 2 pages, a saturated 0x7fffffff and -1 (wrapping).
			{"bulk", nil, []uint64{uint64(uint32(int32(0x61*(100-34) + 2*int32(sumBytes("hello, bulk world")) + 22 + 22 + 5 + 2 + 0x7fffffff - 1)))}},
			{"refs", []uint64{0}, []uint64{0}},
		}},
	{name: "multi-value blocks and functions", wat: `(module
  (func $divmod (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_u (local.get $a) (local.get $b)) (i32.rem_u (local.get $a) (local.get $b)))
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (call $divmod (local.get 0) (local.get 1)))
  (func (export "swap") (param i64 i64) (result i64 i64)
    (local.get 0) (local.get 1)
    (block (param i64 i64) (result i64 i64)
      (local.set 0) (local.set 1) (local.get 0) (local.get 1))
    (if (param i64 i64) (result i64 i64) (i32.const 1)
      (then) (else (drop) (drop) (i64.const 0) (i64.const 0)))))`,
		calls: []call{
			{"divmod", []uint64{17, 5}, []uint64{3, 2}},
			{"swap", []uint64{1, 2}, []uint64{2, 1}},
		}},
	{name: "imported globals",
		env: `(module
  (global (export "g0") i32 (i32.const 5))
  (global (export "g1") (mut i64) (i64.const 7)))`,
		wat: `(module
  (import "env" "g0" (global $g0 i32))
  (import "env" "g1" (global $g1 (mut i64)))
  (global $own (mut i32) (i32.const 3))
  (func (export "f") (result i64)
    (global.set $own (i32.add (global.get $own) (i32.const 1)))
    (global.set $g1 (i64.add (global.get $g1)
      (i64.extend_i32_u (i32.add (global.get $g0) (global.get $own)))))
    (global.get $g1)))`,
		calls: []call{{"f", nil, []uint64{7 + 5 + 4}}, {"f", nil, []uint64{16 + 5 + 5}}}},
	{name: "no globals and no exports", wat: `(module
  (func $start
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
    (if (i32.ne (local.get $i) (i32.const 1000)) (then unreachable)))
  (start $start))`},
	{name: "no globals", wat: `(module (func (export "answer") (result i32) (i32.const 42)))`,
		calls: []call{{"answer", nil, []uint64{42}}}},
	{name: "tail calls", wat: `(module
  (type $t (func (param i32 i64) (result i64)))
  (table funcref (elem $sum))
  (func $sum (param $n i32) (param $acc i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call_indirect (type $t)
        (i32.sub (local.get $n) (i32.const 1))
        (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n)))
        (i32.const 0)))))
  (func (export "sum") (param i32) (result i64)
    (return_call $sum (local.get 0) (i64.const 0))))`,
		calls: []call{{"sum", []uint64{100000}, []uint64{100000 * 100001 / 2}}}},
	{name: "exceptions", wat: `(module
  (tag $e (param i32))
  (func $thrower (param i32)
    (if (i32.gt_u (local.get 0) (i32.const 5)) (then (throw $e (local.get 0)))))
  (func (export "exc") (result i32)
    (local $i i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        (loop $l
          (call $thrower (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
      (i32.const -1))))`,
		calls: []call{{"exc", nil, []uint64{6}}}},
	{name: "typed function references", wat: `(module
  (type $t (func (param i32) (result i32)))
  (func $double (type $t) (i32.mul (local.get 0) (i32.const 2)))
  (elem declare func $double)
  (func (export "apply") (param $n i32) (result i32)
    (local $f (ref null $t))
    (local.set $f (ref.func $double))
    (block $null
      (loop $l
        (local.set $n (call_ref $t (local.get $n) (ref.as_non_null (local.get $f))))
        (br_if $l (i32.lt_u (local.get $n) (i32.const 1000))))
      (br_on_null $null (local.get $f))
      (drop)
      (return (local.get $n)))
    (i32.const -1)))`,
		calls: []call{{"apply", []uint64{3}, []uint64{1536}}}},
}

func sumBytes(s string) (n int) {
	for i := range len(s) {
		n += int(s[i])
	}
	return n
}

// TestWATModules runs each hand-written module before and after
// instrumentation (with the flag alone, and with yield points every 3
// checks, so that yields happen) under both engines: the same calls give
// the same results (and the expected ones), the flag exists only in the
// rewritten module and is 0.
func TestWATModules(t *testing.T) {
	for _, m := range watModules {
		t.Run(m.name, func(t *testing.T) {
			for _, opts := range []Options{{}, {YieldEvery: 3}} {
				m := m
				m.wat = memoryFor(m.wat, opts)
				orig := assemble(t, m.wat)
				inst, err := InstrumentWith(orig, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range []engine{compiler, interpreter} {
					t.Run(fmt.Sprintf("%s/yield every %d", e.name, opts.YieldEvery), func(t *testing.T) {
						before := runCalls(t, e, m, orig, false)
						after := runCalls(t, e, m, inst, true)
						if !slices.Equal(before, after) {
							t.Fatalf("results differ:\noriginal     %v\ninstrumented %v", before, after)
						}
					})
				}
			}
		})
	}
}

// runCalls instantiates wasm in a new runtime of e and makes m's calls,
// returning their results as text.
func runCalls(t *testing.T, e engine, m watModule, wasm []byte, instrumented bool) []string {
	t.Helper()
	ctx := context.Background()
	r := newRuntime(t, e)
	if m.env != "" {
		cm, err := r.CompileModule(ctx, assemble(t, m.env))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("env")); err != nil {
			t.Fatal(err)
		}
	}
	mod := instantiate(t, r, wasm)
	flag, ok := Global(mod)
	if ok != instrumented {
		t.Fatalf("Global found = %v on a module instrumented = %v", ok, instrumented)
	}
	var out []string
	for _, c := range m.calls {
		res, err := mod.ExportedFunction(c.fn).Call(ctx, c.args...)
		if err != nil {
			t.Fatalf("%s%v: %v", c.fn, c.args, err)
		}
		if c.want != nil && !slices.Equal(res, c.want) {
			t.Errorf("%s%v = %v, want %v", c.fn, c.args, res, c.want)
		}
		out = append(out, fmt.Sprintf("%s%v=%v", c.fn, c.args, res))
	}
	if instrumented {
		if v := flag.Get(); v != 0 {
			t.Fatalf("flag = %d after normal calls", v)
		}
		checkFlagExport(t, mod)
	}
	return out
}

// checkFlagExport checks the kind and type of the exported flag.
func checkFlagExport(t *testing.T, mod api.Module) {
	t.Helper()
	g := mod.ExportedGlobal(ExportName)
	if _, ok := g.(api.MutableGlobal); !ok || g.Type() != api.ValueTypeI32 {
		t.Fatalf("export %q is %v, want a mutable i32 global", ExportName, g)
	}
}
