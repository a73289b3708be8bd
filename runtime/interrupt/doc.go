/*
Package interrupt rewrites a WebAssembly plugin once, at load, so that the
host can stop it at a deadline for the price of a load and a branch per
check, instead of wazero's WithCloseOnContextDone, which starts a goroutine
for every call and exits to Go at every loop back-edge.

# Design

Instrument adds to the module one mutable i32 global, 0 at instantiation and
exported as ExportName, and inserts

	global.get $interrupt
	if
	  unreachable
	end

at the start of every function body and of every loop body (right after the
loop's block type). Control flow in WebAssembly is structured: the only
backward jumps go to loop headers, so any execution that does not end passes
infinitely often through a loop header or a function entry (recursion and
tail calls included), and so through a check. To stop an instance, the host
sets its flag (Global) from any goroutine; the guest traps at its next check.
A trap says only "unreachable", and a guest's own unreachable looks the same,
so the host that set the flag is the one that knows the trap was its doing.

This is the scheme of wasmtime's epoch interruption (a counter compared at
function entries and loop headers) reduced to a per-instance flag, and the
injection technique of gas-metering rewriters such as wasm-instrument and
wasm-metering, which insert a fuel charge in every block. The new global
takes the next free index, so no index in the module moves; every section
but global, export and code is copied byte for byte, custom sections
included. Code offsets do change, so DWARF sections and source maps, which
point into the code section by offset, are stale afterwards. The output is
a deterministic function of the input, so wazero's compilation cache (keyed
by the module's bytes) serves it like any module.

Measured with wazero 1.12 on amd64 (see BenchmarkCheckOverhead, medians of
5 in one run on 2 cores): a hot loop of 10^6 iterations 1.00×, recursive
fib(25) 1.01×, on-post-creating of the C guest 1.03×, Rust 1.02×, Go 1.09×
its uninstrumented time; WithCloseOnContextDone with a deadline per call
costs 47× on the loop and 3.2–3.4× on the hooks. The compiler engine reads
the flag afresh at every check (a loop header is an unsealed block when
its body is compiled, and wazero hoists nothing out of loops): a guest stops
50–150 µs after the flag is set (TestInterrupt).

# Yield points, and why a runtime needs them

Code compiled by wazero cannot be preempted by the Go scheduler, and a
guest that only loops never returns to Go. That has two consequences for a
flag set by a watchdog goroutine:

  - the watchdog needs a free P: with as many runaway guests as GOMAXPROCS
    (or with GOMAXPROCS=1 and one), it never runs again;
  - a garbage collection that starts while a runaway guest runs stops the
    world and waits for that guest, which waits for the flag, which the
    stopped watchdog will never set: the whole process hangs. Go allocates
    all the time, so this is not a corner case.

WithCloseOnContextDone does not have these problems because its check at
every back-edge is a call into Go, which is also why it costs so much.
Options.YieldEvery brings the same guarantee at a lower price: a countdown,
also at every check, that every YieldEvery checks executes memory.grow by 0
pages, which wazero carries out in Go, a point where the scheduler and the
collector can stop the goroutine (TestInterruptUnderLoad runs more runaway
guests than Ps while forcing collections). Having a call on a loop's path,
even one rarely taken, makes wazero's register allocator keep the loop's
values in memory: yield points cost 5.1× on the hot loop (still 9× less
than WithCloseOnContextDone), 1.33× on fib, and 1.04× (C), 1.06× (Rust),
1.16× (Go) on the hooks. Without yield points, a runtime must keep GC from
starting and a P free while guests run, which a Go server cannot promise.

# Fuel

Options.Fuel adds a deterministic budget to the same checks: an i64 global,
exported as FuelExport, that every check decrements, trapping once it goes
below zero. A host sets it before a call; the count depends only on what the
guest executes (function entries and loop iterations), never on the
machine or its load, so a budget that a call fits in once it always fits
in. A deadline stops a guest that runs too long on this machine today; fuel
stops one that does too much anywhere. Between two checks a guest runs at
most one function body's straight-line code, so fuel also bounds the
instructions executed. It costs a second load, add, store and branch per
check (TestFuel, TestFuelStopsRunaways).

# Images

Options.Image (see Rewrite) also prepares the module so that a host can
start instances from an image of an initialised one: active data
segments become passive (merged, since wazero creates a data instance per
segment per instance) and are applied by a new initialiser, exported as
_initialize, that runs once per instance and then calls the original one;
every mutable global but the flag is exported as GlobalPrefix + its index.
Modules whose state an image could not hold (tables or segments changed
by code, an imported memory or mutable global, a start function) are
instrumented without it, and Result.ImageRefused says why. See
runtime/IMAGES.md for the host side and what an image shares.

# Limits

  - A guest blocked in a host function is not stopped until the function
    returns: host functions must honour the deadline themselves.
  - memory.atomic.wait (threads) blocks inside wazero without a check.
  - One instruction can run for long before the next check: memory.fill,
    memory.copy or table.fill over gigabytes. Memory caps bound them.
  - An interrupted instance is to be discarded: it stopped anywhere.
  - With wazero's interpreter the flag is read as a plain Go field while
    another goroutine writes it: a data race by the memory model (it works,
    and the interpreter is preemptible, but the race detector reports it).
  - The rewriter decodes every instruction and refuses what it does not
    know (*Error, ErrUnsupported) rather than guess: the GC proposal (0xfb,
    non-function types), memory64 offsets are read but memory64 is otherwise
    untested, and components must be split into core modules first.

# Hardening

The input is a plugin, untrusted: every read is bounded, every failure is an
*Error with the offset, never a panic (FuzzInstrument). Because it reads
every module before wazero does, Instrument also refuses the allocation
bombs wazero 1.12's decoder would act on (see vectors.go): the fuzzer found
that a 30 KiB module declaring 4294967292 tables makes CompileModule
allocate 64 GiB and the process die.
*/
package interrupt
