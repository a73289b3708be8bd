package interop_test

import (
	"math"
	"strconv"
	"strings"

	"github.com/raisfast/wasmplug/gen/plugin"
)

// tcase is one row of the conformance table: a hook and its argument
// (plugin.PostInput, plugin.PostOutput, plugin.CommentInput,
// plugin.ContentEvent, string, *string or plugin.OnContentDeletedArgs).
type tcase struct {
	name string
	hook string
	arg  any
}

// Strings with 1-, 2-, 3- and 4-byte UTF-8 and a NUL in the middle.
const (
	mb   = "aé€😀"
	mbNL = "Ünïcode body € 😀\x00after NUL\nline 2"
)

func tags(n int) *[]string {
	ts := make([]string, n)
	for i := range ts {
		ts[i] = "tag-" + strconv.Itoa(i) + "-é😀"
	}
	return &ts
}

// big is 256 KiB of mixed-width UTF-8 (17-byte units: slice it at multiples of 17).
var big = strings.Repeat("ab€😀 ✓ é\x00", 256*1024/17+1)

func fullPostOutput() plugin.PostOutput {
	return plugin.PostOutput{
		ID: "p-42", Title: "Hello Wörld 😀", Slug: "hello-wörld", Content: mbNL,
		Excerpt: ptr("short ✓"), Status: "published", CreatedBy: "Zoë",
		UpdatedBy: ptr("bob"), CategoryID: ptr("news"), ViewCount: 41,
		CreatedAt: "2026-01-02T03:04:05Z", UpdatedAt: "2026-01-03T03:04:05Z",
		PublishedAt: ptr("2026-01-04T00:00:00+01:00"),
	}
}

func minimalPostOutput(id, slug string, views int64) plugin.PostOutput {
	return plugin.PostOutput{ID: id, Title: "", Slug: slug, Content: "", Status: "draft", CreatedBy: "u", ViewCount: views}
}

// cases is the conformance table (see SPEC.md, "What the table covers").
func cases() []tcase {
	emptySome := plugin.PostInput{Title: "", Content: "", Slug: ptr(""), Excerpt: ptr(""), CategoryID: ptr(""),
		TagIDs: &[]string{}, Status: ptr(""), CoverImage: ptr("")}
	full := plugin.PostInput{Title: "Hello Wörld 😀", Content: mbNL, Slug: ptr("my-post"), Excerpt: ptr(mb + " ✓"),
		CategoryID: ptr("news"), TagIDs: &[]string{"a", "ß", "日本", ""}, Status: ptr("published"),
		CoverImage: ptr("https://img.example/c€.png")}
	var cs []tcase
	add := func(name, hook string, arg any) { cs = append(cs, tcase{name, hook, arg}) }

	for _, hook := range []string{"on-post-creating", "on-post-updating"} {
		add("all-set", hook, full)
		add("all-unset", hook, plugin.PostInput{Title: "Only Title ÀÉ mixed Case", Content: "Body ÀB"})
		add("empty-some", hook, emptySome)
		add("pass", hook, plugin.PostInput{Title: "pass", Content: "x", Slug: ptr("s"), TagIDs: tags(3)})
		add("not-pass", hook, plugin.PostInput{Title: "passé", Content: "pass"})
		add("missing-slug", hook, plugin.PostInput{Title: "T", Content: "C", Slug: ptr("missing-post"), TagIDs: &[]string{"solo"}})
		add("missing-title", hook, plugin.PostInput{Title: "a missing title", Content: "C"})
		add("large", hook, plugin.PostInput{Title: strings.Repeat("Long 😀 ", 500), Content: big, Excerpt: ptr(big[:17*700]),
			TagIDs: tags(1000), Status: ptr("review"), CoverImage: ptr("c")})
	}

	add("all-set", "on-comment-creating", plugin.CommentInput{Content: "Nice post! 👍", Nickname: ptr("Zoë"), Email: ptr("Zoë@Example.COM"), ParentID: ptr("c-1")})
	add("all-unset", "on-comment-creating", plugin.CommentInput{Content: "hi"})
	add("email-only", "on-comment-creating", plugin.CommentInput{Content: "hi", Email: ptr("A@B.C")})
	add("missing-email", "on-comment-creating", plugin.CommentInput{Content: "hi", Email: ptr("missing@example.com")})
	add("empty-some", "on-comment-creating", plugin.CommentInput{Content: "", Nickname: ptr(""), Email: ptr(""), ParentID: ptr("")})
	add("pass", "on-comment-creating", plugin.CommentInput{Content: "pass", Nickname: ptr("n")})
	add("large", "on-comment-creating", plugin.CommentInput{Content: big, Nickname: ptr(big[:17*60])})

	for _, hook := range []string{"on-content-creating", "on-content-updating"} {
		add("all-set", hook, plugin.ContentEvent{ContentType: "Page", Data: `{"k":"v€ 😀"}`, ID: ptr("42")})
		add("all-unset", hook, plugin.ContentEvent{ContentType: "Product", Data: mbNL})
		add("missing-type", hook, plugin.ContentEvent{ContentType: "missing-type", Data: "{}"})
		add("empty", hook, plugin.ContentEvent{ContentType: "", Data: "", ID: ptr("")})
		add("pass", hook, plugin.ContentEvent{ContentType: "pass", Data: "{}", ID: ptr("1")})
		add("large", hook, plugin.ContentEvent{ContentType: "blob", Data: big})
	}

	// The data path (SPEC.md, "The data calls"): the table is e.data; a
	// table named like a db-error case makes every data call fail with it.
	add("data-ok", "on-content-creating", plugin.ContentEvent{ContentType: "data", Data: "posts"})
	add("data-ok-empty", "on-content-creating", plugin.ContentEvent{ContentType: "data", Data: "", ID: ptr("")})
	add("data-ok-utf8", "on-content-creating", plugin.ContentEvent{ContentType: "data", Data: "tàble 😀", ID: ptr("x")})
	for _, e := range dbErrorCases {
		add("data-err-"+e, "on-content-creating", plugin.ContentEvent{ContentType: "data", Data: e})
	}

	for _, hook := range []string{"render-markdown", "filter-html"} {
		add("text", hook, "# Title ü\n\n<b>x</b> "+mb)
		add("empty", hook, "")
		add("pass", hook, "pass")
		add("nul", hook, "a\x00b")
		add("large", hook, big)
	}

	add("full", "on-post-created", fullPostOutput())
	add("minimal", "on-post-created", minimalPostOutput("1", "s", 0))
	add("max-views-missing", "on-post-created", minimalPostOutput("m", "missing-slug", math.MaxInt64))
	add("min-views", "on-post-created", minimalPostOutput("n", "neg", math.MinInt64))
	add("minus-one", "on-post-created", minimalPostOutput("", "", -1))
	large := fullPostOutput()
	large.Content, large.Title = big, strings.Repeat("T€", 3000)
	add("large", "on-post-created", large)

	add("full", "on-post-updated", fullPostOutput())
	add("min-views", "on-post-updated", minimalPostOutput("x", "y", math.MinInt64))
	add("max-views", "on-post-updated", minimalPostOutput("x", "y", math.MaxInt64))
	add("zero", "on-post-updated", minimalPostOutput("z", "", 0))

	add("plain", "on-post-deleted", "p-1")
	add("empty", "on-post-deleted", "")
	add("missing", "on-post-deleted", "missing-9")
	add("utf8", "on-post-deleted", "ü😀'")

	add("all-set", "on-comment-created", plugin.CommentInput{Content: mbNL, Nickname: ptr("Zoë"), Email: ptr("z@e"), ParentID: ptr("c-1")})
	add("all-unset", "on-comment-created", plugin.CommentInput{Content: ""})
	add("empty-some", "on-comment-created", plugin.CommentInput{Content: "x", Nickname: ptr(""), Email: ptr(""), ParentID: ptr("")})

	for _, hook := range []string{"on-content-created", "on-content-updated"} {
		add("all-set", hook, plugin.ContentEvent{ContentType: "page", Data: `{"t":"€"}`, ID: ptr("7")})
		add("all-unset", hook, plugin.ContentEvent{ContentType: "page", Data: ""})
		add("missing", hook, plugin.ContentEvent{ContentType: "missing", Data: "d", ID: ptr("")})
		add("large", hook, plugin.ContentEvent{ContentType: "blob", Data: big, ID: ptr("big")})
	}

	add("plain", "on-content-deleted", plugin.OnContentDeletedArgs{ContentType: "page", ID: "7"})
	add("missing", "on-content-deleted", plugin.OnContentDeletedArgs{ContentType: "missing", ID: "x"})
	add("empty", "on-content-deleted", plugin.OnContentDeletedArgs{})
	add("utf8", "on-content-deleted", plugin.OnContentDeletedArgs{ContentType: "页面", ID: "😀"})

	add("plain", "on-login", "alice")
	add("missing", "on-login", "missing-user")
	add("utf8", "on-login", "Zoë 😀")
	add("empty", "on-login", "")

	add("none", "on-cron-tick", (*string)(nil))
	add("some", "on-cron-tick", ptr("daily"))
	add("missing", "on-cron-tick", ptr("missing-job"))
	add("empty", "on-cron-tick", ptr(""))
	add("utf8", "on-cron-tick", ptr(mb))
	return cs
}
