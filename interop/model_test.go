package interop_test

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/witval"
)

// The reference model: SPEC.md in Go, run against the same fakeHost. Its
// result and the calls it records are what every build must produce.
// (Written from the spec, not from any guest; spec_test.go pins a few of its
// answers to literal values.)

func mUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 32
		}
		return r
	}, s)
}

func mLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 32
		}
		return r
	}, s)
}

func mRev(s string) string {
	rs := []rune(s)
	slices.Reverse(rs)
	return string(rs)
}

func mBytes(s string) string { return strconv.Itoa(len(s)) }
func mChars(s string) string { return strconv.Itoa(utf8.RuneCountInString(s)) }

func mOpt(s string, ok bool) string {
	if ok {
		return "+" + s
	}
	return "~"
}

func mBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func ptr(s string) *string { return &s }

func mPost(o plugin.PostOutput, n int64) []string {
	return []string{
		"id=" + o.ID, "title=" + o.Title, "slug=" + o.Slug, "content=" + o.Content,
		"excerpt=" + optArg(o.Excerpt), "status=" + o.Status, "created-by=" + o.CreatedBy,
		"updated-by=" + optArg(o.UpdatedBy), "category-id=" + optArg(o.CategoryID),
		"view-count=" + strconv.FormatInt(n, 10), "created-at=" + o.CreatedAt,
		"updated-at=" + o.UpdatedAt, "published-at=" + optArg(o.PublishedAt),
	}
}

// model runs hook on arg against h and returns the hook's result: a
// *T for filters (nil for none), nil for actions.
func model(h *fakeHost, hook string, arg any) any {
	ctx := context.Background()
	switch hook {
	case "on-post-creating":
		p := arg.(plugin.PostInput)
		if p.Title == "pass" {
			return (*plugin.PostInput)(nil)
		}
		h.Log(ctx, "debug", "creating "+p.Title)
		out := plugin.PostInput{
			Title:   mUpper(p.Title) + " \u2713",
			Content: p.Content + " [" + mBytes(p.Content) + "/" + mChars(p.Content) + "]",
			Slug:    ptr(strings.ReplaceAll(mLower(p.Title), " ", "-")),
		}
		if p.Slug != nil {
			out.Slug = ptr(*p.Slug + "-x")
		}
		if p.Excerpt != nil {
			out.Excerpt = ptr(mRev(*p.Excerpt))
		}
		if p.CategoryID == nil {
			out.CategoryID = ptr("uncategorized")
		}
		tags := []string{}
		if p.TagIDs != nil {
			tags = append(slices.Clone(*p.TagIDs), "conf")
			slices.Reverse(tags[:len(tags)-1])
		}
		out.TagIDs = &tags
		out.Status = ptr("draft")
		if p.Status != nil {
			out.Status = ptr(mUpper(*p.Status))
		}
		if p.CoverImage != nil {
			out.CoverImage = ptr(*p.CoverImage + "?w=640")
		}
		return &out

	case "on-post-updating":
		p := arg.(plugin.PostInput)
		if p.Title == "pass" {
			return (*plugin.PostInput)(nil)
		}
		key := p.Title
		if p.Slug != nil {
			key = *p.Slug
		}
		g, ok := h.GetPost(ctx, key)
		out := plugin.PostInput{
			Title:      mRev(p.Title),
			Content:    mLower(p.Content) + "\n" + mOpt(g, ok),
			Excerpt:    ptr(""),
			Status:     ptr("published"),
			CoverImage: ptr("default.png"),
		}
		if p.Slug != nil {
			out.Slug = ptr(mUpper(*p.Slug))
		}
		if p.Excerpt != nil {
			out.Excerpt = ptr(strings.Repeat(*p.Excerpt, 2))
		}
		if p.CategoryID != nil {
			out.CategoryID = ptr("cat:" + *p.CategoryID)
		}
		if p.TagIDs != nil {
			tags := []string{}
			for _, t := range *p.TagIDs {
				tags = append(tags, mUpper(t))
			}
			out.TagIDs = &tags
		}
		if p.Status != nil {
			out.Status = nil
		}
		if p.CoverImage != nil {
			out.CoverImage = ptr(mRev(*p.CoverImage))
		}
		return &out

	case "on-comment-creating":
		c := arg.(plugin.CommentInput)
		if c.Content == "pass" {
			return (*plugin.CommentInput)(nil)
		}
		a, ok := h.GetConfig(ctx, "nickname:"+optArg(c.Email))
		out := plugin.CommentInput{Content: "\U0001F4AC " + c.Content}
		switch {
		case c.Nickname != nil:
			out.Nickname = ptr(mUpper(*c.Nickname))
		case ok:
			out.Nickname = ptr(a)
		}
		if c.Email != nil {
			out.Email = ptr(mLower(*c.Email))
		}
		if c.ParentID == nil {
			out.ParentID = ptr("root")
		}
		return &out

	case "on-content-creating":
		e := arg.(plugin.ContentEvent)
		if e.ContentType == "pass" {
			return (*plugin.ContentEvent)(nil)
		}
		if e.ContentType == "data" {
			return modelData(ctx, h, e)
		}
		s, ok := h.HTTPGet(ctx, "https://schema.example/"+e.ContentType)
		out := plugin.ContentEvent{ContentType: mUpper(e.ContentType), Data: e.Data + "\n" + mOpt(s, ok)}
		if e.ID != nil {
			out.ID = ptr(*e.ID + "+1")
		} else {
			out.ID = ptr("new-" + mBytes(e.Data))
		}
		return &out

	case "on-content-updating":
		e := arg.(plugin.ContentEvent)
		if e.ContentType == "pass" {
			return (*plugin.ContentEvent)(nil)
		}
		q := h.DBQuery(ctx, "SELECT data FROM content WHERE id = ?", e.ID)
		out := plugin.ContentEvent{ContentType: mLower(e.ContentType), Data: mRev(e.Data)}
		if e.ID == nil {
			out.ID = ptr(q)
		}
		return &out

	case "render-markdown":
		s := arg.(string)
		if s == "pass" {
			return (*string)(nil)
		}
		return ptr("<p>" + s + "</p>")

	case "filter-html":
		s := arg.(string)
		if s == "pass" {
			return (*string)(nil)
		}
		return ptr(mUpper(s) + "<!--" + mBytes(s) + "-->")

	case "on-post-created":
		o := arg.(plugin.PostOutput)
		f := "posts/" + o.Slug + ".md"
		h.Log(ctx, "info", "created "+o.ID)
		a1, ok1 := h.GetConfig(ctx, "views:"+o.Slug)
		a2, ok2 := h.GetData(ctx, "post:"+o.ID)
		a3 := h.SetData(ctx, "post:"+o.ID, o.Title)
		a4, ok4 := h.GetPost(ctx, o.Slug)
		a5, ok5 := h.HTTPGet(ctx, "https://hooks.example/"+o.Slug)
		a6, ok6 := h.HTTPPost(ctx, "https://hooks.example/"+o.Slug, o.Title)
		a7 := h.DBBegin(ctx)
		a8 := h.DBQuery(ctx, "SELECT views FROM posts WHERE id = ?", ptr(`["`+o.ID+`"]`))
		a9 := h.DBExecute(ctx, "UPDATE posts SET views = ? WHERE id = ?", ptr("["+strconv.FormatInt(o.ViewCount+1, 10)+`,"`+o.ID+`"]`))
		a10 := h.DBCommit(ctx)
		a11 := h.VFSWrite(ctx, f, o.Content)
		a12 := h.VFSExists(ctx, f)
		a13, ok13 := h.VFSRead(ctx, f)
		a14, ok14 := h.VFSStat(ctx, f)
		a15, ok15 := h.VFSList(ctx, "posts/"+o.Slug)
		a16 := h.VFSDelete(ctx, f)
		a17 := h.DBRollback(ctx)
		data := append(mPost(o, o.ViewCount+1),
			"get-config="+mOpt(a1, ok1), "get-data="+mOpt(a2, ok2), "set-data="+mBool(a3),
			"get-post="+mOpt(a4, ok4), "http-get="+mOpt(a5, ok5), "http-post="+mOpt(a6, ok6),
			"db-begin="+a7, "db-query="+a8, "db-execute="+a9, "db-commit="+a10,
			"vfs-write="+mBool(a11), "vfs-exists="+mBool(a12), "vfs-read="+mOpt(a13, ok13),
			"vfs-stat="+mOpt(a14, ok14), "vfs-list="+mOpt(a15, ok15), "vfs-delete="+mBool(a16),
			"db-rollback="+a17)
		ev := h.EmitEvent(ctx, "post.created", strings.Join(data, "\n"))
		h.Log(ctx, "debug", "emitted "+ev)

	case "on-post-updated":
		o := arg.(plugin.PostOutput)
		ev := h.EmitEvent(ctx, "post.updated", strings.Join(mPost(o, o.ViewCount-1), "\n"))
		h.Log(ctx, "info", "updated "+o.ID+" "+optArg(o.UpdatedBy)+" "+ev)

	case "on-post-deleted":
		id := arg.(string)
		r := h.DBExecute(ctx, "DELETE FROM posts WHERE id = '"+id+"'", nil)
		d := h.VFSDelete(ctx, "posts/"+id+".md")
		h.Log(ctx, "info", "deleted "+id+" "+r+" "+mBool(d))

	case "on-comment-created":
		c := arg.(plugin.CommentInput)
		ev := h.EmitEvent(ctx, "comment.created", strings.Join([]string{"content=" + c.Content,
			"nickname=" + optArg(c.Nickname), "email=" + optArg(c.Email), "parent-id=" + optArg(c.ParentID)}, "\n"))
		h.Log(ctx, "info", "comment "+ev)

	case "on-content-created":
		e := arg.(plugin.ContentEvent)
		a, ok := h.HTTPPost(ctx, "https://index.example/"+e.ContentType, e.Data)
		h.EmitEvent(ctx, "content.created", strings.Join([]string{"content-type=" + e.ContentType,
			"data=" + e.Data, "id=" + optArg(e.ID), "indexed=" + mOpt(a, ok)}, "\n"))

	case "on-content-updated":
		e := arg.(plugin.ContentEvent)
		w := h.VFSWrite(ctx, "content/"+e.ContentType+"/"+optArg(e.ID)+".json", e.Data)
		h.EmitEvent(ctx, "content.updated", strings.Join([]string{"content-type=" + e.ContentType,
			"data=" + e.Data, "id=" + optArg(e.ID), "written=" + mBool(w)}, "\n"))

	case "on-content-deleted":
		a := arg.(plugin.OnContentDeletedArgs)
		d := h.VFSDelete(ctx, "content/"+a.ContentType+"/"+a.ID+".json")
		r := h.DBExecute(ctx, "DELETE FROM content WHERE type = ? AND id = ?", ptr(`["`+a.ContentType+`","`+a.ID+`"]`))
		h.Log(ctx, "info", "deleted "+a.ContentType+"/"+a.ID+" "+mBool(d)+" "+r)

	case "on-login":
		u := arg.(string)
		prev, ok := h.GetData(ctx, "login:"+u)
		set := h.SetData(ctx, "login:"+u, mOpt(prev, ok))
		h.Log(ctx, "info", "login "+u+" "+mOpt(prev, ok)+" "+mBool(set))

	case "on-cron-tick":
		p := arg.(*string)
		if p == nil {
			h.Log(ctx, "debug", "tick")
			break
		}
		l, okl := h.VFSList(ctx, "cron/"+*p)
		g, okg := h.HTTPGet(ctx, "https://cron.example/"+*p)
		h.Log(ctx, "info", "tick "+*p+" "+mOpt(l, okl)+" "+mOpt(g, okg))

	default:
		panic("model: unknown hook " + hook)
	}
	return nil
}

// ---- the data path of on-content-creating (SPEC.md, "The data calls") ----

var (
	// dataRow is R of SPEC.md.
	dataRow = []plugin.Field{
		{Column: "n", Value: plugin.ValueNull{}},
		{Column: "i", Value: plugin.ValueInteger{Value: -1}},
		{Column: "r", Value: plugin.ValueReal{Value: -1.5}},
		{Column: "t", Value: plugin.ValueText{Value: "Zoë € 😀"}},
		{Column: "e", Value: plugin.ValueText{Value: ""}},
		{Column: "b", Value: plugin.ValueBlob{Value: []byte{}}},
		{Column: "c", Value: plugin.ValueBlob{Value: []byte{0x00, 0xff, 0x80, 0x7f}}},
	}
	// dataFilter is F of SPEC.md: every comparison, in enum order.
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
	// dataGroupBy is BY of SPEC.md.
	dataGroupBy = []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}
)

func u32p(v uint32) *uint32 { return &v }

// dataQueryFull is QF of SPEC.md; QZ is plugin.Query{}.
func dataQueryFull() plugin.Query {
	return plugin.Query{Columns: []string{"id", "títle", ""}, Filter: dataFilter,
		OrderBy: []plugin.Order{{Column: "id"}, {Column: "títle", Descending: true}},
		Limit:   u32p(math.MaxUint32), Offset: u32p(0)}
}

// dRes is res(r) of SPEC.md for a data call's answer (show renders ok).
func dRes(err error, show func() string) string {
	if err == nil {
		return "ok:" + show()
	}
	e, ok := witval.AsResultError[plugin.DBError](err)
	if !ok {
		return "bad error " + err.Error()
	}
	name := func(n, s string) string { return n + "(" + s + ")" }
	switch e := e.(type) {
	case plugin.DBErrorPermissionDenied:
		return "err:" + name("permission-denied", e.Value)
	case plugin.DBErrorNoSuchTable:
		return "err:" + name("no-such-table", e.Value)
	case plugin.DBErrorNoSuchColumn:
		return "err:" + name("no-such-column", e.Value)
	case plugin.DBErrorTypeMismatch:
		return "err:" + name("type-mismatch", e.Value)
	case plugin.DBErrorConstraint:
		return "err:" + name("constraint", e.Value)
	case plugin.DBErrorTimeout:
		return "err:timeout"
	case plugin.DBErrorTooLarge:
		return "err:" + name("too-large", e.Value)
	case plugin.DBErrorInvalid:
		return "err:" + name("invalid", e.Value)
	case plugin.DBErrorUnavailable:
		return "err:" + name("unavailable", e.Value)
	case plugin.DBErrorBackend:
		return "err:" + name("backend", e.Value)
	}
	return "bad error " + err.Error()
}

func dU64(n uint64) func() string { return func() string { return strconv.FormatUint(n, 10) } }

func dRows(rows [][]plugin.Field) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = dRow(r)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func dGroups(gs []plugin.Group) string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = dRow(g.Key) + "->" + dVal(g.Value)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// modelData is on-content-creating(e) for content-type "data".
func modelData(ctx context.Context, h *fakeHost, e plugin.ContentEvent) *plugin.ContentEvent {
	t := e.Data
	id := h.NewID(ctx)
	p1, p2 := h.DBPh(ctx, 1), h.DBPh(ctx, math.MaxUint32)
	out := []string{"new-id=" + id, "db-ph=" + p1 + " " + p2}
	line := func(fn, res string) { out = append(out, fn+"="+res) }

	n, err := h.Insert(ctx, t, dataRow)
	line("insert", dRes(err, dU64(n)))
	for _, q := range []plugin.Query{dataQueryFull(), {}} {
		r, err := h.FetchOne(ctx, t, q)
		line("fetch-one", dRes(err, func() string {
			if r == nil {
				return "~"
			}
			return "+" + dRow(*r)
		}))
	}
	for _, q := range []plugin.Query{dataQueryFull(), {}} {
		rs, err := h.FetchAll(ctx, t, q)
		line("fetch-all", dRes(err, func() string { return dRows(rs) }))
	}
	n, err = h.Update(ctx, t, []plugin.Field{{Column: "s", Value: plugin.ValueText{Value: "ok ✓"}}, {Column: "n", Value: plugin.ValueNull{}}}, dataFilter)
	line("update", dRes(err, dU64(n)))
	n, err = h.Delete(ctx, t, dataFilter)
	line("delete", dRes(err, dU64(n)))
	n, err = h.Count(ctx, t, nil)
	line("count", dRes(err, dU64(n)))
	n, err = h.Increment(ctx, t, "views", math.MinInt64, dataFilter)
	line("increment", dRes(err, dU64(n)))
	for _, f := range [][]plugin.Condition{dataFilter, nil} {
		v, err := h.Sum(ctx, t, "total", f)
		line("sum", dRes(err, func() string { return dVal(v) }))
	}
	for a := plugin.AggregateCount; a <= plugin.AggregateAvg; a++ {
		gs, err := h.GroupBy(ctx, t, dataGroupBy[:2*int(a)], a, "v", dataFilter)
		line("group-by", dRes(err, func() string { return dGroups(gs) }))
	}
	return &plugin.ContentEvent{ContentType: "DATA", Data: strings.Join(out, "\n"), ID: &id}
}
