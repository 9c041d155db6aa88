//go:build unix && !linux

package kubetest

import (
	"syscall"
	"time"
)

// sysProcAttr: its own process group, so a Ctrl-C on `go test` does not
// reach the server before Cleanup stops it. Without Linux's Pdeathsig a
// server may outlive a test binary that is killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitStopped cannot look at the process state here; SIGSTOP is delivered
// soon enough for tests.
func waitStopped(int, time.Duration) error {
	time.Sleep(50 * time.Millisecond)
	return nil
}
