// Command standin is a small stand-in for the demo application, for the
// server-level benchmark under wrk. It has the demo's two routes:
//
//	GET  /transfer      an HTML page for a logged-in user, carrying the token
//	                    (csrfkit.TemplateField and MetaTags)
//	POST /api/transfer  a JSON transfer, token in the X-CSRF-Token header
//
// plus GET /login, which opens a session (a signed cookie, so a session and
// a token minted by one process verify in the next one started with the
// same keys). With -nocsrf the same routes run without csrfkit.
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"html/template"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/csrfkit/csrfkit"
)

var (
	addr       = flag.String("addr", "127.0.0.1:8089", "listen address")
	nocsrf     = flag.Bool("nocsrf", false, "serve without csrfkit")
	cpuprofile = flag.String("cpuprofile", "", "write a CPU profile to this file until SIGTERM or SIGINT")
	sessionKey = []byte("standin-session-key-0123456789abcdef")
	csrfKey    = []byte("standin-csrfkit-key-0123456789abcdef")
)

const sessionCookie = "session"

func sign(id string) string {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte(id))
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionID returns the logged-in session id, or "".
func sessionID(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	id, _, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sign(id)), []byte(c.Value)) {
		return ""
	}
	return id
}

var page = template.Must(template.New("transfer").Funcs(csrfkit.TemplateFuncs()).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Transfer</title>{{if .CSRF}}{{csrfMeta .Request}}{{end}}</head>
<body><h1>Transfer money</h1><p>Signed in as {{.User}}.</p>
<form method="post" action="/transfer">{{if .CSRF}}{{csrfField .Request}}{{end}}
<label>To <input name="to"></label><label>Amount <input name="amount" type="number"></label>
<button>Send</button></form><script src="/app.js"></script></body></html>
`))

type transfer struct {
	To     string `json:"to"`
	Amount int64  `json:"amount"`
}

func main() {
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		var b [16]byte
		rand.Read(b[:])
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sign(hex.EncodeToString(b[:])),
			Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/transfer", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /transfer", func(w http.ResponseWriter, r *http.Request) {
		id := sessionID(r)
		if id == "" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, map[string]any{"CSRF": !*nocsrf, "Request": r, "User": id[:8]})
	})
	mux.HandleFunc("POST /api/transfer", func(w http.ResponseWriter, r *http.Request) {
		if sessionID(r) == "" {
			http.Error(w, `{"error":"login"}`, http.StatusUnauthorized)
			return
		}
		var t transfer
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&t); err != nil || t.To == "" || t.Amount <= 0 {
			http.Error(w, `{"error":"bad transfer"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "to": t.To, "amount": t.Amount})
	})

	var h http.Handler = mux
	if !*nocsrf {
		cfg := csrfkit.FlaskStyle()
		cfg.Keys = [][]byte{csrfKey}
		cfg.SessionID = sessionID
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		p, err := csrfkit.New(cfg)
		if err != nil {
			log.Fatal(err)
		}
		h = p.Handler(mux)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		go func() {
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	log.Printf("standin listening on %s (csrfkit %v)", *addr, !*nocsrf)
	log.Fatal(http.ListenAndServe(*addr, h))
}
