package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
)

// contentTypeRE is what a content type in a path may look like: "page",
// "product", "faq-entry".
var contentTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

func contentType(r *http.Request) (string, error) {
	t := r.PathValue("type")
	if !contentTypeRE.MatchString(t) {
		return "", errorf(http.StatusBadRequest, codeInvalidInput, "content type %q: want lower-case letters, digits, - and _ (at most 64)", t)
	}
	return t, nil
}

func contentErr(err error) error {
	if errors.Is(err, errNotFound) {
		return errorf(http.StatusNotFound, codeNotFound, "no such content")
	}
	return err
}

// readObject reads a request body that must be one JSON object: the
// content's data.
func (s *server) readObject(w http.ResponseWriter, r *http.Request) (string, error) {
	if err := checkJSONType(r); err != nil {
		return "", err
	}
	b, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return "", err
	}
	var obj map[string]json.RawMessage
	if err := unmarshalStrict(b, &obj); err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b)), nil
}

// filteredData checks a filter chain's content-event: blank data is a
// rejection, other data must still be a JSON object. A plugin cannot move
// content to another type or give it another id: such changes are ignored
// (and logged).
func (s *server) filteredData(ev plugin.ContentEvent, typ string, id *string, hook string) (string, error) {
	if ev.ContentType != typ {
		s.log.Warn("pluginhost: a plugin changed content_type; ignored", "hook", hook, "from", typ, "to", ev.ContentType)
	}
	if (id == nil) != (ev.ID == nil) || id != nil && *id != *ev.ID {
		s.log.Warn("pluginhost: a plugin changed the content id; ignored", "hook", hook)
	}
	data := strings.TrimSpace(ev.Data)
	if data == "" {
		return "", errorf(http.StatusUnprocessableEntity, codeContentRejected, "the content was rejected by a plugin")
	}
	var obj map[string]json.RawMessage
	if !strings.HasPrefix(data, "{") || json.Unmarshal([]byte(data), &obj) != nil {
		return "", errorf(http.StatusUnprocessableEntity, codeInvalidContent, "%s: a plugin returned data that is not a JSON object", hook)
	}
	if int64(len(data)) > s.cfg.MaxBodyBytes {
		return "", errorf(http.StatusUnprocessableEntity, codeInvalidContent, "%s: a plugin returned data larger than %d bytes", hook, s.cfg.MaxBodyBytes)
	}
	return data, nil
}

// createContent: POST /api/content/{type}. Body: the content, a JSON
// object. on-content-creating chain over {content_type, data, id: none}
// (blank data from a plugin rejects the content: 422 content_rejected),
// store with a new id, on-content-created with the id. 201.
func (s *server) createContent(w http.ResponseWriter, r *http.Request) error {
	typ, err := contentType(r)
	if err != nil {
		return err
	}
	data, err := s.readObject(w, r)
	if err != nil {
		return err
	}
	ev, err := runtime.Filter(r.Context(), s.rt, plugin.Hooks.OnContentCreating, plugin.ContentEvent{ContentType: typ, Data: data})
	if err := chainErr(err); err != nil {
		return err
	}
	if err := afterChain(r.Context(), "on-content-creating"); err != nil {
		return err
	}
	if data, err = s.filteredData(ev, typ, nil, "on-content-creating"); err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	it, err := s.store.createContent(ctx, typ, data)
	if err != nil {
		return err
	}
	id := it.ID
	s.notify(ctx, plugin.Hooks.OnContentCreated.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnContentCreated, plugin.ContentEvent{ContentType: typ, Data: data, ID: &id}))
	w.Header().Set("Location", "/api/content/"+typ+"/"+it.ID)
	writeJSON(w, http.StatusCreated, it)
	return nil
}

// getContent: GET /api/content/{type}/{id}.
func (s *server) getContent(w http.ResponseWriter, r *http.Request) error {
	typ, err := contentType(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	it, err := s.store.getContent(r.Context(), typ, id)
	if err != nil {
		return contentErr(err)
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

// listContent: GET /api/content/{type}?limit=&offset=, newest first.
func (s *server) listContent(w http.ResponseWriter, r *http.Request) error {
	typ, err := contentType(r)
	if err != nil {
		return err
	}
	limit, offset, err := paging(r.URL.Query())
	if err != nil {
		return err
	}
	items, total, err := s.store.listContent(r.Context(), typ, limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total})
	return nil
}

// updateContent: PUT /api/content/{type}/{id}. Body: the new content (a
// JSON object). on-content-updating chain over {content_type, data, id},
// store, on-content-updated. 200.
func (s *server) updateContent(w http.ResponseWriter, r *http.Request) error {
	typ, err := contentType(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	data, err := s.readObject(w, r)
	if err != nil {
		return err
	}
	if _, err := s.store.getContent(r.Context(), typ, id); err != nil {
		return contentErr(err)
	}
	ev, err := runtime.Filter(r.Context(), s.rt, plugin.Hooks.OnContentUpdating, plugin.ContentEvent{ContentType: typ, Data: data, ID: &id})
	if err := chainErr(err); err != nil {
		return err
	}
	if err := afterChain(r.Context(), "on-content-updating"); err != nil {
		return err
	}
	if data, err = s.filteredData(ev, typ, &id, "on-content-updating"); err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	it, err := s.store.updateContent(ctx, typ, id, data)
	if err != nil {
		return contentErr(err)
	}
	s.notify(ctx, plugin.Hooks.OnContentUpdated.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnContentUpdated, plugin.ContentEvent{ContentType: typ, Data: data, ID: &id}))
	writeJSON(w, http.StatusOK, it)
	return nil
}

// deleteContent: DELETE /api/content/{type}/{id}; on-content-deleted(type,
// id). 204.
func (s *server) deleteContent(w http.ResponseWriter, r *http.Request) error {
	typ, err := contentType(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx, cancel := detached(r)
	defer cancel()
	if err := s.store.deleteContent(ctx, typ, id); err != nil {
		return contentErr(err)
	}
	args := plugin.OnContentDeletedArgs{ContentType: typ, ID: id}
	s.notify(ctx, plugin.Hooks.OnContentDeleted.Name, runtime.Action(ctx, s.rt, plugin.Hooks.OnContentDeleted, args))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
