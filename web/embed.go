//go:build embedui

package web

import (
	"embed"
	"io/fs"
)

// With the embedui tag (make build), the binary carries web/dist, the
// Vite build: npm run build must have run first, or go build fails here.

//go:embed all:dist
var distFS embed.FS

// Embedded reports whether the binary carries the real UI.
const Embedded = true

func dist() (fs.FS, error) { return fs.Sub(distFS, "dist") }
