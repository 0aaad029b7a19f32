package csrfkit

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

var (
	//go:embed client/csrfkit.js
	clientModule []byte
	//go:embed client/csrfkit.global.js
	clientGlobal []byte

	clientVersion = contentHash(clientModule, clientGlobal)
)

func contentHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ClientVersion is a short content hash of the embedded browser client. Put it
// in the script URL ("/csrfkit.js?v=" + ClientVersion()) and ClientHandler
// lets browsers cache that URL for a year.
func ClientVersion() string { return clientVersion }

// ClientHandler serves the embedded browser client csrfkit.js: the ES module
// for any path not ending in "global.js", the classic-script build (global
// csrfkit) for paths ending in "global.js". Mount it at /csrfkit.js and
// /csrfkit.global.js. Responses carry a strong ETag; a URL whose v parameter
// equals ClientVersion is cached as immutable for a year, any other must be
// revalidated (an unchanged file is answered 304). Conditional and range
// requests are handled by http.ServeContent.
func ClientHandler() http.Handler {
	etag := `"` + clientVersion + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, name := clientModule, "csrfkit.js"
		if strings.HasSuffix(r.URL.Path, "global.js") {
			body, name = clientGlobal, "csrfkit.global.js"
		}
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == clientVersion {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	})
}
