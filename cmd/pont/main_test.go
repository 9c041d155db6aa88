package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pont-dev/pont/internal/testutil/freeport"
	"github.com/pont-dev/pont/internal/testutil/logbuf"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(envAsPont) == "1" {
		os.Exit(runAsPont()) // a pont process of restart_test.go
	}
	pgtest.Main(m)
}

// repoRoot is the repository's top folder (tests run in cmd/pont).
func repoRoot(t testing.TB) string {
	t.Helper()
	abs, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// startServe runs `pont serve` in the test process with the given
// configuration (YAML) and returns its base URL; it stops with the test.
func startServe(t *testing.T, configYAML string) string {
	t.Helper()
	base, _ := startServeLogged(t, freeAddr(t), configYAML)
	return base
}

// freeAddr is a free loopback host:port.
func freeAddr(t testing.TB) string {
	port, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// startServeLogged is startServe on a given address, also returning the
// server's log (for tests that read what was logged).
func startServeLogged(t *testing.T, addr, configYAML string) (string, *logbuf.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "pont.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"--config", cfgPath, "--addr", addr, "--log-level", "debug"}, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("serve did not stop within 20s")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	wait.For(t, 30*time.Second, "server ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base, logs
}

// getJSON fetches a URL and decodes its JSON body.
func getJSON(t testing.TB, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("decode %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// entityCount is how many entities the catalog holds.
func entityCount(t testing.TB, base string) int {
	var page struct {
		TotalItems int `json:"totalItems"`
	}
	if code := getJSON(t, base+"/api/catalog/entities/by-query?limit=1", &page); code != http.StatusOK {
		t.Fatalf("by-query: %d", code)
	}
	return page.TotalItems
}

// databaseConfig is the database block of a test configuration.
func databaseConfig(t *testing.T, dialect string) string {
	if dialect == "postgres" {
		return fmt.Sprintf("database:\n  driver: postgres\n  dsn: %q\n", pgtest.DSN(t))
	}
	return fmt.Sprintf("database:\n  driver: sqlite\n  dsn: %q\n", filepath.Join(t.TempDir(), "pont.db"))
}
