package csrfkit

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestTLSRoundTrip drives a real HTTPS server with a cookie jar through
// login → rotate → old token rejected → restored token accepted.
func TestTLSRoundTrip(t *testing.T) {
	p := mustNew(t, ExpressStyle())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, Token(r)) })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { p.Rotate(w, r) })
	mux.HandleFunc("POST /transfer", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		io.WriteString(w, "sent "+r.PostForm.Get("amount"))
	})
	ts := httptest.NewTLSServer(p.Handler(mux))
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	c := ts.Client()
	c.Jar = jar
	post := func(path, tok string, referer bool) (int, string, string) {
		form := url.Values{"amount": {"10"}}
		if tok != "" {
			form.Set("_csrf", tok)
		}
		req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if referer {
			req.Header.Set("Referer", ts.URL+"/form")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-CSRF-Reason"), string(b)
	}
	resp, err := c.Get(ts.URL + "/form")
	if err != nil {
		t.Fatal(err)
	}
	tok1, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var names []string
	for _, ck := range resp.Cookies() {
		names = append(names, ck.Name)
		if ck.Name == "__Host-csrf_secret" && (!ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "") {
			t.Fatalf("secret cookie attributes: %+v", ck)
		}
	}
	if strings.Join(names, ",") != "__Host-csrf_secret" {
		t.Fatalf("cookies on HTTPS: %v", names)
	}
	if code, reason, _ := post("/transfer", string(tok1), false); code != 403 || reason != "referer-missing" {
		t.Fatalf("no Referer over HTTPS: %d %s", code, reason)
	}
	if code, _, body := post("/transfer", string(tok1), true); code != 200 || body != "sent 10" {
		t.Fatalf("transfer: %d %q (the handler must still see the form)", code, body)
	}
	if code, _, _ := post("/login", string(tok1), true); code != 200 {
		t.Fatalf("login: %d", code)
	}
	if code, reason, _ := post("/transfer", string(tok1), true); code != 403 || reason != "token-invalid" {
		t.Fatalf("old token after rotation: %d %s", code, reason)
	}
	resp, err = c.Get(ts.URL + "/api/csrf/restore")
	if err != nil {
		t.Fatal(err)
	}
	var restored struct{ CSRFToken string }
	json.NewDecoder(resp.Body).Decode(&restored)
	resp.Body.Close()
	if code, _, _ := post("/transfer", restored.CSRFToken, true); code != 200 {
		t.Fatalf("restored token: %d", code)
	}
	// The readable cookie set by the restore route works too.
	u, _ := url.Parse(ts.URL)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "XSRF-TOKEN" {
			if code, _, _ := post("/transfer", ck.Value, true); code != 200 {
				t.Fatalf("XSRF-TOKEN cookie value: %d", code)
			}
		}
	}
}

// TestConcurrentClients runs many clients through one Protector at once;
// run with -race.
func TestConcurrentClients(t *testing.T) {
	p := mustNew(t, FlaskStyle())
	h := p.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rotate" {
			p.Rotate(w, r)
		}
		io.WriteString(w, Token(r))
	}))
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				path := "/"
				if j%5 == 4 {
					path = "/rotate"
				}
				rec := serve(h, serverReq("GET", "a.example", path, false, nil))
				c := setCookies(rec)
				r := serverReq("POST", "a.example", "/", false, nil, "Cookie", "csrf_secret="+c["csrf_secret"].Value,
					"X-CSRF-Token", rec.Body.String(), "Origin", "http://a.example")
				if rec := serve(h, r); rec.Code != 200 {
					errs <- rec.Header().Get("X-CSRF-Reason")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error("concurrent POST rejected:", e)
	}
}
