package browsertest

import "syscall"

// sysProcAttr: pont serve gets SIGKILL when the test binary dies, even
// when t.Cleanup never runs (a panic, go test's -timeout); its own process
// group keeps a Ctrl-C on `go test` from reaching it before Cleanup stops
// it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
