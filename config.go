package csrfkit

import (
	"log/slog"
	"net/http"
	"time"
)

// Config configures a Protector. The zero value is a working, secure
// configuration: automatic delivery, tokens through Token/TemplateField/MetaTags,
// both protection layers on, Secure cookies on HTTPS only (so plain-HTTP
// localhost development works), a per-process key. FlaskStyle and ExpressStyle
// return ready-made values that match the seed's two frontends.
//
// Fields whose name starts with Unsafe or Allow weaken protection; each says
// what it gives away.
type Config struct {
	// Keys sign and verify tokens. The first key signs; every key verifies,
	// so a fleet can roll keys without a failed request. Each key must be at
	// least 32 bytes. When empty, keys come from the CSRFKIT_KEYS environment
	// variable (comma-separated, base64 or base64url); when that is empty too,
	// a random per-process key is generated and one warning is logged (tokens
	// then die with the process and differ between replicas).
	Keys [][]byte

	// SessionID, when set, binds tokens to the caller's login session: a
	// token minted for one session does not verify in another. Return "" for
	// anonymous visitors. It runs inside csrfkit's middleware, so a session
	// middleware it reads from must wrap csrfkit, not the other way round.
	// Called once per request (the answer is kept for the request's tokens)
	// and by Rotate, whose request names the new session.
	SessionID func(r *http.Request) string

	// TrustedOrigins are other origins allowed to send unsafe requests, as
	// exact "scheme://host[:port]" values (no path, no wildcard).
	TrustedOrigins []string
	// PublicOrigins replace the Host header in the own-origin comparison for
	// apps behind proxies that rewrite Host. When set, a request's own origin
	// is any of these, whatever Host says. When they are all https, every
	// request counts as HTTPS (Secure __Host- cookies, the Referer rule) even
	// if the proxy reaches the app over plain HTTP.
	PublicOrigins []string
	// AllowNullOrigin accepts "Origin: null" (sent by sandboxed iframes,
	// data: URLs and some cross-origin redirects) as far as the origin layer
	// goes; the token is still checked. Off by default.
	AllowNullOrigin bool
	// AllowMissingReferer lets an HTTPS request that has neither Origin nor
	// Referer through the origin layer (some privacy proxies strip both).
	// The token is still checked. Off by default.
	AllowMissingReferer bool
	// AllowCrossSiteWebSocket stops checking WebSocket handshakes (GET,
	// HEAD or OPTIONS with "Upgrade: websocket", and HTTP/2's CONNECT with
	// ":protocol: websocket"). Off by default: a handshake is a GET, so
	// without the check any site can open a socket with the victim's cookies
	// (cross-site WebSocket hijacking). The check is the origin layer alone,
	// since a browser cannot put a token on a handshake.
	AllowCrossSiteWebSocket bool

	// ProxyHeader names the header that tells the original scheme when the
	// request comes from one of TrustedProxies: "X-Forwarded-Proto" or
	// "Forwarded". Empty (the default) trusts no header: the scheme is https
	// only when the connection itself is TLS. Any other value is an error.
	ProxyHeader string
	// TrustedProxies are the addresses (IPs or CIDRs) whose ProxyHeader is
	// believed. Required when ProxyHeader is set.
	TrustedProxies []string

	// Delivery selects automatic (the default) or explicit token delivery.
	Delivery Delivery
	// TokenCookie is the name of a readable (not HttpOnly) cookie carrying a
	// masked token for JavaScript clients. Empty: no readable cookie. In
	// Automatic delivery the middleware sets it whenever it is missing or
	// stale; in Explicit delivery only SetTokenCookie, RestoreHandler and
	// Rotate set it.
	TokenCookie string
	// SecretCookie is the base name of the HttpOnly secret cookie; it gets
	// the __Host- prefix whenever the cookie is Secure. Default "csrf_secret".
	SecretCookie string
	// Secure says when cookies carry the Secure attribute. Default
	// SecureWhenHTTPS.
	Secure Secure
	// RestorePath, when set, is answered by the middleware itself for GET
	// and HEAD requests with RestoreHandler (JSON {"csrfToken": "..."}). The
	// path must be canonical, and matches only as sent: an encoded variant
	// (/api%2Fcsrf/restore) goes on to the application.
	RestorePath string

	// HeaderNames are the request headers searched for a token, in order.
	// Default: X-CSRF-Token, X-XSRF-Token, X-CSRFToken, CSRF-Token, XSRF-Token.
	HeaderNames []string
	// FieldName is the form field searched when no header carries a token.
	// Default "csrf_token".
	FieldName string
	// MaxFormBytes bounds the url-encoded body read to find the field.
	// Default 10 MiB; a larger body is answered with 413.
	MaxFormBytes int64
	// MaxPrefixBytes bounds the multipart bytes read before the token field.
	// Default 1 MiB.
	MaxPrefixBytes int64
	// TokenTTL, when positive, limits how long a token verifies. Off by
	// default: tokens live as long as their secret.
	TokenTTL time.Duration

	// UnsafeExempt lists "METHOD /path" entries that skip every check. The
	// path must match the request's escaped path exactly, and only canonical
	// paths match ("/hook" does not exempt "/hook/", "/hooks", "/hook/../x"
	// or "/hook%2F"). The host is not compared: "POST /hook" exempts that
	// path on every host the server answers. Use for webhooks authenticated
	// by other means.
	UnsafeExempt []string
	// UnsafeExemptFunc, when it returns true, skips every check for the
	// request. It sees the raw request: match carefully.
	UnsafeExemptFunc func(r *http.Request) bool
	// UnsafeOriginOnly accepts unsafe requests on the origin layer alone,
	// like net/http's CrossOriginProtection: no token is needed. What it
	// gives away: a plain-HTTP request with neither Sec-Fetch-Site nor Origin
	// (an old browser, or one behind a header-stripping proxy) is accepted
	// unchecked; on HTTPS the Referer check still applies.
	UnsafeOriginOnly bool
	// ReportOnly logs what would be rejected and lets it through, for rolling
	// csrfkit out on a live site. FailureReason still reports the reason.
	ReportOnly bool

	// ErrorHandler answers rejected requests instead of the default JSON or
	// HTML 403; csrfkit.FailureReason(r) gives the reason inside it. None of
	// the default headers is set for it: csrfkit.js recovers from token
	// reasons only when the answer carries X-CSRF-Reason or a JSON body
	// {"error":"csrf","reason":"<code>"}, so keep one of them.
	ErrorHandler http.Handler
	// Logger receives one line per rejection (reason, method, path; never a
	// token) and the missing-key warning. Default slog.Default().
	Logger *slog.Logger

	now func() time.Time // tests only
}

// Delivery selects how tokens reach the client.
type Delivery int

const (
	// Automatic (the seed's Flask style): the middleware ensures the secret
	// on every response and, when TokenCookie is set, the readable cookie
	// whenever it is missing or stale, even if the handler never asked.
	Automatic Delivery = iota
	// Explicit (the seed's Express style): the application calls
	// SetTokenCookie where it wants a cookie and mounts RestoreHandler.
	Explicit
)

// Secure says when csrfkit's cookies carry the Secure attribute.
type Secure int

const (
	// SecureWhenHTTPS marks cookies Secure (and the secret __Host-) on HTTPS
	// requests only, so http://localhost works with no configuration.
	SecureWhenHTTPS Secure = iota
	// SecureAlways marks cookies Secure on every request (browsers accept
	// Secure cookies from http://localhost, but not from other plain-HTTP hosts).
	SecureAlways
	// SecureNever never marks cookies Secure. Only for test rigs.
	SecureNever
)

// DefaultHeaderNames are the headers searched for a token when
// Config.HeaderNames is empty: the names used by Flask-WTF, Django, Rails,
// Angular, axios and csurf clients.
var DefaultHeaderNames = []string{"X-CSRF-Token", "X-XSRF-Token", "X-CSRFToken", "CSRF-Token", "XSRF-Token"}

const (
	defaultField       = "csrf_token"
	defaultSecret      = "csrf_secret"
	defaultMaxForm     = 10 << 20
	defaultMaxPrefix   = 1 << 20
	defaultRestorePath = "/api/csrf/restore"
)

// FlaskStyle returns the automatic setup of the seed's Flask side, fixed:
// a readable cookie "csrf_token" set whenever it is missing or stale (the
// seed made it HttpOnly, so its own csrfFetch could never read it), headers
// X-CSRF-Token and X-CSRFToken, form field "csrf_token", and a restore route
// at /api/csrf/restore for clients that recover after a rotation.
func FlaskStyle() Config {
	return Config{
		Delivery:    Automatic,
		TokenCookie: "csrf_token",
		HeaderNames: []string{"X-CSRF-Token", "X-CSRFToken"},
		FieldName:   "csrf_token",
		RestorePath: defaultRestorePath,
	}
}

// ExpressStyle returns the explicit setup of the seed's Express side: a
// readable cookie "XSRF-TOKEN" set by SetTokenCookie and the restore route
// at /api/csrf/restore, headers XSRF-Token, X-XSRF-Token, CSRF-Token and
// X-CSRF-Token, form field "_csrf". Unlike csurf, the secret is an HttpOnly
// __Host- cookie and tokens are HMACs bound to it and to the session.
//
// The middleware answers the restore route itself; to mount RestoreHandler
// on a route of your own instead, set RestorePath to "".
func ExpressStyle() Config {
	return Config{
		Delivery:    Explicit,
		TokenCookie: "XSRF-TOKEN",
		HeaderNames: []string{"XSRF-Token", "X-XSRF-Token", "CSRF-Token", "X-CSRF-Token"},
		FieldName:   "_csrf",
		RestorePath: defaultRestorePath,
	}
}
