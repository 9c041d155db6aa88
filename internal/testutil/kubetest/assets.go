package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	module    = "github.com/pont-dev/pont"
	envAssets = "PONT_KUBE_ASSETS"

	// A run that does not require Kubernetes gives envtest.sh this long:
	// enough when the binaries are cached (it then answers at once), far
	// too little for a cold build (about 10 minutes), which is left to
	// `make test-deps` rather than to every `go test` on a fresh machine.
	buildTimeoutOptional = time.Minute
	// A run under PONT_REQUIRE_KUBE=1 waits for a cold build.
	buildTimeoutRequired = 30 * time.Minute
)

var (
	assetsOnce sync.Once
	assetsDir  string
	assetsErr  error
)

// needAssets returns the folder of kube-apiserver and etcd, or ends the
// test: skipped, or failed under PONT_REQUIRE_KUBE=1.
func needAssets(t testing.TB) string {
	t.Helper()
	dir, err := assets()
	if err != nil {
		if os.Getenv(envRequire) == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v\n(set %s=1 to fail instead of skipping)", err, envRequire)
	}
	return dir
}

// assets finds the binaries once per test binary: PONT_KUBE_ASSETS, or
// the folder deploy/testenv/envtest.sh prints (building them if needed).
func assets() (string, error) {
	assetsOnce.Do(func() {
		dir := os.Getenv(envAssets)
		if dir == "" {
			dir, assetsErr = runEnvtestScript()
			if assetsErr != nil {
				return
			}
		}
		for _, name := range []string{"kube-apiserver", "etcd"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				assetsErr = fmt.Errorf("kubetest: no executable %s in %s", name, dir)
				return
			}
		}
		assetsDir = dir
	})
	return assetsDir, assetsErr
}

func runEnvtestScript() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	timeout := buildTimeoutOptional
	if os.Getenv(envRequire) == "1" {
		timeout = buildTimeoutRequired
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	script := filepath.Join(root, "deploy", "testenv", "envtest.sh")
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// On timeout, end the whole build (bash, go, the compilers): SIGTERM
	// to the process group lets the script remove its helper modules.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return "", fmt.Errorf("kubetest: kube-apiserver and etcd are not built: %s did not finish within %v (a cold build takes about 10 minutes; run `make test-deps` or the script once, or set %s)", script, timeout, envAssets)
	}
	if err != nil {
		return "", fmt.Errorf("kubetest: %s: %w\n%s", script, err, lastLines(stderr.String(), logTailLines))
	}
	dir := strings.TrimSpace(stdout.String())
	if i := strings.LastIndexByte(dir, '\n'); i >= 0 {
		dir = dir[i+1:]
	}
	if dir == "" {
		return "", fmt.Errorf("kubetest: %s printed no folder", script)
	}
	return dir, nil
}

// CRDDir returns the absolute path of deploy/crds.
func CRDDir() string {
	root, err := moduleRoot()
	if err != nil {
		panic(err)
	}
	return filepath.Join(root, "deploy", "crds")
}

// moduleRoot finds Pont's module root: the first folder up from the
// working directory (a test runs in its package's folder) whose go.mod
// declares Pont's module, else the same search from this source file.
func moduleRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if isPontModule(filepath.Join(dir, "go.mod")) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("kubetest: cannot find the go.mod of " + module + " above the working directory")
}

func isPontModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == module
		}
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
