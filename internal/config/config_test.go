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

func TestKubernetesErrorsNameTheKey(t *testing.T) {
	cfg := Default()
	cfg.Kubernetes.Clusters = []KubernetesCluster{
		{Name: "a", Kubeconfig: "/k", InCluster: true},
		{Name: "a", Server: "http://insecure:6443", Token: "t", TokenFile: "/t"},
		{Server: "https://ok:6443", ClientCertFile: "/c", Owner: "group:"},
	}
	cfg.Kubernetes.ArgoCD = ArgoCDClusters{Namespace: "argocd", Cluster: "nope"}
	cfg.Kubernetes.ProbeInterval = 0
	cfg.Kubernetes.Labels.Environment = ""
	err := cfg.Validate()
	for _, key := range []string{
		"kubernetes.clusters[0]", "kubernetes.clusters[1].name", "kubernetes.clusters[1].server", "kubernetes.clusters[1].token",
		"kubernetes.clusters[2].name", "kubernetes.clusters[2].clientKeyFile", "kubernetes.clusters[2].owner",
		"kubernetes.argocd.cluster", "kubernetes.probeInterval", "kubernetes.labels.environment",
	} {
		if err == nil || !strings.Contains(err.Error(), key+":") {
			t.Errorf("validate does not name %s: %v", key, err)
		}
	}
	cfg = Default()
	cfg.Kubernetes.Clusters = []KubernetesCluster{{Name: "prod", Kubeconfig: "/etc/pont/prod.kubeconfig"}, {Name: "dev", InCluster: true}}
	cfg.Kubernetes.ArgoCD.Namespace = "argocd"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a valid kubernetes section: %v", err)
	}
}
