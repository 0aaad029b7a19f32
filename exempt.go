package csrfkit

import (
	"net/http"
	"path"
	"strings"
)

// loadExempt validates Config.UnsafeExempt: each entry is "METHOD /path"
// with an upper-case method and a canonical path.
func (p *Protector) loadExempt() error {
	p.exempt = make(map[string]bool, len(p.cfg.UnsafeExempt))
	for i, e := range p.cfg.UnsafeExempt {
		method, route, ok := strings.Cut(e, " ")
		if !ok || !validToken(method) || strings.ToUpper(method) != method || !canonicalPath(route) {
			return configError(`UnsafeExempt[%d] %q is not "METHOD /canonical/path"`, i, e)
		}
		p.exempt[e] = true
	}
	return nil
}

// exempted matches the request's escaped path exactly and only when it is
// canonical, so that "/hook" exempts neither "/hook/", "/hooks-admin",
// "/hook/../admin" nor "/hook%2F..." — each a different route to a router.
func (p *Protector) exempted(r *http.Request) bool {
	if p.cfg.UnsafeExemptFunc != nil && p.cfg.UnsafeExemptFunc(r) {
		return true
	}
	if len(p.exempt) == 0 {
		return false
	}
	ep := r.URL.EscapedPath()
	return canonicalPath(ep) && p.exempt[r.Method+" "+ep]
}

// canonicalPath: absolute, no "." or ".." segments, no empty segments, no
// percent-escapes; a trailing slash is allowed and significant.
func canonicalPath(s string) bool {
	if s == "" || s[0] != '/' || strings.IndexByte(s, '%') >= 0 {
		return false
	}
	trimmed := s
	if len(s) > 1 {
		trimmed = strings.TrimSuffix(s, "/")
	}
	return path.Clean(trimmed) == trimmed
}

// isWebSocket reports a WebSocket handshake: HTTP/1.1 "Upgrade: websocket"
// (RFC 6455), or HTTP/2's extended CONNECT with ":protocol: websocket" (RFC
// 8441), which net/http passes on as a CONNECT with that pseudo-header.
func isWebSocket(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		p := r.Header[":protocol"]
		return len(p) == 1 && strings.EqualFold(p[0], "websocket")
	}
	for _, v := range r.Header["Upgrade"] {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "websocket") {
				return true
			}
		}
	}
	return false
}
