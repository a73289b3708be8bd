package plugin

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/raisfast/wasmplug/internal/guests"
)

// recordingHost records every host-api call a guest makes.
type recordingHost struct {
	nopHost
	mu    sync.Mutex
	calls []string
	data  map[string]string
	files map[string]string
}

func (h *recordingHost) record(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, fmt.Sprintf(format, args...))
}
func (h *recordingHost) Log(_ context.Context, level, msg string) { h.record("log %s %s", level, msg) }
func (h *recordingHost) SetData(_ context.Context, k, v string) bool {
	h.record("set-data %s %s", k, v)
	h.data[k] = v
	return true
}
func (h *recordingHost) VFSWrite(_ context.Context, p, c string) bool {
	h.record("vfs-write %s %s", p, c)
	h.files[p] = c
	return true
}

func newRecordingHost() *recordingHost {
	return &recordingHost{data: map[string]string{}, files: map[string]string{}}
}

// TestToolchainGuests runs the plugin guests built by wit-bindgen (C with
// clang-16, Rust with wit-bindgen 0.36) under the generated bindings.
func TestToolchainGuests(t *testing.T) {
	for _, name := range []string{"c-plugin", "slug-rust"} {
		t.Run(name, func(t *testing.T) {
			wasm := guests.Load(t, name)
			ctx := context.Background()
			mod, err := Compile(ctx, newRuntime(t), wasm)
			if err != nil {
				t.Fatalf("compile (all exports required): %v", err)
			}
			host := newRecordingHost()
			inst, err := mod.Instantiate(ctx, Imports{HostAPI: host}, nil)
			if err != nil {
				t.Fatal(err)
			}
			tags := []string{"a", "b", "ü"}
			out, err := inst.OnPostCreating(ctx, PostInput{Title: "Hello Wasm World", Content: strings.Repeat("é", 1000), TagIDs: &tags})
			if err != nil {
				t.Fatal(err)
			}
			if out == nil || out.Slug == nil || *out.Slug != "hello-wasm-world" || out.Content != strings.Repeat("é", 1000) || len(*out.TagIDs) != 3 || (*out.TagIDs)[2] != "ü" {
				t.Fatalf("on-post-creating = %+v", out)
			}
			slug := "kept"
			if out, err := inst.OnPostCreating(ctx, PostInput{Title: "X", Slug: &slug}); err != nil || (out != nil && *out.Slug != "kept") {
				t.Fatalf("existing slug: %+v, %v", out, err)
			}
			if err := inst.OnPostCreated(ctx, PostOutput{ID: "1", Title: "T", Slug: "my-post", ViewCount: -1 << 63}); err != nil {
				t.Fatal(err)
			}
			want := []string{"log info published: my-post", "vfs-write cache/posts/my-post.json {}"}
			if strings.Join(host.calls, "|") != strings.Join(want, "|") {
				t.Fatalf("host calls %q, want %q", host.calls, want)
			}
			// Every hook is callable; actions return nothing, other filters none.
			for _, h := range HookList {
				if _, err := h.CallJSON(inst, ctx, []byte(sampleArgs(h.Name))); err != nil {
					t.Errorf("%s: %v", h.Name, err)
				}
			}
			// The instance survives many calls without growing.
			size := inst.Module().Memory().Size()
			for range 5000 {
				if _, err := inst.OnPostCreating(ctx, PostInput{Title: "Loop Title", Content: strings.Repeat("x", 2048), TagIDs: &tags}); err != nil {
					t.Fatal(err)
				}
			}
			if grown := inst.Module().Memory().Size() - size; grown > 1<<20 {
				t.Fatalf("memory grew by %d bytes over 5000 calls", grown)
			}
		})
	}
}

func sampleArgs(hook string) string {
	switch hook {
	case "on-post-creating", "on-post-updating":
		return `{"title":"T","content":"C"}`
	case "on-post-created", "on-post-updated":
		return `{"id":"1","title":"T","slug":"s","content":"c","status":"draft","created_by":"u","view_count":3,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	case "on-comment-creating", "on-comment-created":
		return `{"content":"hi","nickname":"n"}`
	case "on-content-creating", "on-content-updating", "on-content-created", "on-content-updated":
		return `{"content_type":"page","data":"{}"}`
	case "on-content-deleted":
		return `{"content_type":"page","id":"7"}`
	case "on-cron-tick":
		return `"payload"`
	}
	return `"x"`
}
