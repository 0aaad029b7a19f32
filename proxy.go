package csrfkit

import (
	"net/http"
	"net/netip"
	"strings"
)

// Proxy header policies accepted in Config.ProxyHeader.
const (
	headerXForwardedProto = "X-Forwarded-Proto"
	headerForwarded       = "Forwarded"
)

// isHTTPS reports whether the client reached the application over HTTPS: the
// connection is TLS, the configured public origins are all https (the app
// says it is only reached through a TLS-terminating proxy), or the request
// comes from a configured trusted proxy whose configured header says https.
// A forwarded header from anyone else is ignored, since any client can send
// one.
func (p *Protector) isHTTPS(r *http.Request) bool {
	if r.TLS != nil || p.publicHTTPS {
		return true
	}
	if p.proxyHeader == "" || !p.fromTrustedProxy(r) {
		return false
	}
	if p.proxyHeader == headerForwarded {
		return forwardedProto(r.Header.Values(headerForwarded)) == "https"
	}
	return lastListValue(r.Header.Values(headerXForwardedProto)) == "https"
}

func (p *Protector) fromTrustedProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var ip netip.Addr
	if err == nil {
		ip = ap.Addr()
	} else if ip, err = netip.ParseAddr(r.RemoteAddr); err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, pr := range p.trustedProxies {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// lastListValue returns the last element of a comma-separated header, in
// lower case: the value appended by the proxy nearest to us, the only one
// we trust.
func lastListValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// forwardedProto returns the proto parameter of the last element of an RFC
// 7239 Forwarded header.
func forwardedProto(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	for _, pair := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(k, "proto") {
			return strings.ToLower(strings.Trim(val, `"`))
		}
	}
	return ""
}

// parseProxies turns Config.TrustedProxies into prefixes.
func parseProxies(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for i, s := range list {
		if pr, err := netip.ParsePrefix(s); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, configError("TrustedProxies[%d] %q is neither an IP address nor a CIDR", i, s)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}
