package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEveryKeyIsDocumented fails when a key is added without a line in
// docs/configuration.md.
func TestEveryKeyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	keys := []string{"catalog.rules", "catalog.locations"}
	Walk(&cfg, func(path string, _ reflect.Value) { keys = append(keys, path) })
	for _, k := range keys {
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("docs/configuration.md does not document %s", k)
		}
	}
}

func TestLayers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pont.yaml")
	os.WriteFile(file, []byte("database:\n  driver: postgres\n  dsn: postgres://file\ncatalog:\n  refreshInterval: 5m\n  urls:\n    allowedHosts: [a.example.com]\n"), 0o600)
	cfg, err := Load(file, []string{"PONT_DATABASE_DSN=postgres://env", "PONT_CATALOG_URLS_ALLOWED_HOSTS=b.example.com, c.example.com", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Set(&cfg, "server.addr", "127.0.0.1:9000"); err != nil {
		t.Fatal(err)
	}
	if cfg.Database.Driver != "postgres" || cfg.Database.DSN != "postgres://env" || cfg.Catalog.RefreshInterval != 5*time.Minute ||
		cfg.Server.Addr != "127.0.0.1:9000" || strings.Join(cfg.Catalog.URLs.AllowedHosts, ",") != "b.example.com,c.example.com" {
		t.Fatalf("layers: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pont.yaml")
	os.WriteFile(file, []byte("server:\n  adr: x\n"), 0o600)
	if _, err := Load(file, nil); err == nil || !strings.Contains(err.Error(), "adr") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := Load("", []string{"PONT_SERVER_READ_TIMEOUT=soon"}); err == nil || !strings.Contains(err.Error(), "server.readTimeout") {
		t.Fatalf("bad env value: %v", err)
	}
	cfg := Default()
	cfg.Server.Addr = "0.0.0.0:7007"
	cfg.Catalog.Orphans = "purge"
	cfg.Database.Driver = "mysql"
	cfg.Catalog.Locations = []LocationConfig{{Type: "git"}}
	err := cfg.Validate()
	for _, key := range []string{"server.addr", "catalog.orphans", "database.driver", "catalog.locations[0].type", "catalog.locations[0].target"} {
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("validate does not name %s: %v", key, err)
		}
	}
	cfg = Default()
	cfg.Server.Addr, cfg.Server.AllowNonLoopback = "0.0.0.0:7007", true
	if err := cfg.Validate(); err != nil {
		t.Fatalf("allowNonLoopback: %v", err)
	}
}
