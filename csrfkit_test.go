package csrfkit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	rows := []struct {
		name  string
		cfg   Config
		field string // must appear in the error; "" = valid
	}{
		{"zero config", Config{}, ""},
		{"flask", FlaskStyle(), ""},
		{"express", ExpressStyle(), ""},
		{"short key", Config{Keys: [][]byte{make([]byte, 31)}}, "Keys[0]"},
		{"second key short", Config{Keys: [][]byte{testKey, []byte("x")}}, "Keys[1]"},
		{"trusted with path", Config{TrustedOrigins: []string{"https://a.example/"}}, "TrustedOrigins[0]"},
		{"trusted without scheme", Config{TrustedOrigins: []string{"a.example"}}, "TrustedOrigins[0]"},
		{"trusted wildcard", Config{TrustedOrigins: []string{"https://ok.example", "https://*.example"}}, "TrustedOrigins[1]"},
		{"public with path", Config{PublicOrigins: []string{"https://a.example/app"}}, "PublicOrigins[0]"},
		{"unknown proxy policy", Config{ProxyHeader: "X-Real-IP", TrustedProxies: []string{"10.0.0.1"}}, "ProxyHeader"},
		{"proxy header without proxies", Config{ProxyHeader: "X-Forwarded-Proto"}, "TrustedProxies"},
		{"proxies without header", Config{TrustedProxies: []string{"10.0.0.1"}}, "ProxyHeader"},
		{"bad proxy", Config{ProxyHeader: "Forwarded", TrustedProxies: []string{"10.0.0.300"}}, "TrustedProxies[0]"},
		{"proxy policy any case", Config{ProxyHeader: "x-forwarded-proto", TrustedProxies: []string{"10.0.0.0/8", "::1"}}, ""},
		{"bad header name", Config{HeaderNames: []string{"X CSRF"}}, "HeaderNames[0]"},
		{"bad field", Config{FieldName: `a"b`}, "FieldName"},
		{"secret with prefix", Config{SecretCookie: "__Host-x"}, "SecretCookie"},
		{"bad secret name", Config{SecretCookie: "a;b"}, "SecretCookie"},
		{"token cookie same as secret", Config{TokenCookie: "csrf_secret"}, "TokenCookie"},
		{"bad token cookie", Config{TokenCookie: "a b"}, "TokenCookie"},
		{"bad restore path", Config{RestorePath: "api/restore"}, "RestorePath"},
		{"restore path not canonical", Config{RestorePath: "/api/../restore"}, "RestorePath"},
		{"negative form limit", Config{MaxFormBytes: -1}, "MaxFormBytes"},
		{"negative prefix limit", Config{MaxPrefixBytes: -1}, "MaxPrefixBytes"},
		{"negative ttl", Config{TokenTTL: -time.Second}, "TokenTTL"},
		{"bad delivery", Config{Delivery: 7}, "Delivery"},
		{"bad secure", Config{Secure: -1}, "Secure"},
		{"exempt without method", Config{UnsafeExempt: []string{"/hook"}}, "UnsafeExempt[0]"},
		{"exempt lower-case method", Config{UnsafeExempt: []string{"post /hook"}}, "UnsafeExempt[0]"},
		{"exempt dotted path", Config{UnsafeExempt: []string{"POST /a/../hook"}}, "UnsafeExempt[0]"},
		{"exempt escaped path", Config{UnsafeExempt: []string{"POST /a%2Fb"}}, "UnsafeExempt[0]"},
		{"exempt ok", Config{UnsafeExempt: []string{"POST /hook", "PUT /hook/"}}, ""},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Keys == nil && tt.field != "Keys[0]" {
				tt.cfg.Keys = [][]byte{testKey}
			}
			tt.cfg.Logger = quietLogger()
			p, err := New(tt.cfg)
			if tt.field == "" {
				if err != nil || p == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("New error = %v, want one naming %s", err, tt.field)
			}
		})
	}
}

func TestKeysFromEnvironment(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	t.Setenv("CSRFKIT_KEYS", base64.StdEncoding.EncodeToString(key)+", "+base64.RawURLEncoding.EncodeToString(testKey))
	p := mustNew(t, Config{Keys: [][]byte{}})
	var s [secretLen]byte
	newSecret(&s)
	tok := newKeyRing([][]byte{testKey}).mint(&s, "", time.Now())
	if _, err := p.keys.verify(tok, &s, ""); err != nil {
		t.Fatalf("second env key does not verify: %v", err)
	}
	if _, err := newKeyRing([][]byte{key}).verify(p.keys.mint(&s, "", time.Now()), &s, ""); err != nil {
		t.Fatalf("first env key does not sign: %v", err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		t.Setenv("CSRFKIT_KEYS", bad)
		if _, err := New(Config{Logger: quietLogger()}); err == nil || !strings.Contains(err.Error(), "CSRFKIT_KEYS") {
			t.Errorf("CSRFKIT_KEYS=%q: %v", bad, err)
		}
	}
}

func TestRandomKeyWarnsOnce(t *testing.T) {
	t.Setenv("CSRFKIT_KEYS", "")
	var buf bytes.Buffer
	p, err := New(Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := p.Handler(okHandler)
	for i := 0; i < 3; i++ {
		serve(h, serverReq("GET", "a.example", "/", false, nil))
	}
	if n := strings.Count(buf.String(), "random per-process key"); n != 1 {
		t.Fatalf("%d warnings, want 1: %s", n, buf.String())
	}
}

func TestMethods(t *testing.T) {
	p := mustNew(t, Config{})
	h := p.Handler(okHandler)
	rows := []struct {
		method  string
		hdr     []string
		checked bool
	}{
		{"GET", nil, false},
		{"HEAD", nil, false},
		{"OPTIONS", nil, false},
		{"POST", nil, true},
		{"PUT", nil, true},
		{"PATCH", nil, true},
		{"DELETE", nil, true},
		{"TRACE", nil, true},
		{"CONNECT", nil, true},
		{"PROPFIND", nil, true},
		{"get", nil, true}, // methods are case-sensitive: "get" is not GET
		{"GET", []string{"Upgrade", "websocket", "Connection", "Upgrade"}, true},
		{"GET", []string{"Upgrade", "WebSocket"}, true},
		{"GET", []string{"Upgrade", "h2c, websocket"}, true},
		{"GET", []string{"Upgrade", "h2c"}, false},
	}
	for _, tt := range rows {
		r := serverReq(tt.method, "a.example", "/", false, nil, append([]string{"Sec-Fetch-Site", "cross-site"}, tt.hdr...)...)
		rec := serve(h, r)
		if got := rec.Code == http.StatusForbidden; got != tt.checked {
			t.Errorf("%s %v: status %d, checked=%v want %v", tt.method, tt.hdr, rec.Code, got, tt.checked)
		}
	}
	// The WebSocket check can be switched off, by name.
	p = mustNew(t, Config{AllowCrossSiteWebSocket: true})
	r := serverReq("GET", "a.example", "/", false, nil, "Sec-Fetch-Site", "cross-site", "Upgrade", "websocket")
	if rec := serve(p.Handler(okHandler), r); rec.Code != 200 {
		t.Errorf("AllowCrossSiteWebSocket: %d", rec.Code)
	}
}

// A WebSocket handshake passes on the origin layer alone: the browser's
// WebSocket API cannot add a token header, and always sends Origin.
func TestWebSocketHandshake(t *testing.T) {
	p := mustNew(t, Config{})
	h := p.Handler(okHandler)
	ws := []string{"Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Version", "13"}
	rows := []struct {
		name string
		tls  bool
		hdr  []string
		want *Error
	}{
		{"same-origin, no cookie, no token", true, []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "websocket", "Origin", "https://a.example"}, nil},
		{"own Origin, old browser", false, []string{"Origin", "http://a.example"}, nil},
		{"no Origin: not a browser", true, nil, nil},
		{"cross-site", true, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, ErrCrossSite},
		{"same-site sibling", true, []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.a.example"}, ErrCrossSite},
		{"other Origin, old browser", false, []string{"Origin", "http://evil.example"}, ErrOriginMismatch},
		// HTTP/2 extended CONNECT (RFC 8441), as net/http hands it on.
		{"h2 same-origin", true, []string{":protocol", "websocket", "Sec-Fetch-Site", "same-origin", "Origin", "https://a.example"}, nil},
		{"h2 cross-site", true, []string{":protocol", "websocket", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, ErrCrossSite},
		{"CONNECT without :protocol is a plain CONNECT", true, []string{"Sec-Fetch-Site", "same-origin"}, ErrSecretMissing},
		{"CONNECT with another :protocol", true, []string{":protocol", "webtransport", "Sec-Fetch-Site", "same-origin"}, ErrSecretMissing},
	}
	for _, tt := range rows {
		method, hdr := "GET", append(append([]string{}, ws...), tt.hdr...)
		if strings.HasPrefix(tt.name, "h2") || strings.HasPrefix(tt.name, "CONNECT") {
			method, hdr = "CONNECT", tt.hdr
		}
		r := serverReq(method, "a.example", "/ws", tt.tls, nil, hdr...)
		for i := 0; i+1 < len(hdr); i += 2 {
			if hdr[i] == ":protocol" { // a pseudo-header: net/http stores it as is
				r.Header.Del(hdr[i])
				r.Header[":protocol"] = []string{hdr[i+1]}
			}
		}
		if err := p.Check(r); err != errOrNil(tt.want) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
		rec := serve(h, r)
		want := http.StatusOK
		if tt.want != nil {
			want = tt.want.Status
		}
		if rec.Code != want || (tt.want != nil && rec.Header().Get("X-CSRF-Reason") != tt.want.Code) {
			t.Errorf("%s: status %d reason %q, want %d %v", tt.name, rec.Code, rec.Header().Get("X-CSRF-Reason"), want, tt.want)
		}
	}
}

// A POST that says Upgrade: websocket is not a handshake: it still needs
// its token.
func TestUpgradeOnPostNeedsToken(t *testing.T) {
	p := mustNew(t, Config{})
	cookie, _ := pair(t, p, true, "")
	r := serverReq("POST", "a.example", "/ws", true, nil, "Upgrade", "websocket", "Connection", "Upgrade",
		"Sec-Fetch-Site", "same-origin", "Origin", "https://a.example", "Cookie", cookie)
	if err := p.Check(r); err != ErrTokenMissing {
		t.Fatalf("Check = %v, want %v", err, ErrTokenMissing)
	}
}

// errOrNil turns a nil *Error into a nil error, for comparing with Check.
func errOrNil(e *Error) error {
	if e == nil {
		return nil
	}
	return e
}

func TestTokenLayer(t *testing.T) {
	p := mustNew(t, Config{TokenTTL: time.Hour})
	h := p.Handler(okHandler)
	cookie, tok := pair(t, p, false, "")
	_, otherTok := pair(t, p, false, "")
	form := func(v url.Values) *bytes.Reader { return bytes.NewReader([]byte(v.Encode())) }
	ctForm := "application/x-www-form-urlencoded"
	var old [secretLen]byte
	decodeSecret(&old, strings.SplitN(cookie, "=", 2)[1])
	expired := p.keys.mint(&old, "", time.Now().Add(-2*time.Hour))
	rows := []struct {
		name   string
		target string
		body   *bytes.Reader
		hdr    []string
		want   error
	}{
		{"header X-CSRF-Token", "/", nil, []string{"Cookie", cookie, "X-CSRF-Token", tok}, nil},
		{"header lower-case name", "/", nil, []string{"Cookie", cookie, "x-csrf-token", tok}, nil},
		{"header X-XSRF-Token", "/", nil, []string{"Cookie", cookie, "X-XSRF-Token", tok}, nil},
		{"header X-CSRFToken", "/", nil, []string{"Cookie", cookie, "X-CSRFToken", tok}, nil},
		{"header CSRF-Token", "/", nil, []string{"Cookie", cookie, "CSRF-Token", tok}, nil},
		{"header XSRF-Token", "/", nil, []string{"Cookie", cookie, "XSRF-Token", tok}, nil},
		{"unknown header", "/", nil, []string{"Cookie", cookie, "X-Token", tok}, ErrTokenMissing},
		{"form field", "/", form(url.Values{"csrf_token": {tok}}), []string{"Cookie", cookie, "Content-Type", ctForm}, nil},
		{"form field wrong name", "/", form(url.Values{"_csrf": {tok}}), []string{"Cookie", cookie, "Content-Type", ctForm}, ErrTokenMissing},
		{"query string ignored", "/?csrf_token=" + tok, nil, []string{"Cookie", cookie}, ErrTokenMissing},
		{"token as cookie ignored", "/", nil, []string{"Cookie", cookie + "; csrf_token=" + tok + "; X-CSRF-Token=" + tok}, ErrTokenMissing},
		{"no secret", "/", nil, []string{"X-CSRF-Token", tok}, ErrSecretMissing},
		{"malformed secret", "/", nil, []string{"Cookie", "csrf_secret=abc", "X-CSRF-Token", tok}, ErrSecretMissing},
		{"__Host- secret on http ignored", "/", nil, []string{"Cookie", hostPrefix + cookie, "X-CSRF-Token", tok}, ErrSecretMissing},
		{"token for another secret", "/", nil, []string{"Cookie", cookie, "X-CSRF-Token", otherTok}, ErrTokenInvalid},
		{"empty header then good one", "/", nil, []string{"Cookie", cookie, "X-CSRF-Token", "", "X-XSRF-Token", tok}, nil},
		{"garbage token", "/", nil, []string{"Cookie", cookie, "X-CSRF-Token", "garbage"}, ErrTokenInvalid},
		{"megabyte token", "/", nil, []string{"Cookie", cookie, "X-CSRF-Token", strings.Repeat("A", 1<<20)}, ErrTokenInvalid},
		{"expired", "/", nil, []string{"Cookie", cookie, "X-CSRF-Token", expired}, ErrTokenExpired},
		{"json body, no header", "/", bytes.NewReader([]byte(`{"csrf_token":"` + tok + `"}`)), []string{"Cookie", cookie, "Content-Type", "application/json"}, ErrTokenMissing},
		{"no content type, form-looking body", "/", form(url.Values{"csrf_token": {tok}}), []string{"Cookie", cookie}, ErrTokenMissing},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			var r *http.Request
			if tt.body != nil {
				r = serverReq("POST", "a.example", tt.target, false, tt.body, tt.hdr...)
			} else {
				r = serverReq("POST", "a.example", tt.target, false, nil, tt.hdr...)
			}
			got := p.Check(r)
			if !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("Check = %v, want %v", got, tt.want)
			}
			rec := serve(h, r)
			want := 200
			if tt.want != nil {
				want = tt.want.(*Error).Status
			}
			if rec.Code != want {
				t.Fatalf("status %d, want %d", rec.Code, want)
			}
		})
	}
}

func TestSessionBinding(t *testing.T) {
	p := mustNew(t, Config{SessionID: func(r *http.Request) string { return r.Header.Get("X-Session") }})
	cookie, tok := pair(t, p, false, "alice")
	for _, tt := range []struct {
		sid  string
		want error
	}{{"alice", nil}, {"bob", ErrTokenInvalid}, {"", ErrTokenInvalid}, {"alic", ErrTokenInvalid}} {
		r := serverReq("POST", "a.example", "/", false, nil, "Cookie", cookie, "X-CSRF-Token", tok, "X-Session", tt.sid)
		if got := p.Check(r); got != tt.want {
			t.Errorf("session %q: %v, want %v", tt.sid, got, tt.want)
		}
	}
}

// A cross-site request is rejected before any cookie, session or body is
// looked at.
func TestCrossSiteTouchesNothing(t *testing.T) {
	calls := 0
	p := mustNew(t, Config{SessionID: func(*http.Request) string { calls++; return "" }, TokenCookie: "csrf_token"})
	body := &trapReader{t: t}
	r := serverReq("POST", "a.example", "/", false, nil, "Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded", "Cookie", "csrf_secret=x")
	r.Body = body
	rec := serve(p.Handler(okHandler), r)
	if rec.Code != 403 || calls != 0 || len(rec.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("code %d, SessionID calls %d, Set-Cookie %v", rec.Code, calls, rec.Header()["Set-Cookie"])
	}
}

type trapReader struct{ t *testing.T }

func (tr *trapReader) Read([]byte) (int, error) {
	tr.t.Error("body read")
	return 0, errors.New("trap")
}
func (tr *trapReader) Close() error { return nil }

func TestExemptions(t *testing.T) {
	p := mustNew(t, Config{
		UnsafeExempt:     []string{"POST /hook", "PUT /api/items/"},
		UnsafeExemptFunc: func(r *http.Request) bool { return r.Header.Get("X-Signed") == "yes" },
	})
	h := p.Handler(okHandler)
	rows := []struct {
		method, target string
		hdr            []string
		exempt         bool
	}{
		{"POST", "/hook", nil, true},
		{"PUT", "/hook", nil, false},
		{"POST", "/hook/", nil, false},
		{"POST", "/hooks-admin", nil, false},
		{"POST", "/hook/x", nil, false},
		{"POST", "/Hook", nil, false},
		{"POST", "/hook/../admin", nil, false},
		{"POST", "/admin/../hook", nil, false},
		{"POST", "//hook", nil, false},
		{"POST", "/./hook", nil, false},
		{"POST", "/hook%2F", nil, false},
		{"POST", "/%68ook", nil, false},
		{"POST", "/hook?x=1", nil, true},
		{"PUT", "/api/items/", nil, true},
		{"PUT", "/api/items", nil, false},
		{"PUT", "/api/items//", nil, false},
		{"POST", "/anything", []string{"X-Signed", "yes"}, true},
		{"POST", "/anything", []string{"X-Signed", "no"}, false},
	}
	for _, tt := range rows {
		r := serverReq(tt.method, "a.example", "/", false, nil, append([]string{"Sec-Fetch-Site", "cross-site"}, tt.hdr...)...)
		u, err := url.ParseRequestURI(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		r.URL = u
		rec := serve(h, r)
		if got := rec.Code == 200; got != tt.exempt {
			t.Errorf("%s %s: status %d, exempt=%v want %v", tt.method, tt.target, rec.Code, got, tt.exempt)
		}
	}
}

func TestOriginOnlyMode(t *testing.T) {
	p := mustNew(t, Config{UnsafeOriginOnly: true})
	h := p.Handler(okHandler)
	for _, tt := range []struct {
		hdr  []string
		want int
	}{
		{[]string{"Sec-Fetch-Site", "same-origin"}, 200},
		{[]string{"Origin", "http://a.example"}, 200},
		{nil, 200},
		{[]string{"Sec-Fetch-Site", "cross-site"}, 403},
		{[]string{"Origin", "http://evil.example"}, 403},
	} {
		if rec := serve(h, serverReq("POST", "a.example", "/", false, nil, tt.hdr...)); rec.Code != tt.want {
			t.Errorf("%v: %d, want %d", tt.hdr, rec.Code, tt.want)
		}
	}
}
