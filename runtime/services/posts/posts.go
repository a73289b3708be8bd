// Package posts is the host's post storage: the PostStore that host-api
// get-post reads, and a SQLite-backed posts table with the CRUD operations
// the reference blog host uses.
package posts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// PostStore is what get-post needs from the host: the post with slug as
// JSON (the shape of Post), or false if there is none.
type PostStore interface {
	GetBySlug(ctx context.Context, slug string) (postJSON string, ok bool, err error)
}

// Post is a stored post. Its JSON form (snake_case, nulls for absent
// optional fields, RFC 3339 times) is what get-post returns.
type Post struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Slug        string     `json:"slug"`
	Content     string     `json:"content"`
	Excerpt     *string    `json:"excerpt"`
	Status      string     `json:"status"`
	CreatedBy   string     `json:"created_by"`
	UpdatedBy   *string    `json:"updated_by"`
	CategoryID  *string    `json:"category_id"`
	TagIDs      []string   `json:"tag_ids"`
	CoverImage  *string    `json:"cover_image"`
	ViewCount   int64      `json:"view_count"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at"`
}

// Input is a post as submitted (the fields of WIT post-input). On Create a
// nil field takes its default; on Update a nil field keeps its current value.
type Input struct {
	Title      string
	Content    string
	Slug       *string
	Excerpt    *string
	CategoryID *string
	TagIDs     []string // nil = none; an empty non-nil slice clears the tags on Update
	Status     *string
	CoverImage *string
}

// Statuses the store knows about; others are accepted as long as they are
// short lower-case words. Publishing (status "published") stamps
// published_at the first time.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// Refusals, for errors.Is.
var (
	ErrNotFound  = errors.New("posts: not found")
	ErrSlugTaken = errors.New("posts: slug already in use")
	ErrInvalid   = errors.New("posts: invalid post")
)

// BySlug is what JSONStore needs; *SQLStore implements it.
type BySlug interface {
	GetBySlug(ctx context.Context, slug string) (Post, error)
}

// JSONStore adapts a typed store to PostStore.
type JSONStore struct {
	Posts BySlug
	// PublishedOnly hides posts whose status is not "published".
	PublishedOnly bool
}

// GetBySlug implements PostStore.
func (j JSONStore) GetBySlug(ctx context.Context, slug string) (string, bool, error) {
	p, err := j.Posts.GetBySlug(ctx, slug)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if j.PublishedOnly && p.Status != StatusPublished {
		return "", false, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", false, fmt.Errorf("posts: encode %s: %w", p.ID, err)
	}
	return string(b), true, nil
}

// GetPost implements host-api get-post on ps: failures are logged and
// reported as none.
func GetPost(ctx context.Context, ps PostStore, logger *slog.Logger, slug string) (string, bool) {
	js, ok, err := ps.GetBySlug(ctx, slug)
	if err != nil {
		if logger == nil {
			logger = slog.Default()
		}
		logger.WarnContext(ctx, "posts: get-post failed", "slug", slug, "err", err)
		return "", false
	}
	return js, ok
}
