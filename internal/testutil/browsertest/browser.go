// Package browsertest drives a real Chromium from `go test`, for the
// end-to-end tests of Pont's portal UI (web/e2e): Debian's chromium,
// headless, through the DevTools protocol with github.com/chromedp/chromedp,
// against a real `pont serve` whose binary carries the UI (BuildPont,
// StartPont).
//
//	b := browsertest.Start(t)         // one browser per test binary or test
//	p := b.NewPage(t)                 // a tab in a fresh profile: no cookies
//	p.Navigate(base + "/")
//	p.WaitJS(`document.querySelector("h1")?.textContent === "Pont"`, "the home page")
//	p.Axe("home")                     // axe-core: no serious or critical violation
//	p.Screenshot("home")              // PNG, 1280×800, into ScreenshotDir
//
// Every page records what the browser reports on its console: calls of the
// console API, uncaught exceptions and the browser's own log (network and
// security messages). When the test ends, a page fails it for any
// Content-Security-Policy violation and any uncaught exception it saw.
//
// When Chromium or the UI build is missing, the helpers skip the test, or
// fail it when PONT_REQUIRE_BROWSER=1 (as `make test` sets).
// PONT_CHROMIUM names the browser's binary (default: chromium, then
// chromium-browser, google-chrome on PATH).
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const (
	// EnvRequire makes a missing browser or UI build fail the test instead
	// of skipping it.
	EnvRequire = "PONT_REQUIRE_BROWSER"
	// EnvChromium names the browser binary.
	EnvChromium = "PONT_CHROMIUM"
	// EnvScreenshots names the folder screenshots go to (relative paths are
	// relative to the repository's top folder).
	EnvScreenshots = "PONT_SCREENSHOTS"

	// Width and Height are the viewport of every page, so that screenshots
	// are the same size on every machine.
	Width, Height = 1280, 800

	// actionTimeout bounds one step (Do, Eval); WaitJS takes its own.
	actionTimeout = 30 * time.Second
)

// unavailable skips t, or fails it under PONT_REQUIRE_BROWSER=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("browsertest: %s (%s=1)", msg, EnvRequire)
	}
	t.Skipf("browsertest: %s (set %s=1 to fail instead)", msg, EnvRequire)
}

// Chromium is the path of the browser binary: $PONT_CHROMIUM, else the
// first of chromium, chromium-browser, google-chrome on PATH.
func Chromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (deploy/testenv/setup.sh installs Debian's)")
}

// RepoRoot is the repository's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Browser is a running Chromium.
type Browser struct {
	ctx     context.Context // the first tab's: holds the browser
	logFile string
}

// Start runs a headless Chromium for t, in a fresh profile, stopped when
// t ends.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := Chromium()
	if err != nil {
		unavailable(t, "%v", err)
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "chromium.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(Width, Height),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: ctx, logFile: logFile}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		out.Close()
		if t.Failed() {
			// Less D-Bus's complaints: a container has no session bus.
			var lines []string
			log, _ := os.ReadFile(logFile)
			for _, l := range strings.Split(string(log), "\n") {
				if l != "" && !strings.Contains(l, "dbus") {
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				t.Logf("chromium's output (%s):\n%s", logFile, tail(strings.Join(lines, "\n"), 40))
			}
		}
	})
	// The first Run starts the browser and ties its life to the context
	// it gets: ctx, never one with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	return b
}

// Message is one thing the page's console showed.
type Message struct {
	// Source: "console" (the console API), "exception", or the browser
	// log's source ("network", "security", "javascript", …).
	Source string
	// Level: log, info, warning, error, … as the protocol names them.
	Level string
	Text  string
	URL   string
}

func (m Message) String() string {
	s := fmt.Sprintf("[%s %s] %s", m.Source, m.Level, m.Text)
	if m.URL != "" {
		s += " (" + m.URL + ")"
	}
	return s
}

// CSP reports whether the message is a Content-Security-Policy violation.
func (m Message) CSP() bool {
	return strings.Contains(m.Text, "Content Security Policy") || strings.HasPrefix(m.Text, cspPrefix)
}

// cspPrefix starts what the page's securitypolicyviolation listener logs.
const cspPrefix = "[csp-violation] "

// cspListener runs in every document before its own scripts (DevTools
// adds it, so the page's CSP does not apply to it) and logs each
// violation the document sees, in addition to the browser's own report.
const cspListener = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('` + cspPrefix + `' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`

// Page is one tab, in a browser context of its own (cookies and storage
// apart from every other page).
type Page struct {
	t   testing.TB
	b   *Browser
	ctx context.Context

	mu   sync.Mutex
	msgs []Message

	shots int
}

// NewPage opens a tab in a new browser context, with a 1280×800 viewport.
// It is closed when t ends; then t fails for any CSP violation or uncaught
// exception the tab saw.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	p := &Page{t: t, b: b}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	p.ctx = ctx
	t.Cleanup(func() {
		p.CheckConsole()
		cancel()
	})
	// The first Run opens the tab and ties its life to the context it
	// gets: p.ctx itself, not one with a timeout (see Do).
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(Width, Height),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("browsertest: open a tab: %v", err)
	}
	return p
}

func (p *Page) listen(ev any) {
	var m Message
	switch ev := ev.(type) {
	case *cdpruntime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				v := string(a.Value)
				if strings.HasPrefix(v, `"`) {
					v = strings.Trim(v, `"`)
				}
				parts = append(parts, v)
			case a.Description != "":
				parts = append(parts, a.Description)
			default:
				parts = append(parts, string(a.Type))
			}
		}
		m = Message{Source: "console", Level: string(ev.Type), Text: strings.Join(parts, " ")}
		if ev.StackTrace != nil && len(ev.StackTrace.CallFrames) > 0 {
			m.URL = ev.StackTrace.CallFrames[0].URL
		}
	case *cdpruntime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		m = Message{Source: "exception", Level: "error", Text: text, URL: d.URL}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		m = Message{Source: string(e.Source), Level: string(e.Level), Text: e.Text, URL: e.URL}
	default:
		return
	}
	p.mu.Lock()
	p.msgs = append(p.msgs, m)
	p.mu.Unlock()
}

// Messages is what the console showed so far.
func (p *Page) Messages() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Message(nil), p.msgs...)
}

// TakeMessages is Messages, forgetting them: CheckConsole will not see
// them.
func (p *Page) TakeMessages() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	msgs := p.msgs
	p.msgs = nil
	return msgs
}

// CheckConsole fails the test for each CSP violation and uncaught
// exception seen so far, once each; other errors are only logged.
func (p *Page) CheckConsole() {
	p.t.Helper()
	p.mu.Lock()
	msgs := p.msgs
	p.msgs = nil
	p.mu.Unlock()
	for _, m := range msgs {
		switch {
		case m.CSP():
			p.t.Errorf("Content-Security-Policy violation: %s", m)
		case m.Source == "exception":
			p.t.Errorf("uncaught exception in the page: %s", m)
		case m.Level == "error":
			p.t.Logf("console: %s", m)
		}
	}
}

// Context is the tab's chromedp context, for actions this package has no
// helper for.
func (p *Page) Context() context.Context { return p.ctx }

// Do runs actions in the tab; on error (or after 30 s) it saves a
// screenshot and fails the test.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fatal("%v", err)
	}
}

// Try is Do returning the error instead of failing the test.
func (p *Page) Try(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	p.Do(chromedp.Navigate(url))
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into T.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	v, err := eval[T](p.ctx, expr, actionTimeout)
	if err != nil {
		p.fatal("evaluate %s: %v", short(expr), err)
	}
	return v
}

func eval[T any](ctx context.Context, expr string, timeout time.Duration) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Exec evaluates a JavaScript expression (awaiting a promise) for its
// effect.
func (p *Page) Exec(expr string) {
	p.t.Helper()
	if _, err := eval[chromedp.Void](p.ctx, expr, actionTimeout); err != nil {
		p.fatal("evaluate %s: %v", short(expr), err)
	}
}

// WaitJS waits up to 20 s until the expression is truthy in the page,
// through navigations (it is evaluated again every 50 ms), and fails the
// test naming what it waited for otherwise.
func (p *Page) WaitJS(expr, what string) {
	p.t.Helper()
	p.WaitJSFor(20*time.Second, expr, what)
}

// WaitJSFor is WaitJS with a timeout.
func (p *Page) WaitJSFor(timeout time.Duration, expr, what string) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := eval[bool](p.ctx, "!!("+expr+")", 5*time.Second)
		if err == nil && ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			if last != nil {
				p.fatal("timed out after %s waiting for %s: %v", timeout, what, last)
			}
			p.fatal("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-p.ctx.Done():
			p.fatal("waiting for %s: %v", what, p.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URL is the page's address.
func (p *Page) URL() string {
	return Eval[string](p, "location.href")
}

// Text is the text content of the first element matching a CSS selector
// ("" when there is none).
func (p *Page) Text(selector string) string {
	p.t.Helper()
	return Eval[string](p, fmt.Sprintf(`document.querySelector(%s)?.textContent ?? ""`, jsString(selector)))
}

// Count is how many elements match a CSS selector.
func (p *Page) Count(selector string) int {
	p.t.Helper()
	return Eval[int](p, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(selector)))
}

// Active describes the focused element: its tag, id and text.
func (p *Page) Active() string {
	p.t.Helper()
	return Eval[string](p, `(() => { const e = document.activeElement; return e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 80) : ''; })()`)
}

// Key types keys (text, or chromedp's kb names such as kb.ArrowDown) into
// the focused element as a keyboard would: one keyDown carrying the text
// and a keyUp per key, so that a keydown handler calling preventDefault
// keeps the character out of the field (chromedp.KeyEvent sends the text
// in a separate char event, which no handler can stop).
func (p *Page) Key(keys string) {
	p.t.Helper()
	p.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for _, r := range keys {
			var down, up *input.DispatchKeyEventParams
			for _, ev := range kb.Encode(r) {
				switch ev.Type {
				case input.DispatchKeyEventTypeKeyDown:
					down = ev
				case input.DispatchKeyEventTypeChar:
					down.Text, down.UnmodifiedText = ev.Text, ev.UnmodifiedText
				case input.DispatchKeyEventTypeKeyUp:
					up = ev
				}
			}
			for _, ev := range []*input.DispatchKeyEventParams{down, up} {
				if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, *ev); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// ColorScheme makes the page see prefers-color-scheme: dark or light.
func (p *Page) ColorScheme(scheme string) {
	p.t.Helper()
	p.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// Fail fails the test with a message, a screenshot and the page's address.
func (p *Page) Fail(format string, args ...any) {
	p.t.Helper()
	p.fatal(format, args...)
}

func (p *Page) fatal(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if path := p.failureShot(); path != "" {
		msg += "\n(screenshot: " + path + ")"
	}
	if u, err := eval[string](p.ctx, "location.href", 2*time.Second); err == nil {
		msg += "\n(at " + u + ")"
	}
	p.t.Fatal(msg)
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
