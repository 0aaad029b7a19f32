package bench

import (
	"io"
	"net/http"
)

// segBody is a request body over fixed byte slices that can be rewound, so
// one request is built once and replayed every iteration without copying
// (the 100 MB upload shares its file bytes between libraries).
type segBody struct {
	segs [][]byte
	i    int // current segment
	off  int // offset in it
	size int64
}

func newSegBody(segs ...[]byte) *segBody {
	b := &segBody{segs: segs}
	for _, s := range segs {
		b.size += int64(len(s))
	}
	return b
}

func (b *segBody) Reset() { b.i, b.off = 0, 0 }

func (b *segBody) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && b.i < len(b.segs) {
		c := copy(p[n:], b.segs[b.i][b.off:])
		n += c
		b.off += c
		if b.off == len(b.segs[b.i]) {
			b.i++
			b.off = 0
		}
	}
	if n == 0 && b.i >= len(b.segs) {
		return 0, io.EOF
	}
	return n, nil
}

// WriteTo lets io.Copy hand whole segments to the destination.
func (b *segBody) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for b.i < len(b.segs) {
		n, err := w.Write(b.segs[b.i][b.off:])
		total += int64(n)
		b.i++
		b.off = 0
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (b *segBody) Close() error { return nil }

// discardRW is the cheapest ResponseWriter that still behaves like one: a
// header map (cleared, not reallocated, per iteration), the status, and a
// byte count. httptest.ResponseRecorder would add its own allocations to
// every library's figure.
type discardRW struct {
	h      http.Header
	status int
	n      int
}

func newDiscardRW() *discardRW { return &discardRW{h: make(http.Header, 8)} }

func (w *discardRW) Header() http.Header { return w.h }

func (w *discardRW) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardRW) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// WriteString is what net/http's own ResponseWriter offers too, so that
// io.WriteString(w, token) costs no conversion allocation here either.
func (w *discardRW) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(s)
	return len(s), nil
}

func (w *discardRW) reset() {
	clear(w.h)
	w.status = 0
	w.n = 0
}

// code is the status the client would see (200 when the handler wrote nothing).
func (w *discardRW) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
