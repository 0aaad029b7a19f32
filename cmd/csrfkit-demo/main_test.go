package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// startDemo runs the demo in-process on free loopback ports and stops it
// (checking that run returns) when the test ends.
func startDemo(t *testing.T) *demo { t.Helper(); return startDemoWith(t, nil) }

// startDemoWith is startDemo with flags: set changes the configuration.
func startDemoWith(t *testing.T, set func(*config)) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *demo, 1)
	errc := make(chan error, 1)
	var logBuf syncBuffer
	cfg := config{
		autoAddr: "127.0.0.1:0", explicitAddr: "127.0.0.1:0", attackerAddr: "127.0.0.1:0",
		out:   &logBuf,
		ready: func(d *demo) { ready <- d },
	}
	if set != nil {
		set(&cfg)
	}
	go func() { errc <- run(ctx, cfg) }()
	var d *demo
	select {
	case d = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("demo did not start within 5 s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
		if t.Failed() {
			t.Logf("demo log:\n%s", logBuf.String())
		}
	})
	return d
}

// user is a browser-like client: a cookie jar, no redirect surprises.
type user struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newUser(t *testing.T, base string) *user {
	jar, _ := cookiejar.New(nil)
	return &user{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (u *user) do(req *http.Request) (*http.Response, string) {
	u.t.Helper()
	res, err := u.c.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (u *user) get(path string) (*http.Response, string) {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u.base+path, nil)
	return u.do(req)
}

func (u *user) postForm(path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return u.do(req)
}

func (u *user) postJSON(path string, v any, hdr map[string]string) (*http.Response, string) {
	u.t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, u.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return u.do(req)
}

var fieldRE = regexp.MustCompile(`<input type="hidden" name="(csrf_token|_csrf)" value="([^"]+)">`)

// formToken returns the hidden field (name, value) of a page.
func (u *user) formToken(path string) (string, string) {
	u.t.Helper()
	res, body := u.get(path)
	m := fieldRE.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		u.t.Fatalf("GET %s: %d, no token field in:\n%s", path, res.StatusCode, body)
	}
	return m[1], m[2]
}

func (u *user) restore() string {
	u.t.Helper()
	res, body := u.get("/api/csrf/restore")
	var v struct {
		CSRFToken string `json:"csrfToken"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &v) != nil || v.CSRFToken == "" {
		u.t.Fatalf("restore: %d %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		u.t.Errorf("restore Content-Type %q", ct)
	}
	return v.CSRFToken
}

func (u *user) login(name string) {
	u.t.Helper()
	field, tok := u.formToken("/login")
	res, body := u.postForm("/login", url.Values{"username": {name}, "password": {"pw"}, field: {tok}}, nil)
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/transfer" || !strings.Contains(body, `id="balance"`) {
		u.t.Fatalf("login: %d at %s:\n%s", res.StatusCode, res.Request.URL, body)
	}
}

func (u *user) balance() int {
	u.t.Helper()
	res, body := u.get("/api/balance")
	var v struct {
		User    string `json:"user"`
		Balance int    `json:"balance"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &v) != nil || v.User == "" {
		u.t.Fatalf("balance: %d %s", res.StatusCode, body)
	}
	return v.Balance
}

func apps(d *demo) []struct{ name, base string } {
	return []struct{ name, base string }{{"auto", d.autoLocal}, {"explicit", d.explicitLocal}}
}

func TestHealthz(t *testing.T) {
	d := startDemo(t)
	for _, base := range []string{d.autoLocal, d.explicitLocal, d.attackerLocal} {
		res, body := newUser(t, base).get("/healthz")
		if res.StatusCode != 200 || body != "ok" {
			t.Errorf("%s/healthz: %d %q", base, res.StatusCode, body)
		}
	}
	if !strings.HasPrefix(d.autoURL, "http://localhost:") || !strings.HasPrefix(d.attackerURL, "http://127.0.0.1:") {
		t.Errorf("printed URLs %s %s", d.autoURL, d.attackerURL)
	}
}

func TestLoginAndTransferForm(t *testing.T) {
	d := startDemo(t)
	for _, app := range apps(d) {
		t.Run(app.name, func(t *testing.T) {
			u := newUser(t, app.base)
			u.login("alice")
			if b := u.balance(); b != startBalance {
				t.Fatalf("start balance %d", b)
			}
			field, tok := u.formToken("/transfer")
			res, body := u.postForm("/transfer", url.Values{field: {tok}, "to": {"bob"}, "amount": {"250"}}, nil)
			if res.StatusCode != 200 || !strings.Contains(body, "Sent 250 to bob.") {
				t.Fatalf("transfer: %d\n%s", res.StatusCode, body)
			}
			if b := u.balance(); b != 750 {
				t.Fatalf("balance after transfer %d, want 750", b)
			}
			for _, amount := range []string{"0", "-5", "751", "x"} {
				res, _ := u.postForm("/transfer", url.Values{field: {tok}, "to": {"bob"}, "amount": {amount}}, nil)
				if res.StatusCode != http.StatusBadRequest {
					t.Errorf("amount %s: %d, want 400", amount, res.StatusCode)
				}
			}
			// JSON API, token in a header.
			res, body = u.postJSON("/api/transfer", map[string]any{"to": "carol", "amount": 50}, map[string]string{"X-CSRF-Token": u.restore()})
			if res.StatusCode != 200 || strings.TrimSpace(body) != `{"balance":700}` {
				t.Fatalf("api transfer: %d %s", res.StatusCode, body)
			}
			// A token minted before logging in again no longer verifies.
			u.login("alice")
			res, _ = u.postForm("/transfer", url.Values{field: {tok}, "to": {"bob"}, "amount": {"1"}}, nil)
			if res.StatusCode != 403 || res.Header.Get("X-CSRF-Reason") != "token-invalid" {
				t.Errorf("old token after re-login: %d %q", res.StatusCode, res.Header.Get("X-CSRF-Reason"))
			}
			if b := u.balance(); b != 700 {
				t.Errorf("balance %d, want 700", b)
			}
			// Log out: the API then answers 401.
			_, tok = u.formToken("/transfer")
			if res, _ := u.postForm("/logout", url.Values{field: {tok}}, nil); res.StatusCode != 200 || res.Request.URL.Path != "/" {
				t.Errorf("logout: %d at %s", res.StatusCode, res.Request.URL)
			}
			res, body = u.postJSON("/api/transfer", map[string]any{"to": "x", "amount": 1}, map[string]string{"X-CSRF-Token": u.restore()})
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Header.Get("Content-Type"), "json") {
				t.Errorf("api transfer logged out: %d %s", res.StatusCode, body)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	d := startDemo(t)
	for _, app := range apps(d) {
		t.Run(app.name, func(t *testing.T) {
			u := newUser(t, app.base)
			u.login("victim")
			field, tok := u.formToken("/transfer")
			form := url.Values{"to": {"evil"}, "amount": {"100"}}

			res, body := u.postForm("/transfer", form, map[string]string{"Accept": "application/json"})
			if res.StatusCode != 403 || strings.TrimSpace(body) != `{"error":"csrf","reason":"token-missing"}` {
				t.Errorf("no token: %d %s", res.StatusCode, body)
			}
			form.Set(field, tok)
			cases := []struct {
				hdr    map[string]string
				reason string
			}{
				{map[string]string{"Origin": d.attackerLocal}, "origin-mismatch"},
				{map[string]string{"Origin": d.attackerURL}, "origin-mismatch"},
				{map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": d.attackerLocal}, "cross-site"},
				{map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://sub.localhost"}, "cross-site"},
			}
			for _, c := range cases {
				res, _ := u.postForm("/transfer", form, c.hdr)
				if res.StatusCode != 403 || res.Header.Get("X-CSRF-Reason") != c.reason {
					t.Errorf("%v: %d %q, want 403 %s", c.hdr, res.StatusCode, res.Header.Get("X-CSRF-Reason"), c.reason)
				}
			}
			res, _ = u.postJSON("/api/transfer", map[string]any{"to": "evil", "amount": 100},
				map[string]string{"Origin": d.attackerLocal, "X-CSRF-Token": u.restore()})
			if res.StatusCode != 403 {
				t.Errorf("cross-site API transfer: %d", res.StatusCode)
			}
			// A GET never moves money (the <img> attack).
			u.get("/transfer?to=evil&amount=100")
			if b := u.balance(); b != startBalance {
				t.Errorf("balance %d after refused attacks, want %d", b, startBalance)
			}
			// Same origin with the token still works.
			res, _ = u.postForm("/transfer", form, map[string]string{"Origin": app.base, "Sec-Fetch-Site": "same-origin"})
			if res.StatusCode != 200 || u.balance() != startBalance-100 {
				t.Errorf("same-origin transfer: %d", res.StatusCode)
			}
		})
	}
}

// -unprotected serves the apps without csrfkit, so the forged request that
// TestRefusals sees refused goes through; -balance sets the starting balance.
func TestUnprotected(t *testing.T) {
	d := startDemoWith(t, func(c *config) { c.unprotected, c.balance = true, 5000 })
	for _, app := range apps(d) {
		t.Run(app.name, func(t *testing.T) {
			u := newUser(t, app.base)
			res, _ := u.postForm("/login", url.Values{"username": {"victim"}, "password": {"pw"}}, nil)
			if res.StatusCode != 200 || u.balance() != 5000 {
				t.Fatalf("login without a token: %d, balance %d", res.StatusCode, u.balance())
			}
			res, _ = u.postForm("/transfer", url.Values{"to": {"evil"}, "amount": {"100"}},
				map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": d.attackerLocal})
			if res.StatusCode != 200 || u.balance() != 4900 {
				t.Errorf("forged transfer without csrfkit: %d, balance %d; want 200 and 4900", res.StatusCode, u.balance())
			}
		})
	}
}

func TestRestoreAndCookies(t *testing.T) {
	d := startDemo(t)
	for _, app := range apps(d) {
		t.Run(app.name, func(t *testing.T) {
			u := newUser(t, app.base)
			u.restore()
			want := map[string]string{"auto": "csrf_token", "explicit": "XSRF-TOKEN"}[app.name]
			base, _ := url.Parse(app.base)
			names := map[string]bool{}
			for _, c := range u.c.Jar.Cookies(base) {
				names[c.Name] = true
			}
			if !names[want] || !names["csrf_secret"] {
				t.Errorf("cookies after restore: %v, want %s and csrf_secret", names, want)
			}
			// The explicit app sets its readable cookie on page GETs itself.
			if app.name == "explicit" {
				res, _ := newUser(t, app.base).get("/spa")
				found := false
				for _, c := range res.Cookies() {
					found = found || c.Name == "XSRF-TOKEN"
				}
				if !found {
					t.Error("explicit app: no XSRF-TOKEN cookie on GET /spa")
				}
			}
		})
	}
}

func TestUpload(t *testing.T) {
	d := startDemo(t)
	for _, app := range apps(d) {
		t.Run(app.name, func(t *testing.T) {
			u := newUser(t, app.base)
			data := make([]byte, 5<<20)
			rand.Read(data)
			sum := sha256.Sum256(data)
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("note", "five megabytes")
			fw, _ := mw.CreateFormFile("file", "blob.bin")
			fw.Write(data)
			mw.Close()
			tok := u.restore()
			req, _ := http.NewRequest(http.MethodPost, app.base+"/upload", &buf)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("X-CSRF-Token", tok)
			res, body := u.do(req)
			var v struct {
				Name   string `json:"name"`
				Size   int64  `json:"size"`
				SHA256 string `json:"sha256"`
			}
			if res.StatusCode != 200 || json.Unmarshal([]byte(body), &v) != nil {
				t.Fatalf("upload: %d %s", res.StatusCode, body)
			}
			if v.Name != "blob.bin" || v.Size != int64(len(data)) || v.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("upload answered %+v", v)
			}
			// Without a token: refused before the handler.
			req, _ = http.NewRequest(http.MethodPost, app.base+"/upload", strings.NewReader("--x--\r\n"))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			if res, _ := u.do(req); res.StatusCode != 403 {
				t.Errorf("upload without token: %d", res.StatusCode)
			}
		})
	}
}

// wsHandshake opens a raw WebSocket connection with the user's cookies.
func (u *user) wsHandshake(origin string) (net.Conn, *bufio.Reader, *http.Response) {
	u.t.Helper()
	base, _ := url.Parse(u.base)
	conn, err := net.Dial("tcp", base.Host)
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { conn.Close() })
	key := make([]byte, 16)
	rand.Read(key)
	req, _ := http.NewRequest(http.MethodGet, u.base+"/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(key))
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for _, c := range u.c.Jar.Cookies(base) {
		req.AddCookie(c)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := req.Write(conn); err != nil {
		u.t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, req)
	if err != nil {
		u.t.Fatal(err)
	}
	if res.StatusCode == http.StatusSwitchingProtocols && res.Header.Get("Sec-WebSocket-Accept") != wsAccept(req.Header.Get("Sec-WebSocket-Key")) {
		u.t.Errorf("bad Sec-WebSocket-Accept %q", res.Header.Get("Sec-WebSocket-Accept"))
	}
	return conn, br, res
}

// clientFrame encodes a masked client frame.
func clientFrame(op byte, payload []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, mask...)
	for i, c := range payload {
		b = append(b, c^mask[i&3])
	}
	return b
}

func readServerFrame(t *testing.T, br *bufio.Reader) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("server frame is masked")
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(br, b[:])
		n = int(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(br, b[:])
		n = int(binary.BigEndian.Uint64(b[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, p
}

func TestWebSocket(t *testing.T) {
	d := startDemo(t)
	for _, app := range apps(d) {
		t.Run(app.name, func(t *testing.T) {
			u := newUser(t, app.base)
			u.login("ws")
			conn, br, res := u.wsHandshake(app.base) // same origin
			if res.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("same-origin handshake: %d %s", res.StatusCode, res.Header.Get("X-CSRF-Reason"))
			}
			for _, msg := range []string{"hello", strings.Repeat("é", 300)} {
				conn.Write(clientFrame(opText, []byte(msg)))
				if op, p := readServerFrame(t, br); op != opText || string(p) != msg {
					t.Errorf("echo: op %d %q", op, p)
				}
			}
			conn.Write(clientFrame(opPing, []byte("p")))
			if op, p := readServerFrame(t, br); op != opPong || string(p) != "p" {
				t.Errorf("pong: op %d %q", op, p)
			}
			conn.Write(clientFrame(opClose, []byte{0x03, 0xe8}))
			if op, p := readServerFrame(t, br); op != opClose || len(p) < 2 || binary.BigEndian.Uint16(p) != 1000 {
				t.Errorf("close: op %d %v", op, p)
			}

			// Too big a frame is refused with 1009.
			conn, br, _ = u.wsHandshake("")
			conn.Write(clientFrame(opBin, make([]byte, wsMaxMessage+1)))
			if op, p := readServerFrame(t, br); op != opClose || binary.BigEndian.Uint16(p) != closeTooBig {
				t.Errorf("too big: op %d %v", op, p)
			}

			// Cross-site: refused before the upgrade.
			_, _, res = u.wsHandshake(d.attackerLocal)
			if res.StatusCode != http.StatusForbidden || res.Header.Get("X-CSRF-Reason") != "origin-mismatch" {
				t.Errorf("cross-site handshake: %d %q", res.StatusCode, res.Header.Get("X-CSRF-Reason"))
			}
		})
	}
}

func TestAttackerPages(t *testing.T) {
	d := startDemo(t)
	u := newUser(t, d.attackerLocal)
	res, body := u.get("/")
	if res.StatusCode != 200 || !strings.Contains(body, d.autoURL) || !strings.Contains(body, d.explicitURL) {
		t.Fatalf("attacker index: %d", res.StatusCode)
	}
	for _, n := range attackNames[1:] {
		res, body := u.get("/attack/" + n + "?target=" + url.QueryEscape(d.explicitLocal))
		if res.StatusCode != 200 || !strings.Contains(body, `id="result"`) || !strings.Contains(body, "document.title = 'done'") {
			t.Errorf("/attack/%s: %d", n, res.StatusCode)
		}
	}
	// The toss page fetched an anonymous pair by itself.
	_, body = u.get("/attack/toss?target=" + url.QueryEscape(d.autoLocal))
	if strings.Contains(body, "pair-error") || !regexp.MustCompile(`const secret = "[A-Za-z0-9_-]{43}", token = "[A-Za-z0-9_-]{96}"`).MatchString(body) {
		t.Errorf("toss page has no pair:\n%s", body)
	}
	if res, _ := u.get("/attack/form?target=javascript:alert(1)"); res.StatusCode != 400 {
		t.Errorf("bad target: %d", res.StatusCode)
	}
}

// syncBuffer is a bytes.Buffer safe for the servers' concurrent log lines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
