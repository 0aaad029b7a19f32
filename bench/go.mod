module github.com/csrfkit/csrfkit/bench

go 1.26.0

require (
	filippo.io/csrf v0.2.1
	github.com/csrfkit/csrfkit v0.0.0
	github.com/gorilla/csrf v1.7.3
	github.com/justinas/nosurf v1.2.0
)

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)

replace github.com/csrfkit/csrfkit => ../

tool golang.org/x/perf/cmd/benchstat
