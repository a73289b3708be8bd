// Command markdown renders posts: render-markdown turns Markdown into HTML
// with goldmark (CommonMark, plus GitHub-flavoured tables, strikethrough,
// autolinks and task lists), and filter-html removes from rendered HTML what
// could run script — <script> elements, on* event-handler attributes and
// javascript:/vbscript: URLs — with the HTML5 tokenizer of
// golang.org/x/net/html rather than regular expressions.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package main

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/filterhtml"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/rendermarkdown"
)

func init() {
	rendermarkdown.Export(func(src string) *string {
		var out bytes.Buffer
		if err := markdown().Convert([]byte(src), &out); err != nil {
			hostapi.Log("error", "render-markdown: "+err.Error())
			return nil // none: leave the Markdown to the next plugin or the host
		}
		html := out.String()
		return &html
	})
	filterhtml.Export(func(in string) *string {
		out, changed := sanitize(in)
		if !changed {
			return nil // none: the HTML stays as it is
		}
		return &out
	})
}

// md is the Markdown converter, built on first use from the plugin's
// [config] (an instance lives until the plugin is reloaded, and a reload
// brings new instances, so reading the configuration once is enough):
//
//	gfm = true          GitHub-flavoured extensions (default true)
//	raw_html = false    keep raw HTML written in the Markdown (default false:
//	                    goldmark replaces it with a comment); filter-html
//	                    still removes scripts from it
//	hard_wraps = false  render single line breaks as <br>
var md goldmark.Markdown

func markdown() goldmark.Markdown {
	if md != nil {
		return md
	}
	var exts []goldmark.Extender
	if configBool("gfm", true) {
		exts = append(exts, extension.GFM)
	}
	var ropts []renderer.Option
	if configBool("raw_html", false) {
		ropts = append(ropts, html.WithUnsafe())
	}
	if configBool("hard_wraps", false) {
		ropts = append(ropts, html.WithHardWraps())
	}
	md = goldmark.New(
		goldmark.WithExtensions(exts...),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(ropts...),
	)
	return md
}

// configBool reads a boolean [config] value; unset or malformed values
// (logged) give def.
func configBool(key string, def bool) bool {
	v, ok := hostapi.GetConfig(key)
	if !ok {
		return def
	}
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	hostapi.Log("warn", "config "+key+" = "+v+": want true or false; using the default")
	return def
}

func main() {}
