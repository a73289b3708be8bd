package httpc

import "net/netip"

// The tables below are read-only after package initialisation; IsPublic is
// the only reader.

// notGlobal4 is every IPv4 range that is not globally reachable unicast:
// the entries of the IANA IPv4 Special-Purpose Address Registry whose
// "Globally Reachable" is False, plus multicast (not in that registry, never
// a server) and the deprecated 6to4 relay anycast block. More specific
// entries that the registry marks reachable inside a refused block (the PCP
// and TURN anycast addresses 192.0.0.9 and 192.0.0.10) are refused with it:
// they are protocol infrastructure, not destinations for a plugin.
var notGlobal4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network" (RFC 791), incl. 0.0.0.0/32 "this host"
	netip.MustParsePrefix("10.0.0.0/8"),         // private-use (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),      // shared address space, carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback (RFC 1122)
	netip.MustParsePrefix("169.254.0.0/16"),     // link-local, cloud metadata (RFC 3927)
	netip.MustParsePrefix("172.16.0.0/12"),      // private-use (RFC 1918)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments (RFC 6890), incl. DS-Lite, NAT64 discovery
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation TEST-NET-1 (RFC 5737)
	netip.MustParsePrefix("192.88.99.0/24"),     // deprecated 6to4 relay anycast (RFC 7526)
	netip.MustParsePrefix("192.168.0.0/16"),     // private-use (RFC 1918)
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation TEST-NET-2 (RFC 5737)
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation TEST-NET-3 (RFC 5737)
	netip.MustParsePrefix("224.0.0.0/4"),        // multicast (RFC 5771)
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved (RFC 1112)
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast (RFC 919), inside 240/4 but listed as its own entry
}

// globalUnicast6 is the only IPv6 block IANA allocates for global unicast
// (RFC 4291); every address outside it is refused, apart from NAT64 below.
// That covers, from the IPv6 Special-Purpose Address Registry and older
// RFCs: ::/128 unspecified, ::1 loopback, ::/96 IPv4-compatible (deprecated,
// e.g. ::127.0.0.1), ::ffff:0:0/96 IPv4-mapped (judged as IPv4 instead),
// ::ffff:0:0:0/96 SIIT, 64:ff9b:1::/48 local-use NAT64, 100::/64 discard,
// 100:0:0:1::/64 dummy prefix, 5f00::/16 SRv6 SIDs, fc00::/7 unique-local,
// fec0::/10 site-local (deprecated), fe80::/10 link-local, ff00::/8
// multicast, and the unallocated rest.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// notGlobal6 are the blocks inside 2000::/3 that are not globally reachable.
// As with IPv4, the registry's reachable exceptions inside 2001::/23 (PCP,
// TURN and DNS-SD anycast, AMT 2001:3::/32, AS112 2001:4:112::/48,
// ORCHIDv2 2001:20::/28, DETs 2001:30::/28) are refused with their block:
// anycast infrastructure and non-routable identifiers, not web servers.
var notGlobal6 = []netip.Prefix{
	netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments (RFC 2928): Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID 2001:10::/28 …
	netip.MustParsePrefix("2001:db8::/32"), // documentation (RFC 3849)
	netip.MustParsePrefix("3fff::/20"),     // documentation (RFC 9637)
}

// IPv6 forms that carry an IPv4 address; they are judged by the address
// they carry.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix (RFC 6052): the last 32 bits
	sixTo4 = netip.MustParsePrefix("2002::/16")    // 6to4 (RFC 3056): bits 16–47
)

// IsPublic reports whether a plugin may connect to a: a globally reachable
// unicast address by the IANA IPv4 and IPv6 Special-Purpose Address
// Registries. Refused are the invalid (zero) Addr; any address with a zone
// (zones only make sense on link-scoped addresses); every IPv4 range in
// notGlobal4; every IPv6 address outside 2000::/3 or inside notGlobal6.
// IPv6 forms that embed an IPv4 address are judged by that address:
// IPv4-mapped (::ffff:a.b.c.d), well-known-prefix NAT64 (64:ff9b::a.b.c.d)
// and 6to4 (2002:AABB:CCDD::/48). The other embedding forms (IPv4-compatible
// ::a.b.c.d, SIIT ::ffff:0:a.b.c.d, local-use NAT64, Teredo) are refused
// whatever they carry.
func IsPublic(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		for _, p := range notGlobal4 {
			if p.Contains(a) {
				return false
			}
		}
		return true
	}
	b := a.As16()
	if nat64.Contains(a) {
		return IsPublic(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if !globalUnicast6.Contains(a) {
		return false
	}
	for _, p := range notGlobal6 {
		if p.Contains(a) {
			return false
		}
	}
	if sixTo4.Contains(a) {
		return IsPublic(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return true
}
