package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

var (
	shotDirOnce sync.Once
	shotDir     string
	shotDirErr  error
)

// ScreenshotDir is where screenshots go: $PONT_SCREENSHOTS (relative to
// the repository's top folder when relative), else pont-screenshots in
// the system's temporary folder, overwritten by each run.
func ScreenshotDir() (string, error) {
	shotDirOnce.Do(func() {
		dir := os.Getenv(EnvScreenshots)
		switch {
		case dir == "":
			dir = filepath.Join(os.TempDir(), "pont-screenshots")
		case !filepath.IsAbs(dir):
			dir = filepath.Join(RepoRoot(), dir)
		}
		shotDir, shotDirErr = filepath.Abs(dir)
		if shotDirErr == nil {
			shotDirErr = os.MkdirAll(shotDir, 0o755)
		}
	})
	return shotDir, shotDirErr
}

var shotName = regexp.MustCompile(`[^a-z0-9-]+`)

// settle waits for the page's fonts and two animation frames, so that a
// screenshot shows what was just rendered.
const settle = `document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))).then(() => true)`

// Screenshot writes the viewport as name.png (1280×800) into
// ScreenshotDir and returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	dir, err := ScreenshotDir()
	if err != nil {
		p.t.Fatalf("screenshot dir: %v", err)
	}
	path := filepath.Join(dir, shotName.ReplaceAllString(strings.ToLower(name), "-")+".png")
	_ = Eval[bool](p, settle)
	buf, err := p.capture()
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s (%d KB)", path, len(buf)/1024)
	return path
}

func (p *Page) capture() ([]byte, error) {
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

// failureShot saves what the page shows when a step fails, into
// pont-screenshots/failed in the system's temporary folder (never into
// PONT_SCREENSHOTS); "" when it cannot.
func (p *Page) failureShot() string {
	dir := filepath.Join(os.TempDir(), "pont-screenshots", "failed")
	if os.MkdirAll(dir, 0o755) != nil {
		return ""
	}
	p.shots++
	name := fmt.Sprintf("%s-%d.png", shotName.ReplaceAllString(strings.ToLower(p.t.Name()), "-"), p.shots)
	buf, err := p.capture()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, name)
	if os.WriteFile(path, buf, 0o644) != nil {
		return ""
	}
	return path
}

var (
	axeOnce sync.Once
	axeSrc  string
	axeErr  error
)

// axeSource is axe-core's browser build, from the UI's npm dependencies
// (web/node_modules/axe-core, a devDependency).
func axeSource() (string, error) {
	axeOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(RepoRoot(), "web", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeErr = fmt.Errorf("axe-core: %w (npm ci in web/, or make web, installs it)", err)
			return
		}
		axeSrc = string(b)
	})
	return axeSrc, axeErr
}

// AxeViolation is one rule axe-core found broken, with the first few
// elements that break it.
type AxeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
	Count int `json:"count"`
}

func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, %d element(s)): %s <%s>", v.ID, v.Impact, v.Count, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s: %s\n      %s", n.Target, short(n.HTML), strings.ReplaceAll(n.Summary, "\n", "\n      "))
	}
	return b.String()
}

// axeRun runs every axe-core rule on the document (WCAG 2.x A and AA and
// axe's best practices) and returns the violations.
const axeRun = `(async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.map((v) => ({
    id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl, count: v.nodes.length,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), html: n.html, summary: n.failureSummary || '' })),
  }));
})()`

// Axe runs axe-core on the page (AxeViolations), fails the test for every
// violation of impact serious or critical, and logs the others. what names
// the page in messages.
func (p *Page) Axe(what string) {
	p.t.Helper()
	for _, v := range p.AxeViolations() {
		if v.Serious() {
			p.t.Errorf("axe on %s: %s", what, v)
		} else {
			p.t.Logf("axe on %s (%s, not failing): %s", what, v.Impact, v)
		}
	}
}

// Serious reports whether the violation's impact is serious or critical.
func (v AxeViolation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

// AxeViolations injects axe-core into the page through the DevTools
// protocol (which the page's CSP does not govern), runs every rule, and
// returns the violations.
func (p *Page) AxeViolations() []AxeViolation {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		unavailable(p.t, "%v", err)
	}
	if !Eval[bool](p, `typeof window.axe === 'object'`) {
		if _, err := eval[chromedp.Void](p.ctx, src+"\n;0", actionTimeout); err != nil {
			p.fatal("inject axe-core: %v", err)
		}
	}
	return Eval[[]AxeViolation](p, axeRun)
}
