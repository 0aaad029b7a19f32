package csrfkit

import (
	"bytes"
	"net/http"
	"testing"
)

func TestClientHandler(t *testing.T) {
	h := ClientHandler()
	rec := serve(h, serverReq("GET", "a.example", "/csrfkit.js", false, nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), clientModule) || rec.Header().Get("Cache-Control") != "no-cache" ||
		rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || !bytes.Contains(clientModule, []byte("export")) {
		t.Fatalf("module: %d %v", rec.Code, rec.Header())
	}
	etag := rec.Header().Get("ETag")
	if etag != `"`+ClientVersion()+`"` || len(ClientVersion()) != 16 {
		t.Fatalf("etag %q", etag)
	}
	rec = serve(h, serverReq("GET", "a.example", "/csrfkit.js", false, nil, "If-None-Match", etag))
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("revalidation: %d", rec.Code)
	}
	rec = serve(h, serverReq("GET", "a.example", "/csrfkit.js?v="+ClientVersion(), false, nil))
	if rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("versioned: %v", rec.Header())
	}
	rec = serve(h, serverReq("GET", "a.example", "/csrfkit.js?v=old", false, nil))
	if rec.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("stale version cached: %v", rec.Header())
	}
	rec = serve(h, serverReq("GET", "a.example", "/csrfkit.global.js", false, nil))
	if !bytes.Equal(rec.Body.Bytes(), clientGlobal) || bytes.Equal(clientGlobal, clientModule) {
		t.Fatal("global build not served")
	}
}
