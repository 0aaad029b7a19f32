package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// attacker is the attacker site: an index and one page per attack, each
// taking the target bank's origin as ?target=ORIGIN.
type attacker struct {
	targets []string // default targets: the two banks' public origins
	pages   map[string]*template.Template
	fetch   *http.Client // fetches an anonymous secret/token pair for the toss attack
}

var attackNames = []string{"index", "form", "nocors", "login", "ws", "override", "img", "toss"}

func newAttacker(targets ...string) *attacker {
	a := &attacker{targets: targets, pages: make(map[string]*template.Template)}
	for _, n := range attackNames {
		a.pages[n] = template.Must(template.ParseFS(assets, "templates/attack/layout.html", "templates/attack/"+n+".html"))
	}
	// The attacker's server acts as an anonymous visitor of the bank. Its
	// host names (app.test...) may exist only in the browsers' host mapping,
	// so a name that does not resolve is dialled on loopback; it does not
	// check the bank's certificate (it is the attacker).
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	a.fetch = &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := dialer.DialContext(ctx, network, addr)
				if err == nil {
					return c, nil
				}
				var dnsErr *net.DNSError
				if _, port, e := net.SplitHostPort(addr); e == nil && errors.As(err, &dnsErr) {
					return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
				}
				return nil, err
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return a
}

// attackData is what every attack page gets.
type attackData struct {
	Target  string   // the bank's origin, "" on the index
	Targets []string // index only
	WS      string   // ws(s)://host/ws
	Top     bool     // submit forms as top-level navigations (&top=1)

	// toss
	Secret, Token, SecretName, Domain, PairErr string
	Fetched                                    bool
}

func (a *attacker) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		d := attackData{Targets: a.targets}
		if t, ok := parseTarget(r.URL.Query().Get("target")); ok {
			d.Targets = []string{t}
		}
		a.render(w, "index", d)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, n := range attackNames[1:] {
		mux.HandleFunc("GET /attack/"+n, func(w http.ResponseWriter, r *http.Request) { a.attack(w, r, n) })
	}
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	return mux
}

func (a *attacker) attack(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	target := a.targets[0]
	if v := q.Get("target"); v != "" {
		t, ok := parseTarget(v)
		if !ok {
			http.Error(w, "target must be an origin like http://localhost:8080", http.StatusBadRequest)
			return
		}
		target = t
	}
	d := attackData{Target: target, Top: q.Get("top") == "1"}
	d.WS = "ws" + strings.TrimPrefix(target, "http") + "/ws"
	if name == "toss" {
		d.Secret, d.Token, d.Domain = q.Get("secret"), q.Get("token"), q.Get("domain")
		d.SecretName = q.Get("secretName")
		if d.SecretName == "" {
			d.SecretName = "csrf_secret"
		}
		if d.Secret == "" || d.Token == "" {
			d.Fetched = true
			var err error
			if d.Secret, d.Token, err = a.fetchPair(r.Context(), target); err != nil {
				d.PairErr = err.Error()
			}
		}
	}
	a.render(w, name, d)
}

// fetchPair gets a secret cookie and a matching token from the bank's restore
// route, as an anonymous visitor: what any attacker can obtain for itself.
func (a *attacker) fetchPair(ctx context.Context, target string) (secret, token string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/api/csrf/restore", nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Accept", "application/json")
	res, err := a.fetch.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	var body struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 4096)).Decode(&body); err != nil {
		return "", "", errors.New("restore route answered " + res.Status + " without JSON")
	}
	for _, c := range res.Cookies() {
		if c.Name == "csrf_secret" || c.Name == "__Host-csrf_secret" {
			secret = c.Value
		}
	}
	if secret == "" || body.CSRFToken == "" {
		return "", "", errors.New("no secret cookie or token in the restore answer")
	}
	return secret, body.CSRFToken, nil
}

// parseTarget accepts an http(s) origin (a trailing slash or path is cut).
func parseTarget(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

func (a *attacker) render(w http.ResponseWriter, name string, d attackData) {
	var buf bytes.Buffer
	if err := a.pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
