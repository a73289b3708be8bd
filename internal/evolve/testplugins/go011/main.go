// Command go011 is a Go plugin built for the test contract
// testdata/evolve/v0.1.1: it sets slugs, and on-post-archived (new in
// 0.1.1) logs the time from now-millis (also new in 0.1.1), so its module
// imports a function a 0.1.0 host lacks.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go011.wasm .
package main

import (
	"strconv"

	"github.com/raisfast/wasmplug/internal/evolve/guest011"
	"github.com/raisfast/wasmplug/internal/evolve/guest011/hostapi"
	"github.com/raisfast/wasmplug/internal/evolve/guest011/pluginhooks/onpostarchived"
	"github.com/raisfast/wasmplug/internal/evolve/guest011/pluginhooks/onpostcreating"
)

func init() {
	onpostcreating.Export(func(post guest011.PostInput) *guest011.PostInput {
		slug := "go-0.1.1"
		post.Slug = &slug
		return &post
	})
	onpostarchived.Export(func(id string) {
		hostapi.Log("info", "go-0.1.1 archived "+id+" at "+strconv.FormatUint(hostapi.NowMillis(), 10))
	})
}

func main() {}
