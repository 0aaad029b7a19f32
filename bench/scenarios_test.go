package bench

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

// Every request is a TLS request to https://example.com, shaped like what
// net/http's server hands a handler (httptest.NewRequest: RequestURI set,
// URL without scheme or host, r.TLS non-nil), with the headers a current
// browser sends. Each is built once per library; the timed loop only
// rewinds its body.
const (
	host          = "example.com"
	self          = "https://" + host
	appCookies    = "session=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg; theme=dark"
	userAgent     = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	formSize      = 1024
	uploadSize    = 100 << 20
	uploadBoundry = "----csrfkitbenchBoundary7MA4YWxkTrZu0gW"
)

type scenario struct {
	name  string // benchmark name
	build func(l lib) *fixture
}

// fixture is one library's handler and request for one scenario.
type fixture struct {
	h     http.Handler
	req   *http.Request // template, copied into a reused Request each iteration
	body  *segBody      // nil for GETs
	want  int
	check func(l lib) error // extra validation after the checked run
	seen  int64             // body bytes the application handler read
	sum   [32]byte          // (f): the file hash the application computed
}

var scenarios = []scenario{
	{"A_FirstVisit", buildA},
	{"B_GetWithCookie", buildB},
	{"C_PostHeaderToken", buildC},
	{"D_PostForm1KB", buildD},
	{"E_CrossSiteNoCookie", func(l lib) *fixture { return buildE(l, false) }},
	{"E_CrossSiteWithCookie", func(l lib) *fixture { return buildE(l, true) }},
	{"F_Upload100MB", buildF},
}

func newReq(method, path string, body *segBody) *http.Request {
	r := httptest.NewRequest(method, self+path, nil)
	r.Header.Set("User-Agent", userAgent)
	r.Header.Set("Accept-Language", "en-GB,en;q=0.7")
	r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	if body != nil {
		r.Body = body
		r.ContentLength = body.size
	}
	return r
}

func navigation(r *http.Request, site string) {
	r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	r.Header.Set("Sec-Fetch-Site", site)
	r.Header.Set("Sec-Fetch-Mode", "navigate")
	r.Header.Set("Sec-Fetch-Dest", "document")
}

// tokenHandler is an application page that asks its library for a token
// (tokenless libraries have none to give).
func tokenHandler(l lib) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.token != nil {
			io.WriteString(w, l.token(r))
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// drainHandler reads the whole body, as an application would, and records
// how much of it was still there.
func drainHandler(f *fixture) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		f.seen = n
		w.WriteHeader(http.StatusOK)
	})
}

// creds are the cookies (library cookies only, "a=b; c=d") and token a
// library hands a browser on its first GET.
type creds struct{ cookie, token string }

var (
	credsMu    sync.Mutex
	credsCache = map[string]creds{}
)

// credsFor runs a real first-visit GET through the library and keeps what it
// set, so every "valid" request carries a genuine token and cookie.
// Tokenless libraries and the bare handler reuse csrfkit's, so they get the
// very same requests.
func credsFor(l lib) creds {
	if l.token == nil {
		l = libNamed("csrfkit")
	}
	credsMu.Lock()
	defer credsMu.Unlock()
	if c, ok := credsCache[l.name]; ok {
		return c
	}
	var tok string
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok = l.token(r)
	}))
	r := newReq("GET", "/transfer", nil)
	navigation(r, "none")
	w := newDiscardRW()
	h.ServeHTTP(w, r)
	if tok == "" || w.code() != 200 {
		panic(fmt.Sprintf("%s: first GET gave status %d, token %q", l.name, w.code(), tok))
	}
	var parts []string
	for _, c := range (&http.Response{Header: w.h}).Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if len(parts) == 0 {
		panic(l.name + ": first GET set no cookie")
	}
	c := creds{cookie: strings.Join(parts, "; "), token: tok}
	credsCache[l.name] = c
	return c
}

func withCookies(r *http.Request, c creds) {
	r.Header.Set("Cookie", appCookies+"; "+c.cookie)
}

// sameOriginPost adds what a browser adds to a same-origin POST.
func sameOriginPost(r *http.Request, mode string) {
	r.Header.Set("Origin", self)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Sec-Fetch-Mode", mode)
}

// (a) first visit: GET, no cookie at all, the page asks for a token.
func buildA(l lib) *fixture {
	r := newReq("GET", "/transfer", nil)
	navigation(r, "none")
	return &fixture{h: l.wrap(tokenHandler(l)), req: r, want: 200}
}

// (b) GET with the library's cookie, the page asks for a token.
func buildB(l lib) *fixture {
	r := newReq("GET", "/transfer", nil)
	navigation(r, "same-origin")
	withCookies(r, credsFor(l))
	return &fixture{h: l.wrap(tokenHandler(l)), req: r, want: 200}
}

// (c) fetch() POST of a small JSON body with the token in X-CSRF-Token.
func buildC(l lib) *fixture {
	c := credsFor(l)
	body := newSegBody([]byte(`{"to":"alice","amount":100}`))
	r := newReq("POST", "/api/transfer", body)
	sameOriginPost(r, "cors")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-CSRF-Token", c.token)
	withCookies(r, c)
	f := &fixture{req: r, body: body, want: 200}
	f.h = l.wrap(drainHandler(f))
	return f
}

// formBody is a 1 KB url-encoded form, the token first (where TemplateField
// puts it), then ordinary fields.
func formBody(token string) []byte {
	var b bytes.Buffer
	b.WriteString("csrf_token=" + url.QueryEscape(token))
	for i := 0; b.Len() < formSize-40; i++ {
		fmt.Fprintf(&b, "&field%02d=value-%02d-abcdefghij", i, i)
	}
	b.WriteString("&memo=")
	for b.Len() < formSize {
		b.WriteByte('x')
	}
	return b.Bytes()
}

// (d) a form POST with the token in a 1 KB url-encoded body and no header.
func buildD(l lib) *fixture {
	c := credsFor(l)
	body := newSegBody(formBody(c.token))
	r := newReq("POST", "/transfer", body)
	navigation(r, "same-origin")
	sameOriginPost(r, "navigate")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	withCookies(r, c)
	f := &fixture{req: r, body: body, want: 200}
	f.h = l.wrap(drainHandler(f))
	// csrfkit promises the application still gets every byte; so do the
	// tokenless libraries (they never read it). gorilla and nosurf parse the
	// form and leave r.Body empty: recorded, not failed.
	if l.name == "csrfkit" || l.token == nil {
		f.check = func(lib) error {
			if f.seen != body.size {
				return fmt.Errorf("handler read %d of %d body bytes", f.seen, body.size)
			}
			return nil
		}
	}
	return f
}

// (e) a cross-site form POST from evil.example (no token: the attacker has
// none), with and without the victim's cookies. Every middleware must answer
// 403; the bare handler, unprotected, accepts it.
func buildE(l lib, cookie bool) *fixture {
	body := newSegBody([]byte("to=mallory&amount=1000000"))
	r := newReq("POST", "/transfer", body)
	navigation(r, "cross-site")
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie {
		withCookies(r, credsFor(l))
	}
	f := &fixture{req: r, body: body, want: 403}
	if l.name == "bare" {
		f.want = 200
	}
	f.h = l.wrap(drainHandler(f))
	return f
}

var (
	uploadOnce sync.Once
	uploadFile []byte
	uploadSum  [32]byte
)

// uploadData is 100 MB of pseudo-random bytes, generated once per process
// and shared by every library's request.
func uploadData() []byte {
	uploadOnce.Do(func() {
		uploadFile = make([]byte, uploadSize)
		rng := rand.NewChaCha8([32]byte{1, 2, 3})
		rng.Read(uploadFile)
		uploadSum = sha256.Sum256(uploadFile)
	})
	return uploadFile
}

// hashHandler hashes the uploaded file, streaming it when the body is still
// unread, or from the parsed form when a middleware already parsed it
// (gorilla/csrf and nosurf do; the temporary files are removed as net/http's
// server would after the handler returns).
func hashHandler(f *fixture) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
			fhs := r.MultipartForm.File["file"]
			if len(fhs) == 0 {
				http.Error(w, "no file", 400)
				return
			}
			file, err := fhs[0].Open()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			io.Copy(h, file)
			file.Close()
		} else {
			mr, err := r.MultipartReader()
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				if p.FormName() == "file" {
					io.Copy(h, p)
				}
				p.Close()
			}
		}
		h.Sum(f.sum[:0])
		w.WriteHeader(http.StatusOK)
	})
}

// (f) a 100 MB multipart upload, token field first, then the file.
func buildF(l lib) *fixture {
	c := credsFor(l)
	data := uploadData()
	head := "--" + uploadBoundry + "\r\n" +
		"Content-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + c.token + "\r\n" +
		"--" + uploadBoundry + "\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"upload.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + uploadBoundry + "--\r\n"
	body := newSegBody([]byte(head), data, []byte(tail))
	r := newReq("POST", "/upload", body)
	navigation(r, "same-origin")
	sameOriginPost(r, "navigate")
	r.Header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundry)
	withCookies(r, c)
	f := &fixture{req: r, body: body, want: 200}
	f.h = l.wrap(hashHandler(f))
	f.check = func(lib) error {
		if f.sum != uploadSum {
			return fmt.Errorf("handler hashed the wrong bytes")
		}
		return nil
	}
	return f
}
