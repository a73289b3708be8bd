// The stats plugin is its own module, as a plugin author's would be (witgen
// new-plugin writes one), with a replace to this checkout.
module github.com/raisfast/wasmplug/examples/plugins/stats

go 1.26.8

require github.com/raisfast/wasmplug v0.0.0

replace github.com/raisfast/wasmplug => ../../..
