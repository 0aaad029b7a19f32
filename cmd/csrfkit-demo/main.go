// Command csrfkit-demo is a tiny bank served twice on loopback — once with
// csrfkit.FlaskStyle (automatic token delivery), once with
// csrfkit.ExpressStyle (explicit delivery) — plus an attacker site that tries
// every classic cross-site request forgery against them.
//
//	go run ./cmd/csrfkit-demo            # http://localhost:8080, :8081, attacker http://127.0.0.1:8666
//	go run ./cmd/csrfkit-demo -tls       # the same over HTTPS with a certificate made at start
//
// The apps are printed as http://localhost:PORT and the attacker as
// http://127.0.0.1:PORT: two different sites, so the browser treats the
// attacker's requests as cross-site. It needs no network access and no
// configuration; it logs one line per request and stops on Ctrl-C.
//
// Flags:
//
//	-auto ADDR       listen address of the FlaskStyle app (default 127.0.0.1:8080)
//	-explicit ADDR   listen address of the ExpressStyle app (default 127.0.0.1:8081)
//	-attacker ADDR   listen address of the attacker site (default 127.0.0.1:8666)
//	-tls             serve all three over HTTPS with a self-signed certificate made at start
//	-cert FILE, -key FILE
//	                 serve HTTPS with this certificate instead (implies -tls)
//	-htmx FILE       a local htmx build served at /htmx.min.js (the /htmx page needs it)
//	-app-host NAME   host name of the apps in printed URLs and attacker links (default localhost)
//	-attacker-host NAME
//	                 host name of the attacker in printed URLs (default 127.0.0.1)
//	-balance N       every user's starting balance (default 1000)
//	-unprotected     serve the apps without csrfkit: the attacks then succeed
//	                 (for comparison, and for the server-level benchmark)
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/csrfkit/csrfkit"
)

// config is everything run needs; main fills it from flags, tests by hand.
type config struct {
	autoAddr, explicitAddr, attackerAddr string
	tls                                  bool
	certFile, keyFile                    string
	htmxFile                             string
	appHost, attackerHost                string
	balance                              int  // every user's starting balance
	unprotected                          bool // serve the apps without csrfkit

	out   io.Writer   // URLs and request log; os.Stdout in main
	ready func(*demo) // called once every listener is open (tests)
}

func main() {
	var cfg config
	flag.StringVar(&cfg.autoAddr, "auto", "127.0.0.1:8080", "listen `ADDR`ess of the automatic (FlaskStyle) app")
	flag.StringVar(&cfg.explicitAddr, "explicit", "127.0.0.1:8081", "listen `ADDR`ess of the explicit (ExpressStyle) app")
	flag.StringVar(&cfg.attackerAddr, "attacker", "127.0.0.1:8666", "listen `ADDR`ess of the attacker site")
	flag.BoolVar(&cfg.tls, "tls", false, "serve HTTPS with a self-signed certificate generated at start")
	flag.StringVar(&cfg.certFile, "cert", "", "serve HTTPS with this certificate `FILE` (PEM; implies -tls)")
	flag.StringVar(&cfg.keyFile, "key", "", "private key `FILE` (PEM) for -cert")
	flag.StringVar(&cfg.htmxFile, "htmx", "", "serve this local htmx build `FILE` at /htmx.min.js")
	flag.StringVar(&cfg.appHost, "app-host", "localhost", "host `NAME` of the apps in printed URLs and attacker links")
	flag.StringVar(&cfg.attackerHost, "attacker-host", "127.0.0.1", "host `NAME` of the attacker in printed URLs")
	flag.IntVar(&cfg.balance, "balance", startBalance, "every user's starting `N`")
	flag.BoolVar(&cfg.unprotected, "unprotected", false, "serve the apps WITHOUT csrfkit (the attacks then succeed; for comparisons and benchmarks)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "csrfkit-demo: unexpected argument %q\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	cfg.out = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "csrfkit-demo:", err)
		os.Exit(1)
	}
}

// demo is the running set of servers.
type demo struct {
	cfg      config
	scheme   string
	log      *log.Logger
	auto     *bank
	explicit *bank
	attacker *attacker
	servers  []*http.Server
	lns      []net.Listener
	errc     chan error

	// Public URLs (with -app-host / -attacker-host), no trailing slash.
	autoURL, explicitURL, attackerURL string
	// Loopback URLs of the same servers (what tests dial).
	autoLocal, explicitLocal, attackerLocal string
}

// run starts the three servers, prints their URLs and serves until ctx is
// done, then shuts down gracefully.
func run(ctx context.Context, cfg config) error {
	d, err := start(cfg)
	if err != nil {
		return err
	}
	d.printURLs()
	if cfg.ready != nil {
		cfg.ready(d)
	}
	select {
	case <-ctx.Done():
	case err = <-d.errc:
	}
	d.log.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range d.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e := s.Shutdown(sctx); e != nil {
				s.Close()
			}
		}()
	}
	wg.Wait()
	return err
}

// start opens the listeners (so a busy port fails at once) and starts serving.
func start(cfg config) (*demo, error) {
	if cfg.out == nil {
		cfg.out = io.Discard
	}
	if cfg.appHost == "" {
		cfg.appHost = "localhost"
	}
	if cfg.attackerHost == "" {
		cfg.attackerHost = "127.0.0.1"
	}
	if (cfg.certFile == "") != (cfg.keyFile == "") {
		return nil, errors.New("-cert and -key go together")
	}
	if cfg.certFile != "" {
		cfg.tls = true
	}
	if cfg.balance <= 0 {
		cfg.balance = startBalance
	}
	d := &demo{cfg: cfg, scheme: "http", log: log.New(cfg.out, "", log.Ltime), errc: make(chan error, 3)}
	if cfg.tls {
		d.scheme = "https"
	}
	tlsCfg, err := d.tlsConfig()
	if err != nil {
		return nil, err
	}

	addrs := []string{cfg.autoAddr, cfg.explicitAddr, cfg.attackerAddr}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			d.closeListeners()
			return nil, err
		}
		d.lns = append(d.lns, ln)
	}
	port := func(i int) string { return strconv.Itoa(d.lns[i].Addr().(*net.TCPAddr).Port) }
	hostURL := func(host string, i int) string { return d.scheme + "://" + net.JoinHostPort(host, port(i)) }
	d.autoURL, d.explicitURL, d.attackerURL = hostURL(cfg.appHost, 0), hostURL(cfg.appHost, 1), hostURL(cfg.attackerHost, 2)
	d.autoLocal, d.explicitLocal, d.attackerLocal = hostURL("127.0.0.1", 0), hostURL("127.0.0.1", 1), hostURL("127.0.0.1", 2)

	keys, err := demoKeys()
	if err != nil {
		d.closeListeners()
		return nil, err
	}
	client := csrfkit.ClientHandler()
	d.auto, err = newBank("auto", false, keys, cfg, client)
	if err == nil {
		d.explicit, err = newBank("explicit", true, keys, cfg, client)
	}
	if err != nil {
		d.closeListeners()
		return nil, err
	}
	d.auto.attackerURL, d.explicit.attackerURL = d.attackerURL, d.attackerURL
	d.auto.otherURL, d.explicit.otherURL = d.explicitURL, d.autoURL
	d.attacker = newAttacker(d.autoURL, d.explicitURL)

	handlers := []http.Handler{
		d.accessLog("auto", d.auto.handler()),
		d.accessLog("explicit", d.explicit.handler()),
		d.accessLog("attacker", d.attacker.handler()),
	}
	for i, h := range handlers {
		s := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          log.New(io.Discard, "", 0), // TLS handshake noise from self-signed certs
			TLSConfig:         tlsCfg,
		}
		if b := []*bank{d.auto, d.explicit, nil}[i]; b != nil {
			s.RegisterOnShutdown(b.sockets.closeAll)
		}
		d.servers = append(d.servers, s)
		go func(ln net.Listener) {
			var err error
			if tlsCfg != nil {
				err = s.ServeTLS(ln, "", "")
			} else {
				err = s.Serve(ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.errc <- err
			}
		}(d.lns[i])
	}
	return d, nil
}

func (d *demo) closeListeners() {
	for _, ln := range d.lns {
		ln.Close()
	}
}

func (d *demo) printURLs() {
	w := d.cfg.out
	fmt.Fprintf(w, "csrfkit demo — a tiny bank, twice, and an attacker\n\n")
	fmt.Fprintf(w, "  auto app      (csrfkit.FlaskStyle, automatic delivery)   %s/\n", d.autoURL)
	fmt.Fprintf(w, "  explicit app  (csrfkit.ExpressStyle, explicit delivery)  %s/\n", d.explicitURL)
	fmt.Fprintf(w, "  attacker site (another site: %s is not %s)  %s/\n\n", d.cfg.attackerHost, d.cfg.appHost, d.attackerURL)
	if d.cfg.tls && d.cfg.certFile == "" {
		fmt.Fprintf(w, "  HTTPS with a self-signed certificate made at start: your browser will warn once per site.\n")
	}
	if d.cfg.unprotected {
		fmt.Fprintf(w, "  -unprotected: the apps run WITHOUT csrfkit; every attack on the attacker site succeeds.\n")
	}
	if d.cfg.htmxFile == "" {
		fmt.Fprintf(w, "  No -htmx FILE: the /htmx page explains how to get htmx (the demo never downloads anything).\n")
	}
	fmt.Fprintf(w, "  Log in with any user name and any non-empty password. Ctrl-C stops.\n\n")
}

// demoKeys returns nil when CSRFKIT_KEYS is set (csrfkit reads it), else one
// random key shared by both apps, so csrfkit does not log its per-process
// key warning twice: losing tokens at restart is expected in a demo.
func demoKeys() ([][]byte, error) {
	if os.Getenv("CSRFKIT_KEYS") != "" {
		return nil, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return [][]byte{k}, nil
}
