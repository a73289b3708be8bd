// Package httpc performs a plugin's outbound HTTP requests: host-api
// http-get and http-post.
//
// A Client is built per plugin from its Policy. A request goes out only if
//
//   - its URL's scheme, host and port match an allow-list entry (see
//     Policy.Allow for the syntax), checked again on every redirect, and
//     redirects are followed only when Policy.MaxRedirects allows;
//   - the IP address actually dialled is public, unless the policy allows it
//     explicitly (AllowedNets, or AllowPrivate). The check runs in the
//     dialer's Control hook on the resolved address of each connection
//     attempt, after DNS, so a host name that resolves (or re-resolves, as in
//     DNS rebinding) to 127.0.0.1 or 10.x is refused. Environment proxies
//     are ignored for the same reason.
//
// The response must arrive within Policy.Timeout and the deadline of the
// caller's context (the hook call's), whichever is sooner, have a 2xx
// status, headers of at most Policy.MaxHeaderBytes and a body of at most
// Policy.MaxBodyBytes (counted after decompression); otherwise the call
// fails. Reading stops as soon as a limit is passed, so no more than a limit
// is ever buffered. Bodies that are not valid UTF-8 have the bad
// bytes replaced by U+FFFD, since the result is a WIT string.
package httpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Defaults for Policy.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxBodyBytes    = 2 << 20 // 2 MiB
	DefaultMaxRequestBytes = 1 << 20 // 1 MiB
	DefaultMaxHeaderBytes  = 64 << 10
	DefaultUserAgent       = "RaisFast-Plugin"
)

// Refusals and failures, for errors.Is.
var (
	ErrNotAllowed      = errors.New("httpc: URL not allowed")
	ErrAddressRefused  = errors.New("httpc: address refused")
	ErrRedirect        = errors.New("httpc: redirect not allowed")
	ErrBodyTooLarge    = errors.New("httpc: response body too large")
	ErrRequestTooLarge = errors.New("httpc: request body too large")
	ErrStatus          = errors.New("httpc: non-2xx status")
)

// StatusError is returned (wrapping ErrStatus) for a non-2xx response.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("httpc: status %d", e.Code) }
func (e *StatusError) Unwrap() error { return ErrStatus }

// Policy is what one plugin may reach.
type Policy struct {
	// Allow lists where requests may go: "example.com", "*.example.com"
	// (subdomains only) or "*" (any host), optionally with a scheme
	// ("https://example.com") and/or a port ("example.com:8443",
	// "example.com:*", "*:*"). Without a scheme both http and https match;
	// without a port only the scheme's default port does. Empty allows
	// nothing. "*" widens the names only: the dialled address must still be
	// public (or allowed by AllowedNets or AllowPrivate).
	Allow []string
	// AllowedNets are non-public address ranges that may nevertheless be
	// dialled (e.g. 127.0.0.0/8 for a sidecar, or tests).
	AllowedNets []netip.Prefix
	// AllowPrivate lifts the public-address check entirely.
	AllowPrivate bool
	// MaxRedirects is how many redirects to follow (default 0: none; a
	// redirect response then fails the call). Each target is checked
	// against Allow.
	MaxRedirects int
	// Timeout bounds the whole request including reading the body.
	Timeout time.Duration
	// MaxBodyBytes bounds the response body.
	MaxBodyBytes int64
	// MaxHeaderBytes bounds the response's status line and headers
	// (net/http's own default would be 10 MiB).
	MaxHeaderBytes int64
	// MaxRequestBytes bounds the body of a POST.
	MaxRequestBytes int
	// UserAgent is sent with every request.
	UserAgent string
}

// Client performs the requests of one plugin. It is safe for concurrent use.
type Client struct {
	rules  []rule
	pol    Policy
	dialer *net.Dialer // its Control hook is the address check; tests swap its Resolver
	hc     *http.Client
	log    *slog.Logger
}

// New builds a Client for pol; it fails on a malformed allow-list entry.
func New(pol Policy, logger *slog.Logger) (*Client, error) {
	if pol.Timeout <= 0 {
		pol.Timeout = DefaultTimeout
	}
	if pol.MaxBodyBytes <= 0 {
		pol.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if pol.MaxRequestBytes <= 0 {
		pol.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if pol.MaxHeaderBytes <= 0 {
		pol.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if pol.UserAgent == "" {
		pol.UserAgent = DefaultUserAgent
	}
	if logger == nil {
		logger = slog.Default()
	}
	c := &Client{pol: pol, log: logger}
	for _, a := range pol.Allow {
		r, err := parseRule(a)
		if err != nil {
			return nil, err
		}
		c.rules = append(c.rules, r)
	}
	c.dialer = &net.Dialer{
		Timeout: pol.Timeout,
		Control: c.control,
	}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would make the dialled address meaningless
		DialContext:            c.dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    pol.Timeout,
		ResponseHeaderTimeout:  pol.Timeout,
		MaxResponseHeaderBytes: pol.MaxHeaderBytes,
	}
	c.hc = &http.Client{
		Transport:     tr,
		Timeout:       pol.Timeout,
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// control runs after DNS resolution, after the socket is created and before
// connect(2), for every address tried (each A/AAAA record, both Happy
// Eyeballs families): address is the literal IP:port being dialled, the
// same whether the URL held a name, a dotted quad, a bracketed IPv6 literal
// or a spelling only a resolver understands (2130706433, 0x7f.1, 127.1).
// An error here aborts that attempt before any packet is sent.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q", ErrAddressRefused, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrAddressRefused, address, err)
	}
	if c.addrAllowed(ap.Addr()) {
		return nil
	}
	return fmt.Errorf("%w: %s is not a public address", ErrAddressRefused, ap.Addr())
}

// addrAllowed: public by IsPublic, or allowed by the policy. AllowedNets
// match the address as dialled (an IPv4-mapped address as its IPv4 form;
// ::127.0.0.1 is not in 127.0.0.0/8), ignoring a zone: a host that lists
// fe80::/10 means its link-local addresses on whatever interface.
func (c *Client) addrAllowed(a netip.Addr) bool {
	if c.pol.AllowPrivate || IsPublic(a) {
		return true
	}
	a = a.Unmap().WithZone("")
	for _, p := range c.pol.AllowedNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Check reports whether raw may be requested under the allow-list (the
// address check happens later, when dialling).
func (c *Client) Check(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotAllowed, err)
	}
	if err := c.checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func (c *Client) checkURL(u *url.URL) error {
	scheme, host, port, err := target(u)
	if err != nil {
		return err
	}
	for _, r := range c.rules {
		if r.matches(scheme, host, port) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s://%s:%s is not in the allow-list", ErrNotAllowed, scheme, host, port)
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.pol.MaxRedirects {
		return fmt.Errorf("%w: to %s", ErrRedirect, req.URL.Redacted())
	}
	return c.checkURL(req.URL)
}

// Do sends a GET (body == nil) or POST and returns the response body.
func (c *Client) Do(ctx context.Context, method, raw string, body *string) (string, error) {
	u, err := c.Check(raw)
	if err != nil {
		return "", err
	}
	var rd io.Reader
	if body != nil {
		if len(*body) > c.pol.MaxRequestBytes {
			return "", fmt.Errorf("%w: %d bytes, limit %d", ErrRequestTooLarge, len(*body), c.pol.MaxRequestBytes)
		}
		rd = strings.NewReader(*body)
	}
	ctx, cancel := context.WithTimeout(ctx, c.pol.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return "", fmt.Errorf("httpc: %w", err)
	}
	req.Header.Set("User-Agent", c.pol.UserAgent)
	if body != nil {
		if json.Valid([]byte(*body)) {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("httpc: %s %s: %w", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 && resp.Header.Get("Location") != "" {
			return "", fmt.Errorf("httpc: %s %s: %w (status %d)", method, u.Redacted(), ErrRedirect, resp.StatusCode)
		}
		return "", fmt.Errorf("httpc: %s %s: %w", method, u.Redacted(), &StatusError{resp.StatusCode})
	}
	if resp.ContentLength > c.pol.MaxBodyBytes {
		return "", fmt.Errorf("httpc: %s %s: %w: %d bytes announced, limit %d", method, u.Redacted(), ErrBodyTooLarge, resp.ContentLength, c.pol.MaxBodyBytes)
	}
	b, err := readBody(resp.Body, c.pol.MaxBodyBytes, resp.ContentLength)
	if errors.Is(err, ErrBodyTooLarge) {
		return "", fmt.Errorf("httpc: %s %s: %w: limit %d", method, u.Redacted(), err, c.pol.MaxBodyBytes)
	}
	if err != nil {
		return "", fmt.Errorf("httpc: %s %s: reading body: %w", method, u.Redacted(), err)
	}
	if !utf8.Valid(b) {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))), nil
	}
	return string(b), nil
}

// readBody reads r to EOF, failing with ErrBodyTooLarge as soon as byte
// limit+1 arrives: it never reads further nor holds a buffer larger than
// limit. size is the announced length (-1 if unknown; the caller has refused
// one above limit): an honest body takes one allocation of its size, an
// unannounced one a buffer doubling from 32 KiB up to limit.
func readBody(r io.Reader, limit, size int64) ([]byte, error) {
	n := int64(32 << 10)
	if size >= 0 {
		n = size
	}
	buf := make([]byte, 0, min(n, limit))
	var probe [1]byte
	for {
		if len(buf) < cap(buf) {
			m, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+m]
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		// Full: one more byte tells EOF from a longer body before growing.
		m, err := r.Read(probe[:])
		if m > 0 {
			if int64(len(buf)) >= limit {
				return nil, ErrBodyTooLarge
			}
			nb := make([]byte, len(buf), min(max(2*int64(cap(buf)), 512), limit))
			copy(nb, buf)
			buf = append(nb, probe[0])
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Get implements http-get: the body of a successful (2xx) response, or
// false on any refusal or failure (logged at debug level).
func (c *Client) Get(ctx context.Context, url string) (string, bool) {
	return c.result(ctx, url)(c.Do(ctx, http.MethodGet, url, nil))
}

// Post implements http-post: body is sent as application/json when it is
// valid JSON, text/plain otherwise.
func (c *Client) Post(ctx context.Context, url, body string) (string, bool) {
	return c.result(ctx, url)(c.Do(ctx, http.MethodPost, url, &body))
}

func (c *Client) result(ctx context.Context, url string) func(string, error) (string, bool) {
	return func(body string, err error) (string, bool) {
		if err != nil {
			c.log.DebugContext(ctx, "httpc: request failed", "url", url, "err", err)
			return "", false
		}
		return body, true
	}
}

// CloseIdleConnections releases pooled connections (e.g. when the plugin unloads).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }
