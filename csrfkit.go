package csrfkit

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
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
	trustedProxies []netip.Prefix
	proxyHeader    string
	exempt         map[string]bool // "METHOD /escaped/path"
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
	cfg.HeaderNames = canonicalHeaders(cfg.HeaderNames)
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
// not WebSocket upgrades) go straight through with the secret ensured and,
// in Automatic delivery, the readable cookie refreshed when needed. Unsafe
// requests must pass the origin layer, then the token layer; rejected ones
// get a 403 (413 for a form body over MaxFormBytes) and never reach next.
// Cost on a safe request with the cookie: one allocation for the request
// state plus the one net/http makes in WithContext; no crypto unless a token
// is asked for or the readable cookie must be (re)issued.
func (p *Protector) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := &state{Context: r.Context(), p: p, w: w}
		r = r.WithContext(s)
		if p.cfg.RestorePath != "" && r.URL.Path == p.cfg.RestorePath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			p.serveRestore(w, r, s)
			return
		}
		if p.needsCheck(r) {
			if err := p.verify(r, s); err != nil && !p.fail(w, r, err) {
				return
			}
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
	if !p.needsCheck(r) {
		return nil
	}
	if err := p.verify(r, nil); err != nil {
		return err
	}
	return nil
}

// needsCheck: unsafe methods, WebSocket handshakes, and no exemption.
func (p *Protector) needsCheck(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		// A WebSocket handshake is a GET that the browser sends cross-site
		// with cookies and without CORS: it must be checked like a POST.
		if p.cfg.AllowCrossSiteWebSocket || !isWebSocket(r) {
			return false
		}
	}
	return !p.exempted(r)
}

// verify runs the origin layer, then the token layer. s may be nil (Check).
func (p *Protector) verify(r *http.Request, s *state) *Error {
	if err := p.checkOrigin(r); err != nil {
		return err.(*Error)
	}
	if p.cfg.UnsafeOriginOnly {
		return nil
	}
	var secret [secretLen]byte
	if !p.readSecret(r, &secret) {
		return ErrSecretMissing
	}
	if s != nil {
		s.secret, s.hasSecret = secret, true
	}
	tok := p.headerToken(r)
	if tok == "" {
		var err error
		if tok, err = formToken(r, p.cfg.FieldName, p.cfg.MaxFormBytes, p.cfg.MaxPrefixBytes); err != nil {
			return asError(err)
		}
	}
	issued, err := p.keys.verify(tok, &secret, p.sessionID(r))
	if err == nil {
		err = checkAge(issued, p.now(), p.cfg.TokenTTL)
	}
	if err != nil {
		return err.(*Error)
	}
	return nil
}

// headerToken returns the first non-empty accepted header. Query strings
// and cookies are never read: the first leaks through logs and Referer, the
// second is sent by the browser on forged requests too.
func (p *Protector) headerToken(r *http.Request) string {
	for _, name := range p.cfg.HeaderNames {
		if v := r.Header[name]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	return ""
}

// deliver runs before the application: the secret always exists afterwards
// and, in Automatic delivery, the readable cookie holds a valid token.
func (p *Protector) deliver(w http.ResponseWriter, r *http.Request, s *state) {
	s.ensureSecret(r)
	if p.cfg.Delivery != Automatic || p.cfg.TokenCookie == "" {
		return
	}
	if v, ok := cookieValue(r, p.cfg.TokenCookie); ok && p.fresh(v, s, r) {
		return
	}
	p.setTokenCookie(w, r, s.tokenFor(r))
}

// fresh reports whether a readable-cookie token still verifies and, with a
// TokenTTL, has more than half its life left.
func (p *Protector) fresh(tok string, s *state, r *http.Request) bool {
	issued, err := p.keys.verify(tok, &s.secret, p.sessionID(r))
	if err != nil {
		return false
	}
	now := p.now()
	return checkAge(issued, now, p.cfg.TokenTTL/2) == nil
}

// Rotate gives the client a new secret: every token minted before it stops
// verifying. Call it at login and logout (after the new session exists, with
// a request whose SessionID is the new one) so tokens cannot outlive the
// session they were handed out in. When Config.TokenCookie is set, the
// readable cookie is replaced in the same response. Must be called before
// the response header is written. Cost: one random read, one HMAC.
func (p *Protector) Rotate(w http.ResponseWriter, r *http.Request) {
	s := p.stateFor(w, r)
	newSecret(&s.secret)
	s.hasSecret = true
	s.token = ""
	p.setSecretCookie(w, r, &s.secret)
	if p.cfg.TokenCookie != "" {
		p.setTokenCookie(w, r, s.tokenFor(r))
	}
}

// SetTokenCookie sets the readable token cookie (Config.TokenCookie) on the
// response — the explicit style's res.cookie('XSRF-TOKEN', req.csrfToken()).
// It does nothing when TokenCookie is empty. It works with or without the
// middleware; without it, it also creates the secret when missing.
func (p *Protector) SetTokenCookie(w http.ResponseWriter, r *http.Request) {
	if p.cfg.TokenCookie == "" {
		return
	}
	p.setTokenCookie(w, r, p.stateFor(w, r).tokenFor(r))
}

// stateFor returns the middleware's state for r, or a one-off state bound to
// w when r did not pass through Handler.
func (p *Protector) stateFor(w http.ResponseWriter, r *http.Request) *state {
	if s := stateOf(r); s != nil && s.p == p {
		s.w = w
		return s
	}
	return &state{Context: r.Context(), p: p, w: w}
}

func (p *Protector) sessionID(r *http.Request) string {
	if p.cfg.SessionID == nil {
		return ""
	}
	return p.cfg.SessionID(r)
}

func (p *Protector) now() time.Time { return p.cfg.now() }

// asError maps any error from the body reader to a reason; anything
// unexpected is a malformed body, never a 500.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrBodyMalformed
}
