package interop_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
)

// TestModelMatchesSpec pins the reference model to values worked out by
// hand from SPEC.md, so the model cannot drift from the document.
func TestModelMatchesSpec(t *testing.T) {
	for _, g := range []struct {
		hook   string
		arg    any
		result string
		calls  [][]string
	}{{
		hook: "on-post-creating",
		arg:  plugin.PostInput{Title: "Only Title ÀÉ mixed Case", Content: "Body ÀB"},
		result: `{"title":"ONLY TITLE ÀÉ MIXED CASE ✓","content":"Body ÀB [8/7]","slug":"only-title-ÀÉ-mixed-case",` +
			`"category_id":"uncategorized","tag_ids":[],"status":"draft"}`,
		calls: [][]string{{"log", "debug", "creating Only Title ÀÉ mixed Case"}},
	}, {
		hook: "on-post-creating",
		arg: plugin.PostInput{Title: "a", Content: "😀", Slug: ptr("s"), Excerpt: ptr("aé€😀 ✓"), CategoryID: ptr("c"),
			TagIDs: &[]string{"x", "y"}, Status: ptr("live"), CoverImage: ptr("i.png")},
		result: `{"title":"A ✓","content":"😀 [4/1]","slug":"s-x","excerpt":"✓ 😀€éa","tag_ids":["y","x","conf"],` +
			`"status":"LIVE","cover_image":"i.png?w=640"}`,
		calls: [][]string{{"log", "debug", "creating a"}},
	}, {
		hook: "on-post-updating",
		arg:  plugin.PostInput{Title: "ab😀", Content: "ÀB", Slug: ptr("missing-x"), TagIDs: &[]string{"t"}, Status: ptr("s")},
		result: `{"title":"😀ba","content":"Àb\n~","slug":"MISSING-X","excerpt":"","tag_ids":["T"],` +
			`"cover_image":"default.png"}`,
		calls: [][]string{{"get-post", "missing-x"}},
	}, {
		hook:   "on-comment-creating",
		arg:    plugin.CommentInput{Content: "hi"},
		result: `{"content":"💬 hi","nickname":"cfg:nickname:~","parent_id":"root"}`,
		calls:  [][]string{{"get-config", "nickname:~"}},
	}, {
		hook:   "on-content-updating",
		arg:    plugin.ContentEvent{ContentType: "PaGe", Data: "ab"},
		result: `{"content_type":"page","data":"ba","id":"query:SELECT data FROM content WHERE id = ?:~"}`,
		calls:  [][]string{{"db-query", "SELECT data FROM content WHERE id = ?", "~"}},
	}, {
		hook:   "filter-html",
		arg:    "<p>é</p>",
		result: `"\u003cP\u003eé\u003c/P\u003e\u003c!--9--\u003e"`,
	}, {
		hook: "on-post-updated",
		arg:  plugin.PostOutput{ID: "x", Slug: "y", Status: "draft", CreatedBy: "u", ViewCount: math.MinInt64},
		calls: [][]string{
			{"emit-event", "post.updated", "id=x\ntitle=\nslug=y\ncontent=\nexcerpt=~\nstatus=draft\ncreated-by=u\nupdated-by=~\n" +
				"category-id=~\nview-count=9223372036854775807\ncreated-at=\nupdated-at=\npublished-at=~"},
			{"log", "info", "updated x ~ event:post.updated:160"},
		},
		result: "null",
	}, {
		hook:   "on-login",
		arg:    "missing-u",
		result: "null",
		calls:  [][]string{{"get-data", "login:missing-u"}, {"set-data", "login:missing-u", "~"}, {"log", "info", "login missing-u ~ false"}},
	}} {
		r, calls := expect(tcase{hook: g.hook, arg: g.arg})
		if r != g.result {
			t.Errorf("%s(%+v) = %s, want %s", g.hook, g.arg, r, g.result)
		}
		if !reflect.DeepEqual(calls, g.calls) && (len(calls) != 0 || len(g.calls) != 0) {
			t.Errorf("%s(%+v) calls %q, want %q", g.hook, g.arg, calls, g.calls)
		}
	}
}
