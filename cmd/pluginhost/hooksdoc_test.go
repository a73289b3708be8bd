package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/internal/genguest"
)

// hooksDoc is the hook reference, relative to this package.
const hooksDoc = "../../docs/hooks.md"

// guestModule is the import path of the generated Go guest package.
const guestModule = "github.com/raisfast/wasmplug/guest/plugin"

// hookDocSections splits a Markdown text into its level-2 sections. A
// heading that is one word (no space, backticks allowed) names a hook; the
// others ("How the host dispatches") are prose and are left out. It returns
// each hook section's text by name, the names in order of appearance, and
// the text before the first level-2 heading.
func hookDocSections(doc string) (sections map[string]string, order []string, head string) {
	sections = map[string]string{}
	cur, inHead := "", true // cur: the hook section being read, "" in prose
	var b strings.Builder
	flush := func() {
		switch {
		case inHead:
			head = b.String()
		case cur != "":
			sections[cur] += b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(doc, "\n") {
		title, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "## ")
		if !ok {
			b.WriteString(line)
			continue
		}
		flush()
		inHead, cur = false, strings.Trim(strings.TrimSpace(title), "`")
		if strings.ContainsAny(cur, " \t") {
			cur = "" // prose
			continue
		}
		order = append(order, cur)
	}
	flush()
	return sections, order, head
}

// tableRowRE matches a row of the table at the top of docs/hooks.md:
// | [`hook`](#anchor) | kind | …
var tableRowRE = regexp.MustCompile("^\\| \\[`([^`]+)`\\]\\(#([^)]*)\\) \\| ([a-z]+) \\|")

// TestHooksDocCoversTheContract checks docs/hooks.md against the generated
// hook table (plugin.HookList, the exports of wit/plugin.wit's world): one
// "## <hook>" section per hook and none for a hook that does not exist,
// each section naming the hook's kind ("a **filter**" or "an **action**")
// and importing the hook's generated guest package (which must exist) in
// its Go example, and one row per hook in the summary table with the
// section's anchor and the right kind.
func TestHooksDocCoversTheContract(t *testing.T) {
	b, err := os.ReadFile(hooksDoc)
	if err != nil {
		t.Fatal(err)
	}
	sections, order, head := hookDocSections(string(b))
	known := map[string]plugin.Hook{}
	for _, h := range plugin.HookList {
		known[h.Name] = h
	}

	seen := map[string]bool{}
	for _, name := range order {
		if seen[name] {
			t.Errorf("%s: two sections ## %s", hooksDoc, name)
		}
		seen[name] = true
		if _, ok := known[name]; !ok {
			t.Errorf("%s: section ## %s, but wit/plugin.wit has no hook %q", hooksDoc, name, name)
		}
	}
	for _, h := range plugin.HookList {
		text, ok := sections[h.Name]
		if !ok {
			t.Errorf("%s: hook %s (%s) of wit/plugin.wit has no ## %s section", hooksDoc, h.Name, h.Kind.String(), h.Name)
			continue
		}
		checkHookSection(t, h, text)
	}
	checkHookTable(t, head, known)
}

// checkHookSection checks one hook's section: its kind and its Go example.
func checkHookSection(t *testing.T, h plugin.Hook, text string) {
	t.Helper()
	article := "a"
	if h.Kind == plugin.HookAction {
		article = "an"
	}
	if want := article + " **" + h.Kind.String() + "**"; !strings.Contains(text, want) {
		t.Errorf("%s: ## %s does not say %q", hooksDoc, h.Name, want)
	}
	dir := genguest.PackageName(h.Interface) + "/" + genguest.PackageName(h.Name)
	if _, err := os.Stat(filepath.Join("../../guest/plugin", filepath.FromSlash(dir))); err != nil {
		t.Errorf("guest package of %s: %v", h.Name, err)
	}
	pkg := genguest.PackageName(h.Name)
	if imp := `"` + guestModule + "/" + dir + `"`; !strings.Contains(text, "```go\n") || !strings.Contains(text, imp) || !strings.Contains(text, pkg+".Export(") {
		t.Errorf("%s: ## %s has no Go example that imports %s and calls %s.Export", hooksDoc, h.Name, imp, pkg)
	}
}

// checkHookTable checks the summary table above the first section.
func checkHookTable(t *testing.T, head string, known map[string]plugin.Hook) {
	t.Helper()
	rows := map[string]int{}
	for _, line := range strings.Split(head, "\n") {
		m := tableRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, anchor, kind := m[1], m[2], m[3]
		rows[name]++
		h, ok := known[name]
		switch {
		case !ok:
			t.Errorf("%s: table row for %q, which is not a hook of wit/plugin.wit", hooksDoc, name)
		case anchor != name:
			t.Errorf("%s: table row %s links to #%s", hooksDoc, name, anchor)
		case kind != h.Kind.String():
			t.Errorf("%s: table row %s says %s, the hook's kind is %s", hooksDoc, name, kind, h.Kind.String())
		}
	}
	for name := range known {
		if rows[name] != 1 {
			t.Errorf("%s: %d table rows for %s, want 1", hooksDoc, rows[name], name)
		}
	}
}
