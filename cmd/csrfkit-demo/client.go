package main

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
)

// clientHandler serves the browser client: /csrfkit.js (ES module) and
// /csrfkit.global.js (classic script defining window.csrfkit).
//
// TODO(client): replace the body with `return csrfkit.ClientHandler()` once
// the root package embeds the client; until then the files are read from
// client/ in the source tree, found from the working directory (go run from
// the repository root, go test from this directory) or from this file's path.
func clientHandler() http.Handler {
	dir := clientDir()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		if dir == "" || (name != "csrfkit.js" && name != "csrfkit.global.js") {
			http.Error(w, "csrfkit client not found: run the demo from the csrfkit source tree", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFile(w, r, filepath.Join(dir, name))
	})
}

func clientDir() string {
	var candidates []string
	if wd, err := os.Getwd(); err == nil {
		for d, i := wd, 0; i < 4; d, i = filepath.Dir(d), i+1 {
			candidates = append(candidates, filepath.Join(d, "client"))
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "..", "..", "client"))
	}
	for _, c := range candidates {
		if st, err := os.Stat(filepath.Join(c, "csrfkit.js")); err == nil && !st.IsDir() {
			return c
		}
	}
	return ""
}
