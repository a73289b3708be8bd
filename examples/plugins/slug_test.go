package examples_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
)

func TestSlug(t *testing.T) {
	l := load(t, "slug")
	h := &fakeHost{}
	inst := l.instance(t, h)
	ctx := context.Background()

	for _, c := range []struct{ title, want string }{
		{"Hello, Go World!", "hello-go-world"},
		{"  WebAssembly   plugins: a tour ", "webassembly-plugins-a-tour"},
		{"你好 世界", "你好-世界"},
		{"Ünïcödé Straße 2025", "ünïcödé-straße-2025"},
		{strings.Repeat("word ", 30), strings.TrimSuffix(strings.Repeat("word-", 16), "-")},
	} {
		out, err := inst.OnPostCreating(ctx, plugin.PostInput{Title: c.title, Content: "body"})
		if err != nil {
			t.Fatal(err)
		}
		if out == nil || out.Slug == nil || *out.Slug != c.want || out.Content != "body" || out.Title != c.title {
			t.Errorf("on-post-creating(%q) = %+v, want slug %q", c.title, out, c.want)
		}
	}
	// A slug the author chose, or a title with nothing usable: none.
	mine := "my-own"
	for _, in := range []plugin.PostInput{{Title: "Hello", Slug: &mine}, {Title: "!!! ???"}} {
		if out, err := inst.OnPostCreating(ctx, in); err != nil || out != nil {
			t.Errorf("on-post-creating(%+v) = %+v, %v; want none", in, out, err)
		}
	}

	published := "2025-01-02T03:04:05Z"
	err := inst.OnPostCreated(ctx, plugin.PostOutput{
		ID: "p1", Title: "Hello, Go World!", Slug: "hello-go-world", Status: "published",
		CreatedBy: "u1", CreatedAt: published, UpdatedAt: published, PublishedAt: &published,
	})
	if err != nil {
		t.Fatal(err)
	}
	var cached map[string]any
	mustJSON(t, h.files["cache/posts/hello-go-world.json"], &cached)
	if cached["id"] != "p1" || cached["slug"] != "hello-go-world" || cached["title"] != "Hello, Go World!" || cached["published_at"] != published {
		t.Errorf("cache/posts/hello-go-world.json = %v", cached)
	}

	// The cron payload, as the runtime sends it for the manifest's [[cron]].
	cron := l.m.Cron
	if len(cron) != 1 || cron[0].Expr != "0 */6 * * *" || cron[0].JobType != "my_task" {
		t.Fatalf("manifest [[cron]] = %+v", cron)
	}
	payload := `{"label":"定时任务","job_type":"my_task","cron_expr":"0 */6 * * *","fired_at":"2025-01-02T06:00:00+08:00"}`
	if err := inst.OnCronTick(ctx, &payload); err != nil {
		t.Fatal(err)
	}
	if err := inst.OnCronTick(ctx, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"info: published: hello-go-world", "info: cron fired: " + payload}
	if !slices.Equal(h.logs, want) {
		t.Errorf("logs %q, want %q", h.logs, want)
	}
}
