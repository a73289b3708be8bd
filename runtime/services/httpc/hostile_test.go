package httpc

// The HTTP class of the hostile-plugin corpus: what a plugin (or a server it
// talks to) can try against the host through http-get and http-post.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// rawServer accepts TCP connections on 127.0.0.1 and hands each to serve,
// which should return when the client goes away or done is closed. It
// returns the port and a counter of accepted connections.
func rawServer(t *testing.T, serve func(c net.Conn, done <-chan struct{})) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		n    atomic.Int32
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, done)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), &n
}

// readRequest consumes the request's header block, so that the response
// is not written before the request (the client would discard it as
// unsolicited), then discards whatever else the client sends.
func readRequest(c net.Conn) error {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	go func() {
		io.Copy(io.Discard, req.Body)
		io.Copy(io.Discard, br)
	}()
	return nil
}

// trickle writes head, then one byte of drip every interval until the
// client goes away or the test ends.
func trickle(head, drip string, every time.Duration) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, done <-chan struct{}) {
		if readRequest(c) != nil {
			return
		}
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				if _, err := io.WriteString(c, drip); err != nil {
					return
				}
			}
		}
	}
}

func silent(c net.Conn, done <-chan struct{}) {
	go io.Copy(io.Discard, c)
	<-done
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// TestSlowServers: a server that never answers, or trickles its headers or
// its body, is cut off at the hook call's deadline, or at Policy.Timeout
// when that comes first; the call fails with a timeout.
func TestSlowServers(t *testing.T) {
	servers := []struct {
		name, scheme string
		serve        func(net.Conn, <-chan struct{})
	}{
		{"silent", "http", silent},
		{"silent TLS handshake", "https", silent},
		{"trickled status line", "http", trickle("HTTP/1.1 2", "0", 50*time.Millisecond)},
		{"trickled headers", "http", trickle("HTTP/1.1 200 OK\r\nX-Pad: ", "a", 20*time.Millisecond)},
		{"trickled header lines", "http", trickle("HTTP/1.1 200 OK\r\n", "X: y\r\n", 20*time.Millisecond)},
		{"trickled body", "http", trickle("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", "a", 20*time.Millisecond)},
		{"trickled chunks", "http", trickle("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1\r\na\r\n", 20*time.Millisecond)},
	}
	const bound = 400 * time.Millisecond
	bounds := []struct {
		name    string
		timeout time.Duration // Policy.Timeout
		ctxDL   time.Duration // the hook call's deadline; 0 = none
	}{
		{"hook deadline", 0 /* default 10 s */, bound},
		{"Policy.Timeout", bound, 0},
	}
	for _, s := range servers {
		port, _ := rawServer(t, s.serve)
		for _, b := range bounds {
			t.Run(s.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				slowCall(t, s.scheme+"://127.0.0.1:"+port+"/", b.timeout, b.ctxDL, bound)
			})
		}
	}
}

// slowCall makes one request that should end in a timeout after about
// bound: Policy.Timeout is timeout (0: the default), the caller's context
// has a deadline ctxDL from now (0: none).
func slowCall(t *testing.T, url string, timeout, ctxDL, bound time.Duration) {
	c := client(t, Policy{Allow: []string{"*:*"}, AllowedNets: loopback, Timeout: timeout})
	ctx := context.Background()
	if ctxDL > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ctxDL)
		defer cancel()
	}
	start := time.Now()
	_, err := c.Do(ctx, http.MethodGet, url, nil)
	took := time.Since(start)
	t.Logf("ended after %v (bound %v): %v", took.Round(time.Millisecond), bound, err)
	if !isTimeout(err) {
		t.Errorf("%v, want a timeout", err)
	}
	if took < bound-50*time.Millisecond || took > bound+time.Second {
		t.Errorf("took %v, want about %v", took, bound)
	}
}

// TestHugeResponses: a body (or header) larger than its cap fails the call
// once the cap is passed; the client reads at most the cap plus a little
// and allocates a small multiple of the cap, however much the server
// offers. The figures are logged (go test -v -run TestHugeResponses).
func TestHugeResponses(t *testing.T) {
	const limit = 1 << 20 // MaxBodyBytes
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	chunked := append(append([]byte("10000\r\n"), chunk...), "\r\n"...)
	headerLines := bytes.Repeat([]byte("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n"), 2048)
	informational := bytes.Repeat([]byte("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"), 1024)
	endless := func(head string, chunk []byte) func(net.Conn, <-chan struct{}) {
		return func(c net.Conn, done <-chan struct{}) {
			if readRequest(c) != nil {
				return
			}
			if _, err := io.WriteString(c, head); err != nil {
				return
			}
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	// 256 MiB of zeros: a gzip member of 1 MiB of zeros (about 1 KiB),
	// 256 times over (a gzip stream may hold several members).
	var member, bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	for range 256 {
		bomb.Write(member.Bytes())
	}
	gz := func(c net.Conn, done <-chan struct{}) {
		if readRequest(c) != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", bomb.Len())
		c.Write(bomb.Bytes())
		<-done
	}

	exact := func(head string) func(net.Conn, <-chan struct{}) {
		body := bytes.Repeat([]byte("a"), limit)
		return func(c net.Conn, done <-chan struct{}) {
			if readRequest(c) != nil {
				return
			}
			io.WriteString(c, head)
			c.Write(body)
		}
	}
	cases := []struct {
		name  string
		serve func(net.Conn, <-chan struct{})
		want  error // nil: success
	}{
		{"exactly cap, announced", exact(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", limit)), nil},
		{"exactly cap, no length", exact("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), nil},
		{"endless, no length", endless("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", chunk), ErrBodyTooLarge},
		{"endless chunked", endless("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunked), ErrBodyTooLarge},
		{"announced 1 GiB", endless("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n", chunk), ErrBodyTooLarge},
		{"gzip bomb 256 MiB", gz, ErrBodyTooLarge},
		{"endless header", endless("HTTP/1.1 200 OK\r\nX-Pad: ", chunk), errAny},
		{"endless header lines", endless("HTTP/1.1 200 OK\r\n", headerLines), errAny},
		{"endless 1xx responses", endless("", informational), errAny},
	}
	for _, cs := range cases {
		port, _ := rawServer(t, cs.serve)
		c := client(t, Policy{Allow: []string{"*:*"}, AllowedNets: loopback, MaxBodyBytes: limit, Timeout: 20 * time.Second})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := c.Do(context.Background(), http.MethodGet, "http://127.0.0.1:"+port+"/", nil)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%-22s allocated %.2f MiB in %v (cap %d MiB): %v", cs.name, float64(alloc)/(1<<20), took.Round(time.Millisecond), limit>>20, err)
		switch {
		case cs.want == nil && err != nil:
			t.Errorf("%s: %v", cs.name, err)
		case cs.want != nil && err == nil:
			t.Errorf("%s: no error", cs.name)
		case cs.want != nil && cs.want != errAny && !errors.Is(err, cs.want):
			t.Errorf("%s: %v, want %v", cs.name, err, cs.want)
		case isTimeout(err):
			t.Errorf("%s: ended by the timeout, not by the cap", cs.name)
		}
		if alloc > 4*limit {
			t.Errorf("%s: allocated %d bytes for a %d-byte cap", cs.name, alloc, limit)
		}
	}
}

// errAny: some error; net/http's "server response headers exceeded" has no
// sentinel.
var errAny = errors.New("any error")

// TestRedirectsRefused: no status code gets a redirect followed by
// default, and an allowed redirect is still subject to the address check.
func TestRedirectsRefused(t *testing.T) {
	var finalHits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/final", func(w http.ResponseWriter, r *http.Request) { finalHits.Add(1) })
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.Header().Set("Location", r.URL.Query().Get("url"))
		w.WriteHeader(code)
	})
	srv, port, conns := countingServer(t, mux.ServeHTTP)
	ctx := context.Background()
	redirect := func(code int, target string) string {
		return fmt.Sprintf("%s/to?code=%d&url=%s", srv.URL, code, target)
	}

	none := client(t, Policy{Allow: []string{"*:*"}, AllowedNets: loopback})
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			var body *string
			if m == http.MethodPost {
				b := "{}"
				body = &b
			}
			if _, err := none.Do(ctx, m, redirect(code, "/final"), body); !errors.Is(err, ErrRedirect) {
				t.Errorf("%s %d: %v, want ErrRedirect", m, code, err)
			}
		}
	}
	if finalHits.Load() != 0 {
		t.Fatalf("a redirect was followed %d times", finalHits.Load())
	}

	// One redirect allowed, to targets the dial check refuses: the
	// listener sees only the first request of each.
	one := client(t, Policy{Allow: []string{"*:*"}, AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, MaxRedirects: 1})
	targets := []string{
		"http://[::127.0.0.1]:" + port + "/final",
		"http://[::ffff:0:127.0.0.1]:" + port + "/final",
		"http://127.0.0.2:" + port + "/final",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00::1]/",
	}
	before := conns.Load()
	for _, target := range targets {
		one.CloseIdleConnections()
		if _, err := one.Do(ctx, http.MethodGet, redirect(302, target), nil); !errors.Is(err, ErrAddressRefused) {
			t.Errorf("redirect to %s: %v, want ErrAddressRefused", target, err)
		}
	}
	if got := conns.Load() - before; got != int32(len(targets)) || finalHits.Load() != 0 {
		t.Errorf("%d connections for %d requests, %d hits on /final", got, len(targets), finalHits.Load())
	}
}

// fakeDNS answers every A query with a4 and every AAAA query with a6 (when
// valid), like a hostile authoritative server or a resolver that accepts
// inet_aton spellings such as 2130706433 or 127.1.
func fakeDNS(t *testing.T, a4, a6 netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.EnableCompression()
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}
			switch {
			case q.Type == dnsmessage.TypeA && a4.IsValid():
				b.AResource(rh, dnsmessage.AResource{A: a4.As4()})
			case q.Type == dnsmessage.TypeAAAA && a6.IsValid():
				b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a6.As16()})
			}
			if msg, err := b.Finish(); err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", pc.LocalAddr().String())
		},
	}
}

// TestResolvedNamesRefused: whatever a name resolves to is checked where it
// is dialled — names, and URL hosts that only a resolver turns into an
// address (decimal, hex, octal, short forms), resolving to loopback in any
// spelling, never reach the listener.
func TestResolvedNamesRefused(t *testing.T) {
	_, port, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	hosts := []string{"rebind.example", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "127.1", "017700000001"}
	answers := []struct{ a4, a6 string }{
		{"127.0.0.1", ""},
		{"", "::127.0.0.1"},
		{"", "::ffff:127.0.0.1"},
		{"", "::ffff:0:127.0.0.1"},
		{"10.0.0.1", "fd00::1"},
		{"127.0.0.1", "::1"},
	}
	for _, ans := range answers {
		var a4, a6 netip.Addr
		if ans.a4 != "" {
			a4 = netip.MustParseAddr(ans.a4)
		}
		if ans.a6 != "" {
			a6 = netip.MustParseAddr(ans.a6)
		}
		c := client(t, Policy{Allow: []string{"*:*"}, Timeout: 2 * time.Second})
		c.dialer.Resolver = fakeDNS(t, a4, a6)
		for _, h := range hosts {
			u := "http://" + h + ":" + port + "/"
			_, err := c.Do(context.Background(), http.MethodGet, u, nil)
			var dnsErr *net.DNSError
			switch {
			case errors.Is(err, ErrAddressRefused):
			case errors.As(err, &dnsErr) && dnsErr.IsNotFound && allNumeric(h):
				// Go's resolver does not look up names whose last label
				// is numeric; a cgo resolver would turn them into
				// 127.0.0.1, which the dial check refuses.
			default:
				t.Errorf("%s resolving to %v/%v: %v, want ErrAddressRefused", u, ans.a4, ans.a6, err)
			}
		}
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("listener accepted %d connections, want 0", n)
	}
	// A resolver that never answers is bounded by the hook's deadline too.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c := client(t, Policy{Allow: []string{"*:*"}})
	c.dialer.Resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Do(ctx, http.MethodGet, "http://silent-dns.example/", nil)
	took := time.Since(start)
	t.Logf("unanswered DNS ended after %v (hook deadline 400ms): %v", took.Round(time.Millisecond), err)
	if !isTimeout(err) || took > 1400*time.Millisecond {
		t.Errorf("unanswered DNS: %v after %v, want a timeout after about 400ms", err, took)
	}

	// The fake resolver does reach the dialler: with the range allowed the
	// same name gets through.
	c = client(t, Policy{Allow: []string{"*:*"}, AllowedNets: loopback})
	c.dialer.Resolver = fakeDNS(t, netip.MustParseAddr("127.0.0.1"), netip.Addr{})
	if _, ok := c.Get(context.Background(), "http://rebind.example:"+port+"/"); !ok || conns.Load() != 1 {
		t.Fatalf("allowed resolution: ok=%v, %d connections", ok, conns.Load())
	}
}

// allNumeric: h's last label is a number (decimal, or 0x hex), as in
// 2130706433 or 127.1.
func allNumeric(h string) bool {
	last := h[strings.LastIndexByte(h, '.')+1:]
	_, err := strconv.ParseUint(last, 0, 64)
	return err == nil
}
