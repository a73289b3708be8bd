// Command guestimpl is the dual test guest in standard Go, on the generated
// guest bindings internal/restest/dual/guest: it exports pool.conn as a
// wrapper of the host's pool.conn, as testdata/guests/c-dual does in C.
package main

import (
	"github.com/raisfast/wasmplug/internal/restest/dual/guest"
	"github.com/raisfast/wasmplug/internal/restest/dual/guest/pool"
	"github.com/raisfast/wasmplug/internal/restest/dual/guest/pool/constructorconn"
	"github.com/raisfast/wasmplug/internal/restest/dual/guest/pool/echo"
	"github.com/raisfast/wasmplug/internal/restest/dual/guest/pool/gone"
	_ "github.com/raisfast/wasmplug/internal/restest/dual/guest/pool/methodconnname"
)

// conn implements guest.ExportPoolConnImpl over a host conn.
type conn struct {
	inner guest.PoolConn
	name  string
}

func (c *conn) Name() string { return "guest(" + pool.PoolConnName(c.inner) + ")" }

// Drop runs in the destructor.
func (c *conn) Drop() {
	goneNames = append(goneNames, c.name)
	c.inner.Drop()
}

var goneNames []string

func init() {
	constructorconn.Export(func(name string) guest.ExportPoolConn {
		return guest.NewExportPoolConn(&conn{inner: pool.NewPoolConn(name + "@host"), name: name})
	})
	echo.Export(func(w guest.ExportPoolWrapped) guest.ExportPoolWrapped {
		c := w.C.Impl().(*conn)
		back := pool.Echo(guest.PoolWrapped{C: pool.NewPoolConn(c.name + "~"), N: w.N + 1})
		back.C.Drop()
		return guest.ExportPoolWrapped{C: w.C, N: back.N + 1}
	})
	gone.Export(func() []string { return goneNames })
}

func main() {}
