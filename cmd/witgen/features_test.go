package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFeaturesFlag runs witgen host and guest on testdata/gates with and
// without -features / -all-features: the unstable items follow the flags,
// and the generated header records the flags exactly when given.
func TestFeaturesFlag(t *testing.T) {
	wit, err := filepath.Abs("../../testdata/gates")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name        string
		flags       []string
		header      string // the end of the host header's command line
		has, hasNot []string
	}{
		{"none", nil, " -pkg h",
			[]string{"func (i *Instance) Old("},
			[]string{"Fancy", "Extra", " -features "}},
		{"features", []string{"-features", " fancy,extra,fancy,"}, " -pkg h -features extra,fancy",
			[]string{"func (i *Instance) Fancy(", "func (i *Instance) FancyHello(", "type Extra interface"},
			nil},
		{"one feature", []string{"-features=fancy"}, " -pkg h -features fancy",
			[]string{"func (i *Instance) Fancy("},
			[]string{"type Extra interface"}},
		{"all features", []string{"-all-features"}, " -pkg h -all-features",
			[]string{"func (i *Instance) Fancy(", "type Extra interface"},
			[]string{" -features "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"host", "-wit", wit, "-world", "gated", "-out", out, "-pkg", "h"}, c.flags...)
			if err := run(ctx, args, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(filepath.Join(out, "bindings.go"))
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(src), "\n")
			if want := c.header + " (" + witgenModule + " devel). DO NOT EDIT."; !strings.HasSuffix(first, want) {
				t.Errorf("header %q does not end in %q", first, want)
			}
			for _, s := range c.has {
				if !strings.Contains(string(src), s) {
					t.Errorf("bindings lack %q", s)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(string(src), s) {
					t.Errorf("bindings contain %q", s)
				}
			}
		})
	}

	// Guest: the package of an unstable export follows the flag, and is
	// removed again by a run without it.
	out := t.TempDir()
	guest := func(flags ...string) {
		t.Helper()
		args := append([]string{"guest", "-wit", wit, "-world", "gated", "-out", out, "-pkg", "g", "-import", "example.com/g"}, flags...)
		if err := run(ctx, args, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	fancy := filepath.Join(out, "api", "fancy", "bindings.go")
	guest("-features", "fancy")
	src, err := os.ReadFile(fancy)
	if err != nil {
		t.Fatalf("with -features fancy: %v", err)
	}
	if first, _, _ := strings.Cut(string(src), "\n"); !strings.HasSuffix(first, " -pkg g -features fancy ("+witgenModule+" devel). DO NOT EDIT.") {
		t.Errorf("guest header %q", first)
	}
	guest()
	if _, err := os.Stat(fancy); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("api/fancy survived a run without -features fancy: %v", err)
	}
	if src, err := os.ReadFile(filepath.Join(out, "bindings.go")); err != nil || strings.Contains(string(src), "-features") {
		t.Errorf("guest header without -features: %v\n%.200s", err, src)
	}
}

func TestFeatureList(t *testing.T) {
	for in, want := range map[string][]string{
		"":            nil,
		" , ,":        nil,
		"a":           {"a"},
		"b, a ,b,,a":  {"a", "b"},
		"x-y,alpha-2": {"alpha-2", "x-y"},
	} {
		if got := featureList(in); !slices.Equal(got, want) {
			t.Errorf("featureList(%q) = %q, want %q", in, got, want)
		}
	}
	if got := featureArgs(nil, false); got != nil {
		t.Errorf("featureArgs without flags: %q", got)
	}
	if got := strings.Join(featureArgs([]string{"a", "b"}, true), " "); got != "-features a,b -all-features" {
		t.Errorf("featureArgs: %q", got)
	}
}
