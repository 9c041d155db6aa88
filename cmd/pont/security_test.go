package main

import (
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRESTSecurityCases walks the REST cases of the security list
// (../shared/reference/security-cases.md, sections 2 and 3) against a
// real server on each database: every one answers a clear 4xx naming the
// field (or a literal, harmless match), and stores nothing.
func TestRESTSecurityCases(t *testing.T) {
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer internal.Close()
	_, port, _ := net.SplitHostPort(internal.Listener.Addr().String())
	root := repoRoot(t)

	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := databaseConfig(t, dialect) + fmt.Sprintf(`
server:
  maxBodyBytes: 4096
catalog:
  locations:
    - type: file
      target: %q
  rules:
    - allow: [Component, API, Resource, System, Domain, Location, Template, User, Group]
  urls:
    allowedHosts: [127.0.0.1, localhost, "::1", 169.254.169.254, 10.0.0.1, 0x7f000001, "2130706433"]
`, filepath.Join(root, "deploy", "examples", "all.yaml"))
			base := startServe(t, cfg)
			api := base + "/api/catalog"
			wait.For(t, 30*time.Second, "the demo catalog", func() bool { return entityCount(t, base) == 68 })

			get := func(path string) (int, string) {
				resp, err := http.Get(api + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			post := func(path, contentType, body string) (int, string) {
				resp, err := http.Post(api+path, contentType, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			expect := func(name string, code int, body string, wantCode int, wantWords string) {
				t.Helper()
				if code != wantCode || !strings.Contains(body, wantWords) {
					t.Errorf("%s: %d %s; want %d containing %q", name, code, body, wantCode, wantWords)
				}
				for _, leak := range []string{"SQL", "sqlite", "pq:", "SQLSTATE", "goroutine", ".go:"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s: the answer leaks %q: %s", name, leak, body)
					}
				}
			}

			q := url.QueryEscape
			code, body := get("/entities?filter=" + q("metadata.name=x' OR 1=1--"))
			expect("sql injection in a filter", code, body, 200, "[]")
			code, body = get("/entities?filter=" + q("metadata.name=\x00"))
			expect("NUL in a filter", code, body, 400, "NUL")
			code, body = get("/entities/by-name/component/default/" + "a%00b")
			expect("NUL in a path", code, body, 400, "NUL")
			code, body = get("/entities?filter=" + q(strings.Repeat("kind=component,", 200)))
			expect("200 filter terms", code, body, 400, "filter")
			code, _ = get("/entities?filter=" + q(strings.Repeat("kind=component,", 10000)))
			if code != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("10k filter terms: %d, want 431 (the URL is over the header limit)", code)
			}
			code, body = get("/entities/by-query?limit=10000000&filter=kind=user")
			expect("huge limit is capped", code, body, 200, `"totalItems":15`)
			code, body = get("/entities?offset=-1&limit=5")
			expect("negative offset", code, body, 400, "offset")
			code, body = get("/entities/by-query?cursor=" + q("eyJvZmYiOi0xfQ"))
			expect("forged cursor", code, body, 400, "cursor")
			code, body = get("/entities/by-query?cursor=not-base64!")
			expect("garbage cursor", code, body, 400, "cursor")
			code, body = get("/entities/by-query?orderField=" + q("relations.ownedBy,asc"))
			expect("order by a relation", code, body, 400, "orderField")
			code, body = get("/entities?order=" + q("asc:password"))
			expect("order by an unknown field", code, body, 400, "order")
			code, body = get("/entities?order=" + q("sideways:metadata.name"))
			expect("order without a direction", code, body, 400, "order")

			code, body = post("/locations", "application/json", `{"type":"url","target":"https://10.0.0.1/x.yaml"}`)
			expect("private target", code, body, 400, "target")
			code, body = post("/locations", "text/plain", `{"type":"url","target":"https://example.com/x.yaml"}`)
			expect("wrong content type", code, body, 415, "Content-Type")
			code, body = post("/locations", "application/json", `{"type":"url","target":"https://example.com/`+strings.Repeat("x", 5000)+`"}`)
			expect("body over the cap", code, body, 413, "large")
			code, body = post("/locations", "application/json", `{"type":"file","target":"/etc/passwd"}`)
			expect("file type not allowed through the API", code, body, 400, "type")
			for _, target := range []string{
				"http://169.254.169.254/latest/meta-data", "http://127.0.0.1:" + port + "/x", "http://[::1]:" + port + "/x",
				"http://0x7f000001:" + port + "/x", "http://2130706433:" + port + "/x", "http://localhost:" + port + "/x",
				"file:///etc/passwd", "gopher://127.0.0.1:" + port + "/", "ftp://127.0.0.1/x", "https://evil.example.com/x.yaml",
			} {
				for _, dry := range []string{"", "?dryRun=true"} {
					code, body = post("/locations"+dry, "application/json", fmt.Sprintf(`{"type":"url","target":%q}`, target))
					expect("target "+target+dry, code, body, 400, "target")
				}
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the loopback listener was hit %d times", n)
			}
			code, body = get("/locations")
			if code != 200 || strings.Count(body, `"id"`) != 1 {
				t.Errorf("locations after refused registrations: %s", body)
			}
			code, body = post("/locations?dryRun=true", "application/json", fmt.Sprintf(`{"type":"file","target":%q}`, filepath.Join(root, "deploy", "examples", "all.yaml")))
			expect("file location dry run not allowed", code, body, 400, "type")
			code, body = post("/validate-entity", "application/json", `{"entity":{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"../x","links":[{"url":"javascript:alert(1)"}]},"spec":{"type":"service","lifecycle":"x"}},"location":"url:https://example.com/x.yaml"}`)
			expect("validate-entity names the fields", code, body, 400, "metadata.name")
			if !strings.Contains(body, "spec.owner") || !strings.Contains(body, "metadata.links[0].url") {
				t.Errorf("validate-entity: %s", body)
			}
			if n := entityCount(t, base); n != 68 {
				t.Errorf("entities after all refused requests = %d, want 68", n)
			}
		})
	}
}
