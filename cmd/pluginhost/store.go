package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/raisfast/wasmplug/runtime/services/pgdb"
	"github.com/raisfast/wasmplug/runtime/services/sqldb"
)

// The reference host's own tables besides posts (runtime/services/posts):
// comments on posts and generic content. Both live in the host database
// (the SQLite file, or PostgreSQL with serve -db postgres://…).
const storeSchema = `
CREATE TABLE IF NOT EXISTS comments (
	id         TEXT PRIMARY KEY,
	post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	content    TEXT NOT NULL,
	nickname   TEXT,
	email      TEXT,
	parent_id  TEXT REFERENCES comments(id) ON DELETE CASCADE,
	created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_post ON comments (post_id, created_at);
CREATE TABLE IF NOT EXISTS content (
	id           TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	data         TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS content_type_created ON content (content_type, created_at);`

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

var errNotFound = errors.New("not found")

// comment is a stored comment.
type comment struct {
	ID        string  `json:"id"`
	PostID    string  `json:"post_id"`
	Content   string  `json:"content"`
	Nickname  *string `json:"nickname"`
	Email     *string `json:"email"`
	ParentID  *string `json:"parent_id"`
	CreatedAt string  `json:"created_at"`
}

// contentItem is a stored piece of generic content. Data is the JSON object
// as stored.
type contentItem struct {
	ID          string `json:"id"`
	ContentType string `json:"content_type"`
	Data        rawObj `json:"data"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// rawObj is stored JSON text, emitted as is.
type rawObj string

func (r rawObj) MarshalJSON() ([]byte, error) { return []byte(r), nil }

type store struct {
	db      *sql.DB
	dialect sqldb.Dialect
	now     func() time.Time
}

// openStore creates the tables (the schema is portable: SQLite and
// PostgreSQL run the same DDL).
func openStore(ctx context.Context, db *sql.DB) (*store, error) {
	if _, err := db.ExecContext(ctx, storeSchema); err != nil {
		return nil, fmt.Errorf("create tables: %w", err)
	}
	return &store{db: db, dialect: pgdb.DialectOf(db), now: time.Now}, nil
}

// q rewrites query's ? placeholders for the database's dialect.
func (s *store) q(query string) string { return pgdb.Rebind(s.dialect, query) }

func (s *store) stamp() string { return s.now().UTC().Format(timeLayout) }

func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// --- comments ---

func (s *store) addComment(ctx context.Context, c comment) (comment, error) {
	id, err := newID()
	if err != nil {
		return comment{}, err
	}
	c.ID, c.CreatedAt = id, s.stamp()
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO comments (id, post_id, content, nickname, email, parent_id, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`), c.ID, c.PostID, c.Content, c.Nickname, c.Email, c.ParentID, c.CreatedAt)
	if err != nil {
		return comment{}, fmt.Errorf("store comment: %w", err)
	}
	return c, nil
}

// commentPost returns the post of comment id, or errNotFound.
func (s *store) commentPost(ctx context.Context, id string) (string, error) {
	var post string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT post_id FROM comments WHERE id = ?`), id).Scan(&post)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNotFound
	}
	return post, err
}

func (s *store) comments(ctx context.Context, postID string) ([]comment, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, post_id, content, nickname, email, parent_id, created_at
FROM comments WHERE post_id = ? ORDER BY created_at, id LIMIT 1000`), postID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []comment{}
	for rows.Next() {
		var c comment
		var nick, email, parent sql.NullString
		if err := rows.Scan(&c.ID, &c.PostID, &c.Content, &nick, &email, &parent, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.Nickname, c.Email, c.ParentID = nullPtr(nick), nullPtr(email), nullPtr(parent)
		out = append(out, c)
	}
	return out, rows.Err()
}

func nullPtr(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	return &n.String
}

// --- generic content ---

func (s *store) createContent(ctx context.Context, typ, data string) (contentItem, error) {
	id, err := newID()
	if err != nil {
		return contentItem{}, err
	}
	now := s.stamp()
	it := contentItem{ID: id, ContentType: typ, Data: rawObj(data), CreatedAt: now, UpdatedAt: now}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO content (id, content_type, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`),
		it.ID, it.ContentType, data, it.CreatedAt, it.UpdatedAt)
	if err != nil {
		return contentItem{}, fmt.Errorf("store content: %w", err)
	}
	return it, nil
}

func (s *store) getContent(ctx context.Context, typ, id string) (contentItem, error) {
	var it contentItem
	var data string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, content_type, data, created_at, updated_at FROM content
WHERE content_type = ? AND id = ?`), typ, id).Scan(&it.ID, &it.ContentType, &data, &it.CreatedAt, &it.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return contentItem{}, errNotFound
	}
	if err != nil {
		return contentItem{}, fmt.Errorf("read content: %w", err)
	}
	it.Data = rawObj(data)
	return it, nil
}

func (s *store) listContent(ctx context.Context, typ string, limit, offset int) ([]contentItem, int64, error) {
	var total int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM content WHERE content_type = ?`), typ).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, content_type, data, created_at, updated_at FROM content
WHERE content_type = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`), typ, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []contentItem{}
	for rows.Next() {
		var it contentItem
		var data string
		if err := rows.Scan(&it.ID, &it.ContentType, &data, &it.CreatedAt, &it.UpdatedAt); err != nil {
			return nil, 0, err
		}
		it.Data = rawObj(data)
		out = append(out, it)
	}
	return out, total, rows.Err()
}

func (s *store) updateContent(ctx context.Context, typ, id, data string) (contentItem, error) {
	now := s.stamp()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE content SET data = ?, updated_at = ? WHERE content_type = ? AND id = ?`), data, now, typ, id)
	if err != nil {
		return contentItem{}, fmt.Errorf("update content: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contentItem{}, errNotFound
	}
	return s.getContent(ctx, typ, id)
}

func (s *store) deleteContent(ctx context.Context, typ, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM content WHERE content_type = ? AND id = ?`), typ, id)
	if err != nil {
		return fmt.Errorf("delete content: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotFound
	}
	return nil
}
