package csrfkit

// TEMPORARY stub, replaced by the body issue's implementation.

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
)

func formToken(r *http.Request, field string, maxForm, maxPrefix int64) (string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" || r.Body == nil {
		return "", ErrTokenMissing
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	if err != nil {
		return "", ErrBodyMalformed
	}
	if int64(len(b)) > maxForm {
		return "", ErrBodyTooLarge
	}
	v, err := url.ParseQuery(string(b))
	if err != nil || v.Get(field) == "" {
		return "", ErrTokenMissing
	}
	return v.Get(field), nil
}
