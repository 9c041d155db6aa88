package kubetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is one run of etcd or kube-apiserver.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	url     string // etcd's client URL

	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's, valid after done
}

// startProcess starts bin with its output appended to logPath (a restart
// appends to the same file, after a line naming the command).
func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own descriptor
	fmt.Fprintf(f, "=== %s %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process; an exited process is no error.
func (p *process) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
}

// kill kills the process and waits for it (SIGKILL ends a stopped process
// too).
func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to end (SIGTERM), and kills it after grace.
func (p *process) stop(grace time.Duration) {
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill()
	}
}

// waitReady calls check until it succeeds, the process exits or timeout
// passes; errors carry the tail of the process's log.
func (p *process) waitReady(timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while starting (%v); last lines of its log:\n%s", p.name, p.waitErr, logTail(p.logPath, logTailLines))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (%v); last lines of its log:\n%s", p.name, timeout, last, logTail(p.logPath, logTailLines))
		case <-tick.C:
		}
	}
}

// addrInUse tells whether the process failed because its port was taken.
// Only the log of the last run is looked at.
func (p *process) addrInUse() bool {
	return p.exited() && strings.Contains(lastRun(p.logPath), "address already in use")
}

// lastRun is the log since the last "=== " line startProcess wrote.
func lastRun(path string) string {
	s := readTail(path, 256<<10)
	if i := strings.LastIndex(s, "\n=== "); i >= 0 {
		return s[i+1:]
	}
	return s
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	return lastLines(readTail(path, 64<<10), n)
}

// readTail reads at most max bytes from the end of the file.
func readTail(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		if _, err := f.Seek(-max, io.SeekEnd); err != nil {
			return ""
		}
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// copyN copies at most n bytes; a short body is no error.
func copyN(w io.Writer, r io.Reader, n int64) (int64, error) {
	m, err := io.CopyN(w, r, n)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return m, err
}
