package csrfkit

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte("k"), 32)

// serverReq builds a request shaped like one a server receives: a path-only
// URL (no Scheme, no Host), Host from the header, TLS when tls is set.
// headers are name, value pairs.
func serverReq(method, host, target string, isTLS bool, body io.Reader, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Host = host
	r.URL.Scheme, r.URL.Host = "", ""
	r.TLS = nil
	if isTLS {
		r.TLS = &tls.ConnectionState{}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustNew(t testing.TB, cfg Config) *Protector {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = [][]byte{testKey}
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pair returns a secret cookie header value and a matching token for p.
func pair(t testing.TB, p *Protector, isTLS bool, sid string) (cookie, token string) {
	t.Helper()
	var s [secretLen]byte
	newSecret(&s)
	name := p.cfg.SecretCookie
	if isTLS && p.cfg.Secure != SecureNever || p.cfg.Secure == SecureAlways {
		name = hostPrefix + name
	}
	return name + "=" + secretText(&s), p.keys.mint(&s, sid, time.Now())
}

// secretText is the secret as its cookie carries it.
func secretText(s *[secretLen]byte) string {
	var v [secretTextLen]byte
	encodeSecret(&v, s)
	return string(v[:])
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func setCookies(rec *httptest.ResponseRecorder) map[string]*http.Cookie {
	m := map[string]*http.Cookie{}
	for _, c := range rec.Result().Cookies() {
		m[c.Name] = c
	}
	return m
}

func has(s, sub string) bool { return strings.Contains(s, sub) }

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// formToken runs the body lookup the token layer runs, with a recorder of its
// own, and returns the token as a string.
func formToken(r *http.Request, field string, maxForm, maxPrefix int64) (string, error) {
	tok, err := new(recorder).formToken(r, field, maxForm, maxPrefix)
	return string(tok), err
}
