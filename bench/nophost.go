package bench

import (
	"context"

	"github.com/raisfast/wasmplug/gen/plugin"
)

// NopHost implements plugin.HostAPI doing nothing: the benchmarked filter
// calls no host function, and a host that did real work would measure that
// work, not the bindings.
type NopHost struct{}

var _ plugin.HostAPI = NopHost{}

func (NopHost) Log(context.Context, string, string)                     {}
func (NopHost) GetConfig(context.Context, string) (string, bool)        { return "", false }
func (NopHost) HTTPGet(context.Context, string) (string, bool)          { return "", false }
func (NopHost) HTTPPost(context.Context, string, string) (string, bool) { return "", false }
func (NopHost) GetData(context.Context, string) (string, bool)          { return "", false }
func (NopHost) SetData(context.Context, string, string) bool            { return true }
func (NopHost) GetPost(context.Context, string) (string, bool)          { return "", false }
func (NopHost) DBQuery(context.Context, string, *string) string         { return "[]" }
func (NopHost) DBExecute(context.Context, string, *string) string       { return "{}" }
func (NopHost) DBBegin(context.Context) string                          { return "{}" }
func (NopHost) DBCommit(context.Context) string                         { return "{}" }
func (NopHost) DBRollback(context.Context) string                       { return "{}" }
func (NopHost) VFSRead(context.Context, string) (string, bool)          { return "", false }
func (NopHost) VFSWrite(context.Context, string, string) bool           { return true }
func (NopHost) VFSDelete(context.Context, string) bool                  { return true }
func (NopHost) VFSExists(context.Context, string) bool                  { return false }
func (NopHost) VFSList(context.Context, string) (string, bool)          { return "", false }
func (NopHost) VFSStat(context.Context, string) (string, bool)          { return "", false }
func (NopHost) EmitEvent(context.Context, string, string) string        { return "0" }
func (NopHost) NewID(context.Context) string                            { return "" }
func (NopHost) DBPh(context.Context, uint32) string                     { return "?" }
