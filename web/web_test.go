package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/internal/server"
)

var build = fstest.MapFS{
	"index.html":              {Data: []byte(`<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`)},
	"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
	"assets/index-abc123.js":  {Data: bytes.Repeat([]byte("console.log('pont');\n"), 200)},
	"assets/index-def456.css": {Data: []byte("body{margin:0}")},
}

// apiMount stands in for an API: its own error shape for its own 404s.
type apiMount struct{ prefix string }

func (m apiMount) Prefix() string { return m.prefix }
func (m apiMount) Register(g *echo.Group) {
	g.GET("/known", func(c echo.Context) error { return c.String(http.StatusOK, "known") })
}
func (m apiMount) HandleError(err error, c echo.Context) {
	_ = c.JSON(http.StatusNotFound, map[string]string{"owner": m.prefix})
}

// newServer runs Pont's real HTTP server with two stand-in APIs and the
// UI, on a loopback port; it returns the base URL.
func newServer(t *testing.T, fsys fstest.MapFS, opts Options) string {
	t.Helper()
	h, err := newHandler(fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Config{}, slog.New(slog.DiscardHandler), apiMount{"/api/catalog"}, apiMount{"/auth"}, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

type answer struct {
	Code   int
	header http.Header
	Body   *bytes.Buffer
}

func (a answer) Header() http.Header { return a.header }

// client leaves compression to the test.
var client = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func do(t *testing.T, base, method, target string, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Code: res.StatusCode, header: res.Header, Body: bytes.NewBuffer(body)}
}

func TestServesTheAppWithItsHeaders(t *testing.T) {
	h := newServer(t, build, Options{ExternalURL: "https://pont.example.com"})
	for _, tc := range []struct {
		path, cache, ctype string
		index              bool
	}{
		{"/", "no-cache", "text/html; charset=utf-8", true},
		{"/index.html", "no-cache", "text/html; charset=utf-8", true},
		{"/catalog/default/component/checkout", "no-cache", "text/html; charset=utf-8", true},
		{"/catalog/default/api/pay.v1", "no-cache", "text/html; charset=utf-8", true},
		{"/search?q=pay", "no-cache", "text/html; charset=utf-8", true},
		{"/favicon.svg", "no-cache", "image/svg+xml", false},
		{"/assets/index-abc123.js", "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", false},
		{"/assets/index-def456.css", "public, max-age=31536000, immutable", "text/css; charset=utf-8", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := do(t, h, http.MethodGet, tc.path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			hdr := rec.Header()
			if got := hdr.Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			if got := hdr.Get("Content-Type"); got != tc.ctype && !(strings.HasSuffix(tc.path, ".js") && got == "application/javascript") {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			csp := hdr.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self' wss://pont.example.com", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Referrer-Policy") == "" {
				t.Errorf("missing nosniff or Referrer-Policy: %v", hdr)
			}
			isIndex := strings.Contains(rec.Body.String(), `<div id="root">`)
			if isIndex != tc.index {
				t.Errorf("index.html served: %v, want %v", isIndex, tc.index)
			}
		})
	}
}

func TestLeavesOtherPathsToTheirOwners(t *testing.T) {
	h := newServer(t, build, Options{})
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/api/catalog/known", 200, "known"},
		{"GET", "/api/catalog/nope", 404, `"owner":"/api/catalog"`},
		{"POST", "/api/catalog/nope", 404, `"owner":"/api/catalog"`},
		{"GET", "/auth/nope", 404, `"owner":"/auth"`},
		{"GET", "/api/nope", 404, `"error"`},
		{"GET", "/api", 404, `"error"`},
		{"GET", "/metrics", 404, `"error"`},
		{"GET", "/readyz/x", 404, `"error"`},
		{"GET", "/healthz", 200, `"ok"`},
		{"GET", "/readyz", 200, `"ok"`},
		{"GET", "/assets/gone-123.js", 404, `"error"`},
		{"POST", "/catalog", 405, ""},
		{"DELETE", "/", 405, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := do(t, h, tc.method, tc.path, nil)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), `<div id="root">`) {
				t.Fatalf("served index.html for %s", tc.path)
			}
			if !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body %q lacks %q", rec.Body, tc.body)
			}
		})
	}
}

func TestConditionalAndCompressed(t *testing.T) {
	h := newServer(t, build, Options{})
	const js = "/assets/index-abc123.js"
	plain := do(t, h, http.MethodGet, js, nil)
	if plain.Header().Get("Content-Encoding") != "" || plain.Body.Len() != len(build["assets/index-abc123.js"].Data) {
		t.Fatalf("uncompressed answer: encoding %q, %d bytes", plain.Header().Get("Content-Encoding"), plain.Body.Len())
	}
	if !strings.Contains(plain.Header().Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q", plain.Header().Get("Vary"))
	}
	gz := do(t, h, http.MethodGet, js, map[string]string{"Accept-Encoding": "br, gzip"})
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", gz.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !bytes.Equal(body, build["assets/index-abc123.js"].Data) {
		t.Fatal("gzip body differs")
	}
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("the gzipped and plain answers share an ETag")
	}
	if got := do(t, h, http.MethodGet, js, map[string]string{"Accept-Encoding": "gzip;q=0"}).Header().Get("Content-Encoding"); got != "" {
		t.Errorf("gzip;q=0 got %q", got)
	}
	nm := do(t, h, http.MethodGet, js, map[string]string{"If-None-Match": plain.Header().Get("ETag")})
	if nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", nm.Code, nm.Body.Len())
	}
	head := do(t, h, http.MethodHead, "/catalog", nil)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d bytes, length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	for _, tc := range []struct{ url, connect string }{
		{"", "connect-src 'self';"},
		{"http://127.0.0.1:7007", "connect-src 'self' ws://127.0.0.1:7007;"},
		{"https://pont.example.com/", "connect-src 'self' wss://pont.example.com;"},
		{"::not a url", "connect-src 'self';"},
	} {
		if got := contentSecurityPolicy(tc.url); !strings.Contains(got, tc.connect) {
			t.Errorf("%q: %q lacks %q", tc.url, got, tc.connect)
		}
	}
}

func TestNeedsAnIndex(t *testing.T) {
	if _, err := newHandler(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}, Options{}); err == nil {
		t.Fatal("a build without index.html was accepted")
	}
}

// The binary's own build (the stand-in page without embedui, the real UI
// with it) loads and is served at /.
func TestBuiltIn(t *testing.T) {
	h, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Body)
	}
	if !Embedded && !strings.Contains(rec.Body.String(), "make build") {
		t.Errorf("the stand-in page does not say how to build the UI: %s", rec.Body)
	}
	// index.html must not need inline script or style: the CSP forbids them.
	body := rec.Body.String()
	for _, bad := range []string{"<script>", "<style", " style=", "onload="} {
		if strings.Contains(body, bad) {
			t.Errorf("index.html has inline %q", bad)
		}
	}
}
