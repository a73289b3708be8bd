// Package bench measures the generated bindings of wit/plugin.wit against
// the floors and the alternatives, doing the same work in every peer: a
// filter that sets the slug of a post with a 2 KiB body and 3 tags, the
// host reading the whole post back.
//
// Peers, all in one `go test -bench` run (see run.sh, which also writes
// docs/benchmarks.md):
//
//	BenchmarkFloor/c          hand-rolled protocol (floor.go) + C guest          the floor
//	BenchmarkFloor/go         hand-rolled protocol + standard Go guest            the Go floor
//	BenchmarkFloor/go-struct  the same, Go written the ordinary way               a reference
//	BenchmarkGenerated/c      gen/plugin + wit-bindgen C guest (c-plugin)
//	BenchmarkGenerated/rust   gen/plugin + wit-bindgen Rust guest (slug-rust)
//	BenchmarkGenerated/go     gen/plugin + `witgen guest` Go guest (go-witgen)
//	BenchmarkExtism/go        extism go-sdk + go-pdk guest, JSON (extism.go)
//	BenchmarkFresh/*          gen/plugin, a fresh instance per call
//	BenchmarkDeadline/*       gen/plugin as runtime/ runs it: interruptible
//	                          (WithCloseOnContextDone) with a deadline per call
//
// and the system figures: BenchmarkAction (on-login, one string argument),
// BenchmarkThroughput (runtime/ with pools of 1, 2, 4, 8 under 8 and 64 callers),
// BenchmarkMemory, BenchmarkColdStart (with and without the on-disk
// compilation cache), BenchmarkHotReload and BenchmarkWitgen.
//
// Guests are built by build-guests.sh into .cache/bench (and .cache/guests
// for c-plugin and slug-rust); a benchmark whose guest is missing skips and
// says how to build it.
//
// bench is its own Go module: Extism's go-sdk brings observe-sdk,
// OpenTelemetry protos, protobuf, a demangler and more, none of which the
// product should depend on.
package bench
