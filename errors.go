package csrfkit

import "net/http"

// Error is a reason csrfkit rejected a request. Every rejection is one of the
// exported Err values below, so callers compare with errors.Is. Code is the
// machine-readable reason sent to clients (JSON "reason" and the X-CSRF-Reason
// header); Status is the HTTP status of the default response.
type Error struct {
	Code   string
	Status int
	msg    string

	json, html []byte // the default response bodies
}

// Error returns a human-readable description. It never contains request
// values, so it is safe to log and to show.
func (e *Error) Error() string { return "csrfkit: " + e.msg }

func reject(code, msg string) *Error { return newError(code, http.StatusForbidden, msg) }

func newError(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, msg: msg, json: jsonBody(code), html: htmlBody(code)}
}

// Origin layer reasons.
var (
	// ErrCrossSite: Sec-Fetch-Site said same-site or cross-site (or an
	// unknown value, or came twice) and the Origin is not trusted.
	ErrCrossSite = reject("cross-site", "cross-site request")
	// ErrOriginMismatch: the Origin header is neither the request's own
	// origin nor a trusted one, or cannot be parsed.
	ErrOriginMismatch = reject("origin-mismatch", "origin does not match")
	// ErrNullOrigin: "Origin: null" (sandboxed frames, some redirects) and
	// Config.AllowNullOrigin is false.
	ErrNullOrigin = reject("null-origin", "null origin")
	// ErrRefererMissing: an HTTPS request with neither Origin nor Referer.
	ErrRefererMissing = reject("referer-missing", "referer missing on https request")
	// ErrRefererMismatch: an HTTPS request without Origin whose Referer is
	// from another scheme, host or port.
	ErrRefererMismatch = reject("referer-mismatch", "referer does not match")
)

// Token layer reasons.
var (
	// ErrTokenMissing: no token in any accepted header nor in the form field.
	ErrTokenMissing = reject("token-missing", "token missing")
	// ErrTokenInvalid: a token was sent but is malformed, or does not verify
	// against the secret cookie and session.
	ErrTokenInvalid = reject("token-invalid", "token invalid")
	// ErrTokenExpired: the token verified but is older than Config.TokenTTL.
	ErrTokenExpired = reject("token-expired", "token expired")
	// ErrSecretMissing: the secret cookie is absent or malformed (first
	// request of a client, cleared cookies, cookie blocked).
	ErrSecretMissing = reject("secret-missing", "secret cookie missing")
)

// Body reasons: the form token could not be looked up in the request body.
var (
	// ErrBodyTooLarge: a url-encoded body is larger than Config.MaxFormBytes,
	// or hit an http.MaxBytesReader limit the application set. Answered with
	// 413.
	ErrBodyTooLarge = newError("body-too-large", http.StatusRequestEntityTooLarge, "form body too large")
	// ErrTokenAfterFile: a multipart body has its token field after a file
	// part, or more than Config.MaxPrefixBytes before it. Put the token field
	// before any file, or send the token in a header.
	ErrTokenAfterFile = reject("token-after-file", "multipart token must come before any file part (or send it in a header)")
	// ErrBodyMalformed: the body could not be parsed as its Content-Type
	// claims (bad boundary, truncated part, short body...).
	ErrBodyMalformed = reject("body-malformed", "malformed form body")
)

// allErrors lists every reason, for documentation tests and lookups.
var allErrors = []*Error{
	ErrCrossSite, ErrOriginMismatch, ErrNullOrigin, ErrRefererMissing, ErrRefererMismatch,
	ErrTokenMissing, ErrTokenInvalid, ErrTokenExpired, ErrSecretMissing,
	ErrBodyTooLarge, ErrTokenAfterFile, ErrBodyMalformed,
}
