// Command guestimpl is the all-types test guest, in standard Go: every
// export of guest-side forwards its arguments to the same-named host-side
// import and returns that import's result unchanged; version calls now and
// returns "alltypes-go/1". Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o alltypes.wasm ./internal/alltypes/guestimpl
//
// internal/alltypes/roundtrip_test.go builds it and drives it from the host
// bindings.
package main

import (
	"github.com/raisfast/wasmplug/internal/alltypes/guest/alltypes"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/alltypes/version"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echobool"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echobytes"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echochar"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echocolor"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echoeverything"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echof32"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echof64"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echometa"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echonames"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echonested"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echooption"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echopadded"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echoperms"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echopoint"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echoresult"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echos16"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echos32"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echos64"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echos8"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echoshape"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echoshapes"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echostring"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echotuple"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echou16"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echou32"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echou64"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echou8"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echounitresult"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/echowide"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/manyargs"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/ping"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/guestside/sumpoints"
	"github.com/raisfast/wasmplug/internal/alltypes/guest/hostside"
)

// option turns an import's (T, bool) back into an export's *T.
func option[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func init() {
	// Where the Go signatures of both sides agree, the import is the
	// implementation.
	echobool.Export(hostside.EchoBool)
	echos8.Export(hostside.EchoS8)
	echou8.Export(hostside.EchoU8)
	echos16.Export(hostside.EchoS16)
	echou16.Export(hostside.EchoU16)
	echos32.Export(hostside.EchoS32)
	echou32.Export(hostside.EchoU32)
	echos64.Export(hostside.EchoS64)
	echou64.Export(hostside.EchoU64)
	echof32.Export(hostside.EchoF32)
	echof64.Export(hostside.EchoF64)
	echochar.Export(hostside.EchoChar)
	echostring.Export(hostside.EchoString)
	echobytes.Export(hostside.EchoBytes)
	echonames.Export(hostside.EchoNames)
	echoresult.Export(hostside.EchoResult)
	echounitresult.Export(hostside.EchoUnitResult)
	echotuple.Export(hostside.EchoTuple)
	echocolor.Export(hostside.EchoColor)
	echoperms.Export(hostside.EchoPerms)
	echowide.Export(hostside.EchoWide)
	echopoint.Export(hostside.EchoPoint)
	echopadded.Export(hostside.EchoPadded)
	echoshape.Export(hostside.EchoShape)
	echoshapes.Export(hostside.EchoShapes)
	echometa.Export(hostside.EchoMeta)
	echoeverything.Export(hostside.EchoEverything)
	manyargs.Export(hostside.ManyArgs)
	ping.Export(hostside.Ping)
	sumpoints.Export(hostside.SumPoints)

	// An import returning option<T> gives (T, bool); an export returns *T.
	echooption.Export(func(x *string) *string { return option(hostside.EchoOption(x)) })
	echonested.Export(func(x *[]*string) *[]*string { return option(hostside.EchoNested(x)) })

	version.Export(func() string {
		alltypes.Now()
		return "alltypes-go/1"
	})
}

func main() {}
