// The seed's Rust quick start in Go: a slug filter, a "published" action and
// a cron action. The bindings are `witgen guest -wit wit/plugin.wit -world
// plugin-world -out plugin`; the module exports exactly the three hooks whose
// packages are imported. Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm
package main

import (
	"strings"

	"example.com/quickstart/plugin"
	"example.com/quickstart/plugin/hostapi"
	"example.com/quickstart/plugin/pluginhooks/oncrontick"
	"example.com/quickstart/plugin/pluginhooks/onpostcreated"
	"example.com/quickstart/plugin/pluginhooks/onpostcreating"
)

func init() {
	onpostcreating.Export(func(post plugin.PostInput) *plugin.PostInput {
		if post.Slug == nil {
			slug := strings.ReplaceAll(strings.ToLower(post.Title), " ", "-")
			post.Slug = &slug
		}
		return &post
	})
	onpostcreated.Export(func(out plugin.PostOutput) {
		hostapi.Log("info", "published: "+out.Slug)
		hostapi.VFSWrite("cache/posts/"+out.Slug+".json", "{}")
	})
	oncrontick.Export(func(payload *string) {
		if payload != nil {
			hostapi.Log("info", "cron fired: "+*payload)
		}
	})
}

func main() {}
