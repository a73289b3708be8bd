// Package export_raisfast_plugin_wit_plugin_hooks is the conformance plugin of interop/SPEC.md
// on the bindings of wit-bindgen-cli 0.63.0's Go generator (`wit-bindgen go -w plugin-world
// wit/plugin.wit`, generated at build time next to this package; see interop/wbgo/README.md).
package export_raisfast_plugin_wit_plugin_hooks

import (
	"strconv"
	"strings"
	"unicode/utf8"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
	host "wit_component/raisfast_plugin_wit_host_api"
	. "wit_component/raisfast_plugin_wit_types"
)

type optString = witTypes.Option[string]

func some(s string) optString { return witTypes.Some(s) }
func none() optString         { return witTypes.None[string]() }

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

func opt(o optString) string {
	if o.IsNone() {
		return "~"
	}
	return "+" + o.Some()
}

func boolStr(b bool) string { return strconv.FormatBool(b) }

func lines(parts ...string) string { return strings.Join(parts, "\n") }

func post(o PostOutput, n int64) string {
	return lines("id="+o.Id, "title="+o.Title, "slug="+o.Slug, "content="+o.Content,
		"excerpt="+opt(o.Excerpt), "status="+o.Status, "created-by="+o.CreatedBy,
		"updated-by="+opt(o.UpdatedBy), "category-id="+opt(o.CategoryId),
		"view-count="+strconv.FormatInt(n, 10), "created-at="+o.CreatedAt,
		"updated-at="+o.UpdatedAt, "published-at="+opt(o.PublishedAt))
}

func OnPostCreating(p PostInput) witTypes.Option[PostInput] {
	if p.Title == "pass" {
		return witTypes.None[PostInput]()
	}
	host.Log("debug", "creating "+p.Title)
	out := PostInput{
		Title:   upper(p.Title) + " ✓",
		Content: p.Content + " [" + bytesOf(p.Content) + "/" + strconv.Itoa(utf8.RuneCountInString(p.Content)) + "]",
		Slug:    some(strings.ReplaceAll(lower(p.Title), " ", "-")),
		Excerpt: none(), CategoryId: none(), CoverImage: none(),
	}
	if p.Slug.IsSome() {
		out.Slug = some(p.Slug.Some() + "-x")
	}
	if p.Excerpt.IsSome() {
		out.Excerpt = some(rev(p.Excerpt.Some()))
	}
	if p.CategoryId.IsNone() {
		out.CategoryId = some("uncategorized")
	}
	tags := []string{}
	if p.TagIds.IsSome() {
		in := p.TagIds.Some()
		for i := len(in) - 1; i >= 0; i-- {
			tags = append(tags, in[i])
		}
		tags = append(tags, "conf")
	}
	out.TagIds = witTypes.Some(tags)
	out.Status = some("draft")
	if p.Status.IsSome() {
		out.Status = some(upper(p.Status.Some()))
	}
	if p.CoverImage.IsSome() {
		out.CoverImage = some(p.CoverImage.Some() + "?w=640")
	}
	return witTypes.Some(out)
}

func OnPostUpdating(p PostInput) witTypes.Option[PostInput] {
	if p.Title == "pass" {
		return witTypes.None[PostInput]()
	}
	g := host.GetPost(p.Slug.SomeOr(p.Title))
	out := PostInput{
		Title: rev(p.Title), Content: lower(p.Content) + "\n" + opt(g),
		Slug: none(), Excerpt: some(""), CategoryId: none(), TagIds: witTypes.None[[]string](),
		Status: some("published"), CoverImage: some("default.png"),
	}
	if p.Slug.IsSome() {
		out.Slug = some(upper(p.Slug.Some()))
	}
	if p.Excerpt.IsSome() {
		out.Excerpt = some(p.Excerpt.Some() + p.Excerpt.Some())
	}
	if p.CategoryId.IsSome() {
		out.CategoryId = some("cat:" + p.CategoryId.Some())
	}
	if p.TagIds.IsSome() {
		tags := []string{}
		for _, t := range p.TagIds.Some() {
			tags = append(tags, upper(t))
		}
		out.TagIds = witTypes.Some(tags)
	}
	if p.Status.IsSome() {
		out.Status = none()
	}
	if p.CoverImage.IsSome() {
		out.CoverImage = some(rev(p.CoverImage.Some()))
	}
	return witTypes.Some(out)
}

func OnCommentCreating(c CommentInput) witTypes.Option[CommentInput] {
	if c.Content == "pass" {
		return witTypes.None[CommentInput]()
	}
	a := host.GetConfig("nickname:" + opt(c.Email))
	out := CommentInput{Content: "💬 " + c.Content, Nickname: a, Email: none(), ParentId: none()}
	if c.Nickname.IsSome() {
		out.Nickname = some(upper(c.Nickname.Some()))
	}
	if c.Email.IsSome() {
		out.Email = some(lower(c.Email.Some()))
	}
	if c.ParentId.IsNone() {
		out.ParentId = some("root")
	}
	return witTypes.Some(out)
}

func OnContentCreating(e ContentEvent) witTypes.Option[ContentEvent] {
	if e.ContentType == "pass" {
		return witTypes.None[ContentEvent]()
	}
	if e.ContentType == "data" {
		return witTypes.Some(onContentData(e))
	}
	s := host.HttpGet("https://schema.example/" + e.ContentType)
	out := ContentEvent{ContentType: upper(e.ContentType), Data: e.Data + "\n" + opt(s), Id: some("new-" + bytesOf(e.Data))}
	if e.Id.IsSome() {
		out.Id = some(e.Id.Some() + "+1")
	}
	return witTypes.Some(out)
}

func OnContentUpdating(e ContentEvent) witTypes.Option[ContentEvent] {
	if e.ContentType == "pass" {
		return witTypes.None[ContentEvent]()
	}
	q := host.DbQuery("SELECT data FROM content WHERE id = ?", e.Id)
	out := ContentEvent{ContentType: lower(e.ContentType), Data: rev(e.Data), Id: none()}
	if e.Id.IsNone() {
		out.Id = some(q)
	}
	return witTypes.Some(out)
}

func RenderMarkdown(s string) witTypes.Option[string] {
	if s == "pass" {
		return none()
	}
	return some("<p>" + s + "</p>")
}

func FilterHtml(s string) witTypes.Option[string] {
	if s == "pass" {
		return none()
	}
	return some(upper(s) + "<!--" + bytesOf(s) + "-->")
}

func OnPostCreated(o PostOutput) {
	f := "posts/" + o.Slug + ".md"
	host.Log("info", "created "+o.Id)
	a1 := host.GetConfig("views:" + o.Slug)
	a2 := host.GetData("post:" + o.Id)
	a3 := host.SetData("post:"+o.Id, o.Title)
	a4 := host.GetPost(o.Slug)
	a5 := host.HttpGet("https://hooks.example/" + o.Slug)
	a6 := host.HttpPost("https://hooks.example/"+o.Slug, o.Title)
	a7 := host.DbBegin()
	a8 := host.DbQuery("SELECT views FROM posts WHERE id = ?", some("[\""+o.Id+"\"]"))
	a9 := host.DbExecute("UPDATE posts SET views = ? WHERE id = ?", some("["+strconv.FormatInt(o.ViewCount+1, 10)+",\""+o.Id+"\"]"))
	a10 := host.DbCommit()
	a11 := host.VfsWrite(f, o.Content)
	a12 := host.VfsExists(f)
	a13 := host.VfsRead(f)
	a14 := host.VfsStat(f)
	a15 := host.VfsList("posts/" + o.Slug)
	a16 := host.VfsDelete(f)
	a17 := host.DbRollback()
	ev := host.EmitEvent("post.created", lines(post(o, o.ViewCount+1),
		"get-config="+opt(a1), "get-data="+opt(a2), "set-data="+boolStr(a3), "get-post="+opt(a4),
		"http-get="+opt(a5), "http-post="+opt(a6), "db-begin="+a7, "db-query="+a8, "db-execute="+a9,
		"db-commit="+a10, "vfs-write="+boolStr(a11), "vfs-exists="+boolStr(a12), "vfs-read="+opt(a13),
		"vfs-stat="+opt(a14), "vfs-list="+opt(a15), "vfs-delete="+boolStr(a16), "db-rollback="+a17))
	host.Log("debug", "emitted "+ev)
}

func OnPostUpdated(o PostOutput) {
	ev := host.EmitEvent("post.updated", post(o, o.ViewCount-1))
	host.Log("info", "updated "+o.Id+" "+opt(o.UpdatedBy)+" "+ev)
}

func OnPostDeleted(id string) {
	r := host.DbExecute("DELETE FROM posts WHERE id = '"+id+"'", none())
	d := host.VfsDelete("posts/" + id + ".md")
	host.Log("info", "deleted "+id+" "+r+" "+boolStr(d))
}

func OnCommentCreated(c CommentInput) {
	ev := host.EmitEvent("comment.created", lines("content="+c.Content, "nickname="+opt(c.Nickname),
		"email="+opt(c.Email), "parent-id="+opt(c.ParentId)))
	host.Log("info", "comment "+ev)
}

func OnContentCreated(e ContentEvent) {
	a := host.HttpPost("https://index.example/"+e.ContentType, e.Data)
	host.EmitEvent("content.created", lines("content-type="+e.ContentType, "data="+e.Data,
		"id="+opt(e.Id), "indexed="+opt(a)))
}

func OnContentUpdated(e ContentEvent) {
	w := host.VfsWrite("content/"+e.ContentType+"/"+opt(e.Id)+".json", e.Data)
	host.EmitEvent("content.updated", lines("content-type="+e.ContentType, "data="+e.Data,
		"id="+opt(e.Id), "written="+boolStr(w)))
}

func OnContentDeleted(contentType, id string) {
	d := host.VfsDelete("content/" + contentType + "/" + id + ".json")
	r := host.DbExecute("DELETE FROM content WHERE type = ? AND id = ?", some("[\""+contentType+"\",\""+id+"\"]"))
	host.Log("info", "deleted "+contentType+"/"+id+" "+boolStr(d)+" "+r)
}

func OnLogin(userID string) {
	prev := opt(host.GetData("login:" + userID))
	ok := host.SetData("login:"+userID, prev)
	host.Log("info", "login "+userID+" "+prev+" "+boolStr(ok))
}

func OnCronTick(payload optString) {
	if payload.IsNone() {
		host.Log("debug", "tick")
		return
	}
	p := payload.Some()
	l := host.VfsList("cron/" + p)
	g := host.HttpGet("https://cron.example/" + p)
	host.Log("info", "tick "+p+" "+opt(l)+" "+opt(g))
}
