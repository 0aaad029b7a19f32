// Command summarize turns raw `go test -bench` output from bench/ (any number
// of -count runs, interleaved) and the wrk result lines of bench/run.sh into
// Markdown tables: medians per library per scenario, each library's overhead
// over the bare handler, csrfkit's ratio to each, and csrfkit against the
// targets of issue 6.
//
//	go run ./cmd/summarize [-wrk wrk.txt] bench.txt...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var libOrder = []string{"bare", "csrfkit", "gorilla", "nosurf", "filippo", "stdlib"}

var scenarioTitle = map[string]string{
	"A_FirstVisit":          "(a) first visit: GET, no cookie, token asked",
	"B_GetWithCookie":       "(b) GET with cookie, token asked",
	"C_PostHeaderToken":     "(c) POST, token in header",
	"D_PostForm1KB":         "(d) POST, token in 1 KB url-encoded body",
	"E_CrossSiteNoCookie":   "(e) cross-site POST, no cookie (rejected)",
	"E_CrossSiteWithCookie": "(e) cross-site POST, victim's cookie (rejected)",
	"F_Upload100MB":         "(f) 100 MB multipart upload, token first",
}

// samples[scenario][lib][unit] = values
type samples map[string]map[string]map[string][]float64

var benchLine = regexp.MustCompile(`^Benchmark([^/\s]+)/lib=([^\s-]+)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader, s samples) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		scen, lib, fields := m[1], m[2], strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			if s[scen] == nil {
				s[scen] = map[string]map[string][]float64{}
			}
			if s[scen][lib] == nil {
				s[scen][lib] = map[string][]float64{}
			}
			s[scen][lib][fields[i+1]] = append(s[scen][lib][fields[i+1]], v)
		}
	}
	return sc.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

func (s samples) med(scen, lib, unit string) float64 {
	return median(s[scen][lib][unit])
}

func (s samples) n(scen, lib string) int { return len(s[scen][lib]["ns/op"]) }

func fmtNs(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "—"
	case math.Abs(ns) >= 1e6:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	case math.Abs(ns) >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.Abs(v) >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	}
	return fmt.Sprintf("%.0f", v)
}

func scenariosIn(s samples) []string {
	var out []string
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func libsIn(s samples, scen string) []string {
	var out []string
	for _, l := range libOrder {
		if _, ok := s[scen][l]; ok {
			out = append(out, l)
		}
	}
	return out
}

func header(cols ...string) {
	fmt.Println("| " + strings.Join(cols, " | ") + " |")
	seps := make([]string, len(cols))
	for i := range seps {
		seps[i] = "---"
	}
	seps[0] = "---"
	fmt.Println("|" + strings.Join(seps, "|") + "|")
}

func main() {
	wrkFile := flag.String("wrk", "", "file with the WRK lines printed by bench/wrk/transfer.lua")
	flag.Parse()
	s := samples{}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := parse(f, s); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		f.Close()
	}
	if len(s) == 0 {
		fmt.Fprintln(os.Stderr, "summarize: no benchmark lines found")
		os.Exit(1)
	}
	scens := scenariosIn(s)

	fmt.Println("### Medians per library (time/op, B/op, allocs/op)")
	fmt.Println()
	header(append([]string{"scenario"}, libOrder...)...)
	for _, sc := range scens {
		row := []string{scenarioTitle[sc]}
		for _, l := range libOrder {
			if s.n(sc, l) == 0 {
				row = append(row, "—")
				continue
			}
			row = append(row, fmt.Sprintf("%s · %s · %s allocs", fmtNs(s.med(sc, l, "ns/op")),
				fmtMiB(s.med(sc, l, "B/op")), fmtNum(s.med(sc, l, "allocs/op"))))
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	fmt.Println()
	fmt.Printf("Samples per cell (runs): %s.\n\n", sampleCounts(s, scens))

	fmt.Println("### Overhead over the bare handler (Δ time/op, Δ allocs/op)")
	fmt.Println()
	header(append([]string{"scenario"}, libOrder[1:]...)...)
	for _, sc := range scens {
		if strings.HasPrefix(sc, "F_") {
			continue
		}
		bare := s.med(sc, "bare", "ns/op")
		bareA := s.med(sc, "bare", "allocs/op")
		row := []string{scenarioTitle[sc]}
		for _, l := range libOrder[1:] {
			if s.n(sc, l) == 0 {
				row = append(row, "—")
				continue
			}
			row = append(row, fmt.Sprintf("%s · %s", fmtNs(s.med(sc, l, "ns/op")-bare), fmtNum(s.med(sc, l, "allocs/op")-bareA)))
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	fmt.Println()

	fmt.Println("### csrfkit's overhead as a multiple of each library's overhead (< 1: csrfkit is cheaper)")
	fmt.Println()
	fmt.Println("Tokenless libraries (filippo, stdlib) do no token work on GETs, so their")
	fmt.Println("overhead there is ~0 and a ratio means nothing (shown as n/a). For the")
	fmt.Println("rejections (e) the ratio is of total time/op, the issue's yardstick.")
	fmt.Println()
	header(append([]string{"scenario"}, libOrder[2:]...)...)
	for _, sc := range scens {
		if strings.HasPrefix(sc, "F_") {
			continue
		}
		bare := s.med(sc, "bare", "ns/op")
		ck := s.med(sc, "csrfkit", "ns/op")
		row := []string{scenarioTitle[sc]}
		for _, l := range libOrder[2:] {
			v := s.med(sc, l, "ns/op")
			switch {
			case math.IsNaN(v) || math.IsNaN(ck):
				row = append(row, "—")
			case strings.HasPrefix(sc, "E_"):
				row = append(row, fmt.Sprintf("%.2f×", ck/v))
			case v-bare < 20:
				row = append(row, "n/a")
			default:
				row = append(row, fmt.Sprintf("%.2f×", (ck-bare)/(v-bare)))
			}
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	fmt.Println()

	if _, ok := s["F_Upload100MB"]; ok {
		sc := "F_Upload100MB"
		fmt.Println("### (f) 100 MB upload: throughput and memory")
		fmt.Println()
		header("library", "time/op", "MB/s", "× bare MB/s", "allocated/op", "peak heap growth")
		bareMB := s.med(sc, "bare", "MB/s")
		for _, l := range libsIn(s, sc) {
			mb := s.med(sc, l, "MB/s")
			fmt.Printf("| %s | %s | %.0f | %.2f | %s | %.1f MiB |\n", l, fmtNs(s.med(sc, l, "ns/op")), mb, mb/bareMB,
				fmtMiB(s.med(sc, l, "B/op")), s.med(sc, l, "peak-heap-MiB"))
		}
		fmt.Println()
	}

	targets(s)
	if *wrkFile != "" {
		wrkTable(*wrkFile)
	}
}

func fmtMiB(b float64) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	if b >= 1<<10 {
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

func sampleCounts(s samples, scens []string) string {
	lo, hi := math.MaxInt, 0
	for _, sc := range scens {
		for _, l := range libsIn(s, sc) {
			n := s.n(sc, l)
			lo, hi = min(lo, n), max(hi, n)
		}
	}
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// targets compares csrfkit with the table in issue 6.
func targets(s samples) {
	fmt.Println("### csrfkit against the targets of issue 6")
	fmt.Println()
	header("scenario", "target", "measured", "verdict")
	type tgt struct {
		sc        string
		ns, alloc float64
	}
	for _, t := range []tgt{
		{"A_FirstVisit", 1000, 6},
		{"B_GetWithCookie", 500, 2},
		{"C_PostHeaderToken", 600, 2},
		{"D_PostForm1KB", 1200, 4},
	} {
		if s.n(t.sc, "csrfkit") == 0 || s.n(t.sc, "bare") == 0 {
			continue
		}
		dns := s.med(t.sc, "csrfkit", "ns/op") - s.med(t.sc, "bare", "ns/op")
		dal := s.med(t.sc, "csrfkit", "allocs/op") - s.med(t.sc, "bare", "allocs/op")
		verdict := "met"
		var miss []string
		if dns > t.ns {
			miss = append(miss, fmt.Sprintf("time +%s (%.1f× target)", fmtNs(dns-t.ns), dns/t.ns))
		}
		if dal > t.alloc {
			miss = append(miss, fmt.Sprintf("allocs +%.0f", dal-t.alloc))
		}
		if len(miss) > 0 {
			verdict = "MISSED: " + strings.Join(miss, ", ")
		}
		fmt.Printf("| %s | ≤ %s, ≤ %.0f allocs | %s, %.0f allocs | %s |\n", scenarioTitle[t.sc], fmtNs(t.ns), t.alloc, fmtNs(dns), dal, verdict)
	}
	for _, sc := range []string{"E_CrossSiteNoCookie", "E_CrossSiteWithCookie"} {
		if s.n(sc, "csrfkit") == 0 || s.n(sc, "stdlib") == 0 {
			continue
		}
		ck, std := s.med(sc, "csrfkit", "ns/op"), s.med(sc, "stdlib", "ns/op")
		verdict := "met"
		if ck > 1.1*std {
			verdict = fmt.Sprintf("MISSED: %.2f× stdlib, +%s over the 1.1× bound", ck/std, fmtNs(ck-1.1*std))
		}
		fmt.Printf("| %s | ≤ 1.1 × stdlib (%s) | %s (%.2f×) | %s |\n", scenarioTitle[sc], fmtNs(std), fmtNs(ck), ck/std, verdict)
	}
	if sc := "F_Upload100MB"; s.n(sc, "csrfkit") > 0 && s.n(sc, "bare") > 0 {
		heap := s.med(sc, "csrfkit", "peak-heap-MiB")
		alloc := s.med(sc, "csrfkit", "B/op") / (1 << 20)
		ratio := s.med(sc, "csrfkit", "MB/s") / s.med(sc, "bare", "MB/s")
		var miss []string
		if heap > 8 {
			miss = append(miss, fmt.Sprintf("peak heap +%.1f MiB over 8 MiB", heap-8))
		}
		if ratio < 0.9 {
			miss = append(miss, fmt.Sprintf("throughput %.2f× bare", ratio))
		}
		verdict := "met"
		if len(miss) > 0 {
			verdict = "MISSED: " + strings.Join(miss, ", ")
		}
		fmt.Printf("| %s | heap growth ≤ 8 MiB, ≥ 0.9 × bare MB/s | peak heap %.1f MiB (allocated %.2f MiB/op), %.2f× bare | %s |\n",
			scenarioTitle[sc], heap, alloc, ratio, verdict)
	}
	fmt.Println()
}

// wrkTable reads lines "WRK route=<r> app=<a> mode=<m> round=<n> rps=... p50_us=...
// p99_us=... requests=... non2xx=... socket_errors=..." and takes medians
// over rounds. The ratio to the server without csrfkit is the median of the
// per-round ratios: the two runs of a round are back to back, so drift on a
// shared machine cancels out of each ratio.
func wrkTable(name string) {
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	type acc struct {
		rps, p99     []float64
		non2xx, errs float64
		byRound      map[string]float64 // round → rps
	}
	res := map[string]*acc{}
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "WRK ") {
			continue
		}
		kv := map[string]string{}
		for _, fld := range strings.Fields(line[4:]) {
			if k, v, ok := strings.Cut(fld, "="); ok {
				kv[k] = v
			}
		}
		route := kv["route"]
		if app := kv["app"]; app != "" {
			route = app + " app: " + route // "auto app: GET:/transfer"
		}
		key := route + "|" + kv["mode"]
		a := res[key]
		if a == nil {
			a = &acc{byRound: map[string]float64{}}
			res[key] = a
			keys = append(keys, key)
		}
		num := func(k string) float64 { v, _ := strconv.ParseFloat(kv[k], 64); return v }
		a.rps = append(a.rps, num("rps"))
		a.byRound[kv["round"]] = num("rps")
		a.p99 = append(a.p99, num("p99_us"))
		a.non2xx += num("non2xx")
		a.errs += num("socket_errors")
	}
	if len(keys) == 0 {
		return
	}
	fmt.Println("### Server level: wrk on loopback (medians of rounds; ratio: median of per-round ratios)")
	fmt.Println()
	header("route", "server", "runs", "requests/s", "p99 latency", "non-2xx", "socket errors", "× without csrfkit")
	sort.Strings(keys)
	for _, k := range keys {
		route, mode, _ := strings.Cut(k, "|")
		a := res[k]
		ratio := ""
		if mode == "csrfkit" {
			if base := res[route+"|nocsrf"]; base != nil {
				var rs []float64
				for round, v := range a.byRound {
					if b, ok := base.byRound[round]; ok && b > 0 {
						rs = append(rs, v/b)
					}
				}
				r := median(rs)
				ratio = fmt.Sprintf("%.3f", r)
				if r < 0.95 {
					ratio += " (MISSED: target ≥ 0.95)"
				} else {
					ratio += " (met)"
				}
			}
		}
		fmt.Printf("| %s | %s | %d | %.0f | %.2f ms | %.0f | %.0f | %s |\n", strings.Replace(route, "T:/", "T /", 1), mode, len(a.rps), median(a.rps),
			median(a.p99)/1000, a.non2xx, a.errs, ratio)
	}
	fmt.Println()
}
