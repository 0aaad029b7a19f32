package csrfkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const (
	testField     = "csrf_token"
	testMaxForm   = 10 << 20
	testMaxPrefix = 1 << 20
	formCT        = "application/x-www-form-urlencoded"
)

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// clientBody is what a server request's Body looks like to csrfkit: a plain
// ReadCloser (no WriterTo, no Len), counting the bytes pulled and recording Close.
type clientBody struct {
	r      io.Reader
	read   int64
	calls  int
	closed bool
}

func (b *clientBody) Read(p []byte) (int, error) {
	b.calls++
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}
func (b *clientBody) Close() error { b.closed = true; return nil }

// newReq builds a server-shaped POST (no URL.Scheme or Host). cl is the
// Content-Length, -1 for a chunked body.
func newReq(ct string, body []byte, cl int64) (*http.Request, *clientBody) {
	cb := &clientBody{r: bytes.NewReader(body)}
	r := httptest.NewRequest(http.MethodPost, "/submit", nil)
	r.Body, r.ContentLength = cb, cl
	if cl >= 0 {
		r.TransferEncoding = nil
	} else {
		r.TransferEncoding = []string{"chunked"}
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r, cb
}

// handlerSees reads r.Body the way a handler would and checks that it is
// byte-for-byte what the client sent, and that Close reaches the original.
func handlerSees(t *testing.T, r *http.Request, cb *clientBody, sent []byte) {
	t.Helper()
	got, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("handler read: %v", err)
	}
	if sum(got) != sum(sent) {
		t.Fatalf("handler body sha256 %s (%d bytes), client sent %s (%d bytes)", sum(got)[:12], len(got), sum(sent)[:12], len(sent))
	}
	r.Body.Close()
	if !cb.closed {
		t.Fatal("Close did not reach the original body")
	}
}

func TestScanForm(t *testing.T) {
	long := strings.Repeat("a", maxTokenBytes)
	tests := []struct {
		body string
		want string
		err  error
	}{
		{"csrf_token=abc", "abc", nil},
		{"a=1&csrf_token=abc&b=2", "abc", nil},
		{"&&csrf_token=abc&&", "abc", nil},
		{"csrf_token=a%2Bb+c%20d", "a+b c d", nil},
		{"csrf_token=%e2%9C%93", "\u2713", nil},
		{"csrf%5Ftoken=abc", "abc", nil},
		{"csrf%5ftoken=abc", "abc", nil},
		{"csrf_token==x", "=x", nil},
		{"csrf_token=x=y", "x=y", nil},
		{"csrf_token=first&csrf_token=second", "first", nil}, // first counts
		{"csrf_token=" + long, long, nil},
		{"csrf_token=" + long + "a", "", ErrTokenInvalid},
		{"csrf_token=" + strings.Repeat("%41", maxTokenBytes+1), "", ErrTokenInvalid},
		{"csrf_token=&csrf_token=x", "", ErrTokenMissing}, // empty first value
		{"csrf_token", "", ErrTokenMissing},
		{"", "", ErrTokenMissing},
		{"a=1&b=2", "", ErrTokenMissing},
		// Near misses: none of these is the field.
		{"csrf_tokenx=1", "", ErrTokenMissing},
		{"Csrf_token=1", "", ErrTokenMissing},
		{"csrf-token=1", "", ErrTokenMissing},
		{" csrf_token=1", "", ErrTokenMissing},
		{"csrf+token=1", "", ErrTokenMissing},
		{"xcsrf_token=1", "", ErrTokenMissing},
		{"csrf_toke=1", "", ErrTokenMissing},
		// ';' is not a separator, and a pair containing it is dropped (ParseQuery).
		{"a=1;csrf_token=x", "", ErrTokenMissing},
		{"csrf_token=x;y&csrf_token=z", "z", nil},
		// A key with a bad escape is dropped, as ParseQuery drops it.
		{"csrf%5token=x&csrf_token=y", "y", nil},
		{"csrf_token%=x&csrf_token=y", "y", nil},
		// A bad escape in the token's own value.
		{"csrf_token=%zz", "", ErrBodyMalformed},
		{"csrf_token=%4", "", ErrBodyMalformed},
		{"csrf_token=abc%", "", ErrBodyMalformed},
		{"csrf_token=%", "", ErrBodyMalformed},
		{"a=%zz&csrf_token=ok", "ok", nil}, // other fields' escapes are not our business
	}
	for _, tt := range tests {
		raw, _, err := scanForm([]byte(tt.body), testField)
		got := string(raw)
		name := tt.body
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		if got != tt.want || err != tt.err {
			t.Errorf("scanForm(%q) = %q, %v; want %q, %v", name, got, err, tt.want, tt.err)
		}
		checkScanAgainstParseQuery(t, tt.body, got, err)
	}
}

// checkScanAgainstParseQuery asserts scanForm agrees with what
// r.PostFormValue would return (url.ParseQuery, first value).
func checkScanAgainstParseQuery(t *testing.T, body, got string, err error) {
	t.Helper()
	vs, _ := url.ParseQuery(body)
	ref := ""
	if v := vs[testField]; len(v) > 0 {
		ref = v[0]
	}
	switch err {
	case nil:
		if got != ref {
			t.Errorf("scanForm(%.40q) = %q, ParseQuery first value %q", body, got, ref)
		}
	case ErrTokenMissing:
		if ref != "" {
			t.Errorf("scanForm(%.40q) missing, ParseQuery first value %q", body, ref)
		}
	case ErrTokenInvalid:
		if len(ref) <= maxTokenBytes && ref != "" {
			t.Errorf("scanForm(%.40q) invalid, ParseQuery first value %d bytes", body, len(ref))
		}
	case ErrBodyMalformed:
		// ParseQuery skips the bad pair; csrfkit refuses. Documented.
	default:
		t.Errorf("scanForm(%.40q): unexpected error %v", body, err)
	}
}

func TestFormTokenURLEncodedKeepsBody(t *testing.T) {
	body := []byte("name=J%C3%BCrgen&csrf_token=tok%2Fen+1&note=" + strings.Repeat("x", 100<<10))
	for _, cl := range []int64{int64(len(body)), -1} {
		t.Run(fmt.Sprintf("cl=%d", cl), func(t *testing.T) {
			r, cb := newReq(formCT, body, cl)
			tok, err := formToken(r, testField, testMaxForm, testMaxPrefix)
			if tok != "tok/en 1" || err != nil {
				t.Fatalf("formToken = %q, %v", tok, err)
			}
			handlerSees(t, r, cb, body)
		})
	}
	// The handler can still ParseForm, and sees the same first value.
	r, _ := newReq(formCT, body, -1)
	tok, _ := formToken(r, testField, testMaxForm, testMaxPrefix)
	if err := r.ParseForm(); err != nil || r.PostFormValue(testField) != tok || r.PostFormValue("name") != "Jürgen" {
		t.Fatalf("ParseForm after formToken: %v, %q", err, r.PostForm)
	}
}

func TestFormTokenContentTypes(t *testing.T) {
	form := []byte("csrf_token=abc")
	mp := "--XYZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XYZ--\r\n"
	tests := []struct {
		ct   string
		body string
		err  error // nil: token "abc" found
		read bool  // whether the body may be read at all
	}{
		{formCT, string(form), nil, true},
		{"APPLICATION/X-WWW-FORM-URLENCODED", string(form), nil, true},
		{"application/x-www-form-urlencoded; charset=UTF-8", string(form), nil, true},
		{"  Application/X-WWW-Form-Urlencoded  ;charset=utf-8;", string(form), nil, true},
		{"application/x-www-form-urlencoded;;", string(form), nil, true},
		{"application/x-www-form-urlencoded ;; charset=utf-8 ; ;", string(form), nil, true},
		{"application/x-www-form-urlencoded; charset", string(form), nil, true}, // bad param, type is clear
		{"multipart/form-data; boundary=XYZ", mp, nil, true},
		{"Multipart/Form-Data;boundary=XYZ", mp, nil, true},
		{"multipart/form-data ; boundary=\"XYZ\"", mp, nil, true},
		{"multipart/form-data;; boundary=XYZ;", mp, nil, true},
		{"multipart/form-data; charset=utf-8; BOUNDARY=XYZ", mp, nil, true},
		{"\tmultipart/form-data\t;\tboundary=XYZ", mp, nil, true},
		// Not forms: no body lookup, body untouched; the request needs a header token.
		{"", string(form), ErrTokenMissing, false},
		{"text/plain", string(form), ErrTokenMissing, false},
		{"application/json", `{"csrf_token":"abc"}`, ErrTokenMissing, false},
		{"application/x-www-form-urlencodedx", string(form), ErrTokenMissing, false},
		{"application/x-www-form", string(form), ErrTokenMissing, false},
		{"application/x-www-form-urlencoded,text/plain", string(form), ErrTokenMissing, false},
		{"text/plain; x=application/x-www-form-urlencoded", string(form), ErrTokenMissing, false},
		{"multipart/mixed; boundary=XYZ", mp, ErrTokenMissing, false},
		{"multipart/form-data-x; boundary=XYZ", mp, ErrTokenMissing, false},
		// Multipart without a usable boundary: malformed, body untouched.
		{"multipart/form-data", mp, ErrBodyMalformed, false},
		{"multipart/form-data;", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=\"\"", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=\"XYZ \"", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=" + strings.Repeat("b", 71), mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=XYZ; boundary=ABC", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=\"XYZ", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=\"X\x01Z\"", mp, ErrBodyMalformed, false},
		{"multipart/form-data; boundary=\"XY\u00e9\"", mp, ErrBodyMalformed, false},
		// A body with the wrong boundary is read, and is malformed.
		{"multipart/form-data; boundary=ABC", mp, ErrBodyMalformed, true},
	}
	for _, tt := range tests {
		for _, cl := range []int64{int64(len(tt.body)), -1} {
			r, cb := newReq(tt.ct, []byte(tt.body), cl)
			orig := r.Body
			tok, err := formToken(r, testField, testMaxForm, testMaxPrefix)
			want := "abc"
			if tt.err != nil {
				want = ""
			}
			if tok != want || err != tt.err {
				t.Errorf("%q cl=%d: formToken = %q, %v; want %q, %v", tt.ct, cl, tok, err, want, tt.err)
			}
			if !tt.read && (cb.calls != 0 || r.Body != orig) {
				t.Errorf("%q: body was touched (%d reads)", tt.ct, cb.calls)
			}
			handlerSees(t, r, cb, []byte(tt.body))
		}
	}
}

type part struct {
	name, filename string
	data           []byte
}

func buildMultipart(t testing.TB, parts ...part) (ct string, body []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		var pw io.Writer
		var err error
		if p.filename != "" {
			pw, err = w.CreateFormFile(p.name, p.filename)
		} else {
			pw, err = w.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func randBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func TestFormTokenMultipartThreeFiles(t *testing.T) {
	files := []part{
		{"upload", "a.bin", randBytes(100<<10, 1)},
		{"upload", "b.bin", randBytes(1<<20, 2)},
		{"other", "c.txt", randBytes(3<<20, 3)},
	}
	ct, body := buildMultipart(t, append([]part{
		{"title", "", []byte("holiday")},
		{testField, "", []byte("tok-123")},
	}, files...)...)
	for _, cl := range []int64{int64(len(body)), -1} {
		t.Run(fmt.Sprintf("cl=%d", cl), func(t *testing.T) {
			r, cb := newReq(ct, body, cl)
			tok, err := formToken(r, testField, testMaxForm, testMaxPrefix)
			if tok != "tok-123" || err != nil {
				t.Fatalf("formToken = %q, %v", tok, err)
			}
			if cb.read > 8<<10 {
				t.Errorf("read %d bytes to find a token in the second field", cb.read)
			}
			handlerSees(t, r, cb, body)
		})
	}
	// The handler's own multipart parsing sees the original stream.
	r, _ := newReq(ct, body, -1)
	if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != nil {
		t.Fatal(err)
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Fatal(err)
	}
	if got := r.FormValue(testField); got != "tok-123" {
		t.Errorf("handler FormValue = %q", got)
	}
	for i, fh := range append(r.MultipartForm.File["upload"], r.MultipartForm.File["other"]...) {
		f, _ := fh.Open()
		got, _ := io.ReadAll(f)
		f.Close()
		if fh.Filename != files[i].filename || sum(got) != sum(files[i].data) {
			t.Errorf("file %d: %s %d bytes, sha256 mismatch=%v", i, fh.Filename, len(got), sum(got) != sum(files[i].data))
		}
	}
	r.MultipartForm.RemoveAll()
}

// errAfter returns data, then err: a client that disconnects mid-body.
func errAfter(data []byte, err error) io.Reader {
	return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(err))
}

func TestFormTokenMultipartCases(t *testing.T) {
	const ct = "multipart/form-data; boundary=B"
	field := func(name, v string) string {
		return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + v + "\r\n"
	}
	file := "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\nDATA\r\n"
	end := "--B--\r\n"
	tok := field(testField, "abc")
	tests := []struct {
		name string
		body string
		want string
		err  error
	}{
		{"token only", tok + end, "abc", nil},
		{"token then file", tok + file + end, "abc", nil},
		{"fields then token", field("a", "1") + field("b", strings.Repeat("z", 50<<10)) + tok + file + end, "abc", nil},
		{"first counts", tok + field(testField, "second") + end, "abc", nil},
		{"preamble", "this is a preamble\r\n\r\n" + tok + end, "abc", nil},
		{"epilogue", tok + end + "epilogue junk", "abc", nil},
		{"LF only", strings.ReplaceAll(tok+end, "\r\n", "\n"), "abc", nil},
		{"token, close delimiter without CRLF", tok + "--B--", "abc", nil},
		{"token, cut inside next delimiter", tok + "--", "", ErrBodyMalformed}, // value end unknown
		{"token without any delimiter after", tok, "", ErrBodyMalformed},
		{"close delimiter without CRLF, no token", field("a", "1") + "--B--", "", ErrBodyMalformed}, // documented
		{"quoted-printable", "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Dbc\r\n" + end, "a=bc", nil},
		{"empty filename is a value", "--B\r\nContent-Disposition: form-data; name=\"x\"; filename=\"\"\r\n\r\nv\r\n" + tok + end, "abc", nil},
		{"nameless part skipped", "--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n" + tok + end, "abc", nil},
		{"attachment disposition skipped", "--B\r\nContent-Disposition: attachment; name=\"csrf_token\"\r\n\r\nno\r\n" + tok + end, "abc", nil},
		{"token at 4 KiB", field(testField, strings.Repeat("t", maxTokenBytes)) + end, strings.Repeat("t", maxTokenBytes), nil},
		{"token over 4 KiB", field(testField, strings.Repeat("t", maxTokenBytes+1)) + end, "", ErrTokenInvalid},
		{"empty token", field(testField, "") + tok + end, "", ErrTokenMissing},
		{"no token", field("a", "1") + end, "", ErrTokenMissing},
		{"only close delimiter", end, "", ErrTokenMissing},
		{"file before token", file + tok + end, "", ErrTokenAfterFile},
		{"file named like token", "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"; filename=\"t\"\r\n\r\nabc\r\n" + end, "", ErrTokenAfterFile},
		{"prefix over bound", field("big", strings.Repeat("z", testMaxPrefix)) + tok + end, "", ErrTokenAfterFile},
		// Malformed.
		{"empty body", "", "", ErrBodyMalformed},
		{"not multipart", "csrf_token=abc", "", ErrBodyMalformed},
		{"wrong boundary", strings.ReplaceAll(tok+end, "--B", "--C"), "", ErrBodyMalformed},
		{"boundary prefix only", "--BB\r\n\r\nabc\r\n--BB--\r\n", "", ErrBodyMalformed},
		{"truncated value", "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc", "", ErrBodyMalformed},
		{"truncated headers", "--B\r\nContent-Disposition: form-da", "", ErrBodyMalformed},
		{"truncated after delimiter", "--B\r\n", "", ErrBodyMalformed},
		{"truncated skipped field", field("a", "1")[:30], "", ErrBodyMalformed},
		{"header without colon", "--B\r\nContent-Disposition form-data\r\n\r\nx\r\n" + end, "", ErrBodyMalformed},
		{"header line too long", "--B\r\nX-Long: " + strings.Repeat("h", 40<<10) + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n" + end, "", ErrBodyMalformed},
		{"many headers", "--B\r\n" + strings.Repeat("X-A: b\r\n", 20000) + "\r\nabc\r\n" + end, "", ErrBodyMalformed},
		{"preamble too long", strings.Repeat("p", 40<<10) + "\r\n" + tok + end, "", ErrBodyMalformed},
		{"junk after delimiter", field("a", "1") + "--B junk\r\n" + tok[5:] + end, "", ErrBodyMalformed},
		{"junk between parts", field("a", "1") + "\r\njunk\r\n" + tok + end, "abc", nil}, // part of a's value
		{"NUL bytes", "\x00\x00\x00", "", ErrBodyMalformed},
	}
	for _, tt := range tests {
		for _, cl := range []int64{int64(len(tt.body)), -1} {
			r, cb := newReq(ct, []byte(tt.body), cl)
			got, err := formToken(r, testField, testMaxForm, testMaxPrefix)
			if got != tt.want || err != tt.err {
				t.Errorf("%s cl=%d: formToken = %.20q, %v; want %.20q, %v", tt.name, cl, got, err, tt.want, tt.err)
			}
			if cb.read > testMaxPrefix {
				t.Errorf("%s: read %d bytes, bound is %d", tt.name, cb.read, testMaxPrefix)
			}
			handlerSees(t, r, cb, []byte(tt.body))
		}
	}
}

func TestFormTokenReadErrors(t *testing.T) {
	const mpCT = "multipart/form-data; boundary=B"
	tok := "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--B--\r\n"
	boom := errors.New("connection reset")
	for _, tc := range []struct {
		name, ct string
		body     []byte
		cl       int64
		err      error
	}{
		{"form short body", formCT, []byte("csrf_token=abc"), 100, ErrBodyMalformed},
		// A multipart body short of its Content-Length is seen only if the
		// read reaches its end (net/http itself reports it: TestFormTokenRealServer).
		{"multipart short body", mpCT, []byte(tok[:50]), 1000, ErrBodyMalformed},
	} {
		r, cb := newReq(tc.ct, tc.body, tc.cl)
		if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != tc.err {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
		handlerSees(t, r, cb, tc.body)
	}
	// A client that disconnects: the handler gets the bytes, then the same error.
	for _, ct := range []string{formCT, mpCT} {
		sent := []byte(tok[:20])
		r := httptest.NewRequest(http.MethodPost, "/", errAfter(sent, boom))
		r.Header.Set("Content-Type", ct)
		if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != ErrBodyMalformed {
			t.Errorf("%s disconnect: err = %v", ct, err)
		}
		got, err := io.ReadAll(r.Body)
		if !bytes.Equal(got, sent) || err != boom {
			t.Errorf("%s disconnect: handler got %q, %v", ct, got, err)
		}
	}
	// An application-level MaxBytesReader is a 413.
	for _, ct := range []string{formCT, mpCT} {
		body := []byte("csrf_token=" + strings.Repeat("a", 2000))
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1000)
		if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != ErrBodyTooLarge {
			t.Errorf("%s MaxBytesReader: err = %v", ct, err)
		}
	}
	// A Reader stuck at (0, nil) does not hang us.
	for _, ct := range []string{formCT, mpCT} {
		r := httptest.NewRequest(http.MethodPost, "/", iotest.OneByteReader(stuckReader{}))
		r.Header.Set("Content-Type", ct)
		if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != ErrBodyMalformed {
			t.Errorf("%s stuck reader: err = %v", ct, err)
		}
	}
	// nil and NoBody.
	for ct, want := range map[string]error{formCT: ErrTokenMissing, mpCT: ErrBodyMalformed} {
		for _, b := range []io.ReadCloser{nil, http.NoBody} {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Body = b
			r.Header.Set("Content-Type", ct)
			if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != want || r.Body != b {
				t.Errorf("%s body %v: err = %v, want %v", ct, b, err, want)
			}
		}
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestFormTokenURLEncodedLimit(t *testing.T) {
	const max = 1000
	exact := []byte("csrf_token=abc&pad=" + strings.Repeat("p", max-19))
	over := append(append([]byte{}, exact...), 'p')
	huge := append([]byte("csrf_token=abc&pad="), make([]byte, 100*max)...)

	r, cb := newReq(formCT, exact, -1)
	if tok, err := formToken(r, testField, max, testMaxPrefix); tok != "abc" || err != nil {
		t.Fatalf("exactly the limit: %q, %v", tok, err)
	}
	handlerSees(t, r, cb, exact)

	// Declared too large: refused before a byte is read.
	r, cb = newReq(formCT, over, int64(len(over)))
	if _, err := formToken(r, testField, max, testMaxPrefix); err != ErrBodyTooLarge || cb.calls != 0 {
		t.Fatalf("declared over: %v after %d reads", err, cb.calls)
	}
	handlerSees(t, r, cb, over)

	// Chunked, the token first: read only until its pair is complete, the
	// rest left to the handler, however large.
	for _, body := range [][]byte{over, huge} {
		r, cb = newReq(formCT, body, -1)
		if tok, err := formToken(r, testField, max, testMaxPrefix); tok != "abc" || err != nil {
			t.Fatalf("chunked over, token first: %q, %v", tok, err)
		}
		if cb.read > 512 {
			t.Errorf("read %d bytes to find a token in the first 15", cb.read)
		}
		handlerSees(t, r, cb, body)
	}
	// Chunked, the token past the limit: at most max+1 bytes read, then 413,
	// and the body still whole for the error handler.
	last := append(bytes.Repeat([]byte("pad=p&"), 2*max/6), "csrf_token=abc"...)
	for _, body := range [][]byte{last, append([]byte("csrf_token=abc"), make([]byte, 100*max)...)} {
		r, cb = newReq(formCT, body, -1)
		if _, err := formToken(r, testField, max, testMaxPrefix); err != ErrBodyTooLarge {
			t.Fatalf("chunked over, token late or unterminated: %v", err)
		}
		if cb.read > max+1 {
			t.Errorf("read %d bytes with a limit of %d", cb.read, max)
		}
		handlerSees(t, r, cb, body)
	}
}

// TestFormTokenSlowSender checks that formToken returns as soon as the token
// is known, while the client is still sending: it never waits for the rest.
func TestFormTokenSlowSender(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	head := "--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n"
	go pw.Write([]byte(head))
	r := httptest.NewRequest(http.MethodPost, "/", pr)
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	done := make(chan error, 1)
	go func() { _, err := formToken(r, testField, testMaxForm, testMaxPrefix); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("formToken waited for the rest of the body")
	}
	go func() { pw.Write([]byte("FILE\r\n--B--\r\n")); pw.Close() }()
	got, _ := io.ReadAll(r.Body)
	if string(got) != head+"FILE\r\n--B--\r\n" {
		t.Fatalf("handler got %q", got)
	}
}

// TestFormTokenRealServer runs formToken on net/http's own request bodies:
// chunked uploads, and a body shorter than its Content-Length.
func TestFormTokenRealServer(t *testing.T) {
	type result struct {
		tok, hash string
		err       error
	}
	results := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := formToken(r, testField, testMaxForm, testMaxPrefix)
		h := sha256.New()
		io.Copy(h, r.Body)
		results <- result{tok, hex.EncodeToString(h.Sum(nil)), err}
	}))
	defer srv.Close()

	ct, mp := buildMultipart(t, part{testField, "", []byte("tok")}, part{"f", "a.bin", randBytes(2<<20, 9)}, part{"g", "b.bin", randBytes(10, 8)})
	form := []byte("csrf_token=tok&x=" + strings.Repeat("y", 200<<10))
	for _, tc := range []struct {
		name, ct string
		body     []byte
	}{{"multipart", ct, mp}, {"form", formCT, form}} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = bytes.NewReader(tc.body)
			if chunked {
				body = iotest.HalfReader(body) // unknown length: Transfer-Encoding: chunked
			}
			resp, err := http.Post(srv.URL, tc.ct, body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			res := <-results
			if res.tok != "tok" || res.err != nil || res.hash != sum(tc.body) {
				t.Errorf("%s chunked=%v: %q, %v, hash ok=%v", tc.name, chunked, res.tok, res.err, res.hash == sum(tc.body))
			}
		}
	}

	// A client that promises 1000 bytes and hangs up after 20.
	for _, ct := range []string{formCT, "multipart/form-data; boundary=B"} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 1000\r\n\r\n--B\r\ncsrf_token=abc", ct)
		c.(*net.TCPConn).CloseWrite()
		select {
		case res := <-results:
			if res.err != ErrBodyMalformed {
				t.Errorf("%s short body: err = %v", ct, res.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s short body: hang", ct)
		}
		c.Close()
	}
}

// Through the middleware: the application sees every byte, whether the token
// came by form field or by header, and after a rejection the error handler
// (or a report-only application) still finds the whole body.
func TestHandlerKeepsBody(t *testing.T) {
	ct, mp := buildMultipart(t, part{"f1", "a.bin", randBytes(300<<10, 4)}, part{"f2", "b.bin", randBytes(5, 5)}, part{"f3", "c.bin", randBytes(70<<10, 6)})
	type seen struct {
		status int
		hash   string
	}
	run := func(cfg Config, ct string, body []byte, chunked bool, byHeader bool, mkBody func(tok string) []byte) seen {
		t.Helper()
		var got string
		record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("read: %v", err)
			}
			got = sum(b)
		})
		cfg.ErrorHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			record(w, r)
			w.WriteHeader(FailureReason(r).(*Error).Status)
		})
		p := mustNew(t, cfg)
		cookie, tok := pair(t, p, false, "")
		if mkBody != nil {
			body = mkBody(tok)
		}
		var rd io.Reader = bytes.NewReader(body)
		if chunked {
			rd = iotest.HalfReader(rd)
		}
		hdr := []string{"Content-Type", ct, "Origin", "http://app.example", "Cookie", cookie}
		if byHeader {
			hdr = append(hdr, "X-CSRF-Token", tok)
		}
		r := serverReq(http.MethodPost, "app.example", "/upload", false, rd, hdr...)
		rec := serve(p.Handler(record), r)
		if got != sum(body) {
			t.Errorf("%s chunked=%v header=%v: app/error handler body differs (status %d)", ct, chunked, byHeader, rec.Code)
		}
		return seen{rec.Code, got}
	}
	field := "csrf_token"
	formBody := func(tok string) []byte {
		return []byte("a=1&" + field + "=" + url.QueryEscape(tok) + "&b=" + strings.Repeat("x", 10<<10))
	}
	mpBody := func(tok string) []byte {
		_, b := buildMultipartBoundary(t, "XyZ", part{"title", "", []byte("t")}, part{field, "", []byte(tok)}, part{"f1", "a.bin", randBytes(300<<10, 4)}, part{"f2", "b.bin", randBytes(5, 5)}, part{"f3", "c.bin", randBytes(70<<10, 6)})
		return b
	}
	mpAfter := func(tok string) []byte {
		_, b := buildMultipartBoundary(t, "XyZ", part{"f1", "a.bin", randBytes(1000, 4)}, part{field, "", []byte(tok)})
		return b
	}
	mpCT := "multipart/form-data; boundary=XyZ"
	for _, chunked := range []bool{false, true} {
		for _, tc := range []struct {
			name     string
			cfg      Config
			ct       string
			body     []byte
			byHeader bool
			mk       func(string) []byte
			status   int
		}{
			{"form token", Config{}, formCT, nil, false, formBody, 200},
			{"multipart token first", Config{}, mpCT, nil, false, mpBody, 200},
			{"multipart, header token", Config{}, ct, mp, true, nil, 200},
			{"json, header token", Config{}, "application/json", []byte(`{"a":1}`), true, nil, 200},
			{"token after file", Config{}, mpCT, nil, false, mpAfter, 403},
			{"form too large", Config{MaxFormBytes: 100}, formCT, nil, false, formBody, 413},
			{"multipart no token", Config{}, ct, mp, false, nil, 403},
			{"malformed multipart", Config{}, mpCT, []byte("--XyZ\r\nbroken"), false, nil, 403},
			{"report-only, token after file", Config{ReportOnly: true}, mpCT, nil, false, mpAfter, 200},
		} {
			s := run(tc.cfg, tc.ct, tc.body, chunked, tc.byHeader, tc.mk)
			if s.status != tc.status {
				t.Errorf("%s chunked=%v: status %d, want %d", tc.name, chunked, s.status, tc.status)
			}
		}
	}
}

func buildMultipartBoundary(t testing.TB, boundary string, parts ...part) (string, []byte) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		var pw io.Writer
		if p.filename != "" {
			pw, _ = w.CreateFormFile(p.name, p.filename)
		} else {
			pw, _ = w.CreateFormField(p.name)
		}
		pw.Write(p.data)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// uploadPattern is the file content of generated uploads, repeated.
var uploadPattern = randBytes(64<<10, 42)

// patternReader yields n bytes of uploadPattern, over and over, without
// holding them: an upload generated on the fly.
type patternReader struct {
	n   int64
	off int
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], uploadPattern[p.off:])
		n += c
		p.off = (p.off + c) % len(uploadPattern)
	}
	p.n -= int64(n)
	return n, nil
}

const uploadBoundary = "csrfkitUploadBoundary7f3a9c1e"

// uploadStream returns a multipart/form-data body with the token field first
// and one file of size bytes, generated as it is read, and its total length.
// Like a server request body it has no WriteTo, so readers copy through a
// buffer as they would from a connection.
func uploadStream(token string, size int64) (ct string, body io.Reader, total int64) {
	head := "--" + uploadBoundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token +
		"\r\n--" + uploadBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + uploadBoundary + "--\r\n"
	body = struct{ io.Reader }{io.MultiReader(strings.NewReader(head), &patternReader{n: size}, strings.NewReader(tail))}
	return "multipart/form-data; boundary=" + uploadBoundary, body, int64(len(head)) + size + int64(len(tail))
}

// TestUpload1GiB streams a 1 GiB upload, generated on the fly, through the
// middleware to a handler that hashes it: the hash matches what the client
// sent and the Go heap stays flat (< 8 MiB growth).
func TestUpload1GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB upload skipped in -short mode")
	}
	const size = 1 << 30
	p := mustNew(t, Config{})
	cookie, tok := pair(t, p, false, "")
	ct, gen, total := uploadStream(tok, size)
	sent := sha256.New()
	body := io.TeeReader(gen, sent) // what the client sent, hashed as it goes

	var (
		got            string
		n              int64
		base, peak, ms runtime.MemStats
	)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		buf := make([]byte, 32<<10)
		for {
			m, err := r.Body.Read(buf)
			h.Write(buf[:m])
			n += int64(m)
			if n%(64<<20) < int64(m) { // about every 64 MiB
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.HeapAlloc {
					peak = ms
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		got = hex.EncodeToString(h.Sum(nil))
	})
	r := serverReq(http.MethodPost, "app.example", "/upload", false, body,
		"Content-Type", ct, "Origin", "http://app.example", "Cookie", cookie)
	runtime.GC()
	runtime.ReadMemStats(&base)
	start := time.Now()
	rec := serve(p.Handler(app), r)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms)

	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if n != total || got != hex.EncodeToString(sent.Sum(nil)) {
		t.Fatalf("handler hashed %d bytes, sha256 %s; client sent %d bytes, sha256 %x", n, got, total, sent.Sum(nil))
	}
	growth := int64(peak.HeapAlloc) - int64(base.HeapAlloc)
	t.Logf("1 GiB upload: %.0f MB/s (client+handler hashing), heap growth peak %d KiB (HeapAlloc), HeapInuse %d->%d KiB, allocated during the request %d KiB in %d objects",
		float64(total)/1e6/elapsed.Seconds(), growth>>10, base.HeapInuse>>10, peak.HeapInuse>>10,
		(ms.TotalAlloc-base.TotalAlloc)>>10, ms.Mallocs-base.Mallocs)
	if growth >= 8<<20 {
		t.Errorf("heap grew by %d bytes streaming 1 GiB; want < 8 MiB", growth)
	}
	if alloc := ms.TotalAlloc - base.TotalAlloc; alloc >= 8<<20 {
		t.Errorf("allocated %d bytes streaming 1 GiB; want < 8 MiB in total", alloc)
	}
}

// BenchmarkMultipartUpload100MB compares a bare handler hashing a 100 MB
// upload with the same handler behind formToken (the token field first, as
// the browser client sends it) and behind the whole middleware.
func BenchmarkMultipartUpload100MB(b *testing.B) {
	const size = 100 << 20
	p := mustNew(b, Config{})
	cookie, tok := pair(b, p, false, "")
	hash := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		if _, err := io.Copy(h, r.Body); err != nil {
			b.Fatal(err)
		}
		h.Sum(nil)
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", hash},
		{"formToken", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := formToken(r, testField, testMaxForm, testMaxPrefix); err != nil {
				b.Fatal(err)
			}
			hash(w, r)
		})},
		{"middleware", p.Handler(hash)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, _, total := uploadStream(tok, size)
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				ct, body, _ := uploadStream(tok, size)
				r := serverReq(http.MethodPost, "app.example", "/upload", false, body,
					"Content-Type", ct, "Origin", "http://app.example", "Cookie", cookie)
				rec := serve(bc.h, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// A body trickled one byte per read costs linear time: each byte is searched
// and scanned once (a quadratic rescan would take minutes here).
func TestFormTokenTrickleIsLinear(t *testing.T) {
	body := append(bytes.Repeat([]byte("x"), 4<<20), "&csrf_token=abc"...)
	r := httptest.NewRequest(http.MethodPost, "/", &chunkReader{bytes.NewReader(body), 1})
	r.Header.Set("Content-Type", formCT)
	r.ContentLength = -1
	done := make(chan error, 1)
	go func() { _, err := formToken(r, testField, 8<<20, testMaxPrefix); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("4 MiB trickled one byte per read took over 20 s")
	}
}
