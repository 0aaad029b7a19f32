package csrfkit

import (
	"errors"
	"testing"
)

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = rejected
	}{
		{"https://example.com", "https://example.com"},
		{"HTTPS://Example.COM", "https://example.com"},
		{"https://example.com:443", "https://example.com"},
		{"http://example.com:80", "http://example.com"},
		{"https://example.com:80", "https://example.com:80"},
		{"http://example.com:443", "http://example.com:443"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://127.0.0.1:8666", "http://127.0.0.1:8666"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://[::1]", "http://[::1]"},
		{"https://[2001:DB8::1]:443", "https://[2001:db8::1]"},
		{"chrome-extension://abcdef", "chrome-extension://abcdef"},
		{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
		// near misses
		{"https://example.com/", ""},
		{"https://example.com/path", ""},
		{"https://example.com?x", ""},
		{"https://example.com#x", ""},
		{"https://user@example.com", ""},
		{"https://user:pw@example.com", ""},
		{"https://example.com:", ""},
		{"https://example.com:0", ""},
		{"https://example.com:0443", ""},
		{"https://example.com:65536", ""},
		{"https://example.com:443x", ""},
		{"https://example.com:-1", ""},
		{"https://", ""},
		{"example.com", ""},
		{"//example.com", ""},
		{"://example.com", ""},
		{"1http://example.com", ""},
		{"http://::1", ""},
		{"http://[::1", ""},
		{"http://[::1]x", ""},
		{"http://[fe80::1%25eth0]", ""},
		{"http://[127.0.0.1]", ""},
		{"http://bücher.example", ""},
		{"http://exa mple.com", ""},
		{"http://example.com\x00", ""},
		{"null", ""},
		{"", ""},
		{"*", ""},
		{"https://*.example.com", ""},
	}
	for _, tt := range tests {
		o, ok := parseOrigin(tt.in)
		got := ""
		if ok {
			got = o.String()
		}
		if got != tt.want {
			t.Errorf("parseOrigin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestOriginLayer has one row per decision of the origin layer, with near misses.
func TestOriginLayer(t *testing.T) {
	type row struct {
		name   string
		cfg    Config
		host   string
		tls    bool
		remote string
		hdr    []string
		ws     bool // a WebSocket handshake
		want   *Error
	}
	trusted := Config{TrustedOrigins: []string{"https://trusted.example", "http://localhost:3000"}}
	proxy := Config{ProxyHeader: "X-Forwarded-Proto", TrustedProxies: []string{"10.0.0.0/8"}}
	fwd := Config{ProxyHeader: "Forwarded", TrustedProxies: []string{"10.0.0.1"}}
	public := Config{PublicOrigins: []string{"https://app.example"}}
	rows := []row{
		// Fetch Metadata
		{name: "sfs same-origin", host: "app.example", hdr: []string{"Sec-Fetch-Site", "same-origin"}},
		{name: "sfs same-origin ignores a bad Origin", host: "app.example", hdr: []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://evil.example"}},
		{name: "sfs none", host: "app.example", hdr: []string{"Sec-Fetch-Site", "none"}},
		{name: "sfs cross-site", host: "app.example", hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, want: ErrCrossSite},
		{name: "sfs cross-site even with own Origin", host: "app.example", tls: true, hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example"}, want: ErrCrossSite},
		{name: "sfs same-site", host: "app.example", hdr: []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.app.example"}, want: ErrCrossSite},
		{name: "sfs same-site trusted", cfg: trusted, host: "app.example", hdr: []string{"Sec-Fetch-Site", "same-site", "Origin", "https://trusted.example"}},
		{name: "sfs cross-site trusted", cfg: trusted, host: "app.example", hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://trusted.example"}},
		{name: "sfs cross-site trusted host, wrong scheme", cfg: trusted, host: "app.example", hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://trusted.example"}, want: ErrCrossSite},
		{name: "sfs cross-site trusted host, wrong port", cfg: trusted, host: "app.example", hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://trusted.example:8443"}, want: ErrCrossSite},
		{name: "sfs cross-site trusted, default port spelled", cfg: trusted, host: "app.example", hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://TRUSTED.example:443"}},
		{name: "sfs cross-site no Origin", cfg: trusted, host: "app.example", hdr: []string{"Sec-Fetch-Site", "cross-site"}, want: ErrCrossSite},
		{name: "sfs unknown value", host: "app.example", hdr: []string{"Sec-Fetch-Site", "same-origin-ish"}, want: ErrCrossSite},
		{name: "sfs wrong case", host: "app.example", hdr: []string{"Sec-Fetch-Site", "Same-Origin"}, want: ErrCrossSite},
		{name: "sfs two values", host: "app.example", hdr: []string{"Sec-Fetch-Site", "same-origin", "Sec-Fetch-Site", "cross-site"}, want: ErrCrossSite},
		{name: "sfs empty value", host: "app.example", hdr: []string{"Sec-Fetch-Site", ""}, want: ErrCrossSite},
		// Origin without Fetch Metadata
		{name: "origin own http", host: "app.example", hdr: []string{"Origin", "http://app.example"}},
		{name: "origin own https", host: "app.example", tls: true, hdr: []string{"Origin", "https://app.example"}},
		{name: "origin own, host case", host: "APP.example", hdr: []string{"Origin", "http://app.EXAMPLE"}},
		{name: "origin own, default port in Origin", host: "app.example", hdr: []string{"Origin", "http://app.example:80"}},
		{name: "origin own, default port in Host", host: "app.example:443", tls: true, hdr: []string{"Origin", "https://app.example"}},
		{name: "origin own, port", host: "localhost:8080", hdr: []string{"Origin", "http://localhost:8080"}},
		{name: "origin own, IPv6", host: "[::1]:8080", hdr: []string{"Origin", "http://[::1]:8080"}},
		{name: "origin other port", host: "localhost:8080", hdr: []string{"Origin", "http://localhost:8081"}, want: ErrOriginMismatch},
		{name: "origin port missing", host: "localhost:8080", hdr: []string{"Origin", "http://localhost"}, want: ErrOriginMismatch},
		{name: "origin http on https", host: "app.example", tls: true, hdr: []string{"Origin", "http://app.example"}, want: ErrOriginMismatch},
		{name: "origin https on http", host: "app.example", hdr: []string{"Origin", "https://app.example"}, want: ErrOriginMismatch},
		{name: "origin suffix host", host: "app.example", hdr: []string{"Origin", "http://evilapp.example"}, want: ErrOriginMismatch},
		{name: "origin sub host", host: "app.example", hdr: []string{"Origin", "http://sub.app.example"}, want: ErrOriginMismatch},
		{name: "origin trailing dot", host: "app.example", hdr: []string{"Origin", "http://app.example."}, want: ErrOriginMismatch},
		{name: "origin with path", host: "app.example", hdr: []string{"Origin", "http://app.example/"}, want: ErrOriginMismatch},
		{name: "origin with userinfo", host: "app.example", hdr: []string{"Origin", "http://app.example@evil.example"}, want: ErrOriginMismatch},
		{name: "origin garbage", host: "app.example", hdr: []string{"Origin", "app.example"}, want: ErrOriginMismatch},
		{name: "origin two values", host: "app.example", hdr: []string{"Origin", "http://app.example", "Origin", "http://app.example"}, want: ErrOriginMismatch},
		{name: "origin own but Host unparsable", host: "app.example:bad", hdr: []string{"Origin", "http://app.example"}, want: ErrOriginMismatch},
		{name: "origin null", host: "app.example", hdr: []string{"Origin", "null"}, want: ErrNullOrigin},
		{name: "origin null allowed", cfg: Config{AllowNullOrigin: true}, host: "app.example", hdr: []string{"Origin", "null"}},
		{name: "origin NULL is not null", cfg: Config{AllowNullOrigin: true}, host: "app.example", hdr: []string{"Origin", "NULL"}, want: ErrOriginMismatch},
		{name: "origin trusted", cfg: trusted, host: "app.example", hdr: []string{"Origin", "http://localhost:3000"}},
		{name: "origin trusted wrong port", cfg: trusted, host: "app.example", hdr: []string{"Origin", "http://localhost:3001"}, want: ErrOriginMismatch},
		{name: "origin trusted wrong scheme", cfg: trusted, host: "app.example", hdr: []string{"Origin", "http://trusted.example"}, want: ErrOriginMismatch},
		// Referer fallback (HTTPS only)
		{name: "https no origin no referer", host: "app.example", tls: true, want: ErrRefererMissing},
		{name: "https no origin no referer allowed", cfg: Config{AllowMissingReferer: true}, host: "app.example", tls: true},
		{name: "https referer own", host: "app.example", tls: true, hdr: []string{"Referer", "https://app.example/transfer?x=1"}},
		{name: "https referer own no path", host: "app.example", tls: true, hdr: []string{"Referer", "https://app.example"}},
		{name: "https referer own, port spelled", host: "app.example", tls: true, hdr: []string{"Referer", "https://app.example:443/"}},
		{name: "https referer http", host: "app.example", tls: true, hdr: []string{"Referer", "http://app.example/"}, want: ErrRefererMismatch},
		{name: "https referer other port", host: "app.example", tls: true, hdr: []string{"Referer", "https://app.example:8443/"}, want: ErrRefererMismatch},
		{name: "https referer prefix host", host: "app.example", tls: true, hdr: []string{"Referer", "https://app.example.evil.example/"}, want: ErrRefererMismatch},
		{name: "https referer userinfo", host: "app.example", tls: true, hdr: []string{"Referer", "https://app.example@evil.example/"}, want: ErrRefererMismatch},
		{name: "https referer relative", host: "app.example", tls: true, hdr: []string{"Referer", "/transfer"}, want: ErrRefererMismatch},
		{name: "https referer trusted", cfg: trusted, host: "app.example", tls: true, hdr: []string{"Referer", "https://trusted.example/a"}},
		{name: "http no origin: token decides", host: "app.example"},
		{name: "http referer ignored", host: "app.example", hdr: []string{"Referer", "http://evil.example/"}},
		// Proxies: the scheme comes from r.TLS or a trusted proxy only.
		{name: "xfp from trusted proxy", cfg: proxy, host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"X-Forwarded-Proto", "https", "Origin", "https://app.example"}},
		{name: "xfp from trusted proxy, http origin", cfg: proxy, host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"X-Forwarded-Proto", "https", "Origin", "http://app.example"}, want: ErrOriginMismatch},
		{name: "xfp from untrusted client", cfg: proxy, host: "app.example", remote: "192.0.2.1:5555", hdr: []string{"X-Forwarded-Proto", "https", "Origin", "https://app.example"}, want: ErrOriginMismatch},
		{name: "xfp without policy", host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"X-Forwarded-Proto", "https", "Origin", "https://app.example"}, want: ErrOriginMismatch},
		{name: "xfp last value counts", cfg: proxy, host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"X-Forwarded-Proto", "http, https", "Origin", "https://app.example"}},
		{name: "xfp last value http", cfg: proxy, host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"X-Forwarded-Proto", "https, http", "Origin", "https://app.example"}, want: ErrOriginMismatch},
		{name: "xfp https needs referer", cfg: proxy, host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"X-Forwarded-Proto", "https"}, want: ErrRefererMissing},
		{name: "forwarded proto", cfg: fwd, host: "app.example", remote: "10.0.0.1:1", hdr: []string{"Forwarded", `for=192.0.2.60;proto="https";by=203.0.113.43`, "Origin", "https://app.example"}},
		{name: "forwarded from other proxy", cfg: fwd, host: "app.example", remote: "10.0.0.2:1", hdr: []string{"Forwarded", "proto=https", "Origin", "https://app.example"}, want: ErrOriginMismatch},
		{name: "forwarded header ignored under xfp policy", cfg: proxy, host: "app.example", remote: "10.1.2.3:5555", hdr: []string{"Forwarded", "proto=https", "Origin", "https://app.example"}, want: ErrOriginMismatch},
		// WebSocket handshakes: the origin layer alone decides; without
		// Origin the client is not a browser.
		{name: "ws same-origin", ws: true, host: "app.example", tls: true, hdr: []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://app.example"}},
		{name: "ws cross-site", ws: true, host: "app.example", tls: true, hdr: []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, want: ErrCrossSite},
		{name: "ws same-site sibling", ws: true, host: "app.example", tls: true, hdr: []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.app.example"}, want: ErrCrossSite},
		{name: "ws own Origin, no sfs", ws: true, host: "localhost:8080", hdr: []string{"Origin", "http://localhost:8080"}},
		{name: "ws other Origin, no sfs", ws: true, host: "localhost:8080", hdr: []string{"Origin", "http://127.0.0.1:8666"}, want: ErrOriginMismatch},
		{name: "ws null Origin", ws: true, host: "app.example", hdr: []string{"Origin", "null"}, want: ErrNullOrigin},
		{name: "ws no Origin on https: not a browser", ws: true, host: "app.example", tls: true},
		{name: "ws no Origin on http: not a browser", ws: true, host: "app.example"},
		{name: "ws https, Referer alone is not consulted", ws: true, host: "app.example", tls: true, hdr: []string{"Referer", "https://evil.example/"}},
		// Public origins replace Host.
		{name: "public origin", cfg: public, host: "internal:8080", remote: "10.0.0.1:1", hdr: []string{"Origin", "https://app.example"}},
		{name: "public origin: Host no longer counts", cfg: public, host: "internal:8080", hdr: []string{"Origin", "http://internal:8080"}, want: ErrOriginMismatch},
		{name: "public origin wrong scheme", cfg: public, host: "internal:8080", hdr: []string{"Origin", "http://app.example"}, want: ErrOriginMismatch},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, tt.cfg)
			r := serverReq("POST", tt.host, "/transfer", tt.tls, nil, tt.hdr...)
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			if got := p.checkOrigin(r, tt.ws); got != tt.want {
				t.Errorf("checkOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}

// The scheme must never come from r.URL.Scheme (empty on server requests,
// attacker-influenced on absolute-form request lines).
func TestSchemeNeverFromURL(t *testing.T) {
	p := mustNew(t, Config{})
	r := serverReq("POST", "app.example", "/x", false, nil, "Origin", "https://app.example")
	r.URL.Scheme = "https"
	if err := p.checkOrigin(r, false); !errors.Is(err, ErrOriginMismatch) {
		t.Fatalf("got %v, want origin mismatch", err)
	}
}
