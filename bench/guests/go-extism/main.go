// Command go-extism is the slug filter as an Extism plugin: standard Go with
// github.com/extism/go-pdk, the post exchanged as JSON (what Extism plugins
// do for structured values). Same logic as the other Go guests.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o go-extism.wasm .
package main

import (
	"strings"

	"github.com/extism/go-pdk"
)

// post mirrors the host's plugin.PostInput JSON (gen/plugin's json tags).
type post struct {
	Title      string    `json:"title"`
	Content    string    `json:"content"`
	Slug       *string   `json:"slug,omitempty"`
	Excerpt    *string   `json:"excerpt,omitempty"`
	CategoryID *string   `json:"category_id,omitempty"`
	TagIDs     *[]string `json:"tag_ids,omitempty"`
	Status     *string   `json:"status,omitempty"`
	CoverImage *string   `json:"cover_image,omitempty"`
}

// onPostCreating outputs the post with its slug set, or nothing (the
// host's none) when it already has one.
//
//go:wasmexport on_post_creating
func onPostCreating() int32 {
	var p post
	if err := pdk.InputJSON(&p); err != nil {
		pdk.SetError(err)
		return 1
	}
	if p.Slug != nil {
		return 0
	}
	slug := strings.ReplaceAll(strings.ToLower(p.Title), " ", "-")
	p.Slug = &slug
	if err := pdk.OutputJSON(p); err != nil {
		pdk.SetError(err)
		return 1
	}
	return 0
}

func main() {}
