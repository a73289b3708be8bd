package main

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// sanitize removes from an HTML fragment (the body of a page)
//
//   - every script element with its content, in HTML and in SVG;
//   - every attribute whose name starts with "on" (onclick, onerror, …);
//   - URL attributes (href, src, action, formaction, xlink:href, …) whose
//     scheme is javascript: or vbscript:, however spelled (character
//     references, case, embedded tabs or newlines, leading spaces);
//   - and it applies the same to the HTML inside iframe srcdoc attributes.
//
// It parses with golang.org/x/net/html's HTML5 parser — the tokenizer plus
// the tree construction rules — because a tokenizer alone cannot tell what a
// browser will treat as markup: inside <svg> or <math>, <style> or <title>
// hold elements, not text (`<svg><style><img src=x onerror=…>` runs the
// handler), and only tree construction knows when foreign content starts and
// ends. Walking the tree sees exactly the elements and attributes a browser
// would create, and html.Render escapes text so that re-parsing the output
// gives the same tree.
//
// The output is always the re-serialized tree, never the input with holes
// cut in it: the parser drops tokens it ignores (such as a second <body
// onload=…> start tag, which a page embedding the fragment would apply to
// its own body) and a browser parsing the output sees only what the tree
// holds. changed is false when that output equals the input byte for byte
// (already-normalized HTML without scripts, such as goldmark's): the caller
// then leaves the value alone.
//
// This is a script filter, not a general allow-list sanitizer: styles,
// iframes, forms and unknown elements pass through.
func sanitize(in string) (out string, changed bool) {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(in), body)
	if err != nil {
		// Input the parser refuses (such as nesting deeper than it allows)
		// is not passed through unchecked: it is shown as text.
		return html.EscapeString(in), true
	}
	for _, n := range nodes {
		body.AppendChild(n)
	}
	clean(body)
	var b bytes.Buffer
	b.Grow(len(in))
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return html.EscapeString(in), true
		}
	}
	if b.String() == in {
		return in, false
	}
	return b.String(), true
}

// clean removes scripts and script-running attributes below n and reports
// whether it removed anything.
func clean(n *html.Node) bool {
	changed := false
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.ElementNode && c.Data == "script" { // HTML or SVG
			n.RemoveChild(c)
			changed = true
		} else if clean(c) {
			changed = true
		}
		c = next
	}
	if n.Type != html.ElementNode {
		return changed
	}
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		switch {
		case strings.HasPrefix(strings.ToLower(a.Key), "on"):
			changed = true
			continue
		case urlAttr(a) && scriptURL(a.Val):
			changed = true
			continue
		case a.Namespace == "" && a.Key == "srcdoc":
			if s, ch := sanitize(a.Val); ch {
				a.Val, changed = s, true
			}
		}
		kept = append(kept, a)
	}
	n.Attr = kept
	return changed
}

// urlAttr reports whether a browser may load, navigate to or submit to the
// value of a.
func urlAttr(a html.Attribute) bool {
	if a.Namespace == "xlink" && a.Key == "href" {
		return true
	}
	switch strings.ToLower(a.Key) {
	case "href", "src", "action", "formaction", "data", "poster", "background", "codebase", "cite", "xlink:href":
		return true
	}
	return false
}

// scriptURL reports whether a URL (as the parser decoded it: character
// references resolved) would run script. Browsers ignore leading and
// trailing C0 controls and spaces and remove tabs and newlines anywhere.
func scriptURL(v string) bool {
	v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' })
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	scheme, _, ok := strings.Cut(v, ":")
	if !ok {
		return false
	}
	scheme = strings.ToLower(scheme)
	return scheme == "javascript" || scheme == "vbscript"
}
