package main

import (
	"bufio"
	"net"
	"net/http"
	"time"
)

// statusWriter records the status code so the access log can print it. It
// exposes Hijack (WebSocket) and Unwrap (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs one line per request: server, method, path, status, time,
// and csrfkit's reason when it refused the request. csrfkit answers its
// refusals itself (before the application), and always names the reason in
// the X-CSRF-Reason response header; that is what is read here, outside the
// middleware. Inside it, csrfkit.FailureReason(r) gives the same as an error.
// The query string is left out of the log.
func (d *demo) accessLog(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		reason := ""
		if c := sw.Header().Get("X-CSRF-Reason"); c != "" {
			reason = "  csrfkit: " + c
		}
		d.log.Printf("%-8s %-7s %-22s %d %7s%s", name, r.Method, r.URL.Path, sw.status,
			time.Since(t).Round(100*time.Microsecond), reason)
	})
}
