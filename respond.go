package csrfkit

import (
	"log/slog"
	"net/http"
	"strings"
)

// fail handles a rejection: it logs it and, unless ReportOnly is set, answers
// the request. It reports whether the request may go on to the application.
func (p *Protector) fail(w http.ResponseWriter, r *http.Request, err *Error) (goOn bool) {
	if s := stateOf(r); s != nil {
		s.err = err
	}
	msg := "csrfkit: request rejected"
	if p.cfg.ReportOnly {
		msg = "csrfkit: request would be rejected (report-only)"
	}
	// Never log token or cookie values; the path is the server's own.
	p.log.LogAttrs(r.Context(), slog.LevelWarn, msg,
		slog.String("reason", err.Code), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	if p.cfg.ReportOnly {
		return true
	}
	if p.cfg.ErrorHandler != nil {
		p.cfg.ErrorHandler.ServeHTTP(w, r)
		return false
	}
	writeError(w, r, err)
	return false
}

// writeError is the default response: JSON for fetch and JSON clients, a
// small HTML page for navigations. It echoes nothing from the request.
func writeError(w http.ResponseWriter, r *http.Request, err *Error) {
	h := w.Header()
	h.Set("X-CSRF-Reason", err.Code)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if wantsJSON(r) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(err.Status)
		w.Write([]byte(`{"error":"csrf","reason":"` + err.Code + `"}` + "\n"))
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(err.Status)
	w.Write([]byte(`<!doctype html><meta charset="utf-8"><title>Request refused</title>` +
		`<h1>Request refused</h1><p>This request was refused to protect you from cross-site request forgery ` +
		`(reason: <code>` + err.Code + `</code>). Go back, reload the page and try again.</p>` + "\n"))
}

// wantsJSON: the client accepts JSON, sent JSON, or is a script (fetch and
// XHR send Sec-Fetch-Mode cors or same-origin; navigations send navigate).
func wantsJSON(r *http.Request) bool {
	if strings.Contains(r.Header.Get("Accept"), "json") || strings.Contains(r.Header.Get("Content-Type"), "json") {
		return true
	}
	switch r.Header.Get("Sec-Fetch-Mode") {
	case "cors", "same-origin", "no-cors", "websocket":
		return true
	}
	return r.Header.Get("X-Requested-With") != ""
}
