package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/csrfkit/csrfkit"
)

//go:embed templates static
var assets embed.FS

const (
	startBalance = 1000      // default of -balance
	maxUpload    = 256 << 20 // bytes; uploads are streamed, never held in memory
)

// bank is one copy of the demo bank: its csrfkit Protector, its sessions and
// balances (in memory, behind mu), its pages.
type bank struct {
	name     string // "auto" or "explicit"
	style    string // "FlaskStyle" or "ExpressStyle"
	explicit bool
	p        *csrfkit.Protector
	cookie   string // session cookie name; distinct per app, since cookies ignore ports
	htmxFile string
	balance  int  // every user's starting balance
	bare     bool // -unprotected: serve without csrfkit
	client   http.Handler
	pages    map[string]*template.Template
	sockets  connSet

	attackerURL, otherURL string // for links on the home page

	mu       sync.Mutex
	sessions map[string]string // session id → user name
	balances map[string]int    // user name → balance
}

func newBank(name string, explicit bool, keys [][]byte, cfg config, client http.Handler) (*bank, error) {
	b := &bank{
		name:     name,
		explicit: explicit,
		cookie:   "demo_session_" + name,
		htmxFile: cfg.htmxFile,
		balance:  cfg.balance,
		bare:     cfg.unprotected,
		client:   client,
		sessions: make(map[string]string),
		balances: make(map[string]int),
	}
	// csrfkit logs each rejection itself; the access log already prints the
	// reason on the request's own line, so keep only its errors.
	quiet := slog.New(slog.NewTextHandler(orDiscard(cfg.out), &slog.HandlerOptions{Level: slog.LevelError}))

	var c csrfkit.Config
	if explicit {
		b.style = "ExpressStyle"
		c = csrfkit.ExpressStyle()
		// The explicit style mounts the restore route itself (see handler),
		// like the seed's app.get("/api/csrf/restore", ...), instead of
		// letting the middleware answer Config.RestorePath.
		c.RestorePath = ""
	} else {
		b.style = "FlaskStyle"
		c = csrfkit.FlaskStyle() // the middleware answers /api/csrf/restore
	}
	c.Keys = keys
	c.SessionID = b.sessionID
	c.Logger = quiet
	var err error
	if b.p, err = csrfkit.New(c); err != nil {
		return nil, err
	}
	if b.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return b, nil
}

// Accessors for the templates.
func (b *bank) Name() string        { return b.name }
func (b *bank) Style() string       { return b.style }
func (b *bank) Explicit() bool      { return b.explicit }
func (b *bank) AttackerURL() string { return b.attackerURL }
func (b *bank) OtherURL() string    { return b.otherURL }
func (b *bank) Bare() bool          { return b.bare }

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func (b *bank) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", b.page("home"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /login", b.page("login"))
	mux.HandleFunc("POST /login", b.login)
	mux.HandleFunc("POST /logout", b.logout)
	mux.HandleFunc("GET /transfer", b.transferPage)
	mux.HandleFunc("POST /transfer", b.transferForm)
	mux.HandleFunc("GET /api/balance", b.apiBalance)
	mux.HandleFunc("POST /api/transfer", b.apiTransfer)
	if b.explicit {
		mux.Handle("GET /api/csrf/restore", b.p.RestoreHandler())
	}
	mux.HandleFunc("GET /upload", b.page("upload"))
	mux.HandleFunc("POST /upload", b.upload)
	mux.HandleFunc("GET /ws", b.handleWS)
	mux.HandleFunc("GET /spa", b.page("spa"))
	mux.HandleFunc("GET /htmx", b.page("htmx"))
	mux.HandleFunc("GET /htmx.min.js", b.serveHTMX)
	mux.HandleFunc("GET /seed/flask", b.page("seed-flask"))
	mux.HandleFunc("GET /seed/express", b.page("seed-express"))
	mux.Handle("GET /csrfkit.js", b.client)
	mux.Handle("GET /csrfkit.global.js", b.client)
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	if b.bare {
		return mux // -unprotected: for the server-level benchmark, and to watch the attacks succeed
	}
	return b.p.Handler(mux)
}

// ---- sessions ----

type sessionKey struct{}

// withSession records the session a request acts for, overriding the cookie:
// at login and logout the response carries a new session cookie that the
// request itself does not have yet.
func withSession(ctx context.Context, sid string) context.Context {
	return context.WithValue(ctx, sessionKey{}, sid)
}

// sessionID is csrfkit's Config.SessionID hook: tokens are bound to the
// login session ("" for anonymous visitors).
func (b *bank) sessionID(r *http.Request) string {
	if sid, ok := r.Context().Value(sessionKey{}).(string); ok {
		return sid
	}
	c, err := r.Cookie(b.cookie)
	if err != nil {
		return ""
	}
	b.mu.Lock()
	_, ok := b.sessions[c.Value]
	b.mu.Unlock()
	if !ok {
		return ""
	}
	return c.Value
}

// user returns the logged-in user and their balance, or "".
func (b *bank) user(r *http.Request) (string, int) {
	sid := b.sessionID(r)
	if sid == "" {
		return "", 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.sessions[sid]
	return u, b.balanceLocked(u)
}

func (b *bank) balanceLocked(user string) int {
	if user == "" {
		return 0
	}
	bal, ok := b.balances[user]
	if !ok {
		bal = b.balance
		b.balances[user] = bal
	}
	return bal
}

// setSessionCookie sets the login session. It is SameSite=None on purpose:
// the bank stands for the many apps whose session cookie must travel
// cross-site (single sign-on, embedded widgets, legacy defaults), where
// nothing but CSRF protection stops a forged request — so every attack the
// attacker site tries reaches csrfkit with the victim's session. Secure is
// required with None; browsers accept Secure cookies from http://localhost.
func (b *bank) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: b.cookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteNoneMode, Secure: true,
	})
}

func (b *bank) login(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(r.PostFormValue("username"))
	if user == "" || r.PostFormValue("password") == "" || len(user) > 64 {
		b.render(w, r, http.StatusBadRequest, "login", pageData{Err: "Enter a user name and any non-empty password."})
		return
	}
	sid := randomID()
	b.mu.Lock()
	if old, err := r.Cookie(b.cookie); err == nil {
		delete(b.sessions, old.Value)
	}
	b.sessions[sid] = user
	b.balanceLocked(user)
	b.mu.Unlock()
	b.setSessionCookie(w, r, sid, 0)
	// New session, new CSRF secret: tokens handed out before the login stop
	// working. r2 carries the new session so the token Rotate puts in the
	// readable cookie is bound to it.
	r2 := r.WithContext(withSession(r.Context(), sid))
	b.p.Rotate(w, r2)
	http.Redirect(w, r, "/transfer", http.StatusSeeOther)
}

func (b *bank) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(b.cookie); err == nil {
		b.mu.Lock()
		delete(b.sessions, c.Value)
		b.mu.Unlock()
	}
	b.setSessionCookie(w, r, "", -1)
	b.p.Rotate(w, r.WithContext(withSession(r.Context(), "")))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// transfer moves amount out of the logged-in user's account.
func (b *bank) transfer(r *http.Request, to string, amount int64) (user string, balance int, status int, msg string) {
	sid := b.sessionID(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	user = b.sessions[sid]
	if sid == "" || user == "" {
		return "", 0, http.StatusUnauthorized, "log in first"
	}
	balance = b.balanceLocked(user)
	switch {
	case to == "" || len(to) > 64:
		return user, balance, http.StatusBadRequest, "name a recipient"
	case amount <= 0:
		return user, balance, http.StatusBadRequest, "the amount must be positive"
	case amount > int64(balance):
		return user, balance, http.StatusBadRequest, "insufficient funds"
	}
	balance -= int(amount)
	b.balances[user] = balance
	return user, balance, http.StatusOK, ""
}

func (b *bank) transferPage(w http.ResponseWriter, r *http.Request) {
	if u, _ := b.user(r); u == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	b.render(w, r, http.StatusOK, "transfer", pageData{})
}

func (b *bank) transferForm(w http.ResponseWriter, r *http.Request) {
	to := strings.TrimSpace(r.PostFormValue("to"))
	amount, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("amount")), 10, 64)
	if err != nil {
		amount = 0
	}
	_, bal, status, msg := b.transfer(r, to, amount)
	if r.Header.Get("HX-Request") == "true" { // the /htmx page: answer a fragment
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if status != http.StatusOK {
			template.HTMLEscape(w, []byte("Refused: "+msg))
			return
		}
		io.WriteString(w, `<span class="ok">Sent `+strconv.FormatInt(amount, 10)+` to `+template.HTMLEscapeString(to)+
			`.</span><span id="balance" hx-swap-oob="true">`+strconv.Itoa(bal)+`</span>`)
		return
	}
	if status == http.StatusUnauthorized {
		b.render(w, r, status, "login", pageData{Err: "Log in first."})
		return
	}
	d := pageData{Err: msg}
	if status == http.StatusOK {
		d.Msg = "Sent " + strconv.FormatInt(amount, 10) + " to " + to + "."
	}
	b.render(w, r, status, "transfer", d)
}

func (b *bank) apiBalance(w http.ResponseWriter, r *http.Request) {
	u, bal := b.user(r)
	if u == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "log in first"})
		return
	}
	writeJSON(w, http.StatusOK, struct {
		User    string `json:"user"`
		Balance int    `json:"balance"`
	}{u, bal})
}

func (b *bank) apiTransfer(w http.ResponseWriter, r *http.Request) {
	if u, _ := b.user(r); u == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "log in first"})
		return
	}
	var req struct {
		To     string      `json:"to"`
		Amount json.Number `json:"amount"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "send JSON {\"to\":\"...\",\"amount\":N}"})
		return
	}
	amount, err := req.Amount.Int64()
	if err != nil {
		amount = 0
	}
	_, bal, status, msg := b.transfer(r, strings.TrimSpace(req.To), amount)
	if status != http.StatusOK {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"balance": bal})
}

// upload streams a multipart body: the file is hashed as it arrives, never
// buffered (no ParseMultipartForm). csrfkit has already checked the token,
// from a header or from a field placed before the file.
func (b *bank) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "send multipart/form-data with a file field"})
		return
	}
	var res struct {
		Name   string `json:"name"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	}
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeJSON(w, uploadErrStatus(err), map[string]string{"error": "malformed or too large multipart body"})
			return
		}
		if part.FormName() == "file" && !found {
			h := sha256.New()
			n, err := io.Copy(h, part)
			if err != nil {
				writeJSON(w, uploadErrStatus(err), map[string]string{"error": "upload interrupted or too large"})
				return
			}
			found = true
			res.Name, res.Size, res.SHA256 = part.FileName(), n, hex.EncodeToString(h.Sum(nil))
		} else {
			io.Copy(io.Discard, part) // note, token field, anything else
		}
		part.Close()
	}
	if !found {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "no file field"})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func uploadErrStatus(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// handleWS serves the echo socket. csrfkit's middleware has already
// refused cross-site handshakes (the origin layer checks WebSocket
// handshakes, which are GETs, like unsafe requests).
func (b *bank) handleWS(w http.ResponseWriter, r *http.Request) {
	serveEcho(w, r, &b.sockets)
}

func (b *bank) serveHTMX(w http.ResponseWriter, r *http.Request) {
	if b.htmxFile == "" {
		http.Error(w, "no htmx: start the demo with -htmx FILE", http.StatusNotFound)
		return
	}
	f, err := os.Open(b.htmxFile)
	if err != nil {
		http.Error(w, "cannot read the -htmx file", http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot read the -htmx file", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	http.ServeContent(w, r, "htmx.min.js", st.ModTime(), f)
}

// ---- pages ----

// pageData is what every page template gets.
type pageData struct {
	R       *http.Request
	B       *bank
	User    string
	Balance int
	Msg     string
	Err     string
	HTMX    bool
	Origin  string // this app's origin as the browser sees it
}

var pageNames = []string{"home", "login", "transfer", "upload", "spa", "htmx", "seed-flask", "seed-express"}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, n := range pageNames {
		t, err := template.New(n).Funcs(csrfkit.TemplateFuncs()).ParseFS(assets, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, err
		}
		pages[n] = t
	}
	return pages, nil
}

func (b *bank) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { b.render(w, r, http.StatusOK, name, pageData{}) }
}

// render executes a page into a buffer, then answers. In the explicit style
// the application decides where the readable token cookie is set: like the
// seed's Express middleware (res.cookie('XSRF-TOKEN', req.csrfToken())), it
// sets it on every page it serves. The automatic style needs no such call.
func (b *bank) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.R, d.B, d.HTMX = r, b, b.htmxFile != ""
	d.User, d.Balance = b.user(r)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	d.Origin = scheme + "://" + r.Host
	if b.explicit && r.Method == http.MethodGet {
		b.p.SetTokenCookie(w, r)
	}
	var buf bytes.Buffer
	if err := b.pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store") // pages carry tokens bound to the session
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
