package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Require skips the test under go test -short, and skips it, or fails it
// under PONT_REQUIRE_BROWSER=1, when what a browser test needs is missing: Chromium, the UI's build
// (web/dist, made by `make web`) or axe-core (web/node_modules). Call it
// first, before starting anything else.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("browsertest: the browser tests are not short (go test -short)")
	}
	if _, err := Chromium(); err != nil {
		unavailable(t, "%v", err)
	}
	if _, err := os.Stat(filepath.Join(RepoRoot(), "web", "dist", "index.html")); err != nil {
		unavailable(t, "the UI is not built (web/dist/index.html: %v): run make web", err)
	}
	if _, err := axeSource(); err != nil {
		unavailable(t, "%v", err)
	}
}

// BuildPont builds cmd/pont with the UI embedded (-tags embedui, from
// web/dist) into dir and returns the binary's path. It uses the flags of
// `make build` (CGO_ENABLED=0, -trimpath), so it shares that build's
// cache: after `make build`, only the link is left to do.
//
// Why a binary: `go test` builds this package without the embedui tag,
// and the tests must meet the UI exactly as `pont serve` serves it
// (embedded files, CSP, caching, SPA fallback), so they run the real
// thing as a child process.
func BuildPont(dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pont")
	cmd := exec.Command(goBin, "build", "-tags", "embedui", "-trimpath", "-o", bin, "./cmd/pont")
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build -tags embedui ./cmd/pont: %w\n%s", err, out.String())
	}
	return bin, nil
}

// Pont is a running `pont serve`.
type Pont struct {
	// Base is http://ADDR.
	Base    string
	LogFile string

	exited  chan struct{} // closed when the process has exited
	waitErr error
}

// Exited says whether pont serve has stopped, and why, with the end of
// its log; nil while it runs.
func (p *Pont) Exited() error {
	select {
	case <-p.exited:
		return fmt.Errorf("pont serve exited: %v\n%s", p.waitErr, tail(p.Log(), 20))
	default:
		return nil
	}
}

// Log is what pont serve wrote so far.
func (p *Pont) Log() string {
	b, _ := os.ReadFile(p.LogFile)
	return string(b)
}

// StartPont runs `bin serve --config FILE --addr addr` with configYAML,
// waits until /readyz answers 200 (at most 60 s), and stops it when t
// ends (SIGTERM, then SIGKILL after 20 s). Its log goes to a file, shown
// when t fails.
func StartPont(t testing.TB, bin, addr, configYAML string) *Pont {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pont.yaml")
	if err := os.WriteFile(cfg, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Pont{Base: "http://" + addr, LogFile: filepath.Join(dir, "pont.log"), exited: make(chan struct{})}
	logf, err := os.Create(p.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfg, "--addr", addr)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
			t.Errorf("pont serve did not stop within 20 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("pont serve's log (%s):\n%s", p.LogFile, tail(p.Log(), 80))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := p.Exited(); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(p.Base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pont serve not ready after 60 s\n%s", tail(p.Log(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
