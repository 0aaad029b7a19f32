package bench

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// Benchmark names are <Scenario>/lib=<library>, so that
//
//	go test -run '^$' -bench '/lib=csrfkit$'
//
// runs one library across every scenario (bench/run.sh interleaves the
// libraries that way) and `benchstat -col /lib` puts libraries in columns.

func BenchmarkA_FirstVisit(b *testing.B)          { runScenario(b, scenarios[0]) }
func BenchmarkB_GetWithCookie(b *testing.B)       { runScenario(b, scenarios[1]) }
func BenchmarkC_PostHeaderToken(b *testing.B)     { runScenario(b, scenarios[2]) }
func BenchmarkD_PostForm1KB(b *testing.B)         { runScenario(b, scenarios[3]) }
func BenchmarkE_CrossSiteNoCookie(b *testing.B)   { runScenario(b, scenarios[4]) }
func BenchmarkE_CrossSiteWithCookie(b *testing.B) { runScenario(b, scenarios[5]) }
func BenchmarkF_Upload100MB(b *testing.B)         { runScenario(b, scenarios[6]) }

// TestScenarios checks every library on every scenario once: valid requests
// get 200, forged ones 403, the upload hashes to the right sum. The
// benchmarks run the same check (once per process) before timing.
func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		for _, l := range libs {
			if testing.Short() && sc.name == "F_Upload100MB" {
				continue
			}
			t.Run(sc.name+"/lib="+l.name, func(t *testing.T) {
				if _, err := fixtureFor(sc, l); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

type fixtureKey struct{ sc, lib string }

type builtFixture struct {
	f   *fixture
	err error
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[fixtureKey]builtFixture{}
)

// fixtureFor builds a library's fixture for a scenario and validates it with
// one untimed run, once per process.
func fixtureFor(sc scenario, l lib) (*fixture, error) {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	k := fixtureKey{sc.name, l.name}
	if bf, ok := fixtures[k]; ok {
		return bf.f, bf.err
	}
	f := sc.build(l)
	err := validate(f, l)
	if err != nil {
		err = fmt.Errorf("VALIDATION FAILED %s/lib=%s: %w", sc.name, l.name, err)
	}
	fixtures[k] = builtFixture{f, err}
	return f, err
}

func validate(f *fixture, l lib) error {
	rq := new(http.Request)
	w := newDiscardRW()
	serveOnce(f, rq, w)
	if w.code() != f.want {
		return fmt.Errorf("status %d, want %d (X-CSRF-Reason %q)", w.code(), f.want, w.h.Get("X-CSRF-Reason"))
	}
	if f.check != nil {
		return f.check(l)
	}
	return nil
}

// serveOnce is one iteration: rewind the body, copy the request template
// into the reused Request (so state a middleware or handler leaves on it —
// a parsed form, a multipart reader — never leaks into the next iteration),
// clear the response headers, serve.
func serveOnce(f *fixture, rq *http.Request, w *discardRW) {
	if f.body != nil {
		f.body.Reset()
	}
	*rq = *f.req
	w.reset()
	f.h.ServeHTTP(w, rq)
}

func runScenario(b *testing.B, sc scenario) {
	for _, l := range libs {
		b.Run("lib="+l.name, func(b *testing.B) {
			f, err := fixtureFor(sc, l)
			if err != nil {
				b.Fatal(err)
			}
			rq := new(http.Request)
			w := newDiscardRW()
			var heap *heapSampler
			if f.body != nil && f.body.size >= uploadSize {
				b.SetBytes(f.body.size)
				heap = startHeapSampler()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serveOnce(f, rq, w)
			}
			b.StopTimer()
			if heap != nil {
				b.ReportMetric(heap.stop(), "peak-heap-MiB")
			}
			if w.code() != f.want {
				b.Fatalf("status changed during the run: %d, want %d", w.code(), f.want)
			}
		})
	}
}

// heapSampler records the largest heap-object footprint seen while a
// benchmark runs, above the footprint after a GC at its start. It counts
// garbage not yet collected too, so it is an upper bound on live growth.
type heapSampler struct {
	base uint64
	peak uint64
	done chan struct{}
	wg   sync.WaitGroup
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func readHeap(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	s := []metrics.Sample{{Name: heapMetric}}
	h := &heapSampler{base: readHeap(s), done: make(chan struct{})}
	h.peak = h.base
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		s := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				if v := readHeap(s); v > h.peak {
					h.peak = v
				}
			}
		}
	}()
	return h
}

// stop returns the peak growth in MiB.
func (h *heapSampler) stop() float64 {
	close(h.done)
	h.wg.Wait()
	return float64(h.peak-h.base) / (1 << 20)
}
