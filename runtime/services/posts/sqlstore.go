package posts

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Schema is the posts table. Times are stored as fixed-width UTC RFC 3339
// text so that they sort as text; tag_ids is a JSON array.
const Schema = `CREATE TABLE IF NOT EXISTS posts (
	id           TEXT PRIMARY KEY,
	title        TEXT NOT NULL,
	slug         TEXT NOT NULL UNIQUE,
	content      TEXT NOT NULL,
	excerpt      TEXT,
	status       TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	updated_by   TEXT,
	category_id  TEXT,
	tag_ids      TEXT NOT NULL DEFAULT '[]',
	cover_image  TEXT,
	view_count   INTEGER NOT NULL DEFAULT 0,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	published_at TEXT
);
CREATE INDEX IF NOT EXISTS posts_status_created ON posts (status, created_at);
CREATE INDEX IF NOT EXISTS posts_category ON posts (category_id);`

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

const columns = `id, title, slug, content, excerpt, status, created_by, updated_by,
	category_id, tag_ids, cover_image, view_count, created_at, updated_at, published_at`

// Limits on fields.
const (
	MaxTitleBytes   = 512
	MaxSlugBytes    = 200
	MaxContentBytes = 4 << 20
)

// SQLStore keeps posts in a SQL table, on SQLite or on PostgreSQL (a pgx
// *sql.DB), chosen by the driver. It is safe for concurrent use.
type SQLStore struct {
	db      *sql.DB
	dialect sqldb.Dialect
	now     func() time.Time
}

// q rewrites query's ? placeholders for the store's dialect.
func (s *SQLStore) q(query string) string { return pgdb.Rebind(s.dialect, query) }

// Options configure a SQLStore.
type Options struct {
	// Now stamps created_at/updated_at/published_at (default time.Now).
	Now func() time.Time
}

// Open returns a store on db, creating the posts table if it is missing.
func Open(ctx context.Context, db *sql.DB, opts Options) (*SQLStore, error) {
	if _, err := db.ExecContext(ctx, Schema); err != nil {
		return nil, fmt.Errorf("posts: create table: %w", err)
	}
	s := &SQLStore{db: db, dialect: pgdb.DialectOf(db), now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

func (s *SQLStore) stamp() time.Time { return s.now().UTC() }

var statusRE = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)

func validate(p *Post) error {
	switch {
	case strings.TrimSpace(p.Title) == "":
		return fmt.Errorf("%w: title is empty", ErrInvalid)
	case len(p.Title) > MaxTitleBytes:
		return fmt.Errorf("%w: title longer than %d bytes", ErrInvalid, MaxTitleBytes)
	case len(p.Content) > MaxContentBytes:
		return fmt.Errorf("%w: content longer than %d bytes", ErrInvalid, MaxContentBytes)
	case !statusRE.MatchString(p.Status):
		return fmt.Errorf("%w: status %q", ErrInvalid, p.Status)
	case p.CreatedBy == "":
		return fmt.Errorf("%w: no author", ErrInvalid)
	}
	return validSlug(p.Slug)
}

func validSlug(slug string) error {
	if slug == "" || len(slug) > MaxSlugBytes || !utf8.ValidString(slug) {
		return fmt.Errorf("%w: slug %q", ErrInvalid, slug)
	}
	for _, r := range slug {
		if !(unicode.IsLetter(r) && !unicode.IsUpper(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return fmt.Errorf("%w: slug %q: only lower-case letters, digits, - and _", ErrInvalid, slug)
		}
	}
	return nil
}

// Slugify derives a slug from a title: lower-case letters and digits (any
// script) kept, runs of anything else become one "-".
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
		if b.Len() >= MaxSlugBytes-8 {
			break
		}
	}
	return b.String()
}

// Create stores a new post by author. A missing slug is derived from the
// title; a missing status is "draft".
func (s *SQLStore) Create(ctx context.Context, in Input, author string) (Post, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Post{}, fmt.Errorf("posts: new id: %w", err)
	}
	now := s.stamp()
	p := Post{
		ID: id.String(), Title: in.Title, Content: in.Content, Status: StatusDraft,
		CreatedBy: author, Excerpt: in.Excerpt, CategoryID: in.CategoryID,
		TagIDs: in.TagIDs, CoverImage: in.CoverImage, CreatedAt: now, UpdatedAt: now,
	}
	if in.Slug != nil && *in.Slug != "" {
		p.Slug = *in.Slug
	} else {
		p.Slug = Slugify(in.Title)
	}
	if in.Status != nil {
		p.Status = *in.Status
	}
	if p.TagIDs == nil {
		p.TagIDs = []string{}
	}
	if p.Status == StatusPublished {
		p.PublishedAt = &now
	}
	if err := validate(&p); err != nil {
		return Post{}, err
	}
	tags, _ := json.Marshal(p.TagIDs)
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO posts (`+columns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		p.ID, p.Title, p.Slug, p.Content, p.Excerpt, p.Status, p.CreatedBy, p.UpdatedBy,
		p.CategoryID, string(tags), p.CoverImage, p.ViewCount,
		fmtTime(p.CreatedAt), fmtTime(p.UpdatedAt), fmtTimePtr(p.PublishedAt))
	if err != nil {
		return Post{}, s.writeErr("create", p.Slug, err)
	}
	return p, nil
}

// Get returns the post with id.
func (s *SQLStore) Get(ctx context.Context, id string) (Post, error) {
	return s.one(ctx, "id", id)
}

// GetBySlug returns the post with slug.
func (s *SQLStore) GetBySlug(ctx context.Context, slug string) (Post, error) {
	return s.one(ctx, "slug", slug)
}

func (s *SQLStore) one(ctx context.Context, col, v string) (Post, error) {
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+columns+` FROM posts WHERE `+col+` = ?`), v)
	p, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Post{}, fmt.Errorf("%w: %s %q", ErrNotFound, col, v)
	}
	if err != nil {
		return Post{}, fmt.Errorf("posts: get by %s %q: %w", col, v, err)
	}
	return p, nil
}

// Update replaces title and content of post id and every non-nil optional
// field of in, as editor. Moving to "published" stamps published_at if it
// was never published.
func (s *SQLStore) Update(ctx context.Context, id string, in Input, editor string) (Post, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Post{}, fmt.Errorf("posts: update %s: %w", id, err)
	}
	defer tx.Rollback()
	p, err := scan(tx.QueryRowContext(ctx, s.q(`SELECT `+columns+` FROM posts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Post{}, fmt.Errorf("%w: id %q", ErrNotFound, id)
	}
	if err != nil {
		return Post{}, fmt.Errorf("posts: update %s: %w", id, err)
	}
	p.Title, p.Content = in.Title, in.Content
	if in.Slug != nil {
		p.Slug = *in.Slug
	}
	if in.Excerpt != nil {
		p.Excerpt = in.Excerpt
	}
	if in.CategoryID != nil {
		p.CategoryID = in.CategoryID
	}
	if in.TagIDs != nil {
		p.TagIDs = in.TagIDs
	}
	if in.Status != nil {
		p.Status = *in.Status
	}
	if in.CoverImage != nil {
		p.CoverImage = in.CoverImage
	}
	if editor != "" {
		p.UpdatedBy = &editor
	}
	p.UpdatedAt = s.stamp()
	if p.Status == StatusPublished && p.PublishedAt == nil {
		t := p.UpdatedAt
		p.PublishedAt = &t
	}
	if err := validate(&p); err != nil {
		return Post{}, err
	}
	tags, _ := json.Marshal(p.TagIDs)
	_, err = tx.ExecContext(ctx, s.q(`UPDATE posts SET title = ?, slug = ?, content = ?, excerpt = ?,
	status = ?, updated_by = ?, category_id = ?, tag_ids = ?, cover_image = ?, updated_at = ?, published_at = ?
WHERE id = ?`),
		p.Title, p.Slug, p.Content, p.Excerpt, p.Status, p.UpdatedBy, p.CategoryID, string(tags),
		p.CoverImage, fmtTime(p.UpdatedAt), fmtTimePtr(p.PublishedAt), id)
	if err != nil {
		return Post{}, s.writeErr("update", p.Slug, err)
	}
	if err := tx.Commit(); err != nil {
		return Post{}, fmt.Errorf("posts: update %s: %w", id, err)
	}
	return p, nil
}

// Delete removes post id.
func (s *SQLStore) Delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM posts WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("posts: delete %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("posts: delete %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("%w: id %q", ErrNotFound, id)
	}
	return nil
}

// IncrementViewCount adds one view to post id and returns the new count.
func (s *SQLStore) IncrementViewCount(ctx context.Context, id string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, s.q(`UPDATE posts SET view_count = view_count + 1 WHERE id = ? RETURNING view_count`), id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: id %q", ErrNotFound, id)
	}
	if err != nil {
		return 0, fmt.Errorf("posts: view %s: %w", id, err)
	}
	return n, nil
}

// ListOptions filter and page List. Zero values mean "any" / defaults.
type ListOptions struct {
	Status     string
	CategoryID string
	TagID      string // posts carrying this tag
	Limit      int    // default 20, at most 100
	Offset     int
}

// Page is one page of List.
type Page struct {
	Posts []Post `json:"posts"`
	Total int64  `json:"total"` // matching posts, all pages
}

// List returns posts newest first.
func (s *SQLStore) List(ctx context.Context, o ListOptions) (Page, error) {
	if o.Limit <= 0 {
		o.Limit = 20
	}
	if o.Limit > 100 {
		o.Limit = 100
	}
	if o.Offset < 0 {
		o.Offset = 0
	}
	where := []string{"1 = 1"}
	var args []any
	if o.Status != "" {
		where, args = append(where, "status = ?"), append(args, o.Status)
	}
	if o.CategoryID != "" {
		where, args = append(where, "category_id = ?"), append(args, o.CategoryID)
	}
	if o.TagID != "" {
		if s.dialect == sqldb.Postgres {
			where = append(where, "EXISTS (SELECT 1 FROM jsonb_array_elements_text(posts.tag_ids::jsonb) AS tag(value) WHERE value = ?)")
		} else {
			where = append(where, "EXISTS (SELECT 1 FROM json_each(posts.tag_ids) WHERE value = ?)")
		}
		args = append(args, o.TagID)
	}
	cond := strings.Join(where, " AND ")
	var page Page
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM posts WHERE `+cond), args...).Scan(&page.Total); err != nil {
		return Page{}, fmt.Errorf("posts: list: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+columns+` FROM posts WHERE `+cond+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`), append(args, o.Limit, o.Offset)...)
	if err != nil {
		return Page{}, fmt.Errorf("posts: list: %w", err)
	}
	defer rows.Close()
	page.Posts = []Post{}
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return Page{}, fmt.Errorf("posts: list: %w", err)
		}
		page.Posts = append(page.Posts, p)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("posts: list: %w", err)
	}
	return page, nil
}

type scanner interface{ Scan(...any) error }

func scan(r scanner) (Post, error) {
	var (
		p                          Post
		tags, created, updated     string
		excerpt, updBy, cat, cover sql.NullString
		published                  sql.NullString
	)
	err := r.Scan(&p.ID, &p.Title, &p.Slug, &p.Content, &excerpt, &p.Status, &p.CreatedBy, &updBy,
		&cat, &tags, &cover, &p.ViewCount, &created, &updated, &published)
	if err != nil {
		return Post{}, err
	}
	p.Excerpt, p.UpdatedBy, p.CategoryID, p.CoverImage = strPtr(excerpt), strPtr(updBy), strPtr(cat), strPtr(cover)
	if err := json.Unmarshal([]byte(tags), &p.TagIDs); err != nil {
		return Post{}, fmt.Errorf("tag_ids of %s: %w", p.ID, err)
	}
	if p.TagIDs == nil {
		p.TagIDs = []string{}
	}
	if p.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return Post{}, fmt.Errorf("created_at of %s: %w", p.ID, err)
	}
	if p.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
		return Post{}, fmt.Errorf("updated_at of %s: %w", p.ID, err)
	}
	if published.Valid {
		t, err := time.Parse(time.RFC3339Nano, published.String)
		if err != nil {
			return Post{}, fmt.Errorf("published_at of %s: %w", p.ID, err)
		}
		p.PublishedAt = &t
	}
	return p, nil
}

func strPtr(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	return &n.String
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func (s *SQLStore) writeErr(op, slug string, err error) error {
	var se *sqlite.Error
	var pe *pgconn.PgError
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %q", ErrSlugTaken, slug)
	}
	return fmt.Errorf("posts: %s %q: %w", op, slug, err)
}
