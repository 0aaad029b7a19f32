module github.com/csrfkit/csrfkit

go 1.25
