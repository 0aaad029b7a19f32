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
// reads as absent. When the name appears more than once (cookies tossed on
// plain HTTP), the first well-formed value counts: the browser sends the most
// specific path, then the oldest, first. Skipping a malformed one gives
// nothing away (a tosser can as well plant a well-formed secret, which the
// session binding and the origin layer answer), and it keeps a planted
// garbage cookie from locking the user out.
func (p *Protector) readSecret(r *http.Request, dst *[secretLen]byte) bool {
	name := p.secretName(r)
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var v string
			var ok bool
			if v, line, ok = nextCookie(line, name); ok && decodeSecret(dst, v) {
				return true
			}
		}
	}
	return false
}

// cookieValue finds a cookie by exact name without building the cookie list
// that r.Cookie allocates. The first of several with that name counts.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var v string
			var ok bool
			if v, line, ok = nextCookie(line, name); ok {
				return v, true
			}
		}
	}
	return "", false
}

// nextCookie reads one "name=value" pair of a Cookie header line and reports
// whether it is the named cookie; rest is what follows it.
func nextCookie(line, name string) (value, rest string, ok bool) {
	part, rest, _ := strings.Cut(line, ";")
	part = trimSpace(part)
	if len(part) <= len(name) || part[len(name)] != '=' || part[:len(name)] != name {
		return "", rest, false
	}
	v := part[len(name)+1:]
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v, rest, true
}

// trimSpace drops the spaces and tabs around a cookie pair.
func trimSpace(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// setSecretCookie sends the secret: HttpOnly so no script can read it.
func (s *state) setSecretCookie(w http.ResponseWriter, r *http.Request) {
	var v [secretTextLen]byte
	encodeSecret(&v, &s.secret)
	s.addCookie(w, s.p.secretName(r)+"="+string(v[:])+cookieAttrs[1][b2i(s.p.secure(r))])
}

// setTokenCookie sends the readable token cookie (not HttpOnly: the client
// copies it into a header), and marks the response as varying by cookie so
// no shared cache hands one user's token to another.
func (s *state) setTokenCookie(w http.ResponseWriter, r *http.Request, tok string) {
	s.addCookie(w, s.p.cfg.TokenCookie+"="+tok+cookieAttrs[0][b2i(s.p.secure(r))])
	s.addVaryCookie(w)
}

// secretFromResponse picks up a secret that another call for this response
// already set (Rotate, then SetTokenCookie, without the middleware), so the
// two cookies of one response agree. It reports whether it found one.
func (s *state) secretFromResponse(w http.ResponseWriter, r *http.Request) bool {
	prefix := s.p.secretName(r) + "="
	lines := w.Header()["Set-Cookie"]
	for i := len(lines) - 1; i >= 0; i-- { // the last one set is the one the browser keeps
		if v, ok := strings.CutPrefix(lines[i], prefix); ok {
			v, _, _ = strings.Cut(v, ";")
			return decodeSecret(&s.secret, v)
		}
	}
	return false
}

// cookieAttrs are the attributes of csrfkit's cookies, by [httpOnly][secure].
// Path=/ so that one cookie serves the whole site (an empty Path grows one
// per directory); a long Max-Age so that a form restored after a browser
// restart still posts; SameSite=Lax as a second line behind the checks.
var cookieAttrs = [2][2]string{
	{"; Path=/; Max-Age=" + cookieMaxAge + "; SameSite=Lax", "; Path=/; Max-Age=" + cookieMaxAge + "; Secure; SameSite=Lax"},
	{"; Path=/; Max-Age=" + cookieMaxAge + "; HttpOnly; SameSite=Lax", "; Path=/; Max-Age=" + cookieMaxAge + "; HttpOnly; Secure; SameSite=Lax"},
}

// addCookie appends a Set-Cookie line, without allocating for csrfkit's first
// two lines of a response. Callers build the line in one concatenation:
// values are base64url and names are validated in New, so nothing needs
// quoting. Each slice put in the header is capped to its length, so an
// append by anyone else copies instead of writing into csrfkit's array.
func (s *state) addCookie(w http.ResponseWriter, line string) {
	h := w.Header()
	switch old := h["Set-Cookie"]; {
	case len(old) == 0:
		s.cookies[0] = line
		h["Set-Cookie"] = s.cookies[:1:1]
	case len(old) == 1 && &old[0] == &s.cookies[0]:
		s.cookies[1] = line // still csrfkit's own one-line slice: grow it in place
		h["Set-Cookie"] = s.cookies[:2:2]
	default:
		h["Set-Cookie"] = append(old, line)
	}
}

// addVaryCookie adds "Vary: Cookie" unless the response already varies by
// cookie (or by everything).
func (s *state) addVaryCookie(w http.ResponseWriter) {
	h := w.Header()
	old := h["Vary"]
	for _, v := range old {
		if v == "*" || containsFold(v, "Cookie") {
			return
		}
	}
	if len(old) > 0 {
		h["Vary"] = append(old, "Cookie")
		return
	}
	s.vary[0] = "Cookie"
	h["Vary"] = s.vary[:1:1]
}

// containsFold reports whether the comma-separated list v names token,
// ignoring case.
func containsFold(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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
