package csrfkit

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
)

func configError(format string, args ...any) error {
	return fmt.Errorf("csrfkit: Config."+format, args...)
}

func (p *Protector) loadOrigins() error {
	var err error
	if p.trustedOrigins, err = parseOriginList("TrustedOrigins", p.cfg.TrustedOrigins); err != nil {
		return err
	}
	if p.publicOrigins, err = parseOriginList("PublicOrigins", p.cfg.PublicOrigins); err != nil {
		return err
	}
	p.publicHTTPS = len(p.publicOrigins) > 0
	for _, o := range p.publicOrigins {
		p.publicHTTPS = p.publicHTTPS && o.scheme == "https"
	}
	return nil
}

// parseOriginList accepts only exact "scheme://host[:port]" origins: a
// scheme-less entry or a wildcard would silently trust more than was meant
// (comparing hosts without schemes let http:// pages through elsewhere).
func parseOriginList(field string, list []string) ([]origin, error) {
	out := make([]origin, 0, len(list))
	for i, s := range list {
		if strings.Contains(s, "*") {
			return nil, configError("%s[%d] %q: wildcards are not supported; list each origin", field, i, s)
		}
		o, ok := parseOrigin(s)
		if !ok {
			return nil, configError(`%s[%d] %q is not an origin "scheme://host[:port]" (no path, no trailing slash)`, field, i, s)
		}
		out = append(out, o)
	}
	return out, nil
}

func (p *Protector) loadProxy() error {
	c := &p.cfg
	switch {
	case c.ProxyHeader == "" && len(c.TrustedProxies) == 0:
		return nil
	case c.ProxyHeader == "":
		return configError("TrustedProxies is set but ProxyHeader is empty: name the header they set")
	case strings.EqualFold(c.ProxyHeader, headerXForwardedProto):
		p.proxyHeader = headerXForwardedProto
	case strings.EqualFold(c.ProxyHeader, headerForwarded):
		p.proxyHeader = headerForwarded
	default:
		return configError("ProxyHeader %q is not a known proxy policy (X-Forwarded-Proto or Forwarded)", c.ProxyHeader)
	}
	if len(c.TrustedProxies) == 0 {
		return configError("ProxyHeader is set but TrustedProxies is empty: name the proxies to believe")
	}
	var err error
	p.trustedProxies, err = parseProxies(c.TrustedProxies)
	return err
}

func (p *Protector) loadNames() error {
	c := &p.cfg
	for i, h := range c.HeaderNames {
		if !validToken(h) {
			return configError("HeaderNames[%d] %q is not a valid header name", i, h)
		}
	}
	if !validField(c.FieldName) {
		return configError("FieldName %q must be letters, digits, '_', '-' or '.'", c.FieldName)
	}
	if !validCookieName(c.SecretCookie) || strings.HasPrefix(c.SecretCookie, "__") {
		return configError("SecretCookie %q must be a cookie name without a __ prefix (csrfkit adds __Host-)", c.SecretCookie)
	}
	// A readable cookie named __Host-<secret> would overwrite the secret on
	// HTTPS; any __Host-/__Secure- name would be refused by browsers on
	// plain HTTP, where csrfkit does not mark cookies Secure.
	if c.TokenCookie != "" && (!validCookieName(c.TokenCookie) || c.TokenCookie == c.SecretCookie || strings.HasPrefix(c.TokenCookie, "__")) {
		return configError("TokenCookie %q is not a valid cookie name distinct from SecretCookie, without a __ prefix", c.TokenCookie)
	}
	if c.RestorePath != "" && !canonicalPath(c.RestorePath) {
		return configError("RestorePath %q is not a canonical absolute path", c.RestorePath)
	}
	return nil
}

func canonicalHeaders(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validField(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// loadKeys returns the configured keys, else those in CSRFKIT_KEYS, else a
// fresh random key with one warning.
func loadKeys(keys [][]byte, log *slog.Logger) ([][]byte, error) {
	for i, k := range keys {
		if len(k) < minKeyLen {
			return nil, configError("Keys[%d] is %d bytes; keys must be at least %d", i, len(k), minKeyLen)
		}
	}
	if len(keys) > 0 {
		return keys, nil
	}
	if env := strings.TrimSpace(os.Getenv("CSRFKIT_KEYS")); env != "" {
		return parseEnvKeys(env)
	}
	k := make([]byte, minKeyLen)
	newSecretBytes(k)
	log.Warn("csrfkit: no Config.Keys and no CSRFKIT_KEYS; using a random per-process key (tokens die with the process and differ between replicas)")
	return [][]byte{k}, nil
}

func parseEnvKeys(env string) ([][]byte, error) {
	var out [][]byte
	for i, s := range strings.Split(env, ",") {
		s = strings.TrimSpace(s)
		k, err := decodeAnyBase64(s)
		if err != nil {
			return nil, fmt.Errorf("csrfkit: CSRFKIT_KEYS entry %d is not base64", i)
		}
		if len(k) < minKeyLen {
			return nil, fmt.Errorf("csrfkit: CSRFKIT_KEYS entry %d is %d bytes; keys must be at least %d", i, len(k), minKeyLen)
		}
		out = append(out, k)
	}
	return out, nil
}

func decodeAnyBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64")
}
