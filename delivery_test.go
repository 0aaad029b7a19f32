package csrfkit

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAutomaticDelivery(t *testing.T) {
	p := mustNew(t, FlaskStyle())
	h := p.Handler(okHandler) // the handler never asks for a token
	// First visit: secret and readable cookie both set, Vary: Cookie.
	rec := serve(h, serverReq("GET", "a.example", "/", false, nil))
	c := setCookies(rec)
	sec, tok := c["csrf_secret"], c["csrf_token"]
	if sec == nil || tok == nil {
		t.Fatalf("cookies %v", rec.Header()["Set-Cookie"])
	}
	if !sec.HttpOnly || tok.HttpOnly || sec.Path != "/" || tok.Path != "/" || sec.SameSite != http.SameSiteLaxMode || sec.Secure {
		t.Fatalf("cookie attributes: %+v %+v", sec, tok)
	}
	if rec.Header().Get("Vary") != "Cookie" {
		t.Fatalf("Vary = %q", rec.Header().Get("Vary"))
	}
	both := "csrf_secret=" + sec.Value + "; csrf_token=" + tok.Value
	// The readable cookie is enough for the first POST of a single-page app.
	r := serverReq("POST", "a.example", "/", false, nil, "Cookie", both, "X-CSRF-Token", tok.Value, "Sec-Fetch-Site", "same-origin")
	if rec := serve(h, r); rec.Code != 200 || len(rec.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("POST: %d, Set-Cookie %v", rec.Code, rec.Header()["Set-Cookie"])
	}
	// Fresh cookies: nothing is set again.
	if rec := serve(h, serverReq("GET", "a.example", "/", false, nil, "Cookie", both)); len(rec.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("fresh cookies re-set: %v", rec.Header()["Set-Cookie"])
	}
	// Stale readable cookie (minted for another secret): replaced.
	_, other := pair(t, p, false, "")
	rec = serve(h, serverReq("GET", "a.example", "/", false, nil, "Cookie", "csrf_secret="+sec.Value+"; csrf_token="+other))
	if c := setCookies(rec); c["csrf_token"] == nil || c["csrf_secret"] != nil {
		t.Fatalf("stale cookie: %v", rec.Header()["Set-Cookie"])
	}
	// Missing readable cookie: set; secret kept.
	rec = serve(h, serverReq("GET", "a.example", "/", false, nil, "Cookie", "csrf_secret="+sec.Value))
	if c := setCookies(rec); c["csrf_token"] == nil || c["csrf_secret"] != nil {
		t.Fatalf("missing cookie: %v", rec.Header()["Set-Cookie"])
	}
}

func TestAutomaticDeliveryRefreshesAgingToken(t *testing.T) {
	cfg := FlaskStyle()
	cfg.TokenTTL = time.Hour
	now := time.Now()
	cfg.now = func() time.Time { return now }
	p := mustNew(t, cfg)
	cookie, _ := pair(t, p, false, "")
	var s [secretLen]byte
	decodeSecret(&s, strings.SplitN(cookie, "=", 2)[1])
	young := p.keys.mint(&s, "", now.Add(-10*time.Minute))
	aging := p.keys.mint(&s, "", now.Add(-40*time.Minute))
	for _, tt := range []struct {
		tok   string
		reset bool
	}{{young, false}, {aging, true}} {
		rec := serve(p.Handler(okHandler), serverReq("GET", "a.example", "/", false, nil, "Cookie", cookie+"; csrf_token="+tt.tok))
		if got := setCookies(rec)["csrf_token"] != nil; got != tt.reset {
			t.Errorf("reset=%v, want %v", got, tt.reset)
		}
	}
}

func TestExplicitDelivery(t *testing.T) {
	p := mustNew(t, ExpressStyle())
	var p2 *Protector = p
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			p2.SetTokenCookie(w, r)
		}
	}))
	rec := serve(h, serverReq("GET", "a.example", "/", false, nil))
	if c := setCookies(rec); c["csrf_secret"] == nil || c["XSRF-TOKEN"] != nil {
		t.Fatalf("explicit: middleware set %v", rec.Header()["Set-Cookie"])
	}
	rec = serve(h, serverReq("GET", "a.example", "/set", false, nil))
	c := setCookies(rec)
	if c["XSRF-TOKEN"] == nil || c["csrf_secret"] == nil {
		t.Fatalf("SetTokenCookie: %v", rec.Header()["Set-Cookie"])
	}
	// The seed's Express frontend sends the cookie back in XSRF-Token.
	r := serverReq("POST", "a.example", "/", false, nil, "Cookie", "csrf_secret="+c["csrf_secret"].Value, "XSRF-Token", c["XSRF-TOKEN"].Value, "Origin", "http://a.example")
	if rec := serve(h, r); rec.Code != 200 {
		t.Fatalf("POST with XSRF-Token: %d %s", rec.Code, rec.Body)
	}
	// Without the middleware, SetTokenCookie still works (and makes a secret).
	rec = serve(http.HandlerFunc(p.SetTokenCookie), serverReq("GET", "a.example", "/", false, nil))
	if c := setCookies(rec); c["XSRF-TOKEN"] == nil || c["csrf_secret"] == nil {
		t.Fatalf("SetTokenCookie without middleware: %v", rec.Header()["Set-Cookie"])
	}
	// With no TokenCookie it does nothing.
	bare := mustNew(t, Config{Delivery: Explicit})
	if rec := serve(http.HandlerFunc(bare.SetTokenCookie), serverReq("GET", "a.example", "/", false, nil)); len(rec.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("SetTokenCookie without TokenCookie: %v", rec.Header()["Set-Cookie"])
	}
}

func TestRestore(t *testing.T) {
	for _, cfg := range []Config{FlaskStyle(), ExpressStyle()} {
		p := mustNew(t, cfg)
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("restore path reached the app") })
		for _, h := range []http.Handler{p.Handler(next), p.RestoreHandler()} {
			rec := serve(h, serverReq("GET", "a.example", "/api/csrf/restore", false, nil))
			var body struct{ CSRFToken string }
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.CSRFToken) != tokenLen {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			c := setCookies(rec)
			if rec.Header().Get("Cache-Control") != "no-store" || c[cfg.TokenCookie] == nil || c["csrf_secret"] == nil {
				t.Fatalf("headers %v", rec.Header())
			}
			r := serverReq("POST", "a.example", "/", false, nil, "Cookie", "csrf_secret="+c["csrf_secret"].Value, "X-CSRF-Token", body.CSRFToken)
			if err := p.Check(r); err != nil {
				t.Fatalf("restored token: %v", err)
			}
		}
		// Other methods on the restore path are ordinary requests.
		rec := serve(p.Handler(okHandler), serverReq("POST", "a.example", "/api/csrf/restore", false, nil))
		if rec.Code != 403 {
			t.Fatalf("POST restore path: %d", rec.Code)
		}
	}
}

func TestRotate(t *testing.T) {
	p := mustNew(t, FlaskStyle())
	cookie, tok := pair(t, p, false, "")
	var rotated []*http.Cookie
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before := Token(r)
		p.Rotate(w, r)
		if Token(r) == before {
			t.Error("Token unchanged after Rotate")
		}
	}))
	rec := serve(h, serverReq("POST", "a.example", "/login", false, nil, "Cookie", cookie, "X-CSRF-Token", tok, "Sec-Fetch-Site", "same-origin"))
	if rec.Code != 200 {
		t.Fatalf("login: %d", rec.Code)
	}
	rotated = rec.Result().Cookies()
	c := setCookies(rec)
	newSecretCookie := "csrf_secret=" + c["csrf_secret"].Value
	if c["csrf_secret"] == nil || c["csrf_token"] == nil || "csrf_secret="+c["csrf_secret"].Value == cookie {
		t.Fatalf("rotate cookies: %v", rotated)
	}
	// The old token no longer verifies; the rotated readable cookie does.
	if err := p.Check(serverReq("POST", "a.example", "/", false, nil, "Cookie", newSecretCookie, "X-CSRF-Token", tok)); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("old token after rotate: %v", err)
	}
	// The last Set-Cookie for each name wins in browsers.
	var last string
	for _, ck := range rotated {
		if ck.Name == "csrf_token" {
			last = ck.Value
		}
	}
	if err := p.Check(serverReq("POST", "a.example", "/", false, nil, "Cookie", newSecretCookie, "X-CSRF-Token", last)); err != nil {
		t.Fatalf("rotated token: %v", err)
	}
}

func TestSecureCookies(t *testing.T) {
	rows := []struct {
		secure     Secure
		tls        bool
		wantName   string
		wantSecure bool
	}{
		{SecureWhenHTTPS, false, "csrf_secret", false},
		{SecureWhenHTTPS, true, "__Host-csrf_secret", true},
		{SecureAlways, false, "__Host-csrf_secret", true},
		{SecureNever, true, "csrf_secret", false},
	}
	for _, tt := range rows {
		cfg := FlaskStyle()
		cfg.Secure = tt.secure
		p := mustNew(t, cfg)
		rec := serve(p.Handler(okHandler), serverReq("GET", "a.example", "/", tt.tls, nil))
		c := setCookies(rec)
		sec, tok := c[tt.wantName], c["csrf_token"]
		if sec == nil || tok == nil || sec.Secure != tt.wantSecure || tok.Secure != tt.wantSecure || sec.Domain != "" || sec.Path != "/" {
			t.Errorf("%v tls=%v: %v", tt.secure, tt.tls, rec.Header()["Set-Cookie"])
		}
		// The secret is read back under the same name only.
		cookie, tokv := pair(t, p, tt.tls, "")
		if !strings.HasPrefix(cookie, tt.wantName+"=") {
			t.Fatalf("pair helper disagrees: %s", cookie)
		}
		hdr := []string{"Cookie", cookie, "X-CSRF-Token", tokv, "Sec-Fetch-Site", "same-origin"}
		if err := p.Check(serverReq("POST", "a.example", "/", tt.tls, nil, hdr...)); err != nil {
			t.Errorf("%v tls=%v: %v", tt.secure, tt.tls, err)
		}
	}
}

func TestRejectionResponse(t *testing.T) {
	p := mustNew(t, Config{})
	h := p.Handler(okHandler)
	evil := `"><script>alert(1)</script>`
	rows := []struct {
		hdr  []string
		json bool
	}{
		{[]string{"Accept", "application/json"}, true},
		{[]string{"Content-Type", "application/json"}, true},
		{[]string{"Sec-Fetch-Mode", "cors"}, true},
		{[]string{"X-Requested-With", "XMLHttpRequest"}, true},
		{[]string{"Accept", "text/html", "Sec-Fetch-Mode", "navigate"}, false},
		{nil, false},
	}
	for _, tt := range rows {
		r := serverReq("POST", "a.example", "/"+evil, false, nil, append(tt.hdr, "Origin", "http://evil.example", "X-CSRF-Token", evil)...)
		rec := serve(h, r)
		body := rec.Body.String()
		if rec.Code != 403 || rec.Header().Get("X-CSRF-Reason") != "origin-mismatch" || strings.Contains(body, "script") || strings.Contains(body, "evil") {
			t.Errorf("%v: %d %v %q", tt.hdr, rec.Code, rec.Header(), body)
		}
		if tt.json {
			var v map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v["error"] != "csrf" || v["reason"] != "origin-mismatch" {
				t.Errorf("%v: JSON %q", tt.hdr, body)
			}
		} else if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, "origin-mismatch") {
			t.Errorf("%v: HTML %q", tt.hdr, body)
		}
	}
	// Every reason has a distinct code and a status.
	seen := map[string]bool{}
	for _, e := range allErrors {
		if seen[e.Code] || e.Code == "" || (e.Status != 403 && e.Status != 413) || !strings.HasPrefix(e.Error(), "csrfkit: ") {
			t.Errorf("bad error %+v", e)
		}
		seen[e.Code] = true
	}
}

func TestErrorHandlerAndReportOnly(t *testing.T) {
	var got error
	p := mustNew(t, Config{ErrorHandler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = FailureReason(r)
		w.WriteHeader(418)
	})})
	rec := serve(p.Handler(okHandler), serverReq("POST", "a.example", "/", false, nil, "Sec-Fetch-Site", "cross-site"))
	if rec.Code != 418 || !errors.Is(got, ErrCrossSite) {
		t.Fatalf("ErrorHandler: %d %v", rec.Code, got)
	}

	var logs strings.Builder
	ro := mustNew(t, Config{ReportOnly: true, Logger: newTextLogger(&logs)})
	var reason error
	h := ro.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reason = FailureReason(r) }))
	rec = serve(h, serverReq("POST", "a.example", "/pay", false, nil, "Sec-Fetch-Site", "cross-site", "X-CSRF-Token", "SECRETVALUE"))
	if rec.Code != 200 || !errors.Is(reason, ErrCrossSite) {
		t.Fatalf("ReportOnly: %d %v", rec.Code, reason)
	}
	l := logs.String()
	if !strings.Contains(l, "reason=cross-site") || !strings.Contains(l, "path=/pay") || !strings.Contains(l, "method=POST") || strings.Contains(l, "SECRETVALUE") {
		t.Fatalf("log line: %s", l)
	}
}

func TestAccessors(t *testing.T) {
	bare := serverReq("GET", "a.example", "/", false, nil)
	if Token(bare) != "" || TemplateField(bare) != "" || MetaTags(bare) != "" || FailureReason(bare) != nil || Token(nil) != "" {
		t.Fatal("accessors without middleware must return zero values")
	}
	p := mustNew(t, ExpressStyle())
	var tok, field, meta string
	serve(p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, field, meta = Token(r), string(TemplateField(r)), string(MetaTags(r))
		if Token(r) != tok {
			t.Error("Token changed within a request")
		}
	})), serverReq("GET", "a.example", "/", false, nil))
	if len(tok) != tokenLen || field != `<input type="hidden" name="_csrf" value="`+tok+`">` {
		t.Fatalf("field %q", field)
	}
	if !strings.Contains(meta, `<meta name="csrf-token" content="`+tok+`">`) || !strings.Contains(meta, `content="XSRF-Token"`) { // as configured, not canonicalised
		t.Fatalf("meta %q", meta)
	}
	if fm := TemplateFuncs(); fm["csrfField"] == nil || fm["csrfToken"] == nil || fm["csrfMeta"] == nil {
		t.Fatal("TemplateFuncs incomplete")
	}
}
