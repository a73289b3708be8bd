// Package plugin holds the host bindings of wit/plugin.wit; see bindings.go.
package plugin

//go:generate go run ../../cmd/witgen host -wit ../../wit/plugin.wit -world plugin-world -out . -pkg plugin
