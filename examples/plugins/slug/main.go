// Command slug is the product page's quick start in Go: it derives a post's
// URL slug from its title, logs every published post and caches it as
// cache/posts/<slug>.json in its sandbox, and logs its [[cron]] firings.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package main

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/raisfast/wasmplug/guest/plugin"
	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncrontick"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostcreated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostcreating"
)

func init() {
	onpostcreating.Export(func(post plugin.PostInput) *plugin.PostInput {
		if post.Slug != nil && *post.Slug != "" {
			return nil // the author chose one: leave the post unchanged
		}
		slug := slugify(post.Title)
		if slug == "" {
			return nil // nothing usable in the title: let the host decide
		}
		post.Slug = &slug
		return &post
	})
	onpostcreated.Export(func(out plugin.PostOutput) {
		hostapi.Log("info", "published: "+out.Slug)
		doc, err := json.Marshal(cachedPost{
			ID: out.ID, Title: out.Title, Slug: out.Slug, Status: out.Status,
			Excerpt: out.Excerpt, CreatedAt: out.CreatedAt, PublishedAt: out.PublishedAt,
		})
		if err != nil {
			hostapi.Log("error", "encode post "+out.ID+": "+err.Error())
			return
		}
		if !hostapi.VFSWrite("cache/posts/"+out.Slug+".json", string(doc)) {
			hostapi.Log("warn", "could not cache post "+out.Slug)
		}
	})
	oncrontick.Export(func(payload *string) {
		if payload != nil {
			hostapi.Log("info", "cron fired: "+*payload)
		}
	})
}

// cachedPost is what cache/posts/<slug>.json holds.
type cachedPost struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Slug        string  `json:"slug"`
	Status      string  `json:"status"`
	Excerpt     *string `json:"excerpt,omitempty"`
	CreatedAt   string  `json:"created_at"`
	PublishedAt *string `json:"published_at,omitempty"`
}

// slugify lower-cases title and joins its words with "-": letters and
// digits (of any script) are kept, everything else separates words, so
// "Hello, Go World!" becomes "hello-go-world" and "你好 世界" "你好-世界".
// The result is at most 80 bytes, cut at a word boundary where possible.
func slugify(title string) string {
	const maxLen = 80
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			if b.Len()+len(string(r)) > maxLen {
				return trimWord(b.String())
			}
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	return b.String()
}

// trimWord drops a partial last word of a slug cut at the length limit.
func trimWord(s string) string {
	if i := strings.LastIndexByte(s, '-'); i > 0 {
		return s[:i]
	}
	return s
}

func main() {}
