package csrfkit

// Reading the form token from the request body without losing any of it.
//
// The token layer calls formToken only for unsafe requests whose headers carried
// no token. Whatever happens — token found, missing, body rejected — r.Body is
// handed back readable from its first byte: the bytes csrfkit pulled from the
// client are replayed first, then the unread rest is streamed straight from the
// connection. Nothing is buffered beyond a bounded prefix, and nothing is ever
// read past what the lookup needs (a slow or endless sender cannot make
// csrfkit hold more than MaxFormBytes+1 or MaxPrefixBytes bytes).

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

const (
	// maxTokenBytes bounds a token value read from a body. Real tokens are
	// well under 100 bytes; anything longer is answered ErrTokenInvalid
	// without reading further.
	maxTokenBytes = 4 << 10

	// maxPartHeaderBytes bounds the bytes pulled from the body while reading
	// one multipart boundary line plus part headers (and, for the first part,
	// the preamble). Above it the body is ErrBodyMalformed rather than
	// ErrTokenAfterFile: no browser sends kilobytes of part headers.
	maxPartHeaderBytes = 32 << 10
)

// formToken looks the token field up in r's body. It is called only for unsafe requests
// whose headers carried no token. It returns ErrTokenMissing when the body has no such
// field (or the Content-Type is not a form), another *Error for bad bodies, and always
// leaves r.Body readable from its first byte (every byte the client sent, in order).
//
// Decisions (see body_test.go for the table):
//   - Only application/x-www-form-urlencoded and multipart/form-data are read,
//     matched case-insensitively, with any parameters, odd spacing or stray
//     ';'. Any other or missing Content-Type returns ErrTokenMissing and the
//     body is not touched: the request then needs a header token.
//   - The first occurrence of the field counts, as with r.PostFormValue. An
//     empty first value is ErrTokenMissing.
//   - url-encoded: pairs are split on '&' and decoded like url.ParseQuery
//     ('+' is a space, %XX a byte); pairs containing ';' or a key with a bad
//     escape are skipped, as ParseForm skips them. A bad escape in the token
//     field's own value is ErrBodyMalformed (ParseForm would report an
//     error). url.ParseQuery's cap on the number of pairs is not applied:
//     past it ParseForm sees no fields at all, csrfkit still finds the token.
//     The body is read only until the field's pair is complete (followed by
//     '&', or by the clean end of the body): a token at the start of a large
//     form costs a few hundred bytes. A Content-Length over maxForm is
//     ErrBodyTooLarge before a byte is read; otherwise at most maxForm+1
//     bytes are read, and a body that reaches them without the field is
//     ErrBodyTooLarge.
//   - multipart: parts are streamed with mime/multipart until the field is
//     found. A part with a filename before the field, or a prefix that would
//     exceed maxPrefix, is ErrTokenAfterFile. Nameless parts are skipped.
//     Part headers (or a preamble) over maxPartHeaderBytes, and any parse or
//     read error, are ErrBodyMalformed. So is a close delimiter cut from its
//     CRLF by the end of the body when no token came before it (mime/multipart
//     would call that a clean end; the answer is a 403 either way).
//   - A token value over maxTokenBytes is ErrTokenInvalid.
//   - A body shorter than its Content-Length, or a read error from the
//     client, is ErrBodyMalformed; an http.MaxBytesReader limit set by the
//     application is ErrBodyTooLarge.
//
// The token returned may share memory with the replayed body: it must not be
// modified or kept past the check. c is the recorder that then serves r.Body,
// so the lookup allocates c and the prefix buffer, nothing else.
func (c *recorder) formToken(r *http.Request, field string, maxForm, maxPrefix int64) ([]byte, error) {
	kind, boundary, ok := formKind(r.Header.Get("Content-Type"))
	switch {
	case kind == kindNone:
		return nil, ErrTokenMissing
	case r.Body == nil || r.Body == http.NoBody:
		if kind == kindURLEncoded {
			return nil, ErrTokenMissing // an empty form has no token
		}
		return nil, ErrBodyMalformed // multipart needs at least a close delimiter
	case kind == kindMultipart && !ok:
		// No usable boundary: the body cannot be split, and is left unread.
		return nil, ErrBodyMalformed
	}
	if kind == kindURLEncoded {
		return c.urlencodedToken(r, field, maxForm)
	}
	return c.multipartToken(r, boundary, field, maxPrefix)
}

type formType int

const (
	kindNone formType = iota
	kindURLEncoded
	kindMultipart
)

// formKind classifies a Content-Type header. For multipart it also returns
// the boundary, and ok=false when the boundary is missing or unusable.
func formKind(ct string) (kind formType, boundary string, ok bool) {
	base, _, _ := strings.Cut(ct, ";")
	base = strings.TrimSpace(base)
	switch {
	case strings.EqualFold(base, "application/x-www-form-urlencoded"):
		return kindURLEncoded, "", true
	case strings.EqualFold(base, "multipart/form-data"):
	default:
		return kindNone, "", false
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		// Forgive empty parameters ("a/b;; boundary=x", "a/b; ;"), which
		// mime rejects; anything else (duplicate boundary, bad quoting) stays
		// an error, since the application's own parser could not split it.
		segs := strings.Split(ct, ";")
		kept := segs[:0]
		for _, s := range segs {
			if strings.TrimSpace(s) != "" {
				kept = append(kept, s)
			}
		}
		if _, params, err = mime.ParseMediaType(strings.Join(kept, ";")); err != nil {
			return kindMultipart, "", false
		}
	}
	boundary = params["boundary"]
	return kindMultipart, boundary, validBoundary(boundary)
}

// validBoundary accepts RFC 2046 boundaries loosely: 1 to 70 printable ASCII
// bytes, not ending in a space. (Only CR, LF and friends could confuse the
// delimiter search; the length limit is the RFC's.)
func validBoundary(b string) bool {
	if len(b) < 1 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] < 0x20 || b[i] > 0x7e {
			return false
		}
	}
	return true
}

// errPrefixFull is what the recorder returns once its bound is reached. It
// never escapes this file: callers look at recorder.full instead.
var errPrefixFull = errors.New("csrfkit: body prefix limit reached")

// errBodyEnd stands for io.EOF under mime/multipart (see recorder.eof).
var errBodyEnd = errors.New("csrfkit: end of body")

// recorder reads from the client's body and keeps every byte it pulled, so
// that those bytes can be replayed in front of the unread rest. It never
// holds more than limit bytes: once full, reads fail with errPrefixFull.
// Afterwards the same memory, as a replayBody, is the handler's r.Body.
type recorder struct {
	body  io.ReadCloser // the client's body
	buf   []byte
	pos   int // replay position in buf
	limit int64
	full  bool  // a read was refused because buf holds limit bytes
	err   error // first error (io.EOF included) from r; sticky

	// eof, when set, is returned instead of io.EOF. mime/multipart's
	// NextPart returns a bare io.EOF both for the close delimiter and for
	// part headers cut short by the end of the body; with eof set, io.EOF
	// from NextPart can only mean the close delimiter.
	eof error
}

func (c *recorder) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.mapEOF(c.err)
	}
	room := c.limit - int64(len(c.buf))
	if room <= 0 {
		c.full = true
		return 0, errPrefixFull
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.body.Read(p)
	if n < 0 || n > len(p) {
		n, err = 0, io.ErrNoProgress // a broken Reader must not panic us
	}
	c.buf = append(c.buf, p[:n]...)
	if err != nil {
		c.err = err
	}
	return n, c.mapEOF(err)
}

func (c *recorder) mapEOF(err error) error {
	if err == io.EOF && c.eof != nil {
		return c.eof
	}
	return err
}

// readSome reads into buf's spare capacity, growing it when full (doubling,
// up to limit), until some bytes arrived, the body ended or failed, or limit
// bytes are held. It reports whether more may follow. It is the url-encoded
// path: one copy, no intermediate buffer.
func (c *recorder) readSome() bool {
	for empty := 0; c.err == nil; {
		room := c.limit - int64(len(c.buf))
		if room <= 0 {
			c.full = true
			return false
		}
		if len(c.buf) == cap(c.buf) {
			c.grow(room)
		}
		end := cap(c.buf)
		if int64(end-len(c.buf)) > room {
			end = len(c.buf) + int(room)
		}
		n, err := c.body.Read(c.buf[len(c.buf):end])
		if n < 0 || n > end-len(c.buf) {
			n, err = 0, io.ErrNoProgress // a broken Reader must not panic us
		}
		c.buf = c.buf[:len(c.buf)+n]
		if err != nil {
			c.err = err
			return false
		}
		if n > 0 {
			return true
		}
		if empty++; empty >= 100 {
			c.err = io.ErrNoProgress // never spin on a Reader that returns 0, nil
			return false
		}
	}
	return false
}

// grow doubles buf's capacity (at least 512 bytes), without going past room
// more bytes than it holds.
func (c *recorder) grow(room int64) {
	n := max(2*cap(c.buf), 512)
	if int64(n-len(c.buf)) > room {
		n = len(c.buf) + int(room)
	}
	b := make([]byte, len(c.buf), n)
	copy(b, c.buf)
	c.buf = b
}

// readErr maps a read error from the client's body to a reason. The bool is
// false when there was none (nil or io.EOF).
func (c *recorder) readErr() (*Error, bool) {
	if c.err == nil || c.err == io.EOF {
		return nil, false
	}
	var mbe *http.MaxBytesError
	if errors.As(c.err, &mbe) {
		return ErrBodyTooLarge, true
	}
	return ErrBodyMalformed, true
}

// short reports whether the body ended before its declared Content-Length
// (possible only for hand-built requests; net/http reports
// io.ErrUnexpectedEOF itself).
func (c *recorder) short(r *http.Request) bool {
	return c.err == io.EOF && r.ContentLength > 0 && int64(len(c.buf)) < r.ContentLength
}

// restore gives r.Body back as the recorded prefix followed by whatever the
// recorder did not read, keeping the original Close. A read error is replayed
// after the prefix, exactly as the handler would have met it. It allocates
// nothing: the recorder itself becomes the body.
func (c *recorder) restore(r *http.Request) {
	if len(c.buf) == 0 && c.err == nil {
		r.Body = c.body // nothing was read
		return
	}
	c.pos = 0
	r.Body = (*replayBody)(c)
}

// replayBody is the r.Body handed back to the application: the recorded
// prefix, then the end of the body (or the read error) the recorder met, or
// the unread rest straight from the client.
type replayBody recorder

func (b *replayBody) Read(p []byte) (int, error) {
	if b.pos < len(b.buf) {
		n := copy(p, b.buf[b.pos:])
		b.pos += n
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	return b.body.Read(p)
}

func (b *replayBody) Close() error { return b.body.Close() }
