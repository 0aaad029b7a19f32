package csrfkit

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"
)

// Protector checks requests and hands out tokens. Build one with New at
// start-up and share it: it is safe for concurrent use.
type Protector struct {
	cfg            Config
	keys           keyRing
	log            *slog.Logger
	trustedOrigins []origin
	publicOrigins  []origin
	publicHTTPS    bool // every public origin is https
	trustedProxies []netip.Prefix
	proxyHeader    string
	exempt         map[string]bool // "METHOD /escaped/path"
	headers        []string        // Config.HeaderNames in canonical form, for map lookups
	secretHostName string
}

// New validates cfg and returns a Protector. The error names the first bad
// field. New never panics on bad configuration.
func New(cfg Config) (*Protector, error) {
	p := &Protector{log: cfg.Logger}
	if p.log == nil {
		p.log = slog.Default()
	}
	setDefaults(&cfg)
	p.cfg = cfg
	if err := p.loadOrigins(); err != nil {
		return nil, err
	}
	if err := p.loadProxy(); err != nil {
		return nil, err
	}
	if err := p.loadNames(); err != nil {
		return nil, err
	}
	p.headers = canonicalHeaders(cfg.HeaderNames)
	if err := p.loadExempt(); err != nil {
		return nil, err
	}
	if err := checkLimits(&cfg); err != nil {
		return nil, err
	}
	keys, err := loadKeys(cfg.Keys, p.log)
	if err != nil {
		return nil, err
	}
	p.keys = newKeyRing(keys)
	p.secretHostName = hostPrefix + cfg.SecretCookie
	return p, nil
}

func setDefaults(cfg *Config) {
	if len(cfg.HeaderNames) == 0 {
		cfg.HeaderNames = DefaultHeaderNames
	}
	cfg.HeaderNames = slices.Clone(cfg.HeaderNames) // as spelled, for MetaTags
	if cfg.FieldName == "" {
		cfg.FieldName = defaultField
	}
	if cfg.SecretCookie == "" {
		cfg.SecretCookie = defaultSecret
	}
	if cfg.MaxFormBytes == 0 {
		cfg.MaxFormBytes = defaultMaxForm
	}
	if cfg.MaxPrefixBytes == 0 {
		cfg.MaxPrefixBytes = defaultMaxPrefix
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
}

func checkLimits(cfg *Config) error {
	switch {
	case cfg.MaxFormBytes < 0:
		return configError("MaxFormBytes is negative")
	case cfg.MaxPrefixBytes < 0:
		return configError("MaxPrefixBytes is negative")
	case cfg.TokenTTL < 0:
		return configError("TokenTTL is negative")
	case cfg.Delivery != Automatic && cfg.Delivery != Explicit:
		return configError("Delivery %d is not Automatic or Explicit", cfg.Delivery)
	case cfg.Secure < SecureWhenHTTPS || cfg.Secure > SecureNever:
		return configError("Secure %d is not a known Secure value", cfg.Secure)
	}
	return nil
}

// Handler returns the middleware. Safe requests (GET, HEAD, OPTIONS that are
// not WebSocket handshakes) go straight through with the secret ensured and,
// in Automatic delivery, the readable cookie refreshed when needed; a GET or
// HEAD of Config.RestorePath is answered by the middleware itself. Unsafe
// requests must pass the origin layer, then the token layer; WebSocket
// handshakes the origin layer (a browser cannot put a token on one).
// Rejected requests get a 403 (413 for a form body over MaxFormBytes) and
// never reach next, unless ReportOnly is set. Every response that reaches
// next carries "Vary: Cookie".
//
// Use one Protector per handler chain. Nested ones work (Token and
// FailureReason see the innermost, FailureReason falls back to outer
// reasons) but need distinct SecretCookie names.
//
// Cost: one allocation per request (the request copy and csrfkit's state
// together), plus the token's string when one is minted, a cookie line when
// one is set and the buffer of a form body it reads; a cross-site request is
// refused before any of them, from headers alone. A token check is one
// HMAC-SHA256 per key; minting one is an HMAC and a 32-byte pad. Safe
// requests do no crypto unless the handler asks for a token or the readable
// cookie must be checked or (re)issued.
func (p *Protector) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		check := p.needsCheck(r)
		var err *Error
		if check != checkNone {
			// The origin layer reads headers only. Without a custom error
			// handler or report-only mode a refusal needs no state at all:
			// no allocation, no cookie parsed, no body read.
			err = p.checkOrigin(r, check == checkHandshake)
			if err != nil && !p.cfg.ReportOnly && p.cfg.ErrorHandler == nil {
				p.logRejection(r, err)
				writeError(w, r, err)
				return
			}
		}
		r, s := p.attach(w, r)
		if err == nil && check == checkFull {
			err = p.checkToken(r, s)
		}
		if err != nil && !p.fail(w, r, s, err) {
			return
		}
		if check == checkNone && p.isRestore(r) {
			p.serveRestore(w, r, s)
			return
		}
		p.deliver(w, r, s)
		next.ServeHTTP(w, r)
	})
}

// Check returns the verdict for r without answering it: nil when r may
// proceed, otherwise one of the Err values. It applies exemptions but not
// ReportOnly. A form token read from the body leaves r.Body intact. Use it
// in adapters and in the explicit style where the application owns errors.
func (p *Protector) Check(r *http.Request) error {
	check := p.needsCheck(r)
	if check == checkNone {
		return nil
	}
	if err := p.checkOrigin(r, check == checkHandshake); err != nil {
		return err
	}
	if check == checkFull {
		if err := p.checkToken(r, nil); err != nil {
			return err
		}
	}
	return nil
}

// What a request must pass.
const (
	checkNone       = iota // safe method or exempt
	checkOriginOnly        // UnsafeOriginOnly
	checkHandshake         // WebSocket handshake: origin layer, no token
	checkFull              // origin layer, then token layer
)

// needsCheck classifies r: unsafe methods and WebSocket handshakes are
// checked unless exempt. Methods are case-sensitive, as in HTTP: "get" is
// not GET, so it is checked.
func (p *Protector) needsCheck(r *http.Request) int {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodConnect:
		// A WebSocket handshake (a GET, or over HTTP/2 a CONNECT with
		// :protocol websocket) is sent cross-site with cookies and without
		// CORS: it must pass the origin layer like a POST. The WebSocket API
		// cannot add a header, so there is no token to check; every browser
		// sends Origin on a handshake.
		if isWebSocket(r) {
			if p.cfg.AllowCrossSiteWebSocket || p.exempted(r) {
				return checkNone
			}
			return checkHandshake
		}
		if r.Method != http.MethodConnect {
			return checkNone
		}
	}
	switch {
	case p.exempted(r):
		return checkNone
	case p.cfg.UnsafeOriginOnly:
		return checkOriginOnly
	}
	return checkFull
}

// checkToken is the token layer: the secret cookie, then a token from a
// header or, failing that, the form body (read through a recorder, which
// hands r.Body back intact). s may be nil (Check).
func (p *Protector) checkToken(r *http.Request, s *state) *Error {
	var secret [secretLen]byte
	if !p.readSecret(r, &secret) {
		return ErrSecretMissing
	}
	var sid string
	if s != nil {
		s.secret, s.hasSecret = secret, true
		sid = s.sessionID(r)
	} else {
		sid = p.sessionID(r)
	}
	var issued time.Time
	var err error
	if tok := p.headerToken(r); tok != "" {
		issued, err = verifyToken(p.keys, tok, &secret, sid)
		if err == nil && s != nil {
			s.verified, s.verifiedAt = tok, issued // deliver need not check it again
		}
	} else if r.PostForm != nil {
		// An outer middleware parsed the form (and drained the body): the
		// values in PostForm came from the body. Never r.Form, which holds
		// the query string too.
		v := r.PostForm[p.cfg.FieldName]
		if len(v) == 0 || v[0] == "" {
			return ErrTokenMissing
		}
		issued, err = verifyToken(p.keys, v[0], &secret, sid)
	} else {
		var form []byte
		if form, err = new(recorder).formToken(r, p.cfg.FieldName, p.cfg.MaxFormBytes, p.cfg.MaxPrefixBytes); err != nil {
			return asError(err)
		}
		issued, err = verifyToken(p.keys, form, &secret, sid)
	}
	if err == nil && p.cfg.TokenTTL > 0 {
		err = checkAge(issued, p.now(), p.cfg.TokenTTL)
	}
	if err != nil {
		return asError(err)
	}
	return nil
}

// headerToken returns the first non-empty accepted header. Query strings
// and cookies are never read: the first leaks through logs and Referer, the
// second is sent by the browser on forged requests too.
func (p *Protector) headerToken(r *http.Request) string {
	for _, name := range p.headers {
		if v := r.Header[name]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// deliver runs before the application: the secret always exists afterwards
// and, in Automatic delivery, the readable cookie holds a valid token. The
// response gets "Vary: Cookie": it may carry a token bound to the visitor's
// cookies (a page calling Token, or a cookie set here), and a shared cache
// must not hand it to another visitor. It is set here, before the handler,
// because Token may be called after the header is written or from another
// goroutine (http.TimeoutHandler), where it must not touch the header.
func (p *Protector) deliver(w http.ResponseWriter, r *http.Request, s *state) {
	s.ensureSecret(w, r)
	s.addVaryCookie(w)
	if p.cfg.Delivery != Automatic || p.cfg.TokenCookie == "" {
		return
	}
	if v, ok := cookieValue(r, p.cfg.TokenCookie); ok && p.fresh(v, s, r) {
		return
	}
	s.setTokenCookie(w, r, s.tokenFor(w, r))
}

// fresh reports whether a readable-cookie token still verifies and, with a
// TokenTTL, has more than half its life left. Cost: one HMAC per key, none
// when the token layer just verified the same token from a header (a
// script copies the cookie into the header, so it usually is the same).
func (p *Protector) fresh(tok string, s *state, r *http.Request) bool {
	issued, err := s.verifiedAt, error(nil)
	if s.verified == "" || tok != s.verified {
		issued, err = verifyToken(p.keys, tok, &s.secret, s.sessionID(r))
	}
	if err != nil {
		return false
	}
	return p.cfg.TokenTTL <= 0 || checkAge(issued, p.now(), p.cfg.TokenTTL/2) == nil
}

// Rotate gives the client a new secret: every token minted before it stops
// verifying. Call it at login and logout (after the new session exists, with
// a request whose SessionID is the new one) so tokens cannot outlive the
// session they were handed out in; Token then returns tokens for the new
// secret and session for the rest of the request. When Config.TokenCookie is
// set, the readable cookie is replaced in the same response. Must be called
// before the response header is written. Cost: a random read, and one HMAC
// when there is a readable cookie.
func (p *Protector) Rotate(w http.ResponseWriter, r *http.Request) {
	s := p.stateFor(w, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	newSecret(&s.secret)
	s.hasSecret = true
	s.token = ""
	s.sid, s.hasSID = p.sessionID(r), true // the new session, for later Token calls too
	s.setSecretCookie(w, r)
	if p.cfg.TokenCookie != "" {
		s.setTokenCookie(w, r, s.tokenFor(w, r))
	}
}

// SetTokenCookie sets the readable token cookie (Config.TokenCookie) on the
// response — the explicit style's res.cookie('XSRF-TOKEN', req.csrfToken()).
// It does nothing when TokenCookie is empty. It works with or without the
// middleware; without it, it also creates the secret when missing. Cost: the
// first token of the request is one HMAC and a 32-byte pad.
func (p *Protector) SetTokenCookie(w http.ResponseWriter, r *http.Request) {
	if p.cfg.TokenCookie == "" {
		return
	}
	s := p.stateFor(w, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setTokenCookie(w, r, s.tokenFor(w, r))
}

// stateFor returns this Protector's state for r, or, when r did not pass
// through its Handler, a one-off state that starts from a secret an earlier
// call already set on w (Rotate, then SetTokenCookie).
func (p *Protector) stateFor(w http.ResponseWriter, r *http.Request) *state {
	for s := stateOf(r); s != nil; s = s.outer() {
		if s.p == p {
			return s
		}
	}
	s := &state{Context: r.Context(), p: p, w: w}
	s.hasSecret = s.secretFromResponse(w, r)
	return s
}

// isRestore reports whether r asks for the restore route the middleware
// answers itself: Config.RestorePath exactly, as sent (an encoded variant
// such as /api%2Fcsrf/restore is another route), by GET or HEAD.
func (p *Protector) isRestore(r *http.Request) bool {
	return p.cfg.RestorePath != "" && r.URL.Path == p.cfg.RestorePath &&
		(r.URL.RawPath == "" || r.URL.RawPath == p.cfg.RestorePath) &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead)
}

func (p *Protector) sessionID(r *http.Request) string {
	if p.cfg.SessionID == nil {
		return ""
	}
	return p.cfg.SessionID(r)
}

func (p *Protector) now() time.Time { return p.cfg.now() }

// issueTime is the time stamped into new tokens: now when a TokenTTL needs
// it, else the Unix epoch. Without a TTL nothing reads it, and a clock read
// is a tenth of a token's cost. (Turning a TTL on later expires the tokens
// stamped without one; clients restore once.)
func (p *Protector) issueTime() time.Time {
	if p.cfg.TokenTTL > 0 {
		return p.now()
	}
	return time.Unix(0, 0)
}

// asError maps any error from the body reader to a reason; anything
// unexpected is a malformed body, never a 500.
func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrBodyMalformed
}
