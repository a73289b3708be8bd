package witmodel

import "testing"

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"category-id": "CategoryID", "filter-html": "FilterHTML", "host-api": "HostAPI",
		"on-post-creating": "OnPostCreating", "db-query": "DBQuery", "http-get": "HTTPGet",
		"tag-ids": "TagIDs", "echo-s8": "EchoS8", "f0": "F0", "%type": "Type", "get-URL": "GetURL",
		"vfs-list": "VFSList", "user-id": "UserID",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParamName(t *testing.T) {
	for in, want := range map[string]string{
		"input": "input", "user-id": "userID", "id": "id", "type": "typeArg", "url-path": "urlPath",
		"content-type": "contentType", "ctx": "ctxArg", "x": "x", "a1": "a1", "err": "errArg",
	} {
		if got := ParamName(in); got != want {
			t.Errorf("ParamName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnique(t *testing.T) {
	taken := map[string]bool{"n": true, "n2": true, "x": true}
	for in, want := range map[string]string{"n": "n3", "x": "x2", "y": "y"} {
		if got := Unique(in, func(s string) bool { return taken[s] }); got != want {
			t.Errorf("Unique(%q) = %q, want %q", in, got, want)
		}
	}
}
