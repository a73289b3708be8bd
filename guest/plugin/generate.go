// Package plugin holds the Go guest bindings of wit/plugin.wit's
// plugin-world, shared by every Go plugin (see bindings.go): the world's
// types here, the host API in package hostapi, and one package per hook under
// pluginhooks/ (importing a hook's package and calling its Export is what
// makes the module export that hook).
//
// It is the guest-side twin of gen/plugin (the host bindings). A plugin does
// not need to generate anything:
//
//	import (
//		"github.com/raisfast/wasmplug/guest/plugin"
//		"github.com/raisfast/wasmplug/guest/plugin/hostapi"
//		"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostcreating"
//	)
//
// and builds with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package plugin

//go:generate go run ../../cmd/witgen guest -wit ../../wit/plugin.wit -world plugin-world -out . -pkg plugin
