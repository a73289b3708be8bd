package interrupt

import "github.com/tetratelabs/wazero/api"

// Global returns the interrupt flag of m, an instance of a module that
// Instrument rewrote, and false if m has none (it was not instrumented).
//
// Setting the flag to any non-zero value, from any goroutine, makes the
// guest trap with "unreachable" at its next function entry or loop
// iteration; a guest blocked in a host function traps once that returns.
// The trap does not say why, so the host that set the flag is the one that
// knows it was an interruption. An interrupted instance is to be discarded:
// its memory may be in the middle of an update.
func Global(m api.Module) (api.MutableGlobal, bool) {
	return mutableGlobal(m, ExportName, api.ValueTypeI32)
}

// FuelGlobal returns the fuel of m, an instance of a module rewritten with
// Options.Fuel, and false if m has none.
//
// Set it to a budget before a call, from the goroutine making the call;
// after a trap, a value of -1 (as an int64) says the guest ran out of it.
func FuelGlobal(m api.Module) (api.MutableGlobal, bool) {
	return mutableGlobal(m, FuelExport, api.ValueTypeI64)
}

// mutableGlobal returns m's export name if it is a mutable global of type t.
func mutableGlobal(m api.Module, name string, t api.ValueType) (api.MutableGlobal, bool) {
	if m == nil {
		return nil, false
	}
	g, ok := m.ExportedGlobal(name).(api.MutableGlobal)
	if !ok || g.Type() != t {
		return nil, false
	}
	return g, true
}
