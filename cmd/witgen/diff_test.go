package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildWitgen builds this command, so that exit statuses are those main
// gives the shell.
func buildWitgen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "witgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building witgen: %v\n%s", err, out)
	}
	return bin
}

// witgen runs the built command and returns its exit status and output.
func witgen(t *testing.T, bin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return status, out.String(), errb.String()
}

// pluginWIT writes wit/plugin.wit with edits (from, to, …) to a scratch
// file and returns its path.
func pluginWIT(t *testing.T, pairs ...string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "wit", "plugin.wit"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("wit/plugin.wit no longer contains %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "plugin.wit")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	emitEvent = "    emit-event: func(event-type: string, data: string) -> string;\n"
	cronTick  = "    on-cron-tick: func(payload: option<string>);\n"
	pkgNow    = "package raisfast:plugin-wit@0.1.1;"
)

func TestDiffExitStatus(t *testing.T) {
	bin := buildWitgen(t)
	contract := filepath.Join("..", "..", "wit", "plugin.wit")
	grown := []string{
		emitEvent, emitEvent + "    db-insert: func(table: string, row: string) -> u64;\n",
		cronTick, cronTick + "    on-post-archived: func(id: string);\n",
	}
	bumped := pluginWIT(t, append(grown, pkgNow, "package raisfast:plugin-wit@0.1.2;")...)
	unbumped := pluginWIT(t, grown...)
	removed := pluginWIT(t, emitEvent, "", pkgNow, "package raisfast:plugin-wit@0.1.2;")
	removedMajor := pluginWIT(t, emitEvent, "", pkgNow, "package raisfast:plugin-wit@0.2.0;")
	gatedOld := pluginWIT(t, emitEvent, emitEvent+"    @unstable(feature = fancy)\n    fancy: func();\n")
	gatedNew := pluginWIT(t, emitEvent, emitEvent+"    @unstable(feature = fancy)\n    fancy: func(x: u32);\n")
	bad := filepath.Join(t.TempDir(), "bad.wit")
	if err := os.WriteFile(bad, []byte("package x:y;\ninterface {\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name   string
		args   []string
		status int
		stdout []string // substrings of standard output
		stderr string   // substring of standard error
	}{
		{"compatible, bumped", []string{"diff", contract, bumped}, 0, []string{
			"+ func raisfast:plugin-wit/host-api.db-insert: added host function | compatible | old plugins on new host: ok | new plugins on old host: refused at load if they import it",
			"+ hook raisfast:plugin-wit/plugin-hooks.on-post-archived: added hook | compatible",
			"version: 0.1.1 → 0.1.2, same track 0.1: right for compatible changes",
			"verdict: compatible (plugins built for 0.1.1 load on a host of 0.1.2)"}, ""},
		{"compatible, not bumped", []string{"diff", contract, unbumped}, 0, []string{
			"+ func raisfast:plugin-wit/host-api.db-insert: added host function",
			"version: unchanged at 0.1.1 although the contract changed: additive changes need a bump (0.1.2)"}, ""},
		{"identical", []string{"diff", contract, contract}, 0, []string{"no changes", "verdict: compatible, no changes"}, ""},
		{"flags after the paths", []string{"diff", contract, bumped, "-world", "plugin-world"}, 0, []string{"verdict: compatible"}, ""},
		{"flags before the paths", []string{"diff", "-world", "raisfast:plugin-wit/plugin-world", contract, bumped}, 0, []string{"verdict: compatible"}, ""},
		{"breaking, same track", []string{"diff", contract, removed}, 1, []string{
			"- func raisfast:plugin-wit/host-api.emit-event: removed host function | BREAKING",
			"version: breaking change needs 0.2.0 (OLD 0.1.1, NEW 0.1.2 are on the same track 0.1)",
			"verdict: BREAKING for plugins built for 0.1.1 (1 breaking change; the version bump is wrong too)"},
			"plugins built for OLD break on NEW"},
		{"breaking, new track", []string{"diff", contract, removedMajor}, 1, []string{
			"version: 0.1.1 → 0.2.0 moves to track 0.2, as a breaking change must",
			"verdict: BREAKING for plugins built for 0.1.1 (1 breaking change)"}, "plugins built for OLD break on NEW"},
		{"unstable change, feature off", []string{"diff", gatedOld, gatedNew}, 0, []string{
			"? func raisfast:plugin-wit/host-api.fancy: changed | unstable (feature fancy), not compared"}, ""},
		{"unstable change, feature on", []string{"diff", gatedOld, gatedNew, "-features", "fancy,other"}, 1, []string{
			"~ func raisfast:plugin-wit/host-api.fancy: params () → (x: u32) | BREAKING"}, ""},
		{"unstable change, all features", []string{"diff", "-all-features", gatedOld, gatedNew}, 1, []string{
			"~ func raisfast:plugin-wit/host-api.fancy: params () → (x: u32) | BREAKING"}, ""},
		{"missing file", []string{"diff", contract, filepath.Join(t.TempDir(), "none.wit")}, 2, nil, "diff: NEW "},
		{"unparsable WIT", []string{"diff", bad, contract}, 2, nil, "diff: OLD " + bad + ": wasm-tools: error"},
		{"unknown world", []string{"diff", "-world", "nope", contract, bumped}, 2, nil, `world "nope" not found`},
		{"one path", []string{"diff", contract}, 2, nil, "diff wants OLD and NEW, got 1 path(s)"},
		{"three paths", []string{"diff", contract, contract, contract}, 2, nil, "got 3 path(s)"},
		{"unknown flag", []string{"diff", "-frob", contract, contract}, 2, nil, "flag provided but not defined: -frob"},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			status, stdout, stderr := witgen(t, bin, c.args...)
			if status != c.status {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", status, c.status, stdout, stderr)
			}
			for _, w := range c.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, stderr)
			}
			if c.status == 2 && stdout != "" {
				t.Errorf("bad input printed a report:\n%s", stdout)
			}
		})
	}
}

// run reports diff's outcomes as main maps them: usage and input errors
// are errUsage (status 2), breaking changes another error (status 1).
func TestDiffErrors(t *testing.T) {
	contract := filepath.Join("..", "..", "wit", "plugin.wit")
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"diff", contract, filepath.Join(t.TempDir(), "none.wit")}, &out, &errb)
	if !errors.Is(err, errUsage) || strings.HasPrefix(err.Error(), "usage") {
		t.Errorf("missing file: %v (want errUsage, not spelled as a usage error)", err)
	}
	err = run(t.Context(), []string{"diff", contract, pluginWIT(t, emitEvent, "")}, &out, &errb)
	if !errors.Is(err, errBreaking) || errors.Is(err, errUsage) {
		t.Errorf("breaking: %v", err)
	}
}
