// Package web serves Pont's portal UI at /: the single-page app built from
// this folder's TypeScript by Vite, embedded in the binary with the embedui
// build tag (web/embed.go), or a one-page stand-in without it
// (web/slim.go), as coder's site package does.
//
// Hashed files under /assets are cached for a year; everything else must
// be revalidated (ETag). Every answer carries a strict Content-Security-
// Policy: scripts and styles from Pont only, never inline. Any other GET
// path is the app's own route and gets index.html, except the APIs' and
// the server's paths, which keep their own 404s.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// Options configures the UI handler.
type Options struct {
	// ExternalURL is Pont's public URL (auth.externalURL). The CSP allows
	// WebSocket connections (GraphQL subscriptions) to its host, beside
	// 'self', for browsers that do not count ws: as 'self'. Empty: 'self'
	// only.
	ExternalURL string
}

// reserved are the paths the UI never answers: the APIs, sign-in and the
// server's own endpoints. An unknown path under them is a 404 in the
// shape of whatever owns it, never index.html.
var reserved = []string{"/api", "/auth", "/healthz", "/readyz", "/metrics", "/debug"}

// Handler serves the UI. It is a server.Mount at "/".
type Handler struct {
	files   map[string]*file
	index   *file
	csp     string
	headers http.Header
}

type file struct {
	body, gz    []byte
	etag, gzTag string
	ctype       string
	immutable   bool
}

// New reads the embedded build once: each file's type, ETag and, when it
// pays, a gzipped copy.
func New(opts Options) (*Handler, error) {
	root, err := dist()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return newHandler(root, opts)
}

func newHandler(root fs.FS, opts Options) (*Handler, error) {
	h := &Handler{files: map[string]*file{}}
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		h.files["/"+p] = newFile(p, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read build: %w", err)
	}
	h.index = h.files["/index.html"]
	if h.index == nil {
		return nil, fmt.Errorf("web: the build has no index.html")
	}
	h.index.immutable = false
	h.csp = contentSecurityPolicy(opts.ExternalURL)
	h.headers = http.Header{
		"Content-Security-Policy":      {h.csp},
		"X-Content-Type-Options":       {"nosniff"},
		"Referrer-Policy":              {"no-referrer"},
		"Cross-Origin-Opener-Policy":   {"same-origin"},
		"Cross-Origin-Resource-Policy": {"same-origin"},
		"Permissions-Policy":           {"camera=(), microphone=(), geolocation=(), payment=(), usb=()"},
	}
	return h, nil
}

func newFile(p string, body []byte) *file {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	f := &file{
		body:      body,
		etag:      `"` + tag + `"`,
		ctype:     mime.TypeByExtension(path.Ext(p)),
		immutable: strings.HasPrefix(p, "assets/"),
	}
	if f.ctype == "" {
		f.ctype = http.DetectContentType(body)
	}
	if compressible(f.ctype) && len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body)*9/10 {
			f.gz, f.gzTag = buf.Bytes(), `"`+tag+`-gz"`
		}
	}
	return f
}

func compressible(ctype string) bool {
	for _, t := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, t) {
			return true
		}
	}
	return false
}

// contentSecurityPolicy: nothing inline, nothing from elsewhere, no
// framing, no plugins; forms post to Pont only (sign-out).
func contentSecurityPolicy(externalURL string) string {
	connect := "'self'"
	if u, err := url.Parse(externalURL); err == nil && u.Host != "" {
		switch u.Scheme {
		case "https":
			connect += " wss://" + u.Host
		case "http":
			connect += " ws://" + u.Host
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src " + connect,
		"manifest-src 'self'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"object-src 'none'",
	}, "; ")
}

// Prefix is the path the UI owns: everything no other mount has.
func (h *Handler) Prefix() string { return "/" }

// Register adds the catch-all route. Echo prefers static and parameter
// routes, so the APIs' routes still win.
func (h *Handler) Register(g *echo.Group) {
	g.Any("*", func(c echo.Context) error {
		if err := h.serve(c.Response(), c.Request()); err != nil {
			return err
		}
		return nil
	})
}

// HandleError answers an error on "/" itself (only a refused method).
func (h *Handler) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	if he, ok := err.(*echo.HTTPError); ok {
		code = he.Code
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextPlainCharsetUTF8)
	c.Response().WriteHeader(code)
	_, _ = c.Response().Write([]byte(http.StatusText(code) + "\n"))
}

// ServeHTTP serves the UI to a plain net/http server (tests, tools).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		code := http.StatusInternalServerError
		if he, ok := err.(*echo.HTTPError); ok {
			code = he.Code
		}
		http.Error(w, http.StatusText(code), code)
	}
}

// IsReserved reports whether p belongs to the APIs or the server, not to
// the UI.
func IsReserved(p string) bool {
	for _, r := range reserved {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	p := r.URL.Path
	if IsReserved(p) {
		return echo.ErrNotFound
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return echo.ErrMethodNotAllowed
	}
	f := h.files[p]
	if p == "/" || p == "/index.html" {
		f = h.index
	}
	if f == nil {
		// A missing hashed file is a 404 (an old page asking for a build
		// that is gone), not the app: HTML in place of JavaScript only
		// confuses. Any other path is a route of the app.
		if strings.HasPrefix(p, "/assets/") {
			return echo.ErrNotFound
		}
		f = h.index
	}
	hdr := w.Header()
	for k, v := range h.headers {
		hdr[k] = slices.Clone(v) // a middleware's Add must not grow the shared slice
	}
	if f.immutable {
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = f.gz, f.gzTag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
