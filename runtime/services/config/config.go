// Package config answers host-api get-config: a plugin's `[config]` table
// from its manifest, with values the host may override.
//
// Values are rendered as strings: strings as they are; time.Time (TOML
// dates) as RFC 3339; everything else (numbers, booleans, arrays, tables) as
// compact JSON. Keys may be dotted to reach into nested tables
// ("smtp.host"); a key naming a table returns the whole table as JSON.
//
// Overrides are explicit: a Config consults the Sources it was built with,
// in order, before the manifest. Two are provided: Map (e.g. from the host's
// own configuration file) and Env, which reads PLUGIN_<ID>_<KEY> through a
// lookup function the caller passes (os.LookupEnv in production, a map in
// tests). Nothing here reads the process environment on its own.
package config

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Source supplies override values for a plugin's keys.
type Source interface {
	// Lookup returns the override for key of pluginID, if any.
	Lookup(pluginID, key string) (string, bool)
}

// Map is a Source backed by plugin id → key → value.
type Map map[string]map[string]string

// Lookup implements Source.
func (m Map) Lookup(pluginID, key string) (string, bool) {
	v, ok := m[pluginID][key]
	return v, ok
}

// Env is a Source reading variables named Prefix + ID + "_" + KEY, where ID
// and KEY are upper-cased and every character other than A–Z and 0–9
// becomes "_": plugin "com.example.my-plugin", key "api.key" →
// PLUGIN_COM_EXAMPLE_MY_PLUGIN_API_KEY.
type Env struct {
	// LookupEnv reads a variable; pass os.LookupEnv to use the process
	// environment. Nil looks nothing up.
	LookupEnv func(string) (string, bool)
	// Prefix defaults to "PLUGIN_".
	Prefix string
}

// Name returns the variable name that overrides key of pluginID.
func (e Env) Name(pluginID, key string) string {
	p := e.Prefix
	if p == "" {
		p = "PLUGIN_"
	}
	return p + envPart(pluginID) + "_" + envPart(key)
}

// Lookup implements Source.
func (e Env) Lookup(pluginID, key string) (string, bool) {
	if e.LookupEnv == nil {
		return "", false
	}
	return e.LookupEnv(e.Name(pluginID, key))
}

func envPart(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Config is one plugin's configuration. It is immutable and safe for
// concurrent use.
type Config struct {
	pluginID  string
	values    map[string]any
	overrides []Source
	log       *slog.Logger
}

// New returns the configuration of pluginID from its manifest's [config]
// table (copied, so later changes to table do not show) and the override
// sources, consulted first to last.
func New(pluginID string, table map[string]any, overrides ...Source) *Config {
	return &Config{pluginID: pluginID, values: deepCopy(table), overrides: overrides, log: slog.Default()}
}

// WithLogger returns a copy of c that logs lookups at debug level to l.
func (c *Config) WithLogger(l *slog.Logger) *Config {
	cp := *c
	cp.log = l
	return &cp
}

// Get implements get-config: the value of key, or false if it is unset.
func (c *Config) Get(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	for _, s := range c.overrides {
		if v, ok := s.Lookup(c.pluginID, key); ok {
			c.log.Debug("config: override", "plugin", c.pluginID, "key", key)
			return v, true
		}
	}
	v, ok := c.lookup(key)
	if !ok {
		return "", false
	}
	return Render(v)
}

// lookup finds key as a top-level key first (TOML allows quoted keys with
// dots), then as a dotted path into nested tables.
func (c *Config) lookup(key string) (any, bool) {
	if v, ok := c.values[key]; ok {
		return v, v != nil
	}
	var cur any = c.values
	for part := range strings.SplitSeq(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

// Keys returns the manifest's top-level keys (not the overrides).
func (c *Config) Keys() []string {
	return slices.Sorted(maps.Keys(c.values))
}

// Render turns a config value into the string get-config returns; false for
// nil.
func Render(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case time.Time:
		return v.Format(time.RFC3339Nano), true
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	return strings.TrimSuffix(buf.String(), "\n"), true
}

func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return deepCopy(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
