package posts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/raisfast/wasmplug/internal/dbtest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func openStore(t *testing.T, be dbtest.Backend) (*SQLStore, *clock) {
	t.Helper()
	ctx := context.Background()
	db := be.Open(t)
	c := &clock{t: time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)}
	s, err := Open(ctx, db, Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	// Opening twice is fine (table exists).
	if _, err := Open(ctx, db, Options{}); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func sp(s string) *string { return &s }

func TestCreateGetJSON(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be)
		ctx := context.Background()
		p, err := s.Create(ctx, Input{
			Title: "Hello, World!", Content: "# Hi", Excerpt: sp("short"),
			CategoryID: sp("cat-1"), TagIDs: []string{"go", "wasm"}, CoverImage: sp("/img/c.png"),
		}, "user-1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Slug != "hello-world" || p.Status != StatusDraft || p.PublishedAt != nil || p.ID == "" {
			t.Fatalf("created %+v", p)
		}
		got, err := s.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("Get = %+v\nwant  %+v", got, p)
		}
		bySlug, err := s.GetBySlug(ctx, "hello-world")
		if err != nil || bySlug.ID != p.ID {
			t.Fatalf("GetBySlug: %v %v", bySlug.ID, err)
		}

		js, ok, err := JSONStore{Posts: s}.GetBySlug(ctx, "hello-world")
		if err != nil || !ok {
			t.Fatalf("JSON GetBySlug: %v %v", ok, err)
		}
		want := fmt.Sprintf(`{"id":%q,"title":"Hello, World!","slug":"hello-world","content":"# Hi","excerpt":"short",`+
			`"status":"draft","created_by":"user-1","updated_by":null,"category_id":"cat-1","tag_ids":["go","wasm"],`+
			`"cover_image":"/img/c.png","view_count":0,"created_at":"2025-01-02T03:04:01Z","updated_at":"2025-01-02T03:04:01Z","published_at":null}`, p.ID)
		if js != want {
			t.Fatalf("JSON\n got %s\nwant %s", js, want)
		}
		if _, ok, err := (JSONStore{Posts: s}).GetBySlug(ctx, "nope"); ok || err != nil {
			t.Fatalf("missing slug: %v %v", ok, err)
		}
		if _, ok, _ := (JSONStore{Posts: s, PublishedOnly: true}).GetBySlug(ctx, "hello-world"); ok {
			t.Fatal("draft visible with PublishedOnly")
		}
		if js, ok := GetPost(ctx, JSONStore{Posts: s}, nil, "hello-world"); !ok || js != want {
			t.Fatal("GetPost")
		}
	})
}

func TestMinimalPostJSONHasEmptyTagsAndNulls(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be)
		p, err := s.Create(context.Background(), Input{Title: "T", Slug: sp("t"), Status: sp(StatusPublished)}, "u")
		if err != nil {
			t.Fatal(err)
		}
		js, _, _ := JSONStore{Posts: s, PublishedOnly: true}.GetBySlug(context.Background(), "t")
		var m map[string]any
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			t.Fatal(err)
		}
		if tags, ok := m["tag_ids"].([]any); !ok || len(tags) != 0 {
			t.Fatalf("tag_ids = %v", m["tag_ids"])
		}
		for _, k := range []string{"excerpt", "updated_by", "category_id", "cover_image"} {
			if v, present := m[k]; !present || v != nil {
				t.Errorf("%s = %v (present %v), want null", k, v, present)
			}
		}
		if m["published_at"] != m["created_at"] || p.PublishedAt == nil {
			t.Fatalf("published_at = %v", m["published_at"])
		}
	})
}

func TestUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be)
		ctx := context.Background()
		p, _ := s.Create(ctx, Input{Title: "A", Content: "one", Excerpt: sp("ex"), TagIDs: []string{"x"}}, "author")
		u, err := s.Update(ctx, p.ID, Input{Title: "A2", Content: "two", Status: sp(StatusPublished)}, "editor")
		if err != nil {
			t.Fatal(err)
		}
		if u.Title != "A2" || u.Content != "two" || *u.Excerpt != "ex" || !reflect.DeepEqual(u.TagIDs, []string{"x"}) || u.Slug != "a" {
			t.Fatalf("nil fields not kept: %+v", u)
		}
		if u.UpdatedBy == nil || *u.UpdatedBy != "editor" || u.CreatedBy != "author" {
			t.Fatalf("authorship: %+v", u)
		}
		if u.PublishedAt == nil || !u.UpdatedAt.After(p.UpdatedAt) || !u.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("times: %+v", u)
		}
		firstPublished := *u.PublishedAt
		// Publishing again keeps the first publication time; empty tags clear.
		u2, err := s.Update(ctx, p.ID, Input{Title: "A3", Content: "three", TagIDs: []string{}, Slug: sp("a-three")}, "editor")
		if err != nil {
			t.Fatal(err)
		}
		if !u2.PublishedAt.Equal(firstPublished) || len(u2.TagIDs) != 0 || u2.Slug != "a-three" {
			t.Fatalf("second update: %+v", u2)
		}
		got, _ := s.Get(ctx, p.ID)
		if !reflect.DeepEqual(got, u2) {
			t.Fatalf("stored %+v\nreturned %+v", got, u2)
		}
		if _, err := s.GetBySlug(ctx, "a"); !errors.Is(err, ErrNotFound) {
			t.Fatal("old slug still resolves")
		}
		if _, err := s.Update(ctx, "missing", Input{Title: "x"}, "e"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
	})
}

func TestRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be)
		ctx := context.Background()
		if _, err := s.Create(ctx, Input{Title: "Same", Slug: sp("same")}, "u"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, Input{Title: "Other", Slug: sp("same")}, "u"); !errors.Is(err, ErrSlugTaken) {
			t.Fatalf("duplicate slug: %v", err)
		}
		other, _ := s.Create(ctx, Input{Title: "Other"}, "u")
		if _, err := s.Update(ctx, other.ID, Input{Title: "Other", Slug: sp("same")}, "u"); !errors.Is(err, ErrSlugTaken) {
			t.Fatalf("update to taken slug: %v", err)
		}
		bad := []Input{
			{Title: "  "},
			{Title: strings.Repeat("t", MaxTitleBytes+1)},
			{Title: "x", Slug: sp("Has Upper")},
			{Title: "x", Slug: sp("a/b")},
			{Title: "x", Slug: sp("../etc")},
			{Title: "x", Status: sp("Published!")},
			{Title: "!!!"}, // slug derives to ""
		}
		for _, in := range bad {
			if _, err := s.Create(ctx, in, "u"); !errors.Is(err, ErrInvalid) {
				t.Errorf("Create(%+v) = %v, want ErrInvalid", in, err)
			}
		}
		if _, err := s.Create(ctx, Input{Title: "x"}, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("no author: %v", err)
		}
		if err := s.Delete(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete missing: %v", err)
		}
		if _, err := s.Get(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("get missing: %v", err)
		}
	})
}

func TestDeleteAndViews(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be)
		ctx := context.Background()
		p, _ := s.Create(ctx, Input{Title: "V"}, "u")
		for i := 1; i <= 3; i++ {
			n, err := s.IncrementViewCount(ctx, p.ID)
			if err != nil || n != int64(i) {
				t.Fatalf("view %d: %d %v", i, n, err)
			}
		}
		if _, err := s.IncrementViewCount(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, p.ID); !errors.Is(err, ErrNotFound) {
			t.Fatal("deleted post still there")
		}
		// Its slug is free again.
		if _, err := s.Create(ctx, Input{Title: "V"}, "u"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, be dbtest.Backend) {
		s, _ := openStore(t, be)
		ctx := context.Background()
		var ids []string
		for i := range 5 {
			in := Input{Title: fmt.Sprintf("Post %d", i), CategoryID: sp("even"), TagIDs: []string{"all"}}
			if i%2 == 1 {
				in.CategoryID = sp("odd")
				in.Status = sp(StatusPublished)
				in.TagIDs = []string{"all", "odd-tag"}
			}
			p, err := s.Create(ctx, in, "u")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		page, err := s.List(ctx, ListOptions{})
		if err != nil || page.Total != 5 || len(page.Posts) != 5 {
			t.Fatalf("all: %d %d %v", page.Total, len(page.Posts), err)
		}
		if page.Posts[0].ID != ids[4] || page.Posts[4].ID != ids[0] {
			t.Fatal("not newest first")
		}
		page, _ = s.List(ctx, ListOptions{Limit: 2, Offset: 1})
		if page.Total != 5 || len(page.Posts) != 2 || page.Posts[0].ID != ids[3] {
			t.Fatalf("paging: %+v", page)
		}
		page, _ = s.List(ctx, ListOptions{Status: StatusPublished})
		if page.Total != 2 {
			t.Fatalf("published: %d", page.Total)
		}
		page, _ = s.List(ctx, ListOptions{CategoryID: "even"})
		if page.Total != 3 {
			t.Fatalf("category: %d", page.Total)
		}
		page, _ = s.List(ctx, ListOptions{TagID: "odd-tag"})
		if page.Total != 2 {
			t.Fatalf("tag: %d", page.Total)
		}
		page, _ = s.List(ctx, ListOptions{TagID: "nope"})
		if page.Total != 0 || page.Posts == nil {
			t.Fatalf("no match: %+v", page)
		}
	})
}

func TestSlugify(t *testing.T) {
	cases := map[string]string{
		"Hello, World!":      "hello-world",
		"  Go 1.26 & WASM  ": "go-1-26-wasm",
		"你好 世界":              "你好-世界",
		"Ünïcödé Tïtle":      "ünïcödé-tïtle",
		"---":                "",
	}
	for in, want := range cases {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
		if want != "" {
			if err := validSlug(Slugify(in)); err != nil {
				t.Errorf("Slugify(%q) not valid: %v", in, err)
			}
		}
	}
	if got := Slugify(strings.Repeat("word ", 100)); len(got) > MaxSlugBytes {
		t.Errorf("long slug: %d bytes", len(got))
	}
}
