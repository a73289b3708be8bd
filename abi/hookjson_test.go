package abi

import (
	"context"
	"errors"
	"testing"
)

type fakeGuest struct{ seen string }

func (g *fakeGuest) filter(_ context.Context, s string) (*string, error) {
	if s == "fail" {
		return nil, errors.New("refused")
	}
	out := "<p>" + s + " & more</p>"
	return &out, nil
}

func (g *fakeGuest) action(_ context.Context, s string) error {
	g.seen = s
	return nil
}

func TestCallJSONKeepsHTML(t *testing.T) {
	call := CallJSON("render", (*fakeGuest).filter)
	out, err := call(&fakeGuest{}, context.Background(), []byte(`"hi"`))
	if err != nil || string(out) != `"<p>hi & more</p>"` {
		t.Fatalf("CallJSON = %s, %v", out, err)
	}
	if _, err := call(&fakeGuest{}, context.Background(), []byte(`1`)); err == nil {
		t.Error("CallJSON took a number for a string")
	}
	if _, err := call(&fakeGuest{}, context.Background(), []byte(`"fail"`)); err == nil || err.Error() != "refused" {
		t.Errorf("CallJSON error = %v, want the guest's", err)
	}
}

func TestActionJSONReturnsNull(t *testing.T) {
	g := &fakeGuest{}
	out, err := ActionJSON("login", (*fakeGuest).action)(g, context.Background(), []byte(`"u-1"`))
	if err != nil || string(out) != "null" || g.seen != "u-1" {
		t.Fatalf("ActionJSON = %s, %v (seen %q)", out, err, g.seen)
	}
}
