package csrfkit

import (
	"log/slog"
	"net/http"
	"strings"
)

// fail handles a rejection once the request has its state: it records the
// reason for FailureReason, logs it and, unless ReportOnly is set, answers
// the request. It reports whether the request may go on to the application.
func (p *Protector) fail(w http.ResponseWriter, r *http.Request, s *state, err *Error) (goOn bool) {
	s.err = err
	p.logRejection(r, err)
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

// logRejection logs one line per rejection: the reason, the method and the
// path. Never a token or cookie value; the path is the server's own.
func (p *Protector) logRejection(r *http.Request, err *Error) {
	ctx := r.Context()
	if !p.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	msg := "csrfkit: request rejected"
	if p.cfg.ReportOnly {
		msg = "csrfkit: request would be rejected (report-only)"
	}
	p.log.LogAttrs(ctx, slog.LevelWarn, msg,
		slog.String("reason", err.Code), slog.String("method", r.Method), slog.String("path", r.URL.Path))
}

// Canonical header keys, written straight into the header map.
const (
	hdrReason      = "X-Csrf-Reason" // sent as X-CSRF-Reason; header names are case-insensitive
	hdrCache       = "Cache-Control"
	hdrNoSniff     = "X-Content-Type-Options"
	hdrContentType = "Content-Type"
)

// writeError is the default response: JSON for fetch and JSON clients, a
// small HTML page for navigations, the reason in X-CSRF-Reason on both. It
// echoes nothing from the request. Cost: one allocation (the header values).
func writeError(w http.ResponseWriter, r *http.Request, err *Error) {
	body, ctype := err.html, "text/html; charset=utf-8"
	if wantsJSON(r) {
		body, ctype = err.json, "application/json"
	}
	v := [...]string{err.Code, "no-store", "nosniff", ctype}
	vals := v[:] // one backing array for the four headers, each capped to its own element
	h := w.Header()
	h[hdrReason] = vals[0:1:1]
	h[hdrCache] = vals[1:2:2]
	h[hdrNoSniff] = vals[2:3:3]
	h[hdrContentType] = vals[3:4:4]
	w.WriteHeader(err.Status)
	w.Write(body)
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

// Default response bodies, built once per reason.
func jsonBody(code string) []byte { return []byte(`{"error":"csrf","reason":"` + code + `"}` + "\n") }

func htmlBody(code string) []byte {
	return []byte(`<!doctype html><meta charset="utf-8"><title>Request refused</title>` +
		`<h1>Request refused</h1><p>This request was refused to protect you from cross-site request forgery ` +
		`(reason: <code>` + code + `</code>). Go back, reload the page and try again.</p>` + "\n")
}
