package httpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestIsPublicTable classifies addresses without dialling anything. The
// rows follow the IANA IPv4 and IPv6 Special-Purpose Address Registries,
// the IPv6 forms that embed an IPv4 address, and the edges of each range.
func TestIsPublicTable(t *testing.T) {
	rows := []struct {
		addr string
		want bool
		why  string
	}{
		// IPv4, not globally reachable.
		{"0.0.0.0", false, "this host"},
		{"0.1.2.3", false, "this network 0/8"},
		{"10.0.0.1", false, "private 10/8"},
		{"10.255.255.255", false, "private 10/8, last"},
		{"100.64.0.1", false, "CGN 100.64/10"},
		{"100.127.255.254", false, "CGN, last"},
		{"127.0.0.1", false, "loopback"},
		{"127.255.255.254", false, "loopback /8"},
		{"169.254.169.254", false, "link-local, cloud metadata"},
		{"172.16.0.1", false, "private 172.16/12"},
		{"172.31.255.255", false, "private 172.16/12, last"},
		{"192.0.0.1", false, "IETF protocol assignments"},
		{"192.0.0.8", false, "IPv4 dummy address"},
		{"192.0.0.9", false, "PCP anycast, refused with its /24"},
		{"192.0.0.170", false, "NAT64 discovery"},
		{"192.0.2.1", false, "TEST-NET-1"},
		{"192.88.99.1", false, "deprecated 6to4 relay anycast"},
		{"192.168.1.1", false, "private 192.168/16"},
		{"198.18.0.1", false, "benchmarking"},
		{"198.19.255.255", false, "benchmarking /15, last"},
		{"198.51.100.7", false, "TEST-NET-2"},
		{"203.0.113.7", false, "TEST-NET-3"},
		{"224.0.0.1", false, "multicast"},
		{"239.255.255.250", false, "multicast SSDP"},
		{"240.0.0.1", false, "reserved 240/4"},
		{"255.255.255.254", false, "reserved 240/4, last"},
		{"255.255.255.255", false, "limited broadcast"},
		// IPv4, public (including the edges just outside refused ranges).
		{"1.1.1.1", true, "public"},
		{"8.8.8.8", true, "public"},
		{"93.184.215.14", true, "public"},
		{"9.255.255.255", true, "below 10/8"},
		{"11.0.0.0", true, "above 10/8"},
		{"100.63.255.255", true, "below CGN"},
		{"100.128.0.0", true, "above CGN"},
		{"172.15.255.255", true, "below 172.16/12"},
		{"172.32.0.1", true, "above 172.16/12"},
		{"192.31.196.1", true, "AS112-v4, globally reachable"},
		{"192.52.193.1", true, "AMT, globally reachable"},
		{"192.175.48.1", true, "AS112 direct delegation, globally reachable"},
		{"198.17.255.255", true, "below benchmarking"},
		{"198.20.0.0", true, "above benchmarking"},
		{"223.255.255.255", true, "below multicast"},

		// IPv6, not globally reachable.
		{"::", false, "unspecified"},
		{"::1", false, "loopback"},
		{"::127.0.0.1", false, "IPv4-compatible loopback"},
		{"::10.0.0.1", false, "IPv4-compatible private"},
		{"::8.8.8.8", false, "IPv4-compatible, deprecated whatever it carries"},
		{"::ffff:127.0.0.1", false, "IPv4-mapped loopback"},
		{"::ffff:10.0.0.1", false, "IPv4-mapped private"},
		{"::ffff:169.254.169.254", false, "IPv4-mapped metadata"},
		{"::ffff:0:127.0.0.1", false, "SIIT loopback"},
		{"::ffff:0:8.8.8.8", false, "SIIT, refused whatever it carries"},
		{"64:ff9b::127.0.0.1", false, "NAT64 of loopback"},
		{"64:ff9b::10.0.0.1", false, "NAT64 of private"},
		{"64:ff9b::169.254.169.254", false, "NAT64 of metadata"},
		{"64:ff9b::192.0.2.1", false, "NAT64 of TEST-NET-1"},
		{"64:ff9b:1::a00:1", false, "local-use NAT64"},
		{"64:ff9b:1::808:808", false, "local-use NAT64, whatever it carries"},
		{"64:ff9b:0:0:1::808", false, "outside the NAT64 /96, reserved space"},
		{"100::1", false, "discard-only"},
		{"100:0:0:1::1", false, "dummy prefix"},
		{"2001::1", false, "Teredo"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, "Teredo, RFC 4380 example"},
		{"2001:1::1", false, "PCP anycast, refused with 2001::/23"},
		{"2001:2::1", false, "benchmarking"},
		{"2001:10::1", false, "ORCHID"},
		{"2001:20::1", false, "ORCHIDv2"},
		{"2001:1ff:ffff::1", false, "IETF protocol assignments, last /32"},
		{"2001:db8::1", false, "documentation"},
		{"2001:db8:ffff::1", false, "documentation /32"},
		{"2002:7f00:1::1", false, "6to4 of loopback"},
		{"2002:a00:1::", false, "6to4 of 10.0.0.1"},
		{"2002:c0a8:101::1", false, "6to4 of 192.168.1.1"},
		{"2002:a9fe:a9fe::", false, "6to4 of metadata"},
		{"2002::", false, "6to4 of 0.0.0.0"},
		{"3fff::1", false, "documentation 3fff::/20"},
		{"3fff:fff::1", false, "documentation 3fff::/20, last"},
		{"4000::1", false, "reserved, outside 2000::/3"},
		{"5f00::1", false, "SRv6 SIDs"},
		{"e000::1", false, "reserved"},
		{"fc00::1", false, "unique-local"},
		{"fd00::2", false, "unique-local"},
		{"fdff:ffff:ffff::1", false, "unique-local, last"},
		{"fe80::1", false, "link-local"},
		{"fe80::1%eth0", false, "link-local with zone"},
		{"febf::1", false, "link-local, last"},
		{"fec0::1", false, "site-local"},
		{"feff::1", false, "site-local, last"},
		{"ff02::1", false, "link-scope multicast"},
		{"ff05::2", false, "site-scope multicast"},
		{"ff0e::1", false, "global-scope multicast"},
		{"2001:4860:4860::8888%eth0", false, "global address with a zone"},
		// IPv6, public.
		{"2001:4860:4860::8888", true, "public"},
		{"2606:4700:4700::1111", true, "public"},
		{"2a00:1450:4001:82a::200e", true, "public"},
		{"2001:200::1", true, "first /32 after 2001::/23"},
		{"2001:db9::1", true, "after documentation"},
		{"2620:4f:8000::1", true, "AS112 direct delegation, globally reachable"},
		{"3fff:1000::1", true, "after 3fff::/20"},
		{"2000::1", true, "first of 2000::/3"},
		{"3ffe:ffff::1", true, "in 2000::/3 (old 6bone space)"},
		{"::ffff:8.8.8.8", true, "IPv4-mapped public"},
		{"64:ff9b::8.8.8.8", true, "NAT64 of public"},
		{"64:ff9b::808:808", true, "NAT64 of public, hex"},
		{"2002:808:808::1", true, "6to4 of public"},
	}
	for _, r := range rows {
		a, err := netip.ParseAddr(r.addr)
		if err != nil {
			t.Fatalf("bad row %q: %v", r.addr, err)
		}
		if got := IsPublic(a); got != r.want {
			t.Errorf("IsPublic(%s) = %v, want %v (%s)", r.addr, got, r.want, r.why)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Error("IsPublic(zero Addr) = true")
	}
}

// TestControl: the dial hook refuses what IsPublic refuses, and what it
// cannot parse, before connect.
func TestControl(t *testing.T) {
	c, err := New(Policy{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{
		"10.0.0.1:80", "[::1]:443", "169.254.169.254:80", "[::127.0.0.1]:80", "[::ffff:0:7f00:1]:80",
		"[64:ff9b:1::7f00:1]:80", "[fec0::1]:80", "[fe80::1%eth0]:80", "[2001:4860::1%eth0]:80", "garbage",
	} {
		if err := c.control("tcp", addr, nil); !errors.Is(err, ErrAddressRefused) {
			t.Errorf("control(%s) = %v, want ErrAddressRefused", addr, err)
		}
	}
	for _, addr := range []string{"8.8.8.8:443", "[2606:4700:4700::1111]:443", "[::ffff:8.8.8.8]:80"} {
		if err := c.control("tcp", addr, nil); err != nil {
			t.Errorf("control(%s) = %v", addr, err)
		}
	}
	// AllowedNets match the address as dialled: 127.0.0.0/8 covers the
	// IPv4-mapped spelling (dialled as IPv4) but not ::127.0.0.1.
	c, err = New(Policy{AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("fe80::/10")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"127.0.0.1:80": true, "[::ffff:127.0.0.1]:80": true, "[fe80::1%eth0]:80": true,
		"[::127.0.0.1]:80": false, "[64:ff9b::7f00:1]:80": false, "10.0.0.1:80": false,
	} {
		if err := c.control("tcp", addr, nil); (err == nil) != want {
			t.Errorf("AllowedNets: control(%s) = %v, want allowed=%v", addr, err, want)
		}
	}
}

// countingServer is an httptest server on 127.0.0.1 whose listener counts
// accepted connections.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = &countingListener{Listener: srv.Listener, n: &n}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port), &n
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestIPv6SpellingsRefused: IPv6 literals that spell a loopback IPv4
// address, against a listener on 127.0.0.1, are refused with
// ErrAddressRefused, and the listener is never connected to — even when
// the host allows 127.0.0.0/8, which does not cover those spellings.
func TestIPv6SpellingsRefused(t *testing.T) {
	_, port, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	hosts := []string{
		"[::127.0.0.1]",        // IPv4-compatible
		"[::7f00:1]",           // the same, in hex
		"[::ffff:0:127.0.0.1]", // SIIT
		"[64:ff9b:1::7f00:1]",  // local-use NAT64
		"[64:ff9b::127.0.0.1]", // well-known NAT64
		"[2002:7f00:1::1]",     // 6to4
		"[fec0::1]",            // site-local
	}
	get := func(c *Client, u string) error {
		// The old classifier let these through to connect(2), which then
		// hung or failed with "no route to host"; bound each attempt.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.Do(ctx, http.MethodGet, u, nil)
		return err
	}
	for _, pol := range []Policy{
		{Allow: []string{"*:*"}},
		{Allow: []string{"*:*"}, AllowedNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	} {
		c, err := New(pol, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hosts {
			u := "http://" + h + ":" + port + "/"
			if err := get(c, u); !errors.Is(err, ErrAddressRefused) {
				t.Errorf("AllowedNets %v: GET %s: %v, want ErrAddressRefused", pol.AllowedNets, u, err)
			}
		}
		c.CloseIdleConnections()
	}
	// Without an allowance the IPv4-mapped and plain forms are refused too.
	c, err := New(Policy{Allow: []string{"*:*"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"[::ffff:127.0.0.1]", "127.0.0.1", "[::1]", "localhost"} {
		u := "http://" + h + ":" + port + "/"
		if err := get(c, u); !errors.Is(err, ErrAddressRefused) {
			t.Errorf("GET %s: %v, want ErrAddressRefused", u, err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("listener accepted %d connections, want 0", n)
	}
}
