package csrfkit

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
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
