// Command go009 is a Go plugin built for the older-major test contract
// testdata/evolve/v0.0.9. on-post-creating stores the incoming slug with
// kv-set, reads it back with kv-get and returns it with "-v0" and the
// site-name appended, so a filter chain shows the adapter's host mapping
// working end to end.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go009.wasm .
package main

import (
	"github.com/raisfast/wasmplug/internal/evolve/guest009"
	"github.com/raisfast/wasmplug/internal/evolve/guest009/hostapi"
	"github.com/raisfast/wasmplug/internal/evolve/guest009/pluginhooks/onpostcreating"
	"github.com/raisfast/wasmplug/internal/evolve/guest009/pluginhooks/rendermarkdown"
)

func init() {
	onpostcreating.Export(func(post guest009.PostInput) *guest009.PostInput {
		slug := "none"
		if post.Slug != nil {
			slug = *post.Slug
		}
		if !hostapi.KVSet("last-slug", slug) {
			slug = "kv-set-failed"
		} else if v, ok := hostapi.KVGet("last-slug"); ok {
			slug = v
		} else {
			slug = "kv-get-failed"
		}
		slug += "-v0-" + hostapi.SiteName()
		post.Slug = &slug
		return &post
	})
	rendermarkdown.Export(func(md string) *string {
		out := "<v0>" + md + "</v0>"
		return &out
	})
}

func main() {}
