package witval

import (
	"errors"
	"testing"
)

func TestResultError(t *testing.T) {
	err := error(NewResultError(uint32(7)))
	if v, ok := AsResultError[uint32](err); !ok || v != 7 {
		t.Errorf("AsResultError = %v, %v", v, ok)
	}
	if _, ok := AsResultError[string](err); ok {
		t.Error("AsResultError matched the wrong E")
	}
	if got := NewResultError("boom").Error(); got != `result error: "boom"` {
		t.Errorf("Error() = %s", got)
	}
	if _, ok := AsResultError[uint32](errors.New("plain")); ok {
		t.Error("a plain error matched")
	}
}
