// Package bench compares csrfkit with a bare handler, gorilla/csrf, nosurf,
// filippo.io/csrf and net/http's CrossOriginProtection on the same requests.
//
// It is its own module so that the library itself keeps no dependencies.
// Everything lives in the _test.go files; run it with `make bench` from the
// repository root (see bench/run.sh and BENCHMARKS.md).
package bench
