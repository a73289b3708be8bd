package abi

import (
	"context"
	"reflect"

	"github.com/tetratelabs/wazero/experimental"
)

// snapshotProbe is the context key wazero's engine looks up on every call
// of a guest function (experimental.WithSnapshotter's key), found once by
// reflection; nil if wazero's layout changed and it could not be found.
//
// The bindings answer that lookup themselves (see callContext.Value)
// instead of letting it walk the caller's context chain, which it never
// matches: the host lowers a hook's arguments through one cabi_realloc
// call per string or list, each a guest call, and a request context in an
// HTTP server is a chain of several values and cancellations. The bindings
// do not offer wazero's experimental snapshots (no host function of a
// world can use them), so the answer is always "not enabled".
var snapshotProbe = findSnapshotProbe()

func findSnapshotProbe() any {
	v := reflect.ValueOf(experimental.WithSnapshotter(context.Background()))
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName("key")
	if !f.IsValid() || f.Kind() != reflect.Interface || f.IsNil() {
		return nil
	}
	t := f.Elem().Type()
	// Only a zero-size struct: its zero value is the key itself.
	if t.Kind() != reflect.Struct || t.Size() != 0 || t.PkgPath() == "" {
		return nil
	}
	return reflect.Zero(t).Interface()
}
