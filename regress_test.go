package csrfkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Regression tests for the findings of the first red-team review.

// Printing a request's context must not print the secret or the token.
func TestStateDoesNotPrintSecrets(t *testing.T) {
	p := mustNew(t, Config{})
	var printed, tok string
	var secret [secretLen]byte
	serve(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok = Token(r)
		secret = stateOf(r).secret
		printed = fmt.Sprintf("%v %+v %s", r.Context(), r.Context(), r.Context())
	})), serverReq("GET", "a.example", "/", true, nil))
	if strings.Contains(printed, tok) || strings.Contains(printed, secretText(&secret)) ||
		strings.Contains(printed, strings.Trim(fmt.Sprint(secret[:8]), "[]")) {
		t.Fatalf("context prints request secrets: %q", printed)
	}
}

// A readable cookie named like the HTTPS secret would overwrite it.
func TestTokenCookieCannotShadowSecret(t *testing.T) {
	for _, name := range []string{"__Host-csrf_secret", "__Host-token", "__Secure-token"} {
		if _, err := New(Config{TokenCookie: name, Keys: [][]byte{testKey}, Logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "TokenCookie") {
			t.Errorf("TokenCookie %q: %v, want an error naming TokenCookie", name, err)
		}
	}
}

// A garbage secret cookie planted ahead of the real one (plain HTTP, more
// specific Path) must not lock the user out: the first well-formed one counts.
func TestPlantedGarbageSecretIsSkipped(t *testing.T) {
	p := mustNew(t, Config{})
	cookie, tok := pair(t, p, false, "")
	r := serverReq("POST", "app.example", "/transfer", false, nil,
		"Origin", "http://app.example", "X-CSRF-Token", tok, "Cookie", "csrf_secret=garbage; "+cookie)
	if err := p.Check(r); err != nil {
		t.Fatalf("Check = %v, want nil", err)
	}
}

// Behind a TLS-terminating proxy named by https PublicOrigins, cookies are
// Secure and __Host-, and the HTTPS Referer rule applies.
func TestHTTPSPublicOriginsMeanHTTPS(t *testing.T) {
	p := mustNew(t, Config{PublicOrigins: []string{"https://app.example"}})
	rec := serve(p.Handler(okHandler), serverReq("GET", "internal:8080", "/", false, nil))
	c := setCookies(rec)["__Host-csrf_secret"]
	if c == nil || !c.Secure {
		t.Fatalf("Set-Cookie %q, want a Secure __Host-csrf_secret", rec.Header()["Set-Cookie"])
	}
	r := serverReq("POST", "internal:8080", "/x", false, nil)
	if err := p.checkOrigin(r, false); err != ErrRefererMissing {
		t.Fatalf("no Origin, no Referer: %v, want %v", err, ErrRefererMissing)
	}
	// Mixed public origins say nothing about the connection.
	p = mustNew(t, Config{PublicOrigins: []string{"https://app.example", "http://app.example"}})
	if p.isHTTPS(serverReq("GET", "internal:8080", "/", false, nil)) {
		t.Fatal("mixed PublicOrigins made a plain request HTTPS")
	}
}

// Findings of the second red-team review.

// An outer middleware that parsed the form (a method-override wrapper, say)
// drained the body; the token is then taken from r.PostForm, which came from
// that body — never from the query string.
func TestFormParsedByOuterMiddleware(t *testing.T) {
	p := mustNew(t, Config{})
	cookie, tok := pair(t, p, false, "")
	var seen string
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.PostFormValue("to") }))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { r.FormValue("_method"); h.ServeHTTP(w, r) })
	for _, tt := range []struct {
		target, body string
		want         int
	}{
		{"/transfer", "to=bob&csrf_token=" + url.QueryEscape(tok), http.StatusOK},
		{"/transfer", "to=bob", http.StatusForbidden},
		{"/transfer?csrf_token=" + url.QueryEscape(tok), "to=bob", http.StatusForbidden}, // never the query
	} {
		seen = ""
		r := serverReq("POST", "app.example", tt.target, false, strings.NewReader(tt.body),
			"Content-Type", "application/x-www-form-urlencoded", "Origin", "http://app.example", "Cookie", cookie)
		rec := serve(outer, r)
		if rec.Code != tt.want || (tt.want == http.StatusOK && seen != "bob") {
			t.Errorf("%s %q: %d (%s), handler saw to=%q", tt.target, tt.body, rec.Code, rec.Header().Get("X-CSRF-Reason"), seen)
		}
	}
}

// After Rotate with the new session's request, Token(r) with the handler's
// original request is bound to the new session too.
func TestTokenAfterRotateUsesNewSession(t *testing.T) {
	var sid = "old"
	p := mustNew(t, Config{SessionID: func(r *http.Request) string {
		if v, ok := r.Context().Value(sessionKey{}).(string); ok {
			return v
		}
		return sid
	}})
	var tok string
	var secret [secretLen]byte
	serve(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Rotate(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, "new")))
		tok = Token(r)
		secret = stateOf(r).secret
	})), serverReq("GET", "a.example", "/login", false, nil))
	if _, err := p.keys.verify(tok, &secret, "new"); err != nil {
		t.Fatalf("token after Rotate: %v, want it bound to the new session", err)
	}
}

type sessionKey struct{}

// Without the middleware, Rotate then SetTokenCookie in one response leave
// a readable cookie that matches the secret the browser keeps.
func TestRotateThenSetTokenCookieWithoutMiddleware(t *testing.T) {
	p := mustNew(t, ExpressStyle())
	rec := httptest.NewRecorder()
	old, _ := pair(t, p, false, "")
	r := serverReq("POST", "a.example", "/login", false, nil, "Cookie", old)
	p.Rotate(rec, r)
	p.SetTokenCookie(rec, r)
	var secret [secretLen]byte
	var tok string
	for _, c := range rec.Result().Cookies() { // the last of each name wins
		switch c.Name {
		case "csrf_secret":
			decodeSecret(&secret, c.Value)
		case "XSRF-TOKEN":
			tok = c.Value
		}
	}
	if _, err := p.keys.verify(tok, &secret, ""); err != nil {
		t.Fatalf("last readable cookie does not match the last secret: %v", err)
	}
}

// RestorePath matches the path as sent: an encoded variant is another route.
func TestRestorePathIsExact(t *testing.T) {
	p := mustNew(t, FlaskStyle())
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
	for target, want := range map[string]string{
		"/api/csrf/restore":   "csrfToken",
		"/api%2Fcsrf/restore": "app",
		"/api/%63srf/restore": "app",
		"/api/csrf/restore/":  "app",
	} {
		rec := serve(p.Handler(app), serverReq("GET", "a.example", target, false, nil))
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s answered %q, want %s", target, rec.Body.String(), want)
		}
	}
}

// Token writes no header: a handler behind http.TimeoutHandler may mint one
// after the timeout fired, while TimeoutHandler writes its 503 (run with -race).
func TestTokenWritesNoHeader(t *testing.T) {
	p := mustNew(t, Config{})
	release := make(chan struct{})
	done := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		Token(r)
		TemplateField(r)
		close(done)
	})
	h := p.Handler(http.TimeoutHandler(slow, time.Millisecond, "timeout"))
	rec := serve(h, serverReq("GET", "a.example", "/", false, nil))
	close(release)
	<-done
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Vary") != "Cookie" {
		t.Fatalf("status %d, Vary %q", rec.Code, rec.Header().Get("Vary"))
	}
}

// Token is safe to call from several goroutines of one handler.
func TestTokenConcurrentInOneRequest(t *testing.T) {
	p := mustNew(t, Config{})
	serve(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		toks := make([]string, 8)
		for i := range toks {
			wg.Add(1)
			go func() { defer wg.Done(); toks[i] = Token(r) }()
		}
		wg.Wait()
		for _, tok := range toks {
			if tok != toks[0] || tok == "" {
				t.Errorf("tokens differ within a request: %q", toks)
				return
			}
		}
	})), serverReq("GET", "a.example", "/", false, nil))
}

// Nested Protectors: FailureReason reports an outer report-only refusal.
func TestNestedFailureReason(t *testing.T) {
	outer := mustNew(t, Config{ReportOnly: true})
	inner := mustNew(t, Config{UnsafeOriginOnly: true, SecretCookie: "inner_secret"})
	var reason error
	h := outer.Handler(inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reason = FailureReason(r) })))
	serve(h, serverReq("POST", "a.example", "/", false, nil, "Sec-Fetch-Site", "same-origin"))
	if reason != ErrSecretMissing {
		t.Fatalf("FailureReason = %v, want the outer report-only %v", reason, ErrSecretMissing)
	}
}

// Tokens minted without a TokenTTL carry no issue time: a Protector that
// later turns a TTL on (same keys) refuses them as expired, so clients
// restore once; tokens it mints itself then verify.
func TestTTLTurnedOnLater(t *testing.T) {
	before := mustNew(t, Config{})
	after := mustNew(t, Config{TokenTTL: time.Hour})
	cookie, _ := pair(t, before, false, "")
	var s [secretLen]byte
	decodeSecret(&s, strings.SplitN(cookie, "=", 2)[1])
	old := before.keys.mint(&s, "", before.issueTime())
	post := func(tok string) error {
		return after.Check(serverReq("POST", "a.example", "/", false, nil, "Origin", "http://a.example", "X-CSRF-Token", tok, "Cookie", cookie))
	}
	if err := post(old); err != ErrTokenExpired {
		t.Fatalf("token minted without a TTL, checked with one: %v, want %v", err, ErrTokenExpired)
	}
	if err := post(after.keys.mint(&s, "", after.issueTime())); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
}

// An empty readable cookie is stale, also on a request whose header token
// verified (deliver skips re-checking only the very token it accepted).
func TestEmptyReadableCookieIsReissued(t *testing.T) {
	p := mustNew(t, FlaskStyle())
	cookie, tok := pair(t, p, false, "")
	for _, r := range []*http.Request{
		serverReq("GET", "a.example", "/", false, nil, "Cookie", cookie+"; csrf_token="),
		serverReq("POST", "a.example", "/", false, nil, "Origin", "http://a.example", "X-CSRF-Token", tok, "Cookie", cookie+"; csrf_token="),
	} {
		rec := serve(p.Handler(okHandler), r)
		if c := setCookies(rec)["csrf_token"]; rec.Code != 200 || c == nil || c.Value == "" {
			t.Errorf("%s with an empty csrf_token cookie: %d, Set-Cookie %q", r.Method, rec.Code, rec.Header()["Set-Cookie"])
		}
	}
}
