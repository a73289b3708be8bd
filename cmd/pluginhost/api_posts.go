package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
	"github.com/raisfast/wasmplug/runtime/services/posts"
)

// Limits on comments (posts are bounded by runtime/services/posts).
const (
	maxCommentBytes  = 64 << 10
	maxNicknameBytes = 100
	maxEmailBytes    = 254
	maxUserIDBytes   = 128
	maxPathID        = 200
)

// actionTimeout bounds the action hooks of one request (each plugin call
// also has the runtime's own deadline). Actions run detached from the
// client's connection: once a change is stored, its notifications go out
// even if the client has gone.
const actionTimeout = 60 * time.Second

// user returns the acting user: the X-User-ID header, or the configured
// default. The reference host has no authentication.
func (s *server) user(r *http.Request) (string, error) {
	u := r.Header.Get("X-User-ID")
	if u == "" {
		return s.cfg.DefaultUser, nil
	}
	if err := checkUserID(u); err != nil {
		return "", errorf(http.StatusBadRequest, codeInvalidInput, "X-User-ID: %v", err)
	}
	return u, nil
}

func checkUserID(u string) error {
	switch {
	case strings.TrimSpace(u) == "":
		return errors.New("user id is empty")
	case len(u) > maxUserIDBytes:
		return fmt.Errorf("user id longer than %d bytes", maxUserIDBytes)
	case !utf8.ValidString(u) || strings.ContainsFunc(u, unicode.IsControl):
		return errors.New("user id holds control characters or invalid UTF-8")
	}
	return nil
}

// pathID returns the path value name, checked to be a plausible id.
func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if v == "" || len(v) > maxPathID || !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return "", errorf(http.StatusBadRequest, codeInvalidInput, "bad %s in path", name)
	}
	return v, nil
}

// chainErr keeps the one dispatch error that matters to a request: the
// runtime is closed. Plugin failures (a plugin skipped) are already logged
// by the runtime and do not fail the request.
func chainErr(err error) error {
	if errors.Is(err, runtime.ErrClosed) {
		return runtime.ErrClosed
	}
	return nil
}

// notify takes the result of an action dispatched after a change was
// stored: the change stands whatever the plugins did (their failures are
// logged by the runtime), even if the runtime is closing.
func (s *server) notify(ctx context.Context, hook string, err error) {
	if errors.Is(err, runtime.ErrClosed) {
		s.log.WarnContext(ctx, "pluginhost: change stored but not notified: the runtime is closing", "hook", hook)
	}
}

// afterChain fails a request whose context ended while its filter chain
// ran: the chain then skipped the remaining plugins, so its value must not
// be stored.
func afterChain(ctx context.Context, hook string) error {
	if err := ctx.Err(); err != nil {
		return errorf(http.StatusServiceUnavailable, codeUnavailable, "request ended while running %s: %v", hook, err)
	}
	return nil
}

// detached is the context of work that must finish once a change is stored.
func detached(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), actionTimeout)
}

func toInput(in plugin.PostInput) posts.Input {
	out := posts.Input{
		Title: in.Title, Content: in.Content, Slug: in.Slug, Excerpt: in.Excerpt,
		CategoryID: in.CategoryID, Status: in.Status, CoverImage: in.CoverImage,
	}
	if in.TagIDs != nil {
		out.TagIDs = append([]string{}, *in.TagIDs...)
	}
	return out
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func toOutput(p posts.Post) plugin.PostOutput {
	out := plugin.PostOutput{
		ID: p.ID, Title: p.Title, Slug: p.Slug, Content: p.Content, Excerpt: p.Excerpt,
		Status: p.Status, CreatedBy: p.CreatedBy, UpdatedBy: p.UpdatedBy, CategoryID: p.CategoryID,
		ViewCount: p.ViewCount, CreatedAt: fmtTime(p.CreatedAt), UpdatedAt: fmtTime(p.UpdatedAt),
	}
	if p.PublishedAt != nil {
		t := fmtTime(*p.PublishedAt)
		out.PublishedAt = &t
	}
	return out
}

// postErr maps the posts store's refusals.
func postErr(err error) error {
	switch {
	case errors.Is(err, posts.ErrNotFound):
		return errorf(http.StatusNotFound, codeNotFound, "no such post")
	case errors.Is(err, posts.ErrSlugTaken):
		return errorf(http.StatusConflict, codeSlugTaken, "%s", strings.TrimPrefix(err.Error(), "posts: "))
	case errors.Is(err, posts.ErrInvalid):
		return errorf(http.StatusUnprocessableEntity, codeInvalidPost, "%s", strings.TrimPrefix(err.Error(), "posts: invalid post: "))
	}
	return err
}

// checkPostInput is what the host requires before running the filters.
func checkPostInput(in plugin.PostInput) error {
	if strings.TrimSpace(in.Title) == "" {
		return errorf(http.StatusUnprocessableEntity, codeInvalidPost, "title is required")
	}
	return nil
}

// createPost: POST /api/posts. Body: a post-input. on-post-creating chain,
// store, on-post-created. 201 with the stored post.
func (s *server) createPost(w http.ResponseWriter, r *http.Request) error {
	user, err := s.user(r)
	if err != nil {
		return err
	}
	var in plugin.PostInput
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if err := checkPostInput(in); err != nil {
		return err
	}
	in, err = runtime.Filter(r.Context(), s.rt, plugin.Hooks.OnPostCreating, in)
	if err := chainErr(err); err != nil {
		return err
	}
	if err := afterChain(r.Context(), "on-post-creating"); err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	p, err := s.posts.Create(ctx, toInput(in), user)
	if err != nil {
		return postErr(err)
	}
	s.notify(ctx, plugin.Hooks.OnPostCreated.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnPostCreated, toOutput(p)))
	w.Header().Set("Location", "/api/posts/"+url.PathEscape(p.Slug))
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// getPost: GET /api/posts/{slug}, or /api/posts/{id} (a slug is looked up
// first).
func (s *server) getPost(w http.ResponseWriter, r *http.Request) error {
	key, err := pathID(r, "slug")
	if err != nil {
		return err
	}
	p, err := s.posts.GetBySlug(r.Context(), key)
	if errors.Is(err, posts.ErrNotFound) {
		p, err = s.posts.Get(r.Context(), key)
	}
	if errors.Is(err, posts.ErrNotFound) {
		return errorf(http.StatusNotFound, codeNotFound, "no post has the slug or id %q", key)
	}
	if err != nil {
		return postErr(err)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// listPosts: GET /api/posts?status=&category_id=&tag=&limit=&offset=.
func (s *server) listPosts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset, err := paging(q)
	if err != nil {
		return err
	}
	page, err := s.posts.List(r.Context(), posts.ListOptions{
		Status: q.Get("status"), CategoryID: q.Get("category_id"), TagID: q.Get("tag"),
		Limit: limit, Offset: offset,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func paging(q url.Values) (limit, offset int, err error) {
	limit, offset = 20, 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 100 {
			return 0, 0, errorf(http.StatusBadRequest, codeInvalidInput, "limit must be an integer from 1 to 100")
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, errorf(http.StatusBadRequest, codeInvalidInput, "offset must be a non-negative integer")
		}
	}
	return limit, offset, nil
}

// updatePost: PUT /api/posts/{id}. Body: a post-input; title and content
// replace the stored ones, optional fields left out keep their values.
// on-post-updating chain, store, on-post-updated. 200 with the post.
func (s *server) updatePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := s.user(r)
	if err != nil {
		return err
	}
	var in plugin.PostInput
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if _, err := s.posts.Get(r.Context(), id); err != nil {
		return postErr(err)
	}
	if err := checkPostInput(in); err != nil {
		return err
	}
	in, err = runtime.Filter(r.Context(), s.rt, plugin.Hooks.OnPostUpdating, in)
	if err := chainErr(err); err != nil {
		return err
	}
	if err := afterChain(r.Context(), "on-post-updating"); err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	p, err := s.posts.Update(ctx, id, toInput(in), user)
	if err != nil {
		return postErr(err)
	}
	s.notify(ctx, plugin.Hooks.OnPostUpdated.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnPostUpdated, toOutput(p)))
	writeJSON(w, http.StatusOK, p)
	return nil
}

// deletePost: DELETE /api/posts/{id}; on-post-deleted(id). 204.
func (s *server) deletePost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	if err := s.posts.Delete(ctx, id); err != nil {
		return postErr(err)
	}
	s.notify(ctx, plugin.Hooks.OnPostDeleted.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnPostDeleted, id))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- comments ---

// createComment: POST /api/posts/{id}/comments. Body: a comment-input.
//
// The on-comment-creating chain may rewrite the comment, or reject it by
// returning it with empty (or blank) content: the host then stores nothing,
// skips on-comment-created and answers 422 {"code":"comment_rejected"}.
// (A blank comment from the client is refused before the chain runs, so
// blank content after the chain always means a plugin rejected it.)
func (s *server) createComment(w http.ResponseWriter, r *http.Request) error {
	postID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in plugin.CommentInput
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if _, err := s.posts.Get(r.Context(), postID); err != nil {
		return postErr(err)
	}
	if strings.TrimSpace(in.Content) == "" {
		return errorf(http.StatusUnprocessableEntity, codeInvalidComment, "content is required")
	}
	if err := s.checkComment(r.Context(), postID, in); err != nil {
		return err
	}
	in, err = runtime.Filter(r.Context(), s.rt, plugin.Hooks.OnCommentCreating, in)
	if err := chainErr(err); err != nil {
		return err
	}
	if err := afterChain(r.Context(), "on-comment-creating"); err != nil {
		return err
	}
	if strings.TrimSpace(in.Content) == "" {
		return errorf(http.StatusUnprocessableEntity, codeCommentRejected, "the comment was rejected by a plugin")
	}
	if err := s.checkComment(r.Context(), postID, in); err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	c, err := s.store.addComment(ctx, comment{
		PostID: postID, Content: in.Content, Nickname: in.Nickname, Email: in.Email, ParentID: in.ParentID,
	})
	if err != nil {
		if _, gerr := s.posts.Get(ctx, postID); errors.Is(gerr, posts.ErrNotFound) {
			return postErr(gerr) // deleted meanwhile
		}
		return err
	}
	s.notify(ctx, plugin.Hooks.OnCommentCreated.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnCommentCreated, in))
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// checkComment validates a comment (before and after the filters).
func (s *server) checkComment(ctx context.Context, postID string, c plugin.CommentInput) error {
	bad := func(format string, args ...any) error {
		return errorf(http.StatusUnprocessableEntity, codeInvalidComment, format, args...)
	}
	switch {
	case len(c.Content) > maxCommentBytes:
		return bad("content longer than %d bytes", maxCommentBytes)
	case c.Nickname != nil && len(*c.Nickname) > maxNicknameBytes:
		return bad("nickname longer than %d bytes", maxNicknameBytes)
	case c.Email != nil && (len(*c.Email) > maxEmailBytes || !strings.Contains(*c.Email, "@")):
		return bad("email is not an e-mail address")
	}
	if c.ParentID != nil {
		p, err := s.store.commentPost(ctx, *c.ParentID)
		if errors.Is(err, errNotFound) || err == nil && p != postID {
			return bad("parent_id %q is not a comment of this post", *c.ParentID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// listComments: GET /api/posts/{id}/comments, oldest first.
func (s *server) listComments(w http.ResponseWriter, r *http.Request) error {
	postID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.posts.Get(r.Context(), postID); err != nil {
		return postErr(err)
	}
	cs, err := s.store.comments(r.Context(), postID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": cs})
	return nil
}
