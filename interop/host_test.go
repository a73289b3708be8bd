package interop_test

import (
	"context"
	"strconv"
	"strings"

	"github.com/raisfast/wasmplug/gen/plugin"
)

// fakeHost is the recording host-api of SPEC.md ("The host's answers"): it
// records every call as [function, args...] (option arguments as opt) and
// answers deterministically. interop/jco/run.mjs implements the same host
// for Node; the reference model calls it too, so the expected call sequence
// is what the model records.
type fakeHost struct {
	calls [][]string
}

var _ plugin.HostAPI = (*fakeHost)(nil)

func (h *fakeHost) rec(fn string, args ...string) {
	h.calls = append(h.calls, append([]string{fn}, args...))
}

func missing(s string) bool { return strings.Contains(s, "missing") }

// answer is none when arg is "missing", else some(prefix + arg).
func answer(prefix, arg string) (string, bool) {
	if missing(arg) {
		return "", false
	}
	return prefix + arg, true
}

func optArg(p *string) string {
	if p == nil {
		return "~"
	}
	return "+" + *p
}

func (h *fakeHost) Log(_ context.Context, level, msg string) { h.rec("log", level, msg) }

func (h *fakeHost) GetConfig(_ context.Context, key string) (string, bool) {
	h.rec("get-config", key)
	return answer("cfg:", key)
}

func (h *fakeHost) HTTPGet(_ context.Context, url string) (string, bool) {
	h.rec("http-get", url)
	return answer("get:", url)
}

func (h *fakeHost) HTTPPost(_ context.Context, url, body string) (string, bool) {
	h.rec("http-post", url, body)
	if missing(url) {
		return "", false
	}
	return "post:" + url + ":" + body, true
}

func (h *fakeHost) GetData(_ context.Context, key string) (string, bool) {
	h.rec("get-data", key)
	return answer("data:", key)
}

func (h *fakeHost) SetData(_ context.Context, key, value string) bool {
	h.rec("set-data", key, value)
	return !missing(key)
}

func (h *fakeHost) GetPost(_ context.Context, slug string) (string, bool) {
	h.rec("get-post", slug)
	return answer("post:", slug)
}

func (h *fakeHost) DBQuery(_ context.Context, sql string, params *string) string {
	h.rec("db-query", sql, optArg(params))
	return "query:" + sql + ":" + optArg(params)
}

func (h *fakeHost) DBExecute(_ context.Context, sql string, params *string) string {
	h.rec("db-execute", sql, optArg(params))
	return "exec:" + sql + ":" + optArg(params)
}

func (h *fakeHost) DBBegin(context.Context) string    { h.rec("db-begin"); return "begin" }
func (h *fakeHost) DBCommit(context.Context) string   { h.rec("db-commit"); return "commit" }
func (h *fakeHost) DBRollback(context.Context) string { h.rec("db-rollback"); return "rollback" }

func (h *fakeHost) VFSRead(_ context.Context, path string) (string, bool) {
	h.rec("vfs-read", path)
	return answer("file:", path)
}

func (h *fakeHost) VFSWrite(_ context.Context, path, content string) bool {
	h.rec("vfs-write", path, content)
	return !missing(path)
}

func (h *fakeHost) VFSDelete(_ context.Context, path string) bool {
	h.rec("vfs-delete", path)
	return !missing(path)
}

func (h *fakeHost) VFSExists(_ context.Context, path string) bool {
	h.rec("vfs-exists", path)
	return !missing(path)
}

func (h *fakeHost) VFSList(_ context.Context, path string) (string, bool) {
	h.rec("vfs-list", path)
	return answer("list:", path)
}

func (h *fakeHost) VFSStat(_ context.Context, path string) (string, bool) {
	h.rec("vfs-stat", path)
	return answer("stat:", path)
}

func (h *fakeHost) EmitEvent(_ context.Context, eventType, data string) string {
	h.rec("emit-event", eventType, data)
	return "event:" + eventType + ":" + strconv.Itoa(len(data))
}

func (h *fakeHost) NewID(_ context.Context) string {
	h.rec("new-id")
	return "id:" + strconv.Itoa(len(h.calls))
}

func (h *fakeHost) DBPh(_ context.Context, n uint32) string {
	h.rec("db-ph", strconv.FormatUint(uint64(n), 10))
	return "$" + strconv.FormatUint(uint64(n), 10)
}
