// Package host holds the host bindings of the all-types test world
// (testdata/alltypes), used by the round-trip tests.
package host

//go:generate go run ../../../cmd/witgen host -wit ../../../testdata/alltypes -world alltypes -out . -pkg host
