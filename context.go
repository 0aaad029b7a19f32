package csrfkit

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sync"
	"time"
)

// state is csrfkit's per-request record. It is also the request's context
// (it embeds the parent), and the Handler allocates it together with the
// request copy it hands on (see attach), so a request costs one allocation.
type state struct {
	context.Context
	p *Protector
	w http.ResponseWriter // the middleware's writer; handlers' calls get their own

	mu        sync.Mutex // Token may be called from any goroutine of the handler
	secret    [secretLen]byte
	hasSecret bool
	token     string // minted on first use, reused for the rest of the request
	sid       string // SessionID(r), cached until the session may change
	hasSID    bool
	err       error

	verified   string    // the header token the token layer accepted, if any
	verifiedAt time.Time // and its issue time

	vary    [1]string // backing array for the Vary value csrfkit adds
	cookies [2]string // backing array for the Set-Cookie lines csrfkit adds
}

type stateKey struct{}

// String names the context without its fields: printing a request's context
// (with %v, or a logger) must never show the secret or the token.
func (s *state) String() string {
	if p, ok := s.Context.(fmt.Stringer); ok {
		return p.String() + ".WithCSRFKit"
	}
	return "context.WithCSRFKit"
}

// Format makes %+v and %#v print String too.
func (s *state) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

func (s *state) Value(key any) any {
	if key == (stateKey{}) {
		return s
	}
	return s.Context.Value(key)
}

// stateOf returns the state of the innermost Protector r passed through.
func stateOf(r *http.Request) *state {
	if r == nil {
		return nil
	}
	s, _ := r.Context().Value(stateKey{}).(*state)
	return s
}

// outer returns the state of an enclosing Protector (nested middlewares).
func (s *state) outer() *state {
	o, _ := s.Context.Value(stateKey{}).(*state)
	return o
}

// attached is a request handed on by the Handler together with its state.
type attached struct {
	req http.Request
	st  state
}

// attach returns a shallow copy of r whose context is a new state, in one
// allocation: WithContext is inlined and its own copy stays on the stack.
func (p *Protector) attach(w http.ResponseWriter, r *http.Request) (*http.Request, *state) {
	a := new(attached)
	a.st.Context, a.st.p, a.st.w = r.Context(), p, w
	a.req = *r.WithContext(&a.st)
	return &a.req, &a.st
}

// sessionID returns SessionID(r), calling the hook once per request: the
// session a request acts for changes only at login and logout, where the
// application calls Rotate with the new one, which replaces the cached id.
func (s *state) sessionID(r *http.Request) string {
	if !s.hasSID {
		s.sid, s.hasSID = s.p.sessionID(r), true
	}
	return s.sid
}

// ensureSecret makes sure the request has a secret, reading the cookie or, if
// there is none, making one and sending it on w.
func (s *state) ensureSecret(w http.ResponseWriter, r *http.Request) {
	if s.hasSecret {
		return
	}
	if s.p.readSecret(r, &s.secret) {
		s.hasSecret = true
		return
	}
	newSecret(&s.secret)
	s.hasSecret = true
	s.setSecretCookie(w, r)
}

// tokenFor returns this request's masked token, minting it on first use. It
// writes to w only when the request has no secret yet, which cannot happen
// inside a handler the middleware called (the secret is ensured before).
// The caller holds s.mu.
func (s *state) tokenFor(w http.ResponseWriter, r *http.Request) string {
	if s.token == "" {
		s.ensureSecret(w, r)
		s.token = s.p.keys.mint(&s.secret, s.sessionID(r), s.p.issueTime())
	}
	return s.token
}

// handlerToken is tokenFor for the accessors: safe from any goroutine.
func (s *state) handlerToken(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenFor(s.w, r)
}

// Token returns a masked CSRF token for r, to embed in a page or hand to a
// client. Within one request it returns the same token; different requests
// get different strings (fresh one-time pads) that all verify. The first call
// in a request costs one HMAC and a 32-byte pad; later ones are free. It
// writes no header, so it may be called at any point of the handler and from
// any of its goroutines. It returns "" when r did not pass through a
// Protector's Handler; behind nested Protectors it is the innermost one's.
func Token(r *http.Request) string {
	s := stateOf(r)
	if s == nil {
		return ""
	}
	return s.handlerToken(r)
}

// TemplateField returns a hidden input carrying the token, for server-rendered
// forms: <input type="hidden" name="csrf_token" value="...">. The field name
// is Config.FieldName. Empty when the middleware is absent.
func TemplateField(r *http.Request) template.HTML {
	s := stateOf(r)
	if s == nil {
		return ""
	}
	// Safe without escaping: the token is base64url and FieldName was
	// validated by New to be a plain identifier.
	return template.HTML(`<input type="hidden" name="` + s.p.cfg.FieldName + `" value="` + s.handlerToken(r) + `">`)
}

// MetaTags returns <meta> tags for JavaScript clients: csrf-token (the
// token), csrf-header (the first accepted header name) and csrf-field (the
// form field name). csrfkit.js reads them. Empty when the middleware is absent.
func MetaTags(r *http.Request) template.HTML {
	s := stateOf(r)
	if s == nil {
		return ""
	}
	return template.HTML(`<meta name="csrf-token" content="` + s.handlerToken(r) +
		`"><meta name="csrf-header" content="` + s.p.cfg.HeaderNames[0] +
		`"><meta name="csrf-field" content="` + s.p.cfg.FieldName + `">`)
}

// FailureReason returns why the request was rejected (one of the Err values),
// for use inside Config.ErrorHandler, or what would have been rejected in
// ReportOnly mode. It returns nil when the request passed or the middleware
// is absent. Behind nested Protectors it is the innermost reason.
func FailureReason(r *http.Request) error {
	for s := stateOf(r); s != nil; s = s.outer() {
		if s.err != nil {
			return s.err
		}
	}
	return nil
}

// TemplateFuncs returns html/template functions that take the request:
// {{csrfField .Request}}, {{csrfToken .Request}}, {{csrfMeta .Request}}.
// Add them once at parse time with template.New(...).Funcs(csrfkit.TemplateFuncs()).
func TemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"csrfField": TemplateField,
		"csrfToken": Token,
		"csrfMeta":  MetaTags,
	}
}
