# make test   — every test: go vet, Go tests (with -race), the bench module's
#               validation of every library, the JS client's tests, and the
#               real-browser suite. Installs what it needs first.
# make bench  — the comparison benchmarks (see BENCHMARKS.md).
# make demo   — the demo (same as: go run ./cmd/csrfkit-demo).

.PHONY: test deps vet gotest benchtest clienttest e2e bench demo

test: deps vet gotest benchtest clienttest e2e

deps:
	./scripts/install-deps.sh

vet:
	go vet ./...

gotest:
	go test -race -count=1 ./...

benchtest:
	cd bench && go vet ./... && go test -count=1 ./...

clienttest:
	cd client && npm test

e2e:
	cd e2e && npm test

bench:
	./bench/run.sh

demo:
	go run ./cmd/csrfkit-demo
