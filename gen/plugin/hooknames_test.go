package plugin

import "testing"

// TestHookNamesAndKinds: HookNames lists HookList's names in export order
// (a fresh slice each time), and every kind has its word.
func TestHookNamesAndKinds(t *testing.T) {
	names := HookNames()
	if len(names) != len(HookList) || len(names) == 0 {
		t.Fatalf("%d names for %d hooks", len(names), len(HookList))
	}
	for i, h := range HookList {
		if names[i] != h.Name {
			t.Errorf("HookNames()[%d] = %q, want %q", i, names[i], h.Name)
		}
	}
	names[0] = "changed"
	if HookNames()[0] == "changed" {
		t.Error("HookNames returns the same slice twice")
	}
	for k, want := range map[HookKind]string{HookFilter: "filter", HookAction: "action", HookCall: "call", 0: "HookKind(0)", 9: "HookKind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("HookKind(%d).String() = %q, want %q", k, got, want)
		}
	}
	if Hooks.OnPostCreating.Kind.String() != "filter" || Hooks.OnLogin.Kind.String() != "action" {
		t.Error("the typed hooks' kinds")
	}
}
