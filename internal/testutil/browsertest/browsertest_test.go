package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/pont-dev/pont/internal/testutil/browsertest"
)

// TestHarness: the page sees a CSP violation and axe-core finds a
// serious violation, so that the UI tests' checks are known to bite.
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	if _, err := browsertest.Chromium(); err != nil {
		if os.Getenv(browsertest.EnvRequire) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><title>t</title></head><body>
<main><h1>Harness</h1><input type="text"><script>document.title = 'inline ran'</script></main></body></html>`))
	}))
	defer srv.Close()
	b := browsertest.Start(t)
	p := b.NewPage(t)
	p.Navigate(srv.URL)
	p.WaitJS(`document.querySelector('h1')`, "the page")
	if title := browsertest.Eval[string](p, "document.title"); title != "t" {
		t.Errorf("the inline script ran despite the CSP: title %q", title)
	}
	var csp bool
	for _, m := range p.TakeMessages() {
		t.Logf("console: %s", m)
		csp = csp || m.CSP()
	}
	if !csp {
		t.Error("no CSP violation reported for the blocked inline script")
	}
	var found []string
	for _, v := range p.AxeViolations() {
		if v.Serious() {
			found = append(found, v.ID)
		}
	}
	if !strings.Contains(strings.Join(found, " "), "label") {
		t.Errorf("axe did not find the unlabelled input: %v", found)
	}
}
