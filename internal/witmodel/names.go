package witmodel

import (
	"go/token"
	"strconv"
	"strings"
)

// initialisms are kebab-case segments written in capitals in Go names.
var initialisms = map[string]string{
	"id": "ID", "ids": "IDs", "urls": "URLs", "url": "URL", "uri": "URI", "http": "HTTP", "https": "HTTPS", "html": "HTML",
	"json": "JSON", "xml": "XML", "api": "API", "uuid": "UUID", "sql": "SQL", "db": "DB",
	"vfs": "VFS", "ip": "IP", "tcp": "TCP", "udp": "UDP", "dns": "DNS", "utf8": "UTF8",
	"ascii": "ASCII", "cpu": "CPU", "ttl": "TTL", "kv": "KV", "os": "OS", "io": "IO",
	"wasi": "WASI", "wasm": "Wasm", "css": "CSS", "tls": "TLS", "ssh": "SSH", "eof": "EOF",
}

// GoName turns a kebab-case WIT identifier into an exported Go identifier:
// "category-id" → "CategoryID", "filter-html" → "FilterHTML".
func GoName(wit string) string {
	var b strings.Builder
	for _, seg := range strings.Split(strings.TrimPrefix(wit, "%"), "-") {
		if seg == "" {
			continue
		}
		if up, ok := initialisms[seg]; ok {
			b.WriteString(up)
			continue
		}
		if strings.ToUpper(seg) == seg { // WIT acronym segment such as "URL"
			b.WriteString(seg)
			continue
		}
		b.WriteString(strings.ToUpper(seg[:1]) + seg[1:])
	}
	s := b.String()
	if s == "" || !token.IsIdentifier(s) {
		s = "X" + s
	}
	return s
}

// reservedLocals are names generated code uses for its own locals; a
// parameter with one of these names gets the suffix Arg.
var reservedLocals = map[string]bool{
	"ctx": true, "err": true, "ret": true, "inst": true, "g": true, "mem": true, "stack": true,
	"ptr": true, "b": true, "i": true, "n": true, "v": true, "ok": true, "mod": true, "res": true,
	"abi": true, "api": true, "context": true, "binary": true, "math": true, "unsafe": true,
	"fmt": true, "errors": true, "json": true, "wazero": true, "cc": true, "host": true,
	"zero": true, "r0": true, "fn": true, "post": true, "rp": true, "hv": true, "hok": true,
	"rv": true, "callErr": true, "re": true, "sp": true, "sl": true, "lq": true, "a": true,
	"args": true, "out": true, "wasi": true, "strconv": true, "strings": true,
}

// ParamName turns a kebab-case WIT parameter name into an unexported Go
// identifier that cannot collide with keywords or generated locals.
func ParamName(wit string) string {
	s := GoName(wit)
	// lower the leading initialism or letter: "ID" → "id", "URLPath" → "urlPath"
	r := []rune(s)
	i := 0
	for i < len(r) && r[i] >= 'A' && r[i] <= 'Z' {
		i++
	}
	switch {
	case i == 0:
	case i == 1 || i == len(r):
		i = min(i, len(r))
		for j := 0; j < i; j++ {
			r[j] += 'a' - 'A'
		}
	default: // "URLPath": lower all but the last capital
		for j := 0; j < i-1; j++ {
			r[j] += 'a' - 'A'
		}
	}
	s = string(r)
	if token.IsKeyword(s) || reservedLocals[s] || !token.IsIdentifier(s) {
		s += "Arg"
	}
	return s
}

// Unique returns name, or if taken reports it in use, name followed by the
// first number from 2 up that makes it free: a mixedCaps way of telling
// apart Go names that WIT names map to alike.
func Unique(name string, taken func(string) bool) string {
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		if n := name + strconv.Itoa(i); !taken(n) {
			return n
		}
	}
}

// SnakeName turns a kebab-case WIT name into the JSON field name used by
// the generated types: "category-id" → "category_id".
func SnakeName(wit string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(wit, "%")), "-", "_")
}
