package main

import (
	"errors"
	"html"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/raisfast/wasmplug/gen/plugin"
	"github.com/raisfast/wasmplug/runtime"
)

// --- render ---

type renderRequest struct {
	Markdown string `json:"markdown"`
}

type renderResponse struct {
	HTML string `json:"html"`
	// Renderer is "plugins" when a render-markdown plugin produced the
	// HTML, "builtin" when none changed the text and the host's escaping
	// fallback was used.
	Renderer string `json:"renderer"`
}

// render: POST /api/render. Body: {"markdown": "…"} (JSON), or the Markdown
// itself with Content-Type text/markdown or text/plain. The text goes
// through the render-markdown chain; if no plugin changed it, the host
// escapes it and wraps paragraphs in <p> (never passing Markdown through as
// HTML); then the filter-html chain. The answer is {"html": …, "renderer":
// …}, or the bare HTML (text/html) when the request's Accept header asks
// for text/html and not JSON.
func (s *server) render(w http.ResponseWriter, r *http.Request) error {
	var md string
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/markdown", "text/x-markdown", "text/plain":
		b, err := readBody(w, r, s.cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return errorf(http.StatusBadRequest, codeInvalidInput, "the Markdown is not valid UTF-8")
		}
		md = string(b)
	default:
		var req renderRequest
		if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
			return err
		}
		md = req.Markdown
	}
	out, err := runtime.Filter(r.Context(), s.rt, plugin.Hooks.RenderMarkdown, md)
	if err := chainErr(err); err != nil {
		return err
	}
	res := renderResponse{HTML: out, Renderer: "plugins"}
	if out == md {
		res.HTML, res.Renderer = builtinRender(md), "builtin"
	}
	res.HTML, err = runtime.Filter(r.Context(), s.rt, plugin.Hooks.FilterHTML, res.HTML)
	if err := chainErr(err); err != nil {
		return err
	}
	if err := afterChain(r.Context(), "render"); err != nil {
		return err
	}
	if wantsHTML(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, res.HTML)
		return nil
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// wantsHTML reports an Accept header naming text/html but not JSON.
func wantsHTML(accept string) bool {
	a := strings.ToLower(accept)
	return strings.Contains(a, "text/html") && !strings.Contains(a, "json")
}

var blankLineRE = regexp.MustCompile(`\n[ \t]*\n`)

// builtinRender is the host's fallback when no plugin renders Markdown:
// HTML-escaped text, blank-line-separated paragraphs in <p>, line breaks
// kept as <br>.
func builtinRender(md string) string {
	var b strings.Builder
	for _, para := range blankLineRE.Split(strings.ReplaceAll(md, "\r\n", "\n"), -1) {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
		b.WriteString("</p>\n")
	}
	return b.String()
}

// --- login ---

type loginRequest struct {
	UserID string `json:"user_id"`
}

// login: POST /api/login {"user_id": "…"}: runs on-login. The reference
// host has no passwords; this is the hook's trigger.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, 64<<10, &req); err != nil {
		return err
	}
	if err := checkUserID(req.UserID); err != nil {
		return errorf(http.StatusBadRequest, codeInvalidInput, "user_id: %v", err)
	}
	ctx, cancel := detached(r)
	defer cancel()
	if err := chainErr(runtime.Action(ctx, s.rt, plugin.Hooks.OnLogin, req.UserID)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user_id": req.UserID, "ok": true})
	return nil
}

// --- plugins ---

type poolJSON struct {
	Size      int    `json:"size"`
	Ready     int    `json:"ready"`
	Busy      int    `json:"busy"`
	Creating  int    `json:"creating"`
	Calls     uint64 `json:"calls"`
	Waits     uint64 `json:"waits"`
	Discards  uint64 `json:"discards"`
	Failing   int    `json:"failing"`
	LastError string `json:"last_error,omitempty"`
}

type pluginJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Version     string         `json:"version"`
	Dir         string         `json:"dir"`
	Entry       string         `json:"entry"`
	Hooks       map[string]int `json:"hooks"`
	Cron        []string       `json:"cron"`
	LoadedAt    time.Time      `json:"loaded_at"`
	Fingerprint string         `json:"fingerprint"`
	Calls       uint64         `json:"calls"`
	Failures    uint64         `json:"failures"`
	Pool        poolJSON       `json:"pool"`
	Contract    contractJSON   `json:"contract"`
}

// contractJSON is the contract version a plugin was built for and how
// this host takes it ("same version", "compatible, same track", …).
type contractJSON struct {
	Built string `json:"built"`
	Host  string `json:"host"`
	Take  string `json:"take"`
}

type problemJSON struct {
	Dir     string `json:"dir"`
	Plugin  string `json:"plugin,omitempty"`
	Error   string `json:"error"`
	Serving bool   `json:"serving"`
}

type pluginsResponse struct {
	Plugins []pluginJSON `json:"plugins"`
	// Hooks maps each hook with subscribers to their ids, in call order.
	Hooks         map[string][]string `json:"hooks"`
	Problems      []problemJSON       `json:"problems"`
	BuildProblems []buildProblem      `json:"build_problems"`
}

func (s *server) pluginsState() pluginsResponse {
	res := pluginsResponse{Plugins: []pluginJSON{}, Hooks: map[string][]string{}, Problems: []problemJSON{}}
	for _, p := range s.rt.Plugins() {
		pj := pluginJSON{
			ID: p.ID, Name: p.Name, Version: p.Version, Dir: p.Dir, Entry: p.Entry,
			Hooks: p.Hooks, Cron: p.Cron, LoadedAt: p.LoadedAt, Fingerprint: p.Fingerprint,
			Calls: p.Calls, Failures: p.Failures,
			Contract: contractJSON{Built: p.Contract.Built, Host: p.Contract.Host, Take: p.Contract.Take.String()},
			Pool: poolJSON{
				Size: p.Pool.Size, Ready: p.Pool.Ready, Busy: p.Pool.Busy, Creating: p.Pool.Creating,
				Calls: p.Pool.Calls, Waits: p.Pool.Waits, Discards: p.Pool.Discards, Failing: p.Pool.Failing,
			},
		}
		if pj.Cron == nil {
			pj.Cron = []string{}
		}
		if p.Pool.LastError != nil {
			pj.Pool.LastError = p.Pool.LastError.Error()
		}
		res.Plugins = append(res.Plugins, pj)
	}
	for _, h := range plugin.HookList {
		if ids, _ := s.rt.Subscribers(h.Name); len(ids) > 0 {
			res.Hooks[h.Name] = ids
		}
	}
	for _, p := range s.rt.Problems() {
		res.Problems = append(res.Problems, problemJSON{Dir: p.Dir, Plugin: p.Plugin, Error: p.Err.Error(), Serving: p.Serving})
	}
	s.buildMu.Lock()
	res.BuildProblems = append([]buildProblem{}, s.buildProblems...)
	s.buildMu.Unlock()
	return res
}

// listPlugins: GET /api/plugins: the loaded plugins (hooks with
// priorities, cron, pool state, call counts), each hook's subscribers in
// call order, the directories that failed to load, and Go plugins that
// failed to build.
func (s *server) listPlugins(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.pluginsState())
	return nil
}

// reloadPlugins: POST /api/plugins/reload: rescan the plugins directory now
// (as the watcher does), then answer like GET /api/plugins.
func (s *server) reloadPlugins(w http.ResponseWriter, r *http.Request) error {
	if err := s.rt.Reload(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.pluginsState())
	return nil
}

// pluginIDRE matches the plugin ids the sandboxes accept (runtime/services/vfs).
var pluginIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func pluginID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !pluginIDRE.MatchString(id) || id == "." || id == ".." {
		return "", errorf(http.StatusBadRequest, codeInvalidInput, "bad plugin id %q", id)
	}
	return id, nil
}

// pluginData: GET /api/plugins/{id}/data/{key...}: a value the plugin
// stored with set-data (read-only; for plugin authors and tests).
func (s *server) pluginData(w http.ResponseWriter, r *http.Request) error {
	id, err := pluginID(r)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	v, ok, err := s.kv.Get(r.Context(), id, key)
	if err != nil {
		return errorf(http.StatusBadRequest, codeInvalidInput, "%v", err)
	}
	if !ok {
		return errorf(http.StatusNotFound, codeNotFound, "plugin %s has no data under %q", id, key)
	}
	writeJSON(w, http.StatusOK, map[string]string{"plugin": id, "key": key, "value": v})
	return nil
}

const maxFileRead = 8 << 20

type fileEntry struct {
	Name string `json:"name"`
	Dir  bool   `json:"dir"`
	Size int64  `json:"size"`
}

// pluginFile: GET /api/plugins/{id}/files/{path...}: a file of the plugin's
// sandbox (vfs-write) as {"plugin", "path", "content"}, or a directory as
// {"plugin", "path", "entries"} (read-only).
func (s *server) pluginFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pluginID(r)
	if err != nil {
		return err
	}
	p := r.PathValue("path")
	if p == "" {
		p = "."
	}
	if !filepath.IsLocal(p) || strings.Contains(p, `\`) {
		return errorf(http.StatusBadRequest, codeInvalidInput, "bad path %q", p)
	}
	notFound := errorf(http.StatusNotFound, codeNotFound, "plugin %s has no file %q", id, p)
	root, err := os.OpenRoot(filepath.Join(s.cfg.DataDir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return notFound
	}
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return notFound
		}
		return errorf(http.StatusBadRequest, codeInvalidInput, "path %q: %v", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		des, err := f.ReadDir(-1)
		if err != nil {
			return err
		}
		entries := []fileEntry{}
		for _, de := range des {
			if strings.HasPrefix(de.Name(), ".vfs-tmp-") {
				continue
			}
			e := fileEntry{Name: de.Name(), Dir: de.IsDir()}
			if info, err := de.Info(); err == nil && !e.Dir {
				e.Size = info.Size()
			}
			entries = append(entries, e)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
		writeJSON(w, http.StatusOK, map[string]any{"plugin": id, "path": p, "entries": entries})
		return nil
	}
	if !fi.Mode().IsRegular() {
		return notFound
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileRead+1))
	if err != nil {
		return err
	}
	if len(b) > maxFileRead {
		return errorf(http.StatusRequestEntityTooLarge, codeTooLarge, "file larger than %d bytes", maxFileRead)
	}
	writeJSON(w, http.StatusOK, map[string]string{"plugin": id, "path": p, "content": string(b)})
	return nil
}

// listEvents: GET /api/events?type=&source=: the most recent events plugins
// emitted (emit-event), oldest first. type may end in ".*".
func (s *server) listEvents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, map[string]any{"events": s.recent.list(q.Get("type"), q.Get("source"))})
	return nil
}

// healthz: GET /healthz: 200 {"status":"ok", …} while the database answers,
// 503 otherwise.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.PingContext(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database: " + err.Error(), "code": codeUnavailable})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":   "ok",
		"plugins":  len(s.rt.Plugins()),
		"problems": len(s.rt.Problems()),
	})
	return nil
}
