package csrfkit

import (
	"bytes"
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
	c.fill()
	defer c.restore(r)

	if e, ok := c.readErr(); ok {
		return nil, e
	}
	if int64(len(c.buf)) > maxForm {
		return nil, ErrBodyTooLarge
	}
	if c.short(r) {
		return nil, ErrBodyMalformed
	}
	return scanForm(c.buf, field)
}

// scanForm returns the first value of field in an url-encoded body, decoded
// as url.ParseQuery decodes it, without building a map of every value.
//
// Pairs are split on '&'. Like url.ParseQuery (and so r.ParseForm), a pair
// that contains ';' is skipped, and so is a pair whose key has a malformed
// escape, so the value found here is the one r.PostFormValue(field) returns.
// The one difference: a malformed escape in the field's own value is
// ErrBodyMalformed here, where ParseQuery would skip it and use a later one.
//
// The value is returned in place (a sub-slice of b) unless it needs decoding.
func scanForm(b []byte, field string) ([]byte, error) {
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
			return nil, ErrTokenInvalid // cannot decode to maxTokenBytes or less
		}
		v, ok := queryUnescape(val)
		switch {
		case !ok:
			return nil, ErrBodyMalformed
		case len(v) > maxTokenBytes:
			return nil, ErrTokenInvalid
		case len(v) == 0:
			return nil, ErrTokenMissing
		}
		return v, nil
	}
	return nil, ErrTokenMissing
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
