package httpc

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// server starts an httptest server on 127.0.0.1 and returns it with its host:port.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return srv, u.Host
}

func client(t *testing.T, pol Policy) *Client {
	t.Helper()
	c, err := New(pol, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestGetAndPost(t *testing.T) {
	var gotCT, gotBody, gotUA atomic.Value
	srv, hostport := server(t, func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.UserAgent())
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			gotCT.Store(r.Header.Get("Content-Type"))
			gotBody.Store(string(b))
			fmt.Fprintf(w, "posted %d bytes", len(b))
			return
		}
		fmt.Fprint(w, "hello 世界")
	})
	c := client(t, Policy{Allow: []string{"http://" + hostport}, AllowedNets: loopback})
	ctx := context.Background()
	if body, ok := c.Get(ctx, srv.URL+"/x?q=1"); !ok || body != "hello 世界" {
		t.Fatalf("Get = %q %v", body, ok)
	}
	if gotUA.Load() != DefaultUserAgent {
		t.Fatalf("User-Agent = %v", gotUA.Load())
	}
	if body, ok := c.Post(ctx, srv.URL, `{"a":1}`); !ok || body != "posted 7 bytes" {
		t.Fatalf("Post = %q %v", body, ok)
	}
	if gotCT.Load() != "application/json" || gotBody.Load() != `{"a":1}` {
		t.Fatalf("server saw %v %v", gotCT.Load(), gotBody.Load())
	}
	if _, ok := c.Post(ctx, srv.URL, "plain words"); !ok || gotCT.Load() != "text/plain; charset=utf-8" {
		t.Fatalf("plain post content type %v", gotCT.Load())
	}
}

func TestHostNotAllowed(t *testing.T) {
	var hits atomic.Int32
	srv, hostport := server(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	_, port, _ := strings.Cut(hostport, ":")
	ctx := context.Background()
	cases := []struct {
		allow []string
		url   string
	}{
		{nil, srv.URL},                                   // empty allow-list
		{[]string{"example.com"}, srv.URL},               // other host
		{[]string{"127.0.0.1"}, srv.URL},                 // default port only
		{[]string{"https://127.0.0.1:" + port}, srv.URL}, // wrong scheme
		{[]string{"127.0.0.1:" + port}, "ftp://127.0.0.1:" + port},
		{[]string{"127.0.0.1:" + port}, "http://user:pw@127.0.0.1:" + port},
		{[]string{"127.0.0.1:" + port}, "/relative"},
		{[]string{"127.0.0.1:" + port}, "http://127.0.0.2:" + port},
	}
	for _, cs := range cases {
		c := client(t, Policy{Allow: cs.allow, AllowedNets: loopback})
		_, err := c.Do(ctx, http.MethodGet, cs.url, nil)
		if !errors.Is(err, ErrNotAllowed) {
			t.Errorf("allow %v, GET %s: %v, want ErrNotAllowed", cs.allow, cs.url, err)
		}
		if _, ok := c.Get(ctx, cs.url); ok {
			t.Errorf("Get ok for %s", cs.url)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("server was hit %d times", hits.Load())
	}
	// The same URL with a matching rule goes through.
	c := client(t, Policy{Allow: []string{"127.0.0.1:*"}, AllowedNets: loopback})
	if _, ok := c.Get(ctx, srv.URL); !ok || hits.Load() != 1 {
		t.Fatal("allowed request failed")
	}
}

// Loopback is refused unless explicitly allowed, and the check is on the
// dialled IP: a host name that resolves to 127.0.0.1 ("localhost") is
// refused just like the literal.
func TestPrivateAddressRefusedAtDial(t *testing.T) {
	var hits atomic.Int32
	_, hostport := server(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	_, port, _ := strings.Cut(hostport, ":")
	ctx := context.Background()
	c := client(t, Policy{Allow: []string{"127.0.0.1:*", "localhost:*"}})
	for _, u := range []string{"http://127.0.0.1:" + port, "http://localhost:" + port} {
		_, err := c.Do(ctx, http.MethodGet, u, nil)
		if !errors.Is(err, ErrAddressRefused) {
			t.Errorf("GET %s: %v, want ErrAddressRefused", u, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("refused address was reached %d times", hits.Load())
	}
	// Allowed explicitly: by range, or wholesale.
	for _, pol := range []Policy{
		{Allow: []string{"localhost:*"}, AllowedNets: loopback},
		{Allow: []string{"localhost:*"}, AllowPrivate: true},
	} {
		if _, ok := client(t, pol).Get(ctx, "http://localhost:"+port); !ok {
			t.Errorf("policy %+v: request failed", pol)
		}
	}
	// A range that does not cover the address does not help.
	other := client(t, Policy{Allow: []string{"127.0.0.1:*"}, AllowedNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if _, err := other.Do(ctx, http.MethodGet, "http://127.0.0.1:"+port, nil); !errors.Is(err, ErrAddressRefused) {
		t.Errorf("uncovered range: %v", err)
	}
}

func TestRedirects(t *testing.T) {
	var finalHits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { finalHits.Add(1); fmt.Fprint(w, "final") })
	mux.HandleFunc("/once", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/final", http.StatusFound) })
	mux.HandleFunc("/twice", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/once", http.StatusFound) })
	srv, hostport := server(t, mux.ServeHTTP)
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		// Same server, but under a name the allow-list does not have.
		http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)+"/final", http.StatusFound)
	})
	ctx := context.Background()

	none := client(t, Policy{Allow: []string{hostport}, AllowedNets: loopback})
	if _, err := none.Do(ctx, http.MethodGet, srv.URL+"/once", nil); !errors.Is(err, ErrRedirect) {
		t.Fatalf("redirect with none allowed: %v", err)
	}
	if finalHits.Load() != 0 {
		t.Fatal("redirect was followed")
	}

	one := client(t, Policy{Allow: []string{hostport}, AllowedNets: loopback, MaxRedirects: 1})
	if body, ok := one.Get(ctx, srv.URL+"/once"); !ok || body != "final" {
		t.Fatalf("one redirect: %q %v", body, ok)
	}
	if _, err := one.Do(ctx, http.MethodGet, srv.URL+"/twice", nil); !errors.Is(err, ErrRedirect) {
		t.Fatalf("two redirects with one allowed: %v", err)
	}
	before := finalHits.Load()
	if _, err := one.Do(ctx, http.MethodGet, srv.URL+"/away", nil); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("redirect off the allow-list: %v", err)
	}
	if finalHits.Load() != before {
		t.Fatal("redirect off the allow-list was followed")
	}
}

func TestBodyLimits(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, strings.Repeat("a", 100)) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, strings.Repeat("a", 101)) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for range 20 {
			fmt.Fprint(w, strings.Repeat("a", 10))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write([]byte(strings.Repeat("a", 100000)))
		zw.Close()
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("caf\xe9")) })
	srv, hostport := server(t, mux.ServeHTTP)
	c := client(t, Policy{Allow: []string{hostport}, AllowedNets: loopback, MaxBodyBytes: 100, MaxRequestBytes: 10})
	ctx := context.Background()
	if body, ok := c.Get(ctx, srv.URL+"/exact"); !ok || len(body) != 100 {
		t.Fatalf("exact limit: %d %v", len(body), ok)
	}
	for _, p := range []string{"/big", "/chunked", "/gzip-bomb"} {
		if _, err := c.Do(ctx, http.MethodGet, srv.URL+p, nil); !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("%s: %v, want ErrBodyTooLarge", p, err)
		}
	}
	if body, ok := c.Get(ctx, srv.URL+"/latin1"); !ok || body != "caf\uFFFD" {
		t.Errorf("invalid UTF-8: %q %v", body, ok)
	}
	big := strings.Repeat("x", 11)
	if _, err := c.Do(ctx, http.MethodPost, srv.URL+"/exact", &big); !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("big request: %v", err)
	}
}

func TestStatusAndTimeout(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "start")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv, hostport := server(t, mux.ServeHTTP)
	defer close(release)
	c := client(t, Policy{Allow: []string{hostport}, AllowedNets: loopback, Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	_, err := c.Do(ctx, http.MethodGet, srv.URL+"/404", nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 || !errors.Is(err, ErrStatus) {
		t.Fatalf("404: %v", err)
	}
	for _, p := range []string{"/slow", "/slow-body"} {
		start := time.Now()
		_, err = c.Do(ctx, http.MethodGet, srv.URL+p, nil)
		if err == nil {
			t.Fatalf("%s: no error", p)
		}
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "Timeout") && !strings.Contains(err.Error(), "deadline") {
			t.Errorf("%s: %v, want a timeout", p, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %s", p, d)
		}
	}
	// The caller's context also bounds the request.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := c.Get(cctx, srv.URL+"/404"); ok {
		t.Fatal("cancelled context")
	}
}

func TestProxyEnvironmentIgnored(t *testing.T) {
	var hits atomic.Int32
	srv, hostport := server(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); fmt.Fprint(w, "direct") })
	// A proxy that would be used if the environment were honoured.
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	c := client(t, Policy{Allow: []string{hostport}, AllowedNets: loopback})
	if body, ok := c.Get(context.Background(), srv.URL); !ok || body != "direct" {
		t.Fatalf("%q %v", body, ok)
	}
}

func TestParseRule(t *testing.T) {
	good := []struct {
		rule                string
		scheme, host, port  string
		wantMatch, wantMiss bool
	}{
		{"example.com", "https", "example.com", "443", true, false},
		{"example.com", "http", "example.com", "80", true, false},
		{"Example.COM.", "https", "example.com", "443", true, false},
		{"example.com", "https", "example.com", "8443", false, true},
		{"example.com", "https", "www.example.com", "443", false, true},
		{"example.com", "https", "badexample.com", "443", false, true},
		{"*.example.com", "https", "api.example.com", "443", true, false},
		{"*.example.com", "https", "a.b.example.com", "443", true, false},
		{"*.example.com", "https", "example.com", "443", false, true},
		{"*.example.com", "https", "evilexample.com", "443", false, true},
		{"https://example.com", "http", "example.com", "80", false, true},
		{"http://example.com:8080", "http", "example.com", "8080", true, false},
		{"example.com:*", "http", "example.com", "1234", true, false},
		{"[::1]:8080", "http", "::1", "8080", true, false},
		{"[::1]", "http", "::1", "80", true, false},
		{"*", "https", "anything.example", "443", true, false},
		{"*", "http", "203.0.113.7", "80", true, false},
		{"*", "https", "anything.example", "8443", false, true},
		{"*:*", "http", "anything.example", "8443", true, false},
		{"*:8443", "https", "x.example", "8443", true, false},
		{"https://*", "http", "x.example", "80", false, true},
	}
	for _, g := range good {
		r, err := parseRule(g.rule)
		if err != nil {
			t.Errorf("parseRule(%q): %v", g.rule, err)
			continue
		}
		if got := r.matches(g.scheme, g.host, g.port); got != g.wantMatch {
			t.Errorf("%q matches %s://%s:%s = %v", g.rule, g.scheme, g.host, g.port, got)
		}
	}
	for _, bad := range []string{"", "ftp://x.com", "**", "*x", "*.com*", "a.*.com", "x.com/path", "x.com:0", "x.com:99999", "user@x.com", "ex*.com"} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("parseRule(%q) accepted", bad)
		}
	}
	if _, err := New(Policy{Allow: []string{"x.com/path"}}, nil); err == nil {
		t.Error("New accepted a bad rule")
	}
}

// TestAllowAnyHost: "*" allows every host name, while the dialled address
// must still be public unless the policy allows private ones.
func TestAllowAnyHost(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	_, port, _ := strings.Cut(srv.URL[len("http://"):], ":")
	ctx := context.Background()

	c := client(t, Policy{Allow: []string{"*:*"}})
	for _, u := range []string{"https://api.example.com/x", "http://example.org:8080/", "http://203.0.113.7/"} {
		if _, err := c.Check(u); err != nil {
			t.Errorf("Check(%s): %v", u, err)
		}
	}
	for _, u := range []string{"ftp://example.com/", "http://user:pw@example.com/"} {
		if _, err := c.Check(u); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("Check(%s) = %v", u, err)
		}
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		_, err := c.Do(ctx, http.MethodGet, "http://"+host+":"+port+"/", nil)
		if !errors.Is(err, ErrAddressRefused) {
			t.Errorf("\"*:*\" reached %s: %v", host, err)
		}
	}

	c = client(t, Policy{Allow: []string{"*"}})
	if _, err := c.Check(srv.URL); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("\"*\" allowed port %s: %v", port, err)
	}

	for _, pol := range []Policy{
		{Allow: []string{"*:*"}, AllowPrivate: true},
		{Allow: []string{"*:*"}, AllowedNets: loopback},
	} {
		if body, ok := client(t, pol).Get(ctx, srv.URL); !ok || body != "ok" {
			t.Errorf("%+v: Get = %q, %v", pol, body, ok)
		}
	}
}
