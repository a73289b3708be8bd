package httpc

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// rule is one parsed allow-list entry.
type rule struct {
	scheme   string // "" = http or https
	host     string // lower-case; for wildcards the suffix without "*."; "" for anyHost
	wildcard bool   // "*.example.com": any subdomain, not the apex
	anyHost  bool   // "*": every host (the address check still applies)
	port     string // "" = the scheme's default port, "*" = any
}

// parseRule parses an allow-list entry:
//
//	example.com             http(s)://example.com on the default port
//	*.example.com           any subdomain of example.com (not example.com itself)
//	https://api.example.com only https
//	example.com:8443        only that port (http or https)
//	example.com:*           any port
//	http://127.0.0.1:8080   an IP literal ([::1] for IPv6)
//	*                       any host (default port); "*:*" any host and port
func parseRule(s string) (rule, error) {
	var r rule
	rest := strings.TrimSpace(s)
	if i := strings.Index(rest, "://"); i >= 0 {
		r.scheme = strings.ToLower(rest[:i])
		rest = rest[i+3:]
		if r.scheme != "http" && r.scheme != "https" {
			return r, fmt.Errorf("httpc: allow-list entry %q: scheme must be http or https", s)
		}
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" || strings.ContainsAny(rest, "/?#@ ") {
		return r, fmt.Errorf("httpc: allow-list entry %q: want [scheme://]host[:port]", s)
	}
	host, port := rest, ""
	if h, p, err := net.SplitHostPort(rest); err == nil {
		host, port = h, p
		if port != "*" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return r, fmt.Errorf("httpc: allow-list entry %q: bad port", s)
			}
		}
	} else if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
		host = rest[1 : len(rest)-1]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "*" {
		r.anyHost, r.port = true, port
		return r, nil
	}
	if strings.HasPrefix(host, "*.") {
		r.wildcard = true
		host = host[2:]
	}
	if host == "" || strings.Contains(host, "*") {
		return r, fmt.Errorf("httpc: allow-list entry %q: a wildcard is \"*\" alone or a leading \"*.\"", s)
	}
	r.host, r.port = host, port
	return r, nil
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// matches reports whether u (scheme, host, port) is allowed by r.
func (r rule) matches(scheme, host, port string) bool {
	if r.scheme != "" && r.scheme != scheme {
		return false
	}
	switch r.port {
	case "*":
	case "":
		if port != defaultPort(scheme) {
			return false
		}
	default:
		if port != r.port {
			return false
		}
	}
	switch {
	case r.anyHost:
		return true
	case r.wildcard:
		return strings.HasSuffix(host, "."+r.host)
	}
	return host == r.host
}

// target splits u into the parts rules compare, refusing what no rule may allow.
func target(u *url.URL) (scheme, host, port string, err error) {
	scheme = strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", "", fmt.Errorf("%w: scheme %q", ErrNotAllowed, u.Scheme)
	}
	if u.User != nil {
		return "", "", "", fmt.Errorf("%w: credentials in URL", ErrNotAllowed)
	}
	host = strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", "", "", fmt.Errorf("%w: no host", ErrNotAllowed)
	}
	port = u.Port()
	if port == "" {
		port = defaultPort(scheme)
	}
	return scheme, host, port, nil
}
