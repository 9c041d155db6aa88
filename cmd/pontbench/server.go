package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pont-dev/pont/internal/testutil/freeport"
)

// pontConfig is what a run's configuration file says.
type pontConfig struct {
	addr     string
	driver   string // sqlite or postgres
	dsn      string
	rootDir  string // catalog.files.roots
	filePath string // where the file is written
}

func (c pontConfig) yaml() string {
	// %q quotes like JSON, which YAML reads as a double-quoted scalar.
	return fmt.Sprintf(`# Written by cmd/pontbench for one benchmark run.
server:
  addr: %q
database:
  driver: %s
  dsn: %q
catalog:
  refreshInterval: 10m
  files:
    roots: [%q]
  api:
    allowedLocationTypes: [file, url]
  rules:
    - allow: [Component, API, Resource, System, Domain, Location, Template, User, Group]
log:
  level: warn
`, c.addr, c.driver, c.dsn, c.rootDir)
}

// pontProc is one `pont serve` process.
type pontProc struct {
	cmd     *exec.Cmd
	pid     int
	base    string // http://127.0.0.1:PORT
	logPath string
	started time.Time
	done    chan struct{}
	waitErr error // set when done is closed

	peakKiB atomic.Int64 // the largest VmRSS or VmHWM seen
}

// sampleRSS records the process's resident set every 20 ms until it
// exits: VmHWM comes from approximate counters and was seen to go down.
func (p *pontProc) sampleRSS() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		p.samplePeak()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
}

func (p *pontProc) samplePeak() int64 {
	for _, key := range []string{"VmRSS", "VmHWM"} {
		if v, err := procStatus(p.pid, key); err == nil {
			for {
				cur := p.peakKiB.Load()
				if v <= cur || p.peakKiB.CompareAndSwap(cur, v) {
					break
				}
			}
		}
	}
	return p.peakKiB.Load()
}

// peakRSS is the peak resident set so far, in KiB.
func (p *pontProc) peakRSS() int64 { return p.samplePeak() }

// pontEnv is the environment of the pont process: the driver's, without
// PONT_* variables, which Pont would read as configuration.
func pontEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PONT_") {
			env = append(env, kv)
		}
	}
	return env
}

// startPont writes the configuration with a free port and starts
// `pont serve`, retrying on another port when the chosen one was taken.
// It returns once /readyz answers 200.
func startPont(ctx context.Context, bin string, cfg pontConfig, logPath string, readyTimeout time.Duration) (*pontProc, error) {
	var lastErr error
	for try := 0; try < 3; try++ {
		port, err := freeport.Loopback()
		if err != nil {
			return nil, err
		}
		cfg.addr = fmt.Sprintf("127.0.0.1:%d", port)
		if err := os.WriteFile(cfg.filePath, []byte(cfg.yaml()), 0o600); err != nil {
			return nil, err
		}
		p, err := spawnPont(bin, cfg, logPath)
		if err != nil {
			return nil, err
		}
		if err := p.waitReady(ctx, readyTimeout); err != nil {
			p.kill()
			lastErr = err
			if strings.Contains(p.logTail(20), "address already in use") {
				continue
			}
			return nil, err
		}
		return p, nil
	}
	return nil, lastErr
}

func spawnPont(bin string, cfg pontConfig, logPath string) (*pontProc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfg.filePath)
	cmd.Env = pontEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, and killed if the driver dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &pontProc{cmd: cmd, pid: cmd.Process.Pid, base: "http://" + cfg.addr, logPath: logPath, started: started, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	go p.sampleRSS()
	return p, nil
}

func (p *pontProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200.
func (p *pontProc) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		if p.exited() {
			return fmt.Errorf("pont exited before /readyz answered (%v); log:\n%s", p.waitErr, p.logTail(30))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/readyz", nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/readyz did not answer 200 within %s; log:\n%s", timeout, p.logTail(30))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop asks pont to stop (SIGTERM) and waits; after timeout it kills it.
// The error is the process's exit error, if any.
func (p *pontProc) stop(timeout time.Duration) error {
	if p.exited() {
		return fmt.Errorf("pont had already exited: %v", p.waitErr)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("pont did not stop within %s of SIGTERM; killed", timeout)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *pontProc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// logTail is the last n lines of the process's log.
func (p *pontProc) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.logPath, err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if !strings.Contains(l, "sign-in is not configured") { // printed at every start
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logLines counts the log's lines at or above warn, as a hint of trouble.
func (p *pontProc) logWarnings() (warn, errs int) {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.Contains(l, "level=WARN") && !strings.Contains(l, "sign-in is not configured"):
			warn++
		case strings.Contains(l, "level=ERROR"):
			errs++
		}
	}
	return warn, errs
}

// exitDescription says how a stopped process ended.
func exitDescription(err error) string {
	if err == nil {
		return "exit 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if ws.Signal() == syscall.SIGKILL {
				return "SIGKILL"
			}
			return "signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exit %d", ee.ExitCode())
	}
	return err.Error()
}
