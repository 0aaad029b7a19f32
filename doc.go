// Package csrfkit protects net/http applications against cross-site request
// forgery with two layers and one middleware:
//
//   - the origin layer reads Sec-Fetch-Site, then Origin, then (on HTTPS)
//     Referer, and turns cross-site requests away before any cookie or body
//     is touched;
//   - the token layer checks a masked HMAC token, sent in a header or a form
//     field, against an HttpOnly secret cookie (named __Host- on HTTPS) and,
//     optionally, the login session.
//
// Safe methods (GET, HEAD, OPTIONS) are never checked, except WebSocket
// handshakes: GET handlers must not change state.
//
// Two delivery styles share the engine. Automatic (FlaskStyle) sets a readable
// token cookie by itself whenever it is missing or stale; Explicit
// (ExpressStyle) leaves that to SetTokenCookie and the restore route.
// Server-rendered pages use Token, TemplateField or MetaTags; the browser
// client csrfkit.js (served by ClientHandler) sends the header and recovers
// from rotated or expired tokens through the restore route.
//
// Quick start:
//
//	p, err := csrfkit.New(csrfkit.FlaskStyle())
//	if err != nil { log.Fatal(err) }
//	http.ListenAndServe(":8080", p.Handler(mux))
//
// Rejections are 403 (413 for an oversized form body) with a machine-readable
// reason: JSON {"error":"csrf","reason":"token-missing"} for scripts, a short
// HTML page for navigations, the X-CSRF-Reason header on both. Each reason is
// an exported error (ErrTokenMissing, ErrCrossSite, ...) that FailureReason
// returns inside a custom ErrorHandler.
package csrfkit
