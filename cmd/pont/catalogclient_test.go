package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestCatalogClient runs the published @backstage/catalog-client against
// `pont serve` with the demo catalog: every method the client has, with
// Backstage's semantics (catalog/testdata/catalog-client/check.mjs).
func TestCatalogClient(t *testing.T) {
	if testing.Short() {
		t.Skip("needs node and npm")
	}
	root := repoRoot(t)
	clientDir := filepath.Join(root, "catalog", "testdata", "catalog-client")
	installClient(t, clientDir)
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := databaseConfig(t, dialect) + fmt.Sprintf(`
catalog:
  refreshInterval: 1m
  locations:
    - type: file
      target: %q
  files:
    roots: [%q]
  rules:
    - allow: [Component, API, Resource, System, Domain, Location, Template, User, Group]
  api:
    allowedLocationTypes: [url, file]
`, filepath.Join(root, "deploy", "examples", "all.yaml"), filepath.Join(clientDir, "extra"))
			base := startServe(t, cfg)
			wait.For(t, 30*time.Second, "the demo catalog to be ingested", func() bool { return entityCount(t, base) == 68 })
			cmd := exec.Command("node", "check.mjs", base, filepath.Join(clientDir, "extra", "catalog-info.yaml"))
			cmd.Dir = clientDir
			out, err := cmd.CombinedOutput()
			t.Logf("catalog-client check:\n%s", out)
			if err != nil {
				t.Fatalf("catalog-client check failed: %v", err)
			}
		})
	}
}

// installClient runs npm ci once per lockfile version (node_modules is
// kept between runs, keyed by the lockfile's hash).
func installClient(t *testing.T, dir string) {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	stamp := filepath.Join(dir, "node_modules", ".pont-lock-"+hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(stamp); err == nil {
		return
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}
