// Command go020 is a Go plugin built for the test contract
// testdata/evolve/v0.2.0 (another semver track than 0.1.x): it sets slugs
// and logs logins with 0.2.0's extra on-login parameter.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go020.wasm .
package main

import (
	"strconv"

	"github.com/raisfast/wasmplug/internal/evolve/guest020"
	"github.com/raisfast/wasmplug/internal/evolve/guest020/hostapi"
	"github.com/raisfast/wasmplug/internal/evolve/guest020/pluginhooks/onlogin"
	"github.com/raisfast/wasmplug/internal/evolve/guest020/pluginhooks/onpostcreating"
)

func init() {
	onpostcreating.Export(func(post guest020.PostInput) *guest020.PostInput {
		slug := "go-0.2.0"
		post.Slug = &slug
		return &post
	})
	onlogin.Export(func(userID string, atMillis uint64) {
		hostapi.Log("info", "go-0.2.0 login "+userID+" at "+strconv.FormatUint(atMillis, 10))
	})
}

func main() {}
