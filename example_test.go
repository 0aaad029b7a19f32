package csrfkit_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/csrfkit/csrfkit"
)

// The examples drive handlers with httptest requests built from a path only,
// as a server sees them (no URL scheme or host; Host is "example.com").
// They log to slog.DiscardHandler to keep test output clean; a real
// application keeps the default logger and sets Config.Keys or CSRFKIT_KEYS.

// The automatic (Flask) style: one middleware, and the token cookie appears by
// itself. A script copies the readable cookie into X-CSRF-Token, which is what
// csrfFetch does.
func ExampleNew() {
	cfg := csrfkit.FlaskStyle()
	cfg.Logger = slog.New(slog.DiscardHandler)
	p, err := csrfkit.New(cfg)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })
	mux.HandleFunc("POST /transfer", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "sent") })
	h := p.Handler(mux)

	// First visit: the HttpOnly secret and the readable token cookie.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	cookies := rec.Result().Cookies()
	for _, c := range cookies {
		fmt.Println("set", c.Name, "HttpOnly:", c.HttpOnly)
	}

	// A same-origin fetch: the browser sends the cookies, the script copies
	// the token cookie into the header.
	r := httptest.NewRequest("POST", "/transfer", strings.NewReader(`{"to":"bob"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	tok, _ := r.Cookie("csrf_token")
	r.Header.Set("X-CSRF-Token", tok.Value)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println("same-origin POST:", rec.Code, rec.Body.String())

	// The same request sent by another site's page: the browser still
	// attaches the cookies, but it says where the request comes from.
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println("cross-site POST:", rec.Code, rec.Header().Get("X-CSRF-Reason"))

	// Output:
	// set csrf_secret HttpOnly: true
	// set csrf_token HttpOnly: false
	// same-origin POST: 200 sent
	// cross-site POST: 403 cross-site
}

// Handler wraps a whole mux. Safe methods pass untouched; an unsafe request
// without a valid secret and token never reaches the mux, and scripts get
// a JSON answer with the reason.
func ExampleProtector_Handler() {
	p, err := csrfkit.New(csrfkit.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/balance", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"balance":1000}`) })
	mux.HandleFunc("POST /api/transfer", func(w http.ResponseWriter, r *http.Request) { panic("not reached") })
	h := p.Handler(mux) // e.g. http.ListenAndServe(":8080", h)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/balance", nil))
	fmt.Println("GET:", rec.Code, rec.Body.String())

	// A POST from a client that has no csrfkit cookie yet.
	r := httptest.NewRequest("POST", "/api/transfer", strings.NewReader(`{"to":"mallory"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println("POST:", rec.Code, rec.Header().Get("X-CSRF-Reason"))
	fmt.Print(rec.Body.String())

	// Output:
	// GET: 200 {"balance":1000}
	// POST: 403 secret-missing
	// {"error":"csrf","reason":"secret-missing"}
}

// The explicit (Express) style: the application decides which responses set
// the readable XSRF-TOKEN cookie, and mounts the restore route that clients
// call at start-up and after a rejection (restoreCSRF in csrfkit.js).
func ExampleExpressStyle() {
	cfg := csrfkit.ExpressStyle()
	cfg.RestorePath = "" // mounted on the mux below instead of answered by the middleware
	cfg.Logger = slog.New(slog.DiscardHandler)
	p, err := csrfkit.New(cfg)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		p.SetTokenCookie(w, r) // res.cookie('XSRF-TOKEN', req.csrfToken())
		io.WriteString(w, "app shell")
	})
	mux.HandleFunc("GET /about", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "about") })
	mux.Handle("GET /api/csrf/restore", p.RestoreHandler())
	mux.HandleFunc("POST /api/items", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "created") })
	h := p.Handler(mux)

	for _, path := range []string{"/about", "/"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print("GET ", path, " sets:")
		for _, c := range rec.Result().Cookies() {
			fmt.Print(" ", c.Name)
		}
		fmt.Println()
	}

	// restoreCSRF(): the token in JSON, and a fresh XSRF-TOKEN cookie.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/csrf/restore", nil))
	var body struct{ CSRFToken string }
	json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println("restore:", rec.Code, rec.Header().Get("Cache-Control"), body.CSRFToken != "")

	// request('/api/items', 'POST', {...}) sends the token in XSRF-Token.
	r := httptest.NewRequest("POST", "/api/items", strings.NewReader(`{"name":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("XSRF-Token", body.CSRFToken)
	for _, c := range rec.Result().Cookies() {
		r.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println("POST:", rec.Code, rec.Body.String())

	// Output:
	// GET /about sets: csrf_secret
	// GET / sets: csrf_secret XSRF-TOKEN
	// restore: 200 no-store true
	// POST: 200 created
}

// TemplateField is the hidden input for a server-rendered form. The token
// is the same for every call within one request.
func ExampleTemplateField() {
	p, err := csrfkit.New(csrfkit.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		field := string(csrfkit.TemplateField(r))
		fmt.Println(strings.Replace(field, csrfkit.Token(r), "TOKEN", 1))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/profile", nil))

	// Without the middleware there is no token.
	fmt.Printf("%q\n", csrfkit.TemplateField(httptest.NewRequest("GET", "/profile", nil)))

	// Output:
	// <input type="hidden" name="csrf_token" value="TOKEN">
	// ""
}

// TemplateFuncs adds csrfField, csrfToken and csrfMeta to html/template.
// Here the template's data is the request itself; the form posts the token
// back in the csrf_token field.
func ExampleTemplateFuncs() {
	page := template.Must(template.New("profile").Funcs(csrfkit.TemplateFuncs()).Parse(
		`<form method="post" action="/profile">{{csrfField .}}<input name="name"><button>Save</button></form>`))

	cfg := csrfkit.FlaskStyle()
	cfg.Logger = slog.New(slog.DiscardHandler)
	p, err := csrfkit.New(cfg)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /profile", func(w http.ResponseWriter, r *http.Request) { page.Execute(w, r) })
	mux.HandleFunc("POST /profile", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "saved %s", r.PostFormValue("name")) // the body is intact
	})
	h := p.Handler(mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/profile", nil))
	html := rec.Body.String()
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(html)[1]
	fmt.Println(strings.Replace(html, token, "TOKEN", 1))

	// The browser submits the form.
	form := url.Values{"csrf_token": {token}, "name": {"Ada"}}
	r := httptest.NewRequest("POST", "/profile", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", "http://example.com")
	for _, c := range rec.Result().Cookies() {
		r.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, rec.Body.String())

	// Output:
	// <form method="post" action="/profile"><input type="hidden" name="csrf_token" value="TOKEN"><input name="name"><button>Save</button></form>
	// 200 saved Ada
}

// A custom ErrorHandler answers rejections itself. FailureReason says why;
// compare it with the exported errors using errors.Is.
func ExampleFailureReason() {
	cfg := csrfkit.FlaskStyle()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.ErrorHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := csrfkit.FailureReason(r)
		switch {
		case errors.Is(err, csrfkit.ErrCrossSite), errors.Is(err, csrfkit.ErrOriginMismatch):
			http.Error(w, "Requests from other sites are not accepted.", http.StatusForbidden)
		case errors.Is(err, csrfkit.ErrSecretMissing), errors.Is(err, csrfkit.ErrTokenMissing),
			errors.Is(err, csrfkit.ErrTokenInvalid), errors.Is(err, csrfkit.ErrTokenExpired):
			http.Error(w, "Your form expired. Reload the page and try again.", http.StatusForbidden)
		default:
			http.Error(w, err.Error(), err.(*csrfkit.Error).Status)
		}
	})
	p, err := csrfkit.New(cfg)
	if err != nil {
		panic(err)
	}
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("reached the handler, FailureReason:", csrfkit.FailureReason(r))
	}))

	for _, site := range []string{"cross-site", "same-origin"} {
		r := httptest.NewRequest("POST", "/comment", strings.NewReader("text=hi"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", site)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Print(site, ": ", rec.Code, " ", rec.Body.String())
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/comment", nil))

	// Output:
	// cross-site: 403 Requests from other sites are not accepted.
	// same-origin: 403 Your form expired. Reload the page and try again.
	// reached the handler, FailureReason: <nil>
}

// Check gives the verdict without answering the request, for adapters and
// applications that write their own responses. It needs no middleware.
func ExampleProtector_Check() {
	p, err := csrfkit.New(csrfkit.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	show := func(r *http.Request) {
		var e *csrfkit.Error
		if err := p.Check(r); errors.As(err, &e) {
			fmt.Println(r.Method, "refused:", e.Status, e.Code)
		} else {
			fmt.Println(r.Method, "allowed:", err)
		}
	}

	show(httptest.NewRequest("GET", "/account", nil))

	// A browser without Fetch Metadata posting from another origin.
	r := httptest.NewRequest("POST", "/account/delete", nil)
	r.Header.Set("Origin", "https://evil.example")
	show(r)

	// From this origin, but with no secret cookie and no token.
	r = httptest.NewRequest("POST", "/account/delete", nil)
	r.Header.Set("Origin", "http://example.com")
	show(r)

	// Output:
	// GET allowed: <nil>
	// POST refused: 403 origin-mismatch
	// POST refused: 403 secret-missing
}

// Rotate at login: the new session gets a new secret, so tokens handed out
// before the login stop verifying. SessionID binds tokens to the session;
// the request passed to Rotate must already carry the new session.
func ExampleProtector_Rotate() {
	cfg := csrfkit.FlaskStyle()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.SessionID = func(r *http.Request) string {
		c, err := r.Cookie("session") // a real app looks the id up in its session store
		if err != nil {
			return ""
		}
		return c.Value
	}
	p, err := csrfkit.New(cfg)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		session := &http.Cookie{Name: "session", Value: "s-4f2a", Path: "/", HttpOnly: true}
		http.SetCookie(w, session)
		r = r.Clone(r.Context())
		r.AddCookie(session) // so that SessionID(r) is the new session
		p.Rotate(w, r)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /transfer", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "sent") })
	h := p.Handler(mux)

	// post sends the cookies a browser would, with the token cookie copied
	// into the header by script (or with an older token, when given).
	post := func(path string, cookies []*http.Cookie, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, nil)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		for _, c := range cookies {
			r.AddCookie(c)
		}
		if token == "" {
			c, _ := r.Cookie("csrf_token")
			token = c.Value
		}
		r.Header.Set("X-CSRF-Token", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	before := rec.Result().Cookies()

	rec = post("/login", before, "")
	after := rec.Result().Cookies()
	fmt.Print("login: ", rec.Code, " sets:")
	for _, c := range after {
		fmt.Print(" ", c.Name)
	}
	fmt.Println()

	var oldToken string
	for _, c := range before {
		if c.Name == "csrf_token" {
			oldToken = c.Value
		}
	}
	rec = post("/transfer", after, oldToken)
	fmt.Println("token from before the login:", rec.Code, rec.Header().Get("X-CSRF-Reason"))
	rec = post("/transfer", after, "")
	fmt.Println("token from the login response:", rec.Code, rec.Body.String())

	// Output:
	// login: 303 sets: session csrf_secret csrf_token
	// token from before the login: 403 token-invalid
	// token from the login response: 200 sent
}
