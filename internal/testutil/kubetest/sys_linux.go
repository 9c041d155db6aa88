package kubetest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// sysProcAttr: the server gets SIGKILL when the test binary dies, even when
// t.Cleanup never runs (a panic, go test's -timeout, SIGKILL); its own
// process group keeps a Ctrl-C on `go test` from reaching it before
// Cleanup has had a chance to stop it in order.
//
// Pdeathsig is tied to the OS thread that started the child, and Go may end
// that thread only if a goroutine exits while locked to it (LockOSThread),
// which nothing here does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// waitStopped waits until /proc/PID/stat shows the process stopped (T).
func waitStopped(pid int, timeout time.Duration) error {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// The state follows the command name in parentheses, which may
		// itself hold spaces and parentheses.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'T' {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d not stopped after %v: %s", pid, timeout, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
