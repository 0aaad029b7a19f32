package csrfkit

import (
	"net/http"
	"strings"
)

const (
	hostPrefix   = "__Host-"
	cookieMaxAge = "31536000" // one year, like Django: a form restored after a browser restart still posts
)

// secure reports whether cookies set in answer to r carry Secure and the
// __Host- prefix.
func (p *Protector) secure(r *http.Request) bool {
	switch p.cfg.Secure {
	case SecureAlways:
		return true
	case SecureNever:
		return false
	}
	return p.isHTTPS(r)
}

// secretName is the secret cookie's name for r: "__Host-" plus the base name
// when Secure. A __Host- cookie can only be set by this exact origin over
// HTTPS with Path=/ and no Domain, so a sibling subdomain cannot toss one.
func (p *Protector) secretName(r *http.Request) string {
	if p.secure(r) {
		return p.secretHostName
	}
	return p.cfg.SecretCookie
}

// readSecret parses the secret cookie into dst. A missing or malformed cookie
// reads as absent. When a name appears twice (a tossed cookie on plain
// HTTP), the first — the most specific path, then the oldest — counts.
func (p *Protector) readSecret(r *http.Request, dst *[secretLen]byte) bool {
	v, ok := cookieValue(r, p.secretName(r))
	return ok && decodeSecret(dst, v)
}

// cookieValue finds a cookie by exact name without building the cookie list
// that r.Cookie allocates.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimLeft(part, " \t")
			if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
				v := strings.TrimRight(part[len(name)+1:], " \t")
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				return v, true
			}
		}
	}
	return "", false
}

// setSecretCookie sends the secret: HttpOnly so no script can read it.
func (p *Protector) setSecretCookie(w http.ResponseWriter, r *http.Request, s *[secretLen]byte) {
	p.addCookie(w, r, p.secretName(r), encodeSecret(s), true)
}

// setTokenCookie sends the readable token cookie (not HttpOnly: the client
// copies it into a header), and marks the response as varying by cookie so
// no shared cache hands one user's token to another.
func (p *Protector) setTokenCookie(w http.ResponseWriter, r *http.Request, tok string) {
	p.addCookie(w, r, p.cfg.TokenCookie, tok, false)
	addVaryCookie(w.Header())
}

// addCookie writes a Set-Cookie line directly. Values are base64url, names
// are validated in New, so nothing needs quoting.
func (p *Protector) addCookie(w http.ResponseWriter, r *http.Request, name, value string, httpOnly bool) {
	c := name + "=" + value + "; Path=/; Max-Age=" + cookieMaxAge
	if httpOnly {
		c += "; HttpOnly"
	}
	if p.secure(r) {
		c += "; Secure"
	}
	c += "; SameSite=Lax"
	h := w.Header()
	h["Set-Cookie"] = append(h["Set-Cookie"], c)
}

func addVaryCookie(h http.Header) {
	for _, v := range h["Vary"] {
		if strings.Contains(v, "Cookie") || v == "*" {
			return
		}
	}
	h["Vary"] = append(h["Vary"], "Cookie")
}

// validCookieName accepts RFC 6265 token characters.
func validCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
