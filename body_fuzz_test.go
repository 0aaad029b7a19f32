package csrfkit

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// chunkReader returns at most n bytes per Read, as a network body does.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// fuzzReq runs formToken on body and checks what must always hold: a known
// reason, no more read than the bounds, and r.Body handing back every byte.
func fuzzReq(t *testing.T, ct string, body []byte, chunk int, cl int64, maxForm, maxPrefix int64) (string, error) {
	cb := &clientBody{r: &chunkReader{bytes.NewReader(body), chunk}}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = cb, cl
	r.Header.Set("Content-Type", ct)
	tok, err := formToken(r, testField, maxForm, maxPrefix)
	if err != nil {
		known := false
		for _, e := range allErrors {
			known = known || err == e
		}
		if !known || tok != "" {
			t.Fatalf("formToken = %q, %v", tok, err)
		}
	} else if tok == "" || len(tok) > maxTokenBytes {
		t.Fatalf("formToken returned a %d-byte token and no error", len(tok))
	}
	if bound := max(maxForm+1, maxPrefix); cb.read > bound {
		t.Fatalf("read %d bytes, bounds %d/%d", cb.read, maxForm, maxPrefix)
	}
	got, rerr := io.ReadAll(r.Body)
	if rerr != nil || !bytes.Equal(got, body) {
		t.Fatalf("handler got %d bytes (%v), client sent %d", len(got), rerr, len(body))
	}
	r.Body.Close()
	if !cb.closed {
		t.Fatal("Close lost")
	}
	return tok, err
}

func FuzzFormScan(f *testing.F) {
	for _, s := range []string{
		"csrf_token=abc", "a=1&csrf_token=a%2Bb+c&b=2", "csrf_token=first&csrf_token=second",
		"csrf_token=&csrf_token=x", "csrf_token", "a=1;csrf_token=x", "csrf_token=x;y&csrf_token=z",
		"csrf%5token=x&csrf_token=y", "csrf%5Ftoken=abc", "csrf_token=%zz", "csrf_token=%4", "csrf_token=abc%",
		"csrf_token=%", "csrf+token=1", "&&csrf_token=abc&&", "csrf_token==x", "csrf_token=%e2%9C%93",
		"csrf_token=" + strings.Repeat("a", maxTokenBytes+1), "csrf_token=" + strings.Repeat("%41", 1500),
		"csrf_token=abc&" + strings.Repeat("x", 100), strings.Repeat("x=1&", 30) + "csrf_token=abc",
	} {
		f.Add([]byte(s), uint16(len(s)), uint8(7))
		f.Add([]byte(s), uint16(len(s)-1), uint8(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, maxForm uint16, chunk uint8) {
		raw, _, err := scanForm(body, testField)
		tok := string(raw)
		if bytes.Count(body, []byte("&")) < 1000 { // ParseQuery refuses very many pairs
			checkScanAgainstParseQuery(t, string(body), tok, err)
		}
		// The same through formToken, chunked and not, under a limit.
		for _, cl := range []int64{int64(len(body)), -1} {
			tok2, err2 := fuzzReq(t, "application/x-www-form-urlencoded", body, int(chunk)+1, cl, int64(maxForm), 1<<20)
			wantTok, wantErr := tok, err
			if len(body) > int(maxForm) {
				// Over the limit: a declared length is refused before reading;
				// a chunked body is read up to maxForm+1 bytes, where only a
				// pair followed by '&' can decide.
				wantTok, wantErr = "", error(ErrBodyTooLarge)
				if cl < 0 {
					prefix := body[:int(maxForm)+1]
					if raw, found, e := scanForm(prefix[:bytes.LastIndexByte(prefix, '&')+1], testField); found {
						wantTok, wantErr = string(raw), e
					}
				}
			}
			if tok2 != wantTok || err2 != wantErr {
				t.Fatalf("cl=%d max=%d: formToken = %q, %v; want %q, %v", cl, maxForm, tok2, err2, wantTok, wantErr)
			}
		}
	})
}

func FuzzMultipartPrefix(f *testing.F) {
	field := func(name, v string) string {
		return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + v + "\r\n"
	}
	file := "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\nDATA\r\n"
	tok, end := field(testField, "abc"), "--B--\r\n"
	for _, s := range []string{
		tok + end, tok + file + end, field("a", "1") + tok + file + end, file + tok + end,
		"preamble\r\n" + tok + end, tok + end + "epilogue", strings.ReplaceAll(tok+end, "\r\n", "\n"),
		tok + "--B--", tok + "--", tok, field("a", "1") + "--B--", "", "csrf_token=abc", "--BB\r\n\r\nabc\r\n--BB--\r\n",
		"--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc", "--B\r\nContent-Disposition: form-da",
		"--B\r\n", "--B\r\nContent-Disposition form-data\r\n\r\nx\r\n" + end,
		"--B\r\nX-Long: " + strings.Repeat("h", 2000) + "\r\n\r\nx\r\n" + end,
		field("a", "1") + "--B junk\r\n" + tok[5:] + end, field("a", "1") + "\r\njunk\r\n" + tok + end,
		"--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Dbc=\r\n\r\n" + end,
		"--B\r\nContent-Disposition: form-data; name=\"x\"; filename=\"\"\r\n\r\nv\r\n" + tok + end,
		"--B\r\nContent-Disposition: attachment; name=\"csrf_token\"\r\n\r\nno\r\n" + tok + end,
		"--B\r\nContent-Disposition: form-data; name=\"csrf_token\"; filename=\"t\"\r\n\r\nabc\r\n" + end,
		field("big", strings.Repeat("z", 3000)) + tok + end, "\x00\x00\x00",
	} {
		f.Add("multipart/form-data; boundary=B", []byte(s), uint32(1<<20), uint8(255))
		f.Add("multipart/form-data; boundary=B", []byte(s), uint32(len(s)/2), uint8(3))
	}
	for _, ct := range []string{"Multipart/Form-Data;boundary=B", "multipart/form-data;; boundary=\"B\";", "multipart/form-data",
		"multipart/form-data; boundary=", "multipart/form-data; boundary=B; boundary=C", "multipart/form-data; boundary=\"B \"",
		"text/plain", "application/x-www-form-urlencoded; boundary=B", "multipart/mixed; boundary=B"} {
		f.Add(ct, []byte(tok+end), uint32(1<<20), uint8(0))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte, maxPrefix uint32, chunk uint8) {
		got, err := fuzzReq(t, ct, body, int(chunk)+1, int64(len(body)), 1<<20, int64(maxPrefix))

		// Oracle: mime/multipart over the whole body in memory, unbounded.
		mt, params, perr := mime.ParseMediaType(ct)
		if perr != nil || mt != "multipart/form-data" || !validBoundary(params["boundary"]) {
			return
		}
		want, found := "", false
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil || p.FileName() != "" {
				break
			}
			if p.FormName() == testField {
				v, err := io.ReadAll(p)
				want, found = string(v), err == nil
				break
			}
			if _, err := io.Copy(io.Discard, p); err != nil {
				break
			}
		}
		if err == nil && (!found || got != want) {
			t.Fatalf("formToken found %q; mime/multipart: %q (found=%v)", got, want, found)
		}
		if found && want != "" && len(want) <= maxTokenBytes && int64(maxPrefix) > int64(len(body))+maxPartHeaderBytes &&
			len(body) < maxPartHeaderBytes && err != nil {
			t.Fatalf("formToken: %v; mime/multipart found %q", err, want)
		}
	})
}
