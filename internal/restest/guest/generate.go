// Package guest holds the Go guest bindings of the resource test world
// (internal/restest/wit/res.wit), used by internal/restest/guestimpl.
package guest

//go:generate go run ../../../cmd/witgen guest -wit ../wit -world res -out . -pkg guest
