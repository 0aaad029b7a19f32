package csrfkit

import (
	"net/http"
	"net/netip"
	"strings"
)

// origin is a normalised "scheme://host[:port]": scheme and host lower-case,
// IPv6 hosts in brackets, port empty when it is the scheme's default.
type origin struct{ scheme, host, port string }

func (o origin) String() string {
	if o.port == "" {
		return o.scheme + "://" + o.host
	}
	return o.scheme + "://" + o.host + ":" + o.port
}

// parseOrigin parses an Origin header value or a configured origin. It
// accepts exactly scheme "://" host [":" port]: userinfo, a path (even "/"),
// a query, a fragment, a zone, an unbracketed IPv6 address, an empty or
// non-numeric port and non-ASCII hosts are rejected, because browsers never
// send them and each has been used to confuse a comparison somewhere.
func parseOrigin(s string) (origin, bool) {
	i := strings.Index(s, "://")
	if i <= 0 || !validScheme(s[:i]) {
		return origin{}, false
	}
	scheme := strings.ToLower(s[:i])
	host, port, ok := splitHostPort(s[i+3:])
	if !ok {
		return origin{}, false
	}
	if port == defaultPort(scheme) {
		port = ""
	}
	return origin{scheme: scheme, host: host, port: port}, true
}

// splitHostPort splits an authority (an Origin's or a Host header's) into a
// lower-case host and a port, validating both.
func splitHostPort(a string) (host, port string, ok bool) {
	if a == "" {
		return "", "", false
	}
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", false
		}
		ip, err := netip.ParseAddr(a[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", "", false
		}
		host, a = strings.ToLower(a[:end+1]), a[end+1:]
		if a == "" {
			return host, "", true
		}
		if a[0] != ':' {
			return "", "", false
		}
		port = a[1:]
	} else {
		host = a
		if c := strings.LastIndexByte(a, ':'); c >= 0 {
			host, port = a[:c], a[c+1:]
			if port == "" {
				return "", "", false
			}
		}
		if !validHost(host) {
			return "", "", false
		}
		host = strings.ToLower(host)
	}
	if port != "" && !validPort(port) {
		return "", "", false
	}
	return host, port, true
}

func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// validHost accepts DNS names (letters, digits, '-', '_', '.') and IPv4
// literals; anything else, including '@', '/', '%' and non-ASCII, is refused.
func validHost(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return s != ""
}

// validPort accepts 1-65535 without leading zeros.
func validPort(s string) bool {
	if len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// checkOrigin is the origin layer. It reads headers only: no cookie is
// parsed, no token minted and no body read before a cross-site request is
// turned away. handshake relaxes one rule for WebSocket handshakes: one
// without Origin comes from a non-browser client (every browser sends Origin
// on a handshake), which carries no victim's cookies, so it passes.
func (p *Protector) checkOrigin(r *http.Request, handshake bool) *Error {
	if site := r.Header["Sec-Fetch-Site"]; len(site) > 0 {
		if len(site) > 1 {
			return ErrCrossSite // browsers send one value; two is forged or broken
		}
		switch site[0] {
		case "same-origin", "none":
			// Set by the browser and unforgeable by page script; "none" is a
			// user-initiated navigation (bookmark, address bar).
			return nil
		case "same-site", "cross-site":
			// same-site includes sibling subdomains, which can toss cookies:
			// only an explicitly trusted origin gets through (with none
			// configured, the Origin is not even parsed).
			if len(p.trustedOrigins) > 0 {
				if o, ok := p.requestOrigin(r); ok && p.trusted(o) {
					return nil
				}
			}
		}
		return ErrCrossSite
	}
	// No Fetch Metadata: an older browser or a non-browser client.
	values := r.Header["Origin"]
	switch {
	case len(values) > 1:
		return ErrOriginMismatch
	case len(values) == 1:
		return p.checkOriginHeader(r, values[0])
	case handshake:
		return nil // not a browser: see above
	case !p.isHTTPS(r):
		// Plain HTTP without Origin: Referer cannot be trusted (a network
		// attacker controls it anyway); the token layer decides.
		return nil
	}
	return p.checkReferer(r)
}

func (p *Protector) checkOriginHeader(r *http.Request, v string) *Error {
	if v == "null" {
		if p.cfg.AllowNullOrigin {
			return nil
		}
		return ErrNullOrigin
	}
	o, ok := parseOrigin(v)
	if !ok || !(p.isOwn(r, o) || p.trusted(o)) {
		return ErrOriginMismatch
	}
	return nil
}

// checkReferer is the strict HTTPS fallback for browsers that send no
// Origin: the Referer's scheme, host and port must be the request's own (or
// trusted). It is never consulted on plain HTTP.
func (p *Protector) checkReferer(r *http.Request) *Error {
	ref := r.Header.Get("Referer")
	if ref == "" {
		if p.cfg.AllowMissingReferer {
			return nil
		}
		return ErrRefererMissing
	}
	o, ok := parseOrigin(refererOrigin(ref))
	if !ok || !(p.isOwn(r, o) || p.trusted(o)) {
		return ErrRefererMismatch
	}
	return nil
}

// refererOrigin cuts a URL down to its scheme://authority part.
func refererOrigin(ref string) string {
	i := strings.Index(ref, "://")
	if i < 0 {
		return ""
	}
	if j := strings.IndexAny(ref[i+3:], "/?#"); j >= 0 {
		return ref[:i+3+j]
	}
	return ref
}

// requestOrigin parses the Origin header, if there is exactly one.
func (p *Protector) requestOrigin(r *http.Request) (origin, bool) {
	values := r.Header["Origin"]
	if len(values) != 1 {
		return origin{}, false
	}
	return parseOrigin(values[0])
}

func (p *Protector) trusted(o origin) bool {
	for _, t := range p.trustedOrigins {
		if t == o {
			return true
		}
	}
	return false
}

// isOwn reports whether o is the request's own origin: the configured public
// origins when there are any, otherwise the scheme of the connection (see
// isHTTPS) with the Host header. r.URL.Scheme is never used: it is empty on
// server requests, which is how other libraries ended up with dead checks.
func (p *Protector) isOwn(r *http.Request, o origin) bool {
	if len(p.publicOrigins) > 0 {
		for _, pub := range p.publicOrigins {
			if pub == o {
				return true
			}
		}
		return false
	}
	scheme := "http"
	if p.isHTTPS(r) {
		scheme = "https"
	}
	if o.scheme != scheme {
		return false
	}
	host, port, ok := splitHostPort(r.Host)
	if !ok {
		return false
	}
	if port == defaultPort(scheme) {
		port = ""
	}
	return o.host == host && o.port == port
}
