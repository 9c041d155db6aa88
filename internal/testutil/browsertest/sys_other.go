//go:build unix && !linux

package browsertest

import "syscall"

// sysProcAttr: its own process group, so a Ctrl-C on `go test` does not
// reach pont serve before Cleanup stops it. Without Linux's Pdeathsig it
// may outlive a test binary that is killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
