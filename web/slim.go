//go:build !embedui

package web

import (
	"embed"
	"io/fs"
)

// Without the embedui tag (go test, go vet, a plain go build), the binary
// carries a one-page stand-in, so the Go side never needs Node.

//go:embed slim
var slimFS embed.FS

// Embedded reports whether the binary carries the real UI.
const Embedded = false

func dist() (fs.FS, error) { return fs.Sub(slimFS, "slim") }
