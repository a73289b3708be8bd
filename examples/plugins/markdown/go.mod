// The markdown plugin is its own module, as a plugin author's would be
// (witgen new-plugin writes one): its dependencies (goldmark, x/net/html)
// stay out of the host module's go.mod.
module github.com/raisfast/wasmplug/examples/plugins/markdown

go 1.26.8

require (
	github.com/raisfast/wasmplug v0.0.0
	github.com/yuin/goldmark v1.8.7
	golang.org/x/net v0.62.0
)

replace github.com/raisfast/wasmplug => ../../..
