package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestHelp: every way of asking for help succeeds, prints to stdout, and
// shows the command's own flags (guest's -import only for guest); an
// unknown command is a usage error.
func TestHelp(t *testing.T) {
	for _, c := range []struct {
		args       []string
		has, lacks []string
	}{
		{[]string{"-h"}, []string{"witgen host", "witgen diff", "commands:"}, nil},
		{[]string{"help"}, []string{"commands:"}, nil},
		{[]string{"--help"}, []string{"commands:"}, nil},
		{[]string{"help", "host"}, []string{"usage: witgen host", "-wit", "-features"}, []string{"-import", "flag: help requested"}},
		{[]string{"host", "-h"}, []string{"-world"}, []string{"-import"}},
		{[]string{"guest", "--help"}, []string{"-import"}, nil},
		{[]string{"diff", "-h"}, []string{"Exit status"}, nil},
		{[]string{"new-plugin", "-h"}, []string{"-name"}, nil},
		{[]string{"version"}, []string{"witgen ", "wazero ", "contract raisfast:plugin-wit@0.1.1"}, nil},
	} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), c.args, &out, &errOut); err != nil {
			t.Errorf("witgen %v: %v", c.args, err)
			continue
		}
		for _, h := range c.has {
			if !strings.Contains(out.String(), h) {
				t.Errorf("witgen %v: stdout lacks %q:\n%s", c.args, h, out.String())
			}
		}
		for _, l := range c.lacks {
			if strings.Contains(out.String()+errOut.String(), l) {
				t.Errorf("witgen %v: output has %q", c.args, l)
			}
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"bogus"}, &out, &errOut); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `unknown command "bogus"`) {
		t.Errorf("witgen bogus: %v, want a usage error naming it", err)
	}
}
