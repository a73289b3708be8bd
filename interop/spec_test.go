package interop_test

import (
	"math"
	"reflect"
	"strings"
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

// TestDataModelMatchesSpec pins the model's data path ("The data calls")
// to lines worked out by hand from SPEC.md.
func TestDataModelMatchesSpec(t *testing.T) {
	data := func(table string) (string, [][]string) {
		h := &fakeHost{}
		r := model(h, "on-content-creating", plugin.ContentEvent{ContentType: "data", Data: table}).(*plugin.ContentEvent)
		if r.ContentType != "DATA" || r.ID == nil || *r.ID != "id:1" {
			t.Errorf("data(%s) = %+v, want content-type DATA, id id:1", table, r)
		}
		return r.Data, h.calls
	}
	got, calls := data("timeout")
	want := "new-id=id:1\ndb-ph=$1 $4294967295\ninsert=err:timeout\nfetch-one=err:timeout\nfetch-one=err:timeout\n" +
		"fetch-all=err:timeout\nfetch-all=err:timeout\nupdate=err:timeout\ndelete=err:timeout\ncount=err:timeout\n" +
		"increment=err:timeout\nsum=err:timeout\nsum=err:timeout\ngroup-by=err:timeout\ngroup-by=err:timeout\n" +
		"group-by=err:timeout\ngroup-by=err:timeout\ngroup-by=err:timeout"
	if got != want {
		t.Errorf("data(timeout) = %q, want %q", got, want)
	}
	if len(calls) != 19 {
		t.Errorf("data(timeout) made %d calls, want 19", len(calls))
	}
	got, _ = data("no-such-table")
	if l := strings.Split(got, "\n")[2]; l != "insert=err:no-such-table(insert:no-such-table)" {
		t.Errorf("data(no-such-table) line 3 = %q", l)
	}
	got, calls = data("posts")
	f := "[a eq i:-9223372036854775808,b ne t:ü😀,c lt r:8000000000000000,d le r:nan,e gt i:9223372036854775807," +
		"f ge r:0000000000000001,g like t:%a_b%,h is-null null,i is-not-null b:010203]"
	echo := "{a=i:-9223372036854775808,b=t:ü😀,c=r:8000000000000000,d=r:nan,e=i:9223372036854775807," +
		"f=r:0000000000000001,g=t:%a_b%,h=null,i=b:010203}"
	lines := strings.Split(got, "\n")
	for i, w := range map[int]string{
		2:  "insert=ok:7",
		3:  "fetch-one=ok:+" + echo,
		4:  "fetch-one=ok:~",
		5:  "fetch-all=ok:[{col=t:id,i=i:0},{col=t:títle,i=i:1},{col=t:,i=i:2}," + echo + "]",
		6:  "fetch-all=ok:[]",
		7:  "update=ok:209",
		8:  "delete=ok:9",
		9:  "count=ok:18446744073709551615",
		10: "increment=ok:9223372036854775808",
		11: "sum=ok:b:010203",
		12: "sum=ok:null",
		13: "group-by=ok:[]",
		14: "group-by=ok:[{k1=i:0,v=t:sum}->i:-9223372036854775808,{k2=i:1,v=t:sum}->t:ü😀]",
	} {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("data(posts) line %d = %q, want %q", i+1, lines[min(i, len(lines)-1)], w)
		}
	}
	for i, w := range map[int][]string{
		2:  {"db-ph", "4294967295"},
		3:  {"insert", "posts", "{n=null,i=i:-1,r=r:bff8000000000000,t=t:Zoë € 😀,e=t:,b=b:,c=b:00ff807f}"},
		4:  {"fetch-one", "posts", "cols=id,títle, where=" + f + " order=id asc,títle desc limit=+4294967295 offset=+0"},
		5:  {"fetch-one", "posts", "cols= where=[] order= limit=~ offset=~"},
		11: {"increment", "posts", "views", "-9223372036854775808", f},
		18: {"group-by", "posts", "k1,k2,k3,k4,k5,k6,k7,k8", "avg", "v", f},
	} {
		if !reflect.DeepEqual(calls[i], w) {
			t.Errorf("data(posts) call %d = %q, want %q", i+1, calls[i], w)
		}
	}
}
