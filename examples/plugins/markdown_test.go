package examples_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

const post = "# Release notes\n\n" +
	"Some *emphasis*, **strong** and ~~struck~~ text, see https://example.com.\n\n" +
	"## Changes\n\n" +
	"- first item\n- second item\n  1. nested ordered\n\n" +
	"Tasks:\n\n- [x] done task\n\n" +
	"```go\nfmt.Println(\"<hi>\")\n```\n\n" +
	"| name | value |\n|------|------:|\n| a    | 1     |\n\n" +
	"<div onclick=\"steal()\">raw <b>html</b></div>\n\n" +
	"<script>alert('md')</script>\n\n" +
	"[click](javascript:alert(1))\n"

func TestMarkdown(t *testing.T) {
	l := load(t, "markdown")
	h := &fakeHost{}
	inst := l.instance(t, h)
	ctx := context.Background()

	out, err := inst.RenderMarkdown(ctx, post)
	if err != nil || out == nil {
		t.Fatalf("render-markdown: %v, %v", out, err)
	}
	rendered := *out
	for _, want := range []string{
		`<h1 id="release-notes">Release notes</h1>`,
		`<h2 id="changes">Changes</h2>`,
		"<ul>\n<li>first item</li>\n<li>second item\n<ol>\n<li>nested ordered</li>\n</ol>\n</li>\n</ul>",
		`<input checked="" disabled="" type="checkbox"> done task`,
		`<pre><code class="language-go">fmt.Println(&quot;&lt;hi&gt;&quot;)` + "\n</code></pre>",
		`<th>name</th>`, `<td style="text-align:right">1</td>`,
		`<del>struck</del>`, `<em>emphasis</em>`, `<strong>strong</strong>`,
		`<a href="https://example.com">https://example.com</a>`,
		`<div onclick="steal()">raw <b>html</b></div>`, // raw_html = true in the manifest
	} {
		if !strings.Contains(rendered, want) {
			t.Errorf("rendered HTML lacks %q:\n%s", want, rendered)
		}
	}
	// With raw_html, goldmark passes scripts and javascript: links through:
	// filter-html is what removes them.
	if !strings.Contains(rendered, "<script>alert('md')</script>") || !strings.Contains(rendered, `href="javascript:alert(1)"`) {
		t.Errorf("rendered HTML (raw_html = true) should still hold the script and the javascript: link:\n%s", rendered)
	}

	// The host's chain: render-markdown, then filter-html.
	filtered, err := inst.FilterHTML(ctx, rendered)
	if err != nil || filtered == nil {
		t.Fatalf("filter-html: %v, %v", filtered, err)
	}
	assertNoScript(t, *filtered)
	for _, want := range []string{`<h1 id="release-notes">Release notes</h1>`, `<div>raw <b>html</b></div>`, `<p><a>click</a></p>`, `<td style="text-align:right">1</td>`, `&lt;hi&gt;`} {
		if !strings.Contains(*filtered, want) {
			t.Errorf("filtered HTML lacks %q:\n%s", want, *filtered)
		}
	}

	// Clean, normalized HTML: none (the value is left alone, byte for byte).
	clean := "<p>Fine <a href=\"/x\" title=\"on\">link</a> &amp; <img src=\"a.png\"/></p>\n<p>more</p>"
	if got, err := inst.FilterHTML(ctx, clean); err != nil || got != nil {
		t.Errorf("filter-html of clean HTML = %v, %v; want none", deref(got), err)
	}
	// Clean but not normalized: the same tree, re-serialized.
	if got, err := inst.FilterHTML(ctx, "<p>Fine <a href='/x' title=on>link</a>"); err != nil || got == nil || *got != `<p>Fine <a href="/x" title="on">link</a></p>` {
		t.Errorf("filter-html of unnormalized HTML = %v, %v", deref(got), err)
	}

	// Without raw_html, goldmark omits raw HTML and dangerous links itself.
	h2 := &fakeHost{config: map[string]string{"raw_html": "false", "gfm": "false"}}
	inst2 := l.instance(t, h2)
	out, err = inst2.RenderMarkdown(ctx, "<script>x</script>\n\n~~a~~ [c](javascript:x)\n")
	if err != nil || out == nil || strings.Contains(*out, "<script") || strings.Contains(*out, "<del>") || strings.Contains(*out, "javascript:") {
		t.Errorf("render-markdown with raw_html=false, gfm=false: %v, %v", deref(out), err)
	}
	if len(h.logs)+len(h2.logs) != 0 {
		t.Errorf("unexpected logs: %q %q", h.logs, h2.logs)
	}
}

// TestFilterHTMLVectors feeds filter-html script-injection tricks; the
// output must parse (as a browser would) into a tree without scripts,
// event handlers or script URLs, and keep the harmless content.
func TestFilterHTMLVectors(t *testing.T) {
	l := load(t, "markdown")
	inst := l.instance(t, &fakeHost{})
	ctx := context.Background()
	for _, c := range []struct{ in, keep string }{
		{`<p>a</p><script>alert(1)</script><p>b</p>`, "<p>b</p>"},
		{`<SCRIPT SRC=//evil.example/x.js></SCRIPT>ok`, "ok"},
		{`<script/src="x"></script>ok`, "ok"},
		{`<scr<script>ipt>alert(1)</script>`, ""},
		{`<p>unterminated<script>alert(1)`, "unterminated"},
		{`<img src=x onerror=alert(1)>`, `<img src="x"/>`},
		{`<img src=x ONERROR="alert(1)" OnLoad=x>`, `<img src="x"/>`},
		{`<body onload=alert(1)>hi`, "hi"},
		{`<p>x</p><html onmouseover=alert(1)><head><base href="javascript:/"></head>`, "<p>x</p>"},
		{`<a href="javascript:alert(1)">x</a>`, "<a>x</a>"},
		{`<a href=" JaVaScRiPt:alert(1)">x</a>`, "<a>x</a>"},
		{"<a href=\"java\tscript:alert(1)\">x</a>", "<a>x</a>"},
		{`<a href="jav&#x09;ascript:alert(1)">x</a>`, "<a>x</a>"},
		{`<a href="&#106;avascript:alert(1)">x</a>`, "<a>x</a>"},
		{`<a href="vbscript:msgbox(1)">x</a>`, "<a>x</a>"},
		{`<form action="javascript:alert(1)"><button formaction="javascript:x">b</button></form>`, "<button>b</button>"},
		{`<svg><script>alert(1)</script><circle r="1"/></svg>`, "<circle"},
		{`<svg><a xlink:href="javascript:alert(1)"><text>t</text></a></svg>`, "<text>t</text>"},
		{`<svg onload=alert(1)>`, "<svg>"},
		{`<svg><style><img src=x onerror=alert(1)></style></svg>`, `<img src="x"/>`},
		{`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, ""},
		{`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, ""},
		{`<iframe srcdoc="<script>alert(1)</script><p>in frame</p>"></iframe>`, "in frame"},
		{`<template><script>alert(1)</script><b>t</b></template>`, "<b>t</b>"},
		{`<style>p{color:red}</style><p>styled</p>`, "<style>p{color:red}</style>"},
		{`<!--<script>alert(1)</script>--><p>c</p>`, "<p>c</p>"},
	} {
		out, err := inst.FilterHTML(ctx, c.in)
		if err != nil {
			t.Fatalf("filter-html(%q): %v", c.in, err)
		}
		got := c.in
		if out != nil {
			got = *out
		}
		t.Logf("%q -> %q", c.in, got)
		t.Run("", func(t *testing.T) {
			assertNoScript(t, got)
			if !strings.Contains(got, c.keep) {
				t.Errorf("filter-html(%q) = %q: lost %q", c.in, got, c.keep)
			}
		})
	}
}

// assertNoScript parses s as a browser would, both as a fragment (set with
// innerHTML) and embedded in a page's body (rendered by the server), and
// fails on script elements, on* attributes and javascript:/vbscript: URLs
// anywhere in the tree, including iframe srcdoc documents.
func assertNoScript(t *testing.T, s string) {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		t.Fatal(err)
	}
	page, err := html.Parse(strings.NewReader("<!DOCTYPE html><html><head><title>t</title></head><body><main>" + s + "</main><p>footer</p></body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" {
				t.Errorf("script element in %q", s)
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val))
				switch {
				case strings.HasPrefix(strings.ToLower(a.Key), "on"):
					t.Errorf("event handler %s on <%s> in %q", a.Key, n.Data, s)
				case strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:"):
					t.Errorf("script URL %s=%q in %q", a.Key, a.Val, s)
				case a.Key == "srcdoc":
					assertNoScript(t, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range append(nodes, page) {
		walk(n)
	}
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
