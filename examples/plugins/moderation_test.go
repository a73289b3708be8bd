package examples_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/raisfast/wasmplug/gen/plugin"
)

func TestModeration(t *testing.T) {
	l := load(t, "moderation")
	if l.m.Config["mode"] != "reject" || l.m.Config["max_links"] != "2" {
		t.Fatalf("manifest [config] = %v", l.m.Config)
	}
	ctx := context.Background()
	nick, email := "Mallory", "m@example.com"
	comment := func(content string) plugin.CommentInput {
		return plugin.CommentInput{Content: content, Nickname: &nick, Email: &email}
	}

	t.Run("seeds the word list", func(t *testing.T) {
		h := &fakeHost{}
		inst := l.instance(t, h)
		out, err := inst.OnCommentCreating(ctx, comment("Nice post, thanks!"))
		if err != nil || out != nil {
			t.Fatalf("clean comment: %+v, %v; want none", out, err)
		}
		var words []string
		mustJSON(t, h.data["banned_words"], &words)
		if !slices.Contains(words, "viagra") || !slices.Contains(words, "博彩") {
			t.Errorf("seeded banned_words = %v", words)
		}
		if calls := h.takeCalls(); !slices.Contains(calls, "set-data banned_words") || !slices.Contains(calls, "get-config mode") || !slices.Contains(calls, "get-config max_links") {
			t.Errorf("host calls %q", calls)
		}
		// Seeded once: the next call only reads the list.
		if _, err := inst.OnCommentCreating(ctx, comment("again")); err != nil {
			t.Fatal(err)
		}
		if calls := h.takeCalls(); slices.Contains(calls, "set-data banned_words") || !slices.Contains(calls, "get-data banned_words") {
			t.Errorf("second call: host calls %q", calls)
		}
	})

	t.Run("reject", func(t *testing.T) {
		h := &fakeHost{}
		inst := l.instance(t, h)
		for _, c := range []struct {
			content string
			reject  bool
		}{
			{"Best VIAGRA deals here", true},
			{"Try our Online\n  Pharmacy!", true}, // the phrase "online pharmacy", however spaced
			{"online pharmacists", false},
			{"正规博彩网站", true},
			{"viagras", false}, // whole words only
			{"see https://a.example, http://b.example and www.c.example", true},
			{"see https://a.example and http://b.example", false},
			{"", false},
		} {
			out, err := inst.OnCommentCreating(ctx, comment(c.content))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.reject && (out == nil || out.Content != "" || out.Nickname == nil || *out.Nickname != nick || out.Email == nil || *out.Email != email):
				t.Errorf("%q: %+v; want rejected (content \"\", the rest unchanged)", c.content, out)
			case !c.reject && out != nil:
				t.Errorf("%q: %+v; want none", c.content, out)
			}
		}
		if n := countPrefix(h.logs, "info: rejected comment by Mallory"); n != 4 {
			t.Errorf("logs %q: want 4 rejections", h.logs)
		}
	})

	t.Run("mask", func(t *testing.T) {
		h := &fakeHost{config: map[string]string{"mode": "mask", "max_links": "1"}}
		inst := l.instance(t, h)
		for in, want := range map[string]string{
			"Buy Viagra and cialis at https://x.example or https://y.example now": "Buy ****** and ****** at https://x.example or [link removed] now",
			"正规博彩网站":               "正规**网站",
			"Casino, casino!":      "******, ******!",
			"one https://a only":   "",
			"an online\t pharmacy": "an ****************",
		} {
			out, err := inst.OnCommentCreating(ctx, comment(in))
			if err != nil {
				t.Fatal(err)
			}
			if want == "" {
				if out != nil {
					t.Errorf("%q: %+v; want none", in, out)
				}
				continue
			}
			if out == nil || out.Content != want || *out.Nickname != nick {
				t.Errorf("%q: %+v; want content %q", in, out, want)
			}
		}
	})

	t.Run("moderators' list", func(t *testing.T) {
		h := &fakeHost{data: map[string]string{"banned_words": `["Spam", "scam link"]`}}
		inst := l.instance(t, h)
		for in, reject := range map[string]bool{"SPAM!": true, "spammer": false, "a Scam  link": true, "scamlink": false, "a scam link": true, "viagra": false} {
			out, err := inst.OnCommentCreating(ctx, comment(in))
			if err != nil {
				t.Fatal(err)
			}
			if got := out != nil && out.Content == ""; got != reject {
				t.Errorf("%q: %+v; rejected %v, want %v", in, out, got, reject)
			}
		}
		if slices.Contains(h.takeCalls(), "set-data banned_words") {
			t.Error("overwrote the moderators' list")
		}
	})

	t.Run("bad config and data", func(t *testing.T) {
		h := &fakeHost{config: map[string]string{"mode": "shout", "max_links": "lots"}, data: map[string]string{"banned_words": "not json"}}
		inst := l.instance(t, h)
		out, err := inst.OnCommentCreating(ctx, comment("viagra"))
		if err != nil || out == nil || out.Content != "" {
			t.Errorf("with bad config, defaults (reject, defaults list): %+v, %v", out, err)
		}
		for _, want := range []string{`warn: config mode = "shout"`, "warn: config max_links = lots", "error: banned_words is not a JSON array"} {
			if countPrefix(h.logs, want) != 1 {
				t.Errorf("logs %q lack %q", h.logs, want)
			}
		}
	})
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}
