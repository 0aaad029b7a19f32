package csrfkit

import "net/http"

// RestoreHandler answers {"csrfToken":"..."} with Cache-Control: no-store and
// refreshes the readable cookie (when Config.TokenCookie is set): the seed's
// Express restore route. Clients call it at start-up and after a rejection
// with a token reason. Mount it on a GET route, or set Config.RestorePath
// and the middleware answers it itself. Reading the response needs
// same-origin access, so other sites cannot use it to learn a token.
func (p *Protector) RestoreHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.serveRestore(w, r, p.stateFor(w, r))
	})
}

func (p *Protector) serveRestore(w http.ResponseWriter, r *http.Request, s *state) {
	s.mu.Lock()
	tok := s.tokenFor(w, r)
	if p.cfg.TokenCookie != "" {
		s.setTokenCookie(w, r, tok)
	}
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.Write([]byte(`{"csrfToken":"` + tok + `"}` + "\n"))
}
