// Command go is the conformance plugin of interop/SPEC.md on the Go guest
// bindings `witgen guest` generates for plugin-world, as plugin authors use
// them (package github.com/raisfast/wasmplug/guest/plugin): every hook, every
// host-api and data function.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o conformance-go.wasm ./interop/go
// (.ci/build-guests.sh conformance-go does this).
package main

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/guest/plugin"
	"github.com/raisfast/wasmplug/guest/plugin/data"
	"github.com/raisfast/wasmplug/guest/plugin/hostapi"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/filterhtml"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncommentcreated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncommentcreating"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncontentcreated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncontentcreating"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncontentdeleted"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncontentupdated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncontentupdating"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/oncrontick"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onlogin"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostcreated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostcreating"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostdeleted"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostupdated"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/onpostupdating"
	"github.com/raisfast/wasmplug/guest/plugin/pluginhooks/rendermarkdown"
	witval "github.com/raisfast/wasmplug/witval"
)

// The SPEC's primitives.

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

func slugify(s string) string { return strings.ReplaceAll(lower(s), " ", "-") }

func rev(s string) string {
	b := make([]byte, 0, len(s))
	for i := len(s); i > 0; {
		_, n := utf8.DecodeLastRuneInString(s[:i])
		b = append(b, s[i-n:i]...)
		i -= n
	}
	return string(b)
}

func bytesOf(s string) string { return strconv.Itoa(len(s)) }
func chars(s string) string   { return strconv.Itoa(utf8.RuneCountInString(s)) }
func dec(n int64) string      { return strconv.FormatInt(n, 10) }

func opt(s *string) string {
	if s == nil {
		return "~"
	}
	return "+" + *s
}

func optOK(s string, ok bool) string {
	if !ok {
		return "~"
	}
	return "+" + s
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

func lines(parts ...string) string { return strings.Join(parts, "\n") }

func some(s string) *string { return &s }

func post(o plugin.PostOutput, n int64) string {
	return lines("id="+o.ID, "title="+o.Title, "slug="+o.Slug, "content="+o.Content,
		"excerpt="+opt(o.Excerpt), "status="+o.Status, "created-by="+o.CreatedBy,
		"updated-by="+opt(o.UpdatedBy), "category-id="+opt(o.CategoryID), "view-count="+dec(n),
		"created-at="+o.CreatedAt, "updated-at="+o.UpdatedAt, "published-at="+opt(o.PublishedAt))
}

func onPostCreating(p plugin.PostInput) *plugin.PostInput {
	if p.Title == "pass" {
		return nil
	}
	hostapi.Log("debug", "creating "+p.Title)
	out := plugin.PostInput{
		Title:   upper(p.Title) + " ✓",
		Content: p.Content + " [" + bytesOf(p.Content) + "/" + chars(p.Content) + "]",
	}
	if p.Slug == nil {
		out.Slug = some(slugify(p.Title))
	} else {
		out.Slug = some(*p.Slug + "-x")
	}
	if p.Excerpt != nil {
		out.Excerpt = some(rev(*p.Excerpt))
	}
	if p.CategoryID == nil {
		out.CategoryID = some("uncategorized")
	}
	tags := []string{}
	if p.TagIDs != nil {
		for i := len(*p.TagIDs) - 1; i >= 0; i-- {
			tags = append(tags, (*p.TagIDs)[i])
		}
		tags = append(tags, "conf")
	}
	out.TagIDs = &tags
	if p.Status == nil {
		out.Status = some("draft")
	} else {
		out.Status = some(upper(*p.Status))
	}
	if p.CoverImage != nil {
		out.CoverImage = some(*p.CoverImage + "?w=640")
	}
	return &out
}

func onPostUpdating(p plugin.PostInput) *plugin.PostInput {
	if p.Title == "pass" {
		return nil
	}
	key := p.Title
	if p.Slug != nil {
		key = *p.Slug
	}
	g, ok := hostapi.GetPost(key)
	out := plugin.PostInput{
		Title:   rev(p.Title),
		Content: lower(p.Content) + "\n" + optOK(g, ok),
	}
	if p.Slug != nil {
		out.Slug = some(upper(*p.Slug))
	}
	if p.Excerpt == nil {
		out.Excerpt = some("")
	} else {
		out.Excerpt = some(*p.Excerpt + *p.Excerpt)
	}
	if p.CategoryID != nil {
		out.CategoryID = some("cat:" + *p.CategoryID)
	}
	if p.TagIDs != nil {
		tags := make([]string, len(*p.TagIDs))
		for i, t := range *p.TagIDs {
			tags[i] = upper(t)
		}
		out.TagIDs = &tags
	}
	if p.Status == nil {
		out.Status = some("published")
	}
	if p.CoverImage == nil {
		out.CoverImage = some("default.png")
	} else {
		out.CoverImage = some(rev(*p.CoverImage))
	}
	return &out
}

func onCommentCreating(c plugin.CommentInput) *plugin.CommentInput {
	if c.Content == "pass" {
		return nil
	}
	a, ok := hostapi.GetConfig("nickname:" + opt(c.Email))
	out := plugin.CommentInput{Content: "💬 " + c.Content}
	if c.Nickname != nil {
		out.Nickname = some(upper(*c.Nickname))
	} else if ok {
		out.Nickname = some(a)
	}
	if c.Email != nil {
		out.Email = some(lower(*c.Email))
	}
	if c.ParentID == nil {
		out.ParentID = some("root")
	}
	return &out
}

func onContentCreating(e plugin.ContentEvent) *plugin.ContentEvent {
	if e.ContentType == "pass" {
		return nil
	}
	if e.ContentType == "data" {
		return onContentData(e)
	}
	s, ok := hostapi.HTTPGet("https://schema.example/" + e.ContentType)
	out := plugin.ContentEvent{ContentType: upper(e.ContentType), Data: e.Data + "\n" + optOK(s, ok)}
	if e.ID == nil {
		out.ID = some("new-" + bytesOf(e.Data))
	} else {
		out.ID = some(*e.ID + "+1")
	}
	return &out
}

func onContentUpdating(e plugin.ContentEvent) *plugin.ContentEvent {
	if e.ContentType == "pass" {
		return nil
	}
	q := hostapi.DBQuery("SELECT data FROM content WHERE id = ?", e.ID)
	out := plugin.ContentEvent{ContentType: lower(e.ContentType), Data: rev(e.Data)}
	if e.ID == nil {
		out.ID = some(q)
	}
	return &out
}

func renderMarkdown(s string) *string {
	if s == "pass" {
		return nil
	}
	return some("<p>" + s + "</p>")
}

func filterHTML(s string) *string {
	if s == "pass" {
		return nil
	}
	return some(upper(s) + "<!--" + bytesOf(s) + "-->")
}

func onPostCreated(o plugin.PostOutput) {
	f := "posts/" + o.Slug + ".md"
	hostapi.Log("info", "created "+o.ID)
	a1, ok1 := hostapi.GetConfig("views:" + o.Slug)
	a2, ok2 := hostapi.GetData("post:" + o.ID)
	a3 := hostapi.SetData("post:"+o.ID, o.Title)
	a4, ok4 := hostapi.GetPost(o.Slug)
	a5, ok5 := hostapi.HTTPGet("https://hooks.example/" + o.Slug)
	a6, ok6 := hostapi.HTTPPost("https://hooks.example/"+o.Slug, o.Title)
	a7 := hostapi.DBBegin()
	a8 := hostapi.DBQuery("SELECT views FROM posts WHERE id = ?", some("[\""+o.ID+"\"]"))
	a9 := hostapi.DBExecute("UPDATE posts SET views = ? WHERE id = ?", some("["+dec(o.ViewCount+1)+",\""+o.ID+"\"]"))
	a10 := hostapi.DBCommit()
	a11 := hostapi.VFSWrite(f, o.Content)
	a12 := hostapi.VFSExists(f)
	a13, ok13 := hostapi.VFSRead(f)
	a14, ok14 := hostapi.VFSStat(f)
	a15, ok15 := hostapi.VFSList("posts/" + o.Slug)
	a16 := hostapi.VFSDelete(f)
	a17 := hostapi.DBRollback()
	ev := hostapi.EmitEvent("post.created", lines(post(o, o.ViewCount+1),
		"get-config="+optOK(a1, ok1), "get-data="+optOK(a2, ok2), "set-data="+boolStr(a3),
		"get-post="+optOK(a4, ok4), "http-get="+optOK(a5, ok5), "http-post="+optOK(a6, ok6),
		"db-begin="+a7, "db-query="+a8, "db-execute="+a9, "db-commit="+a10,
		"vfs-write="+boolStr(a11), "vfs-exists="+boolStr(a12), "vfs-read="+optOK(a13, ok13),
		"vfs-stat="+optOK(a14, ok14), "vfs-list="+optOK(a15, ok15), "vfs-delete="+boolStr(a16),
		"db-rollback="+a17))
	hostapi.Log("debug", "emitted "+ev)
}

func onPostUpdated(o plugin.PostOutput) {
	ev := hostapi.EmitEvent("post.updated", post(o, o.ViewCount-1))
	hostapi.Log("info", "updated "+o.ID+" "+opt(o.UpdatedBy)+" "+ev)
}

func onPostDeleted(id string) {
	r := hostapi.DBExecute("DELETE FROM posts WHERE id = '"+id+"'", nil)
	d := hostapi.VFSDelete("posts/" + id + ".md")
	hostapi.Log("info", "deleted "+id+" "+r+" "+boolStr(d))
}

func onCommentCreated(c plugin.CommentInput) {
	ev := hostapi.EmitEvent("comment.created", lines("content="+c.Content, "nickname="+opt(c.Nickname),
		"email="+opt(c.Email), "parent-id="+opt(c.ParentID)))
	hostapi.Log("info", "comment "+ev)
}

func onContentCreated(e plugin.ContentEvent) {
	a, ok := hostapi.HTTPPost("https://index.example/"+e.ContentType, e.Data)
	hostapi.EmitEvent("content.created", lines("content-type="+e.ContentType, "data="+e.Data,
		"id="+opt(e.ID), "indexed="+optOK(a, ok)))
}

func onContentUpdated(e plugin.ContentEvent) {
	w := hostapi.VFSWrite("content/"+e.ContentType+"/"+opt(e.ID)+".json", e.Data)
	hostapi.EmitEvent("content.updated", lines("content-type="+e.ContentType, "data="+e.Data,
		"id="+opt(e.ID), "written="+boolStr(w)))
}

func onContentDeleted(contentType, id string) {
	d := hostapi.VFSDelete("content/" + contentType + "/" + id + ".json")
	r := hostapi.DBExecute("DELETE FROM content WHERE type = ? AND id = ?", some("[\""+contentType+"\",\""+id+"\"]"))
	hostapi.Log("info", "deleted "+contentType+"/"+id+" "+boolStr(d)+" "+r)
}

func onLogin(userID string) {
	prev, ok := hostapi.GetData("login:" + userID)
	p := optOK(prev, ok)
	set := hostapi.SetData("login:"+userID, p)
	hostapi.Log("info", "login "+userID+" "+p+" "+boolStr(set))
}

func onCronTick(payload *string) {
	if payload == nil {
		hostapi.Log("debug", "tick")
		return
	}
	p := *payload
	l, okl := hostapi.VFSList("cron/" + p)
	g, okg := hostapi.HTTPGet("https://cron.example/" + p)
	hostapi.Log("info", "tick "+p+" "+optOK(l, okl)+" "+optOK(g, okg))
}

func init() {
	onpostcreating.Export(onPostCreating)
	onpostupdating.Export(onPostUpdating)
	oncommentcreating.Export(onCommentCreating)
	oncontentcreating.Export(onContentCreating)
	oncontentupdating.Export(onContentUpdating)
	rendermarkdown.Export(renderMarkdown)
	filterhtml.Export(filterHTML)
	onpostcreated.Export(onPostCreated)
	onpostupdated.Export(onPostUpdated)
	onpostdeleted.Export(onPostDeleted)
	oncommentcreated.Export(onCommentCreated)
	oncontentcreated.Export(onContentCreated)
	oncontentupdated.Export(onContentUpdated)
	oncontentdeleted.Export(onContentDeleted)
	onlogin.Export(onLogin)
	oncrontick.Export(onCronTick)
}

func main() {}

// ---- the data path of on-content-creating (SPEC.md, "The data calls") ----

var (
	dataRow = []plugin.Field{
		{Column: "n", Value: plugin.ValueNull{}},
		{Column: "i", Value: plugin.ValueInteger{Value: -1}},
		{Column: "r", Value: plugin.ValueReal{Value: -1.5}},
		{Column: "t", Value: plugin.ValueText{Value: "Zoë € 😀"}},
		{Column: "e", Value: plugin.ValueText{Value: ""}},
		{Column: "b", Value: plugin.ValueBlob{Value: []byte{}}},
		{Column: "c", Value: plugin.ValueBlob{Value: []byte{0x00, 0xff, 0x80, 0x7f}}},
	}
	dataFilter = []plugin.Condition{
		{Column: "a", Op: plugin.ComparisonEq, Value: plugin.ValueInteger{Value: math.MinInt64}},
		{Column: "b", Op: plugin.ComparisonNe, Value: plugin.ValueText{Value: "ü😀"}},
		{Column: "c", Op: plugin.ComparisonLt, Value: plugin.ValueReal{Value: math.Copysign(0, -1)}},
		{Column: "d", Op: plugin.ComparisonLe, Value: plugin.ValueReal{Value: math.NaN()}},
		{Column: "e", Op: plugin.ComparisonGt, Value: plugin.ValueInteger{Value: math.MaxInt64}},
		{Column: "f", Op: plugin.ComparisonGe, Value: plugin.ValueReal{Value: math.Float64frombits(1)}},
		{Column: "g", Op: plugin.ComparisonLike, Value: plugin.ValueText{Value: "%a_b%"}},
		{Column: "h", Op: plugin.ComparisonIsNull, Value: plugin.ValueNull{}},
		{Column: "i", Op: plugin.ComparisonIsNotNull, Value: plugin.ValueBlob{Value: []byte{0x01, 0x02, 0x03}}},
	}
	groupBy = []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
)

const hexDigits = "0123456789abcdef"

func val(v plugin.Value) string {
	switch v := v.(type) {
	case plugin.ValueNull:
		return "null"
	case plugin.ValueInteger:
		return "i:" + dec(v.Value)
	case plugin.ValueReal:
		if v.Value != v.Value {
			return "r:nan"
		}
		bits := math.Float64bits(v.Value)
		b := []byte("r:")
		for s := 60; s >= 0; s -= 4 {
			b = append(b, hexDigits[bits>>s&15])
		}
		return string(b)
	case plugin.ValueText:
		return "t:" + v.Value
	case plugin.ValueBlob:
		b := []byte("b:")
		for _, c := range v.Value {
			b = append(b, hexDigits[c>>4], hexDigits[c&15])
		}
		return string(b)
	}
	return "?"
}

func row(r []plugin.Field) string {
	parts := make([]string, len(r))
	for i, f := range r {
		parts[i] = f.Column + "=" + val(f.Value)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func dbErr(err error) string {
	e, ok := witval.AsResultError[plugin.DBError](err)
	if !ok {
		return "?" + err.Error()
	}
	with := func(name, s string) string { return name + "(" + s + ")" }
	switch e := e.(type) {
	case plugin.DBErrorPermissionDenied:
		return with("permission-denied", e.Value)
	case plugin.DBErrorNoSuchTable:
		return with("no-such-table", e.Value)
	case plugin.DBErrorNoSuchColumn:
		return with("no-such-column", e.Value)
	case plugin.DBErrorTypeMismatch:
		return with("type-mismatch", e.Value)
	case plugin.DBErrorConstraint:
		return with("constraint", e.Value)
	case plugin.DBErrorTimeout:
		return "timeout"
	case plugin.DBErrorTooLarge:
		return with("too-large", e.Value)
	case plugin.DBErrorInvalid:
		return with("invalid", e.Value)
	case plugin.DBErrorUnavailable:
		return with("unavailable", e.Value)
	case plugin.DBErrorBackend:
		return with("backend", e.Value)
	}
	return "?"
}

// res is res(r): "ok:" + the rendered answer or "err:" + the error.
func res(err error, ok func() string) string {
	if err != nil {
		return "err:" + dbErr(err)
	}
	return "ok:" + ok()
}

func u64(n uint64) func() string { return func() string { return strconv.FormatUint(n, 10) } }

func onContentData(e plugin.ContentEvent) *plugin.ContentEvent {
	t := e.Data
	id := hostapi.NewID()
	out := []string{"new-id=" + id, "db-ph=" + hostapi.DBPh(1) + " " + hostapi.DBPh(math.MaxUint32)}
	line := func(fn, r string) { out = append(out, fn+"="+r) }
	full := plugin.Query{Columns: []string{"id", "títle", ""}, Filter: dataFilter,
		OrderBy: []plugin.Order{{Column: "id"}, {Column: "títle", Descending: true}}}
	lim, off := uint32(math.MaxUint32), uint32(0)
	full.Limit, full.Offset = &lim, &off

	n, err := data.Insert(t, dataRow)
	line("insert", res(err, u64(n)))
	for _, q := range []plugin.Query{full, {}} {
		r, err := data.FetchOne(t, q)
		line("fetch-one", res(err, func() string {
			if r == nil {
				return "~"
			}
			return "+" + row(*r)
		}))
	}
	for _, q := range []plugin.Query{full, {}} {
		rs, err := data.FetchAll(t, q)
		line("fetch-all", res(err, func() string {
			parts := make([]string, len(rs))
			for i, r := range rs {
				parts[i] = row(r)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}))
	}
	n, err = data.Update(t, []plugin.Field{{Column: "s", Value: plugin.ValueText{Value: "ok ✓"}}, {Column: "n", Value: plugin.ValueNull{}}}, dataFilter)
	line("update", res(err, u64(n)))
	n, err = data.Delete(t, dataFilter)
	line("delete", res(err, u64(n)))
	n, err = data.Count(t, nil)
	line("count", res(err, u64(n)))
	n, err = data.Increment(t, "views", math.MinInt64, dataFilter)
	line("increment", res(err, u64(n)))
	for _, f := range [][]plugin.Condition{dataFilter, nil} {
		v, err := data.Sum(t, "total", f)
		line("sum", res(err, func() string { return val(v) }))
	}
	for a := plugin.AggregateCount; a <= plugin.AggregateAvg; a++ {
		gs, err := data.GroupBy(t, groupBy[:2*int(a)], a, "v", dataFilter)
		line("group-by", res(err, func() string {
			parts := make([]string, len(gs))
			for i, g := range gs {
				parts[i] = row(g.Key) + "->" + val(g.Value)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}))
	}
	return &plugin.ContentEvent{ContentType: "DATA", Data: strings.Join(out, "\n"), ID: &id}
}
