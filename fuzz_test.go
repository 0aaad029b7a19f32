package csrfkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyToken: no input may panic, and only tokens minted for the secret
// verify.
func FuzzVerifyToken(f *testing.F) {
	ring := newKeyRing([][]byte{testKey})
	var s [secretLen]byte
	good := ring.mint(&s, "", time.Unix(1_800_000_000, 0))
	for _, seed := range []string{good, "", "A", good[:tokenLen-1], good + "=", strings.Repeat("_", tokenLen),
		strings.Repeat("=", tokenLen), "\xff" + good[1:], strings.Repeat("A", 10000)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		_, err := ring.verify(tok, &s, "")
		if err == nil && tok != good {
			// A different string can only verify if it decodes to a valid
			// MAC: re-encoding must give the same bytes (canonical form).
			var raw [rawTokenLen]byte
			var back [tokenLen]byte
			decodeToken(&raw, tok)
			encodeToken(&back, &raw)
			if string(back[:]) != tok {
				t.Fatalf("non-canonical token verified: %q", tok)
			}
		}
	})
}

// FuzzParseOrigin: no panic; an accepted origin prints back to a string that
// parses to the same value; nothing with userinfo, path or whitespace passes.
func FuzzParseOrigin(f *testing.F) {
	for _, seed := range []string{"https://example.com", "http://[::1]:8080", "HTTP://A.example:80", "null",
		"https://user@example.com", "https://example.com/", "http://[::1", "http://a:0", "http://a:65536",
		"http://[fe80::1%25eth0]", "", "://", "a://b:c:d"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := parseOrigin(s)
		if !ok {
			return
		}
		if rest := s[strings.Index(s, "://")+3:]; strings.ContainsAny(rest, "@/?# \t\r\n\x00%") {
			t.Fatalf("accepted %q", s)
		}
		o2, ok2 := parseOrigin(o.String())
		if !ok2 || o2 != o {
			t.Fatalf("%q -> %q -> %v %v", s, o.String(), o2, ok2)
		}
	})
}

// FuzzCheckOrigin drives the whole origin layer with arbitrary headers: it
// must never panic and must reject a cross-site Sec-Fetch-Site.
func FuzzCheckOrigin(f *testing.F) {
	f.Add("app.example", "", "http://app.example", "", false)
	f.Add("app.example", "cross-site", "https://evil.example", "", true)
	f.Add("[::1]:80", "", "http://[::1]", "", false)
	f.Add("app.example", "", "", "https://app.example/x", true)
	f.Add("app.example:", "same-site", "null", "::", true)
	p := mustNew(f, Config{TrustedOrigins: []string{"https://trusted.example"}})
	f.Fuzz(func(t *testing.T, host, site, origin, referer string, isTLS bool) {
		r := &http.Request{Method: "POST", Host: host, Header: http.Header{}}
		if isTLS {
			r.TLS = serverReq("GET", "x", "/", true, nil).TLS
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if referer != "" {
			r.Header.Set("Referer", referer)
		}
		err := p.checkOrigin(r, false)
		if site == "cross-site" && origin != "https://trusted.example" && err == nil {
			if o, ok := parseOrigin(origin); !ok || !p.trusted(o) {
				t.Fatalf("cross-site accepted: %q", origin)
			}
		}
	})
}

// FuzzCookieHeader: reading csrfkit's cookies from any Cookie header never
// panics, finds only values that are in the header, and reads a secret only
// in its one canonical encoding.
func FuzzCookieHeader(f *testing.F) {
	var s [secretLen]byte
	good := "csrf_secret=" + secretText(&s)
	for _, seed := range []string{good, "a=1; " + good, "csrf_secret=garbage; " + good, `csrf_secret="` + secretText(&s) + `"`,
		"csrf_secret=", "csrf_secret", ";;; ;", " \t csrf_secret=x \t", "csrf_secretX=1", "Csrf_secret=" + secretText(&s)} {
		f.Add(seed, seed)
	}
	p := mustNew(f, Config{})
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = []string{line1, line2}
		if v, ok := cookieValue(r, "csrf_secret"); ok && !strings.Contains(line1+line2, v) {
			t.Fatalf("cookieValue found %q, which is not in the header", v)
		}
		var got [secretLen]byte
		if p.readSecret(r, &got) && !strings.Contains(line1+line2, secretText(&got)) {
			t.Fatalf("readSecret accepted a secret whose canonical text %q is not in the header", secretText(&got))
		}
	})
}
