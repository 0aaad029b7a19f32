package bench

import (
	"log/slog"
	"net/http"

	filippo "filippo.io/csrf"
	"github.com/csrfkit/csrfkit"
	gorilla "github.com/gorilla/csrf"
	"github.com/justinas/nosurf"
)

// lib is one contender: how it wraps a handler and, for token libraries, how
// a handler asks it for a token. Tokenless libraries (the bare handler,
// net/http's CrossOriginProtection, filippo.io/csrf) have token == nil and
// are sent csrfkit's requests byte for byte.
type lib struct {
	name  string
	wrap  func(next http.Handler) http.Handler
	token func(r *http.Request) string
}

// Fixed 32-byte keys: every run mints and checks with the same key, like a
// configured production deployment.
var (
	csrfkitKey = []byte("csrfkit-bench-key-0123456789abcdef")
	gorillaKey = []byte("gorilla-bench-key-0123456789abcde")
)

// The order here is the column order of the tables.
var libs = []lib{
	{name: "bare", wrap: func(next http.Handler) http.Handler { return next }},
	{name: "csrfkit", wrap: csrfkitWrap, token: csrfkit.Token},
	{name: "gorilla", wrap: gorillaWrap, token: gorilla.Token},
	{name: "nosurf", wrap: nosurfWrap, token: nosurf.Token},
	{name: "filippo", wrap: func(next http.Handler) http.Handler { return filippo.New().Handler(next) }},
	{name: "stdlib", wrap: func(next http.Handler) http.Handler { return http.NewCrossOriginProtection().Handler(next) }},
}

func libNamed(name string) lib {
	for _, l := range libs {
		if l.name == name {
			return l
		}
	}
	panic("no lib " + name)
}

// csrfkit with its zero-value configuration (both layers, automatic
// delivery, no readable cookie), a fixed key, and a logger that drops the
// one line per rejection it would otherwise write: the other libraries log
// nothing, and logging cost belongs to the application's log sink.
func csrfkitWrap(next http.Handler) http.Handler {
	p, err := csrfkit.New(csrfkit.Config{
		Keys:   [][]byte{csrfkitKey},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	return p.Handler(next)
}

// gorilla/csrf 1.7.3 with its defaults (Secure cookie, HTTPS assumed: our
// requests are TLS requests, so no PlaintextHTTPRequest wrapper is needed)
// and the shared field name.
func gorillaWrap(next http.Handler) http.Handler {
	return gorilla.Protect(gorillaKey,
		gorilla.FieldName("csrf_token"),
		gorilla.Path("/"),
	)(next)
}

// nosurf 1.2.0: TLS decided from the connection (its default assumes TLS
// always), a Path=/ Secure HttpOnly cookie, and 403 instead of its default
// 400 so every library answers a forgery the same way.
func nosurfWrap(next http.Handler) http.Handler {
	h := nosurf.New(next)
	h.SetIsTLSFunc(func(r *http.Request) bool { return r.TLS != nil })
	h.SetBaseCookie(http.Cookie{Path: "/", MaxAge: nosurf.MaxAge, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	h.SetFailureHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
	}))
	return h
}
