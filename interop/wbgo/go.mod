// The conformance plugin on wit-bindgen-cli 0.63.0's Go generator: a module of its own (the
// generated bindings import each other as wit_component/...), kept out of the main module's
// ./... . .ci/build-guests.sh conformance-wbgo generates the bindings next to a copy of this
// directory and builds it; see README.md.
module wit_component

go 1.25

require go.bytecodealliance.org/pkg v0.4.0
