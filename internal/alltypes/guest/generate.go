// Package guest holds the Go guest bindings of the all-types test world
// (testdata/alltypes), used by internal/alltypes/guestimpl and the
// round-trip tests.
package guest

//go:generate go run ../../../cmd/witgen guest -wit ../../../testdata/alltypes -world alltypes -out . -pkg guest
