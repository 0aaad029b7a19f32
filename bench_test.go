package csrfkit

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The middleware's own cost on the requests of a typical app. Each request
// is built once; every iteration rewinds its body, restores the request from
// a template and clears a reusable ResponseWriter, so the figures are
// csrfkit's and not httptest's. bench/ compares the same scenarios with other
// libraries (make bench).

// benchRW is the cheapest ResponseWriter that still behaves like one.
type benchRW struct {
	h      http.Header
	status int
}

func (w *benchRW) Header() http.Header { return w.h }
func (w *benchRW) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *benchRW) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
func (w *benchRW) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(s), nil
}

// benchServe runs h on a copy of tmpl b.N times and fails unless every run
// answers want. body, when set, is tmpl's body and is rewound each time.
func benchServe(b *testing.B, h http.Handler, tmpl *http.Request, body *bytes.Reader, want int) {
	b.Helper()
	w := &benchRW{h: make(http.Header, 8)}
	r := new(http.Request)
	run := func() {
		*r = *tmpl
		if body != nil {
			body.Seek(0, io.SeekStart)
		}
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, r)
		if w.status == 0 {
			w.status = http.StatusOK
		}
	}
	run()
	if w.status != want {
		b.Fatalf("status %d, want %d (reason %q)", w.status, want, w.h.Get("X-Csrf-Reason"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		run()
	}
	if w.status != want {
		b.Fatalf("status %d, want %d", w.status, want)
	}
}

// tokenPage is a handler that asks for a token, like a page with a form.
var tokenPage = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, Token(r)) })

// drain reads the whole body, like a handler that parses its input.
var drain = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })

// benchProtector logs to slog.DiscardHandler: the figures leave out the
// logging of rejections, which a real logger adds.
func benchProtector(b *testing.B) *Protector {
	return mustNew(b, Config{Logger: slog.New(slog.DiscardHandler)})
}

func browserGET(headers ...string) *http.Request {
	return serverReq(http.MethodGet, "app.example", "/form", true, nil, append([]string{
		"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document",
		"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	}, headers...)...)
}

func BenchmarkFirstVisit(b *testing.B) {
	p := benchProtector(b)
	benchServe(b, p.Handler(tokenPage), browserGET("Cookie", "session=abc123; theme=dark"), nil, http.StatusOK)
}

func BenchmarkGetWithCookie(b *testing.B) {
	p := benchProtector(b)
	cookie, _ := pair(b, p, true, "")
	benchServe(b, p.Handler(tokenPage), browserGET("Cookie", "session=abc123; "+cookie+"; theme=dark"), nil, http.StatusOK)
}

func BenchmarkPostHeaderToken(b *testing.B) {
	p := benchProtector(b)
	cookie, tok := pair(b, p, true, "")
	body := bytes.NewReader([]byte(`{"to":"bob","amount":10}`))
	r := serverReq(http.MethodPost, "app.example", "/api/transfer", true, body,
		"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "cors", "Origin", "https://app.example",
		"Content-Type", "application/json", "X-CSRF-Token", tok, "Cookie", "session=abc123; "+cookie)
	benchServe(b, p.Handler(drain), r, body, http.StatusOK)
}

func BenchmarkPostForm1KB(b *testing.B) {
	p := benchProtector(b)
	cookie, tok := pair(b, p, true, "")
	form := "csrf_token=" + url.QueryEscape(tok) + "&to=bob&amount=10&note="
	form += strings.Repeat("x", 1024-len(form))
	body := bytes.NewReader([]byte(form))
	r := serverReq(http.MethodPost, "app.example", "/transfer", true, body,
		"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate", "Origin", "https://app.example",
		"Content-Type", "application/x-www-form-urlencoded", "Cookie", "session=abc123; "+cookie)
	benchServe(b, p.Handler(drain), r, body, http.StatusOK)
}

func BenchmarkCrossSiteRejected(b *testing.B) {
	p := benchProtector(b)
	cookie, _ := pair(b, p, true, "")
	body := bytes.NewReader([]byte("to=mallory&amount=1000"))
	r := serverReq(http.MethodPost, "app.example", "/transfer", true, body,
		"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Origin", "https://evil.example",
		"Content-Type", "application/x-www-form-urlencoded", "Cookie", "session=abc123; "+cookie)
	benchServe(b, p.Handler(drain), r, body, http.StatusForbidden)
}

// BenchmarkCrossOriginProtection is net/http's tokenless check on the same
// cross-site request, for scale.
func BenchmarkCrossOriginProtection(b *testing.B) {
	body := bytes.NewReader([]byte("to=mallory&amount=1000"))
	r := serverReq(http.MethodPost, "app.example", "/transfer", true, body,
		"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Origin", "https://evil.example",
		"Content-Type", "application/x-www-form-urlencoded", "Cookie", "session=abc123")
	benchServe(b, http.NewCrossOriginProtection().Handler(drain), r, body, http.StatusForbidden)
}
