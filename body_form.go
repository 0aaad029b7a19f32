package csrfkit

import (
	"bytes"
	"io"
	"math"
	"net/http"
)

// urlencodedToken reads at most maxForm+1 bytes of an
// application/x-www-form-urlencoded body and scans them for field.
func (c *recorder) urlencodedToken(r *http.Request, field string, maxForm int64) ([]byte, error) {
	if maxForm < 0 {
		maxForm = 0
	}
	if r.ContentLength > maxForm {
		// Declared too large: refuse before reading a byte, so the body is
		// untouched (and no 100 Continue is sent).
		return nil, ErrBodyTooLarge
	}
	limit := maxForm
	if limit < math.MaxInt64 {
		limit++ // one byte more than allowed tells "too large" from "exactly the limit"
	}
	size := int64(512)
	if r.ContentLength >= 0 && r.ContentLength < 64<<10 {
		size = r.ContentLength + 1 // +1 to see EOF without growing
	}
	*c = recorder{body: r.Body, limit: limit, buf: make([]byte, 0, min(size, limit))}
	defer c.restore(r)

	// Scan the pairs as they arrive and stop at the first occurrence of the
	// field. A pair counts once complete: followed by '&', or by the clean
	// end of the body (not one cut short by an error, the limit, or a
	// Content-Length the body did not reach). Each byte is searched for '&'
	// once and scanned once, however the body is split into reads (a sender
	// trickling bytes costs linear time).
	scanned, searched := 0, 0
	for more := c.readSome(); ; more = c.readSome() {
		for {
			i := bytes.IndexByte(c.buf[searched:], '&')
			if i < 0 {
				searched = len(c.buf)
				break
			}
			end := searched + i + 1
			if tok, found, err := scanForm(c.buf[scanned:end], field); found {
				return tok, err
			}
			scanned, searched = end, end
		}
		if !more {
			break
		}
	}
	if c.err == io.EOF && !c.short(r) {
		if tok, found, err := scanForm(c.buf[scanned:], field); found {
			return tok, err
		}
	}
	if e, ok := c.readErr(); ok {
		return nil, e
	}
	if int64(len(c.buf)) > maxForm {
		return nil, ErrBodyTooLarge
	}
	if c.short(r) {
		return nil, ErrBodyMalformed
	}
	return nil, ErrTokenMissing
}

// scanForm returns the first value of field in an url-encoded body, decoded
// as url.ParseQuery decodes it, without building a map of every value.
// found reports whether the field occurs at all; without it err is
// ErrTokenMissing.
//
// Pairs are split on '&'. Like url.ParseQuery (and so r.ParseForm), a pair
// that contains ';' is skipped, and so is a pair whose key has a malformed
// escape, so the value found here is the one r.PostFormValue(field) returns.
// The one difference: a malformed escape in the field's own value is
// ErrBodyMalformed here, where ParseQuery would skip it and use a later one.
//
// The value is returned in place (a sub-slice of b) unless it needs decoding.
func scanForm(b []byte, field string) (tok []byte, found bool, err error) {
	for len(b) > 0 {
		pair := b
		if i := bytes.IndexByte(b, '&'); i >= 0 {
			pair, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(pair) == 0 || bytes.IndexByte(pair, ';') >= 0 {
			continue
		}
		key, val := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			key, val = pair[:i], pair[i+1:]
		}
		if !keyIs(key, field) {
			continue
		}
		if len(val) > 3*maxTokenBytes {
			return nil, true, ErrTokenInvalid // cannot decode to maxTokenBytes or less
		}
		v, ok := queryUnescape(val)
		switch {
		case !ok:
			return nil, true, ErrBodyMalformed
		case len(v) > maxTokenBytes:
			return nil, true, ErrTokenInvalid
		case len(v) == 0:
			return nil, true, ErrTokenMissing
		}
		return v, true, nil
	}
	return nil, false, ErrTokenMissing
}

// keyIs reports whether the raw key decodes to field. A key with a malformed
// escape matches nothing, as ParseQuery drops the pair.
func keyIs(key []byte, field string) bool {
	if bytes.IndexByte(key, '%') < 0 && bytes.IndexByte(key, '+') < 0 {
		return string(key) == field // no allocation
	}
	// Each decoded byte takes 1 to 3 raw bytes.
	if len(key) < len(field) || len(key) > 3*len(field) {
		return false
	}
	k, ok := queryUnescape(key)
	return ok && string(k) == field
}

// queryUnescape decodes '+' to space and %XX to a byte, reporting false on a
// malformed escape, like url.QueryUnescape. Text without either is returned
// as it is, without a copy (a base64url token never needs decoding).
func queryUnescape(s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, '%') < 0 && bytes.IndexByte(s, '+') < 0 {
		return s, true
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return nil, false
			}
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
