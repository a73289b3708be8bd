package config

import (
	"math"
	"slices"
	"testing"
	"time"
)

func manifest() map[string]any {
	return map[string]any{
		"api_url":  "https://api.example.com",
		"retries":  int64(3),
		"ratio":    0.25,
		"enabled":  true,
		"tags":     []any{"a", "b"},
		"empty":    "",
		"since":    time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		"html":     []any{"<b>&</b>"},
		"smtp":     map[string]any{"host": "mail.example.com", "port": int64(587)},
		"a.b":      "quoted dotted key",
		"nothing":  nil,
		"servers":  []map[string]any{{"name": "x"}},
		"big":      int64(math.MaxInt64),
		"nan":      math.NaN(),
		"unicode":  "héllo 世界",
		"nested":   map[string]any{"deeper": map[string]any{"v": false}},
		"list_num": []any{int64(1), 2.5},
	}
}

func TestRender(t *testing.T) {
	c := New("com.example.p", manifest())
	cases := map[string]string{
		"api_url":         "https://api.example.com",
		"retries":         "3",
		"ratio":           "0.25",
		"enabled":         "true",
		"tags":            `["a","b"]`,
		"empty":           "",
		"since":           "2024-05-01T10:00:00Z",
		"html":            `["<b>&</b>"]`,
		"smtp":            `{"host":"mail.example.com","port":587}`,
		"smtp.host":       "mail.example.com",
		"smtp.port":       "587",
		"a.b":             "quoted dotted key",
		"servers":         `[{"name":"x"}]`,
		"big":             "9223372036854775807",
		"unicode":         "héllo 世界",
		"nested.deeper":   `{"v":false}`,
		"nested.deeper.v": "false",
		"list_num":        "[1,2.5]",
	}
	for k, want := range cases {
		got, ok := c.Get(k)
		if !ok || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q", k, got, ok, want)
		}
	}
	for _, k := range []string{"missing", "", "nothing", "smtp.missing", "api_url.x", "nan", "smtp.host.x"} {
		if v, ok := c.Get(k); ok {
			t.Errorf("Get(%q) = %q, want unset", k, v)
		}
	}
	if !slices.Contains(c.Keys(), "smtp") || len(c.Keys()) != len(manifest()) {
		t.Errorf("Keys = %v", c.Keys())
	}
}

func TestOverrides(t *testing.T) {
	env := map[string]string{
		"PLUGIN_COM_EXAMPLE_MY_PLUGIN_API_URL":   "http://localhost:9999",
		"PLUGIN_COM_EXAMPLE_MY_PLUGIN_SMTP_HOST": "env-mail",
		"PLUGIN_OTHER_API_URL":                   "not mine",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	hostFile := Map{"com.example.my-plugin": {"retries": "10", "api_url": "from-map", "new_key": "added"}}

	c := New("com.example.my-plugin", manifest(), Env{LookupEnv: lookup}, hostFile)
	cases := map[string]string{
		"api_url":   "http://localhost:9999", // env first
		"smtp.host": "env-mail",
		"retries":   "10",    // map
		"new_key":   "added", // overrides may add keys
		"ratio":     "0.25",  // manifest
	}
	for k, want := range cases {
		if got, ok := c.Get(k); !ok || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q", k, got, ok, want)
		}
	}
	// Sources are per plugin: another plugin sees only its own.
	o := New("other", map[string]any{"api_url": "manifest"}, Env{LookupEnv: lookup}, hostFile)
	if v, _ := o.Get("api_url"); v != "not mine" {
		t.Errorf("other plugin: %q", v)
	}
	if _, ok := o.Get("retries"); ok {
		t.Error("map override leaked across plugins")
	}
	// Without sources only the manifest counts; an Env with no lookup reads nothing.
	if v, _ := New("com.example.my-plugin", manifest(), Env{}).Get("api_url"); v != "https://api.example.com" {
		t.Errorf("no-op env: %q", v)
	}
}

func TestEnvName(t *testing.T) {
	cases := []struct{ id, key, prefix, want string }{
		{"com.example.my-plugin", "api_key", "", "PLUGIN_COM_EXAMPLE_MY_PLUGIN_API_KEY"},
		{"seo", "smtp.host", "", "PLUGIN_SEO_SMTP_HOST"},
		{"x", "ключ", "RF_", "RF_X_____"},
	}
	for _, c := range cases {
		if got := (Env{Prefix: c.prefix}).Name(c.id, c.key); got != c.want {
			t.Errorf("Name(%q,%q) = %q, want %q", c.id, c.key, got, c.want)
		}
	}
}

func TestManifestIsCopied(t *testing.T) {
	m := manifest()
	c := New("p", m)
	m["api_url"] = "changed"
	m["smtp"].(map[string]any)["host"] = "changed"
	m["tags"].([]any)[0] = "changed"
	if v, _ := c.Get("api_url"); v != "https://api.example.com" {
		t.Error("top-level change visible")
	}
	if v, _ := c.Get("smtp.host"); v != "mail.example.com" {
		t.Error("nested change visible")
	}
	if v, _ := c.Get("tags"); v != `["a","b"]` {
		t.Error("array change visible")
	}
	if v, ok := New("p", nil).Get("x"); ok {
		t.Errorf("nil table: %q", v)
	}
}
