package csrfkit

import (
	"io"
	"mime/multipart"
	"net/http"
)

// multipartToken streams the parts of a multipart/form-data body up to the
// token field, through a recorder that keeps every byte pulled from the
// client (mime/multipart reads ahead through its own bufio.Reader, so the
// prefix is "everything read from r.Body", not "everything parsed").
//
// Only fields before the first file part are looked at: finding a part with
// a filename first, or needing more than maxPrefix bytes, is
// ErrTokenAfterFile. Either way the file itself is never read.
func (c *recorder) multipartToken(r *http.Request, boundary, field string, maxPrefix int64) ([]byte, error) {
	if maxPrefix < 0 {
		maxPrefix = 0
	}
	*c = recorder{body: r.Body, limit: maxPrefix, eof: errBodyEnd}
	rec := c
	defer rec.restore(r)

	// fail classifies an error from mime/multipart by what happened below it.
	fail := func() ([]byte, error) {
		if e, ok := rec.readErr(); ok {
			return nil, e
		}
		if rec.full {
			return nil, ErrTokenAfterFile
		}
		return nil, ErrBodyMalformed // bad framing, truncated part, short body
	}

	mr := multipart.NewReader(rec, boundary)
	for {
		before := len(rec.buf)
		p, err := mr.NextPart()
		if len(rec.buf)-before > maxPartHeaderBytes {
			// Part headers (or a preamble) far beyond what any client
			// sends: malformed, not "token too far".
			return nil, ErrBodyMalformed
		}
		if err == io.EOF {
			if rec.short(r) {
				return nil, ErrBodyMalformed
			}
			return nil, ErrTokenMissing // a well-formed body without the field
		}
		if err != nil {
			return fail()
		}
		if p.FileName() != "" {
			// The token must come before any file: csrfkit never reads a
			// file to look for it (the handler streams files itself).
			return nil, ErrTokenAfterFile
		}
		if p.FormName() != field {
			// Another field (or a nameless part): skip it. Its bytes stay in
			// the prefix, bounded by maxPrefix.
			if _, err := io.Copy(io.Discard, p); err != nil {
				return fail()
			}
			continue
		}
		// First occurrence of the field counts. Read one byte more than
		// allowed to tell "too long" from "exactly the limit"; io.EOF from the
		// part means its closing delimiter was seen, so the value is whole.
		v, err := io.ReadAll(io.LimitReader(p, maxTokenBytes+1))
		switch {
		case err != nil:
			return fail()
		case len(v) > maxTokenBytes:
			return nil, ErrTokenInvalid
		case len(v) == 0:
			return nil, ErrTokenMissing
		}
		// The value is whole, but if the read-ahead already met a broken
		// or short body, say so now rather than let the handler find out.
		if e, bad := rec.readErr(); bad {
			return nil, e
		}
		if rec.short(r) {
			return nil, ErrBodyMalformed
		}
		return v, nil
	}
}
