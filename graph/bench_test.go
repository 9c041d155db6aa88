package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/graph"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/database"
)

// BenchmarkGraphDepth3 times the graph query of the catalog benchmark
// (cmd/pontbench) over a catalog made by /work/shared/bench/generate.js:
//
//	PONT_BENCH_CATALOG=~/.cache/pont/bench-gen/catalog-…-50000 \
//	PONT_BENCH_DSN=/tmp/pont-bench.db go test -run '^$' -bench GraphDepth3 ./graph/
//
// With PONT_BENCH_LIST set it measures the list of 50 components with
// owner, system and provided APIs instead.
//
// The catalog is ingested into the database at PONT_BENCH_DSN (SQLite
// file, or a postgres:// URL) once; later runs reuse it.
func BenchmarkGraphDepth3(b *testing.B) {
	dir, dsn := os.Getenv("PONT_BENCH_CATALOG"), os.Getenv("PONT_BENCH_DSN")
	if dir == "" || dsn == "" {
		b.Skip("PONT_BENCH_CATALOG and PONT_BENCH_DSN name the catalog and its database")
	}
	ctx := principal.SystemContext(context.Background())
	cfg := database.Config{Driver: "sqlite", DSN: dsn, MaxOpenConns: 10}
	if len(dsn) > 11 && dsn[:11] == "postgres://" {
		cfg.Driver = "postgres"
	}
	db, err := database.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}
	store := entstore.New(db)
	defer store.Close()
	reader, err := catalog.NewReader(catalog.ReaderConfig{FileRoots: []string{dir}, MaxBytes: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	kinds := []string{"Component", "API", "System", "Domain", "Resource", "Group", "User", "Location"}
	proc := catalog.NewProcessor(store, reader, catalog.ProcessorConfig{
		Rules: []catalog.Rule{{Allow: kinds}}, Limits: catalog.DefaultLimits(),
	}, slog.New(slog.DiscardHandler))
	locs := catalog.NewLocations(store, proc, nil, []string{"url", "file"})
	if n, err := db.Ent.Entity.Query().Count(ctx); err != nil {
		b.Fatal(err)
	} else if n < 1000 {
		loc, err := store.CreateLocation(ctx, catalog.Location{Type: "file", Target: filepath.Join(dir, "location.yaml"), Origin: "config"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := proc.Refresh(ctx, loc); err != nil {
			b.Fatal(err)
		}
	}
	var manifest struct {
		Names map[string][]string `json:"names"`
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err != nil {
		b.Fatal(err)
	} else if err := json.Unmarshal(raw, &manifest); err != nil {
		b.Fatal(err)
	}
	comps := manifest.Names["Component"]
	client := ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.SQL)))
	policy := auth.NewPolicy(config.Policy{RegisterLocations: "signedIn"})
	h := graph.NewHandler(graph.Deps{
		Client: client, Store: store, Locations: locs, Processor: proc,
		Policy: policy, Audit: audit.New(db.Ent, slog.New(slog.DiscardHandler)), Limits: graph.DefaultLimits(),
	})
	p := &principal.Principal{Kind: principal.Session, Subject: "test|bench", Name: "bench", User: "user:default/bench"}
	policy.Apply(p)
	query := `query($ref: String!) { graph(ref: $ref, depth: 3) { nodes { ref } edges { source type target } truncated } }`
	if os.Getenv("PONT_BENCH_LIST") != "" {
		query = `query($ref: String!) { entities(first: 50, where: {kind: "component", refKeyGT: $ref}) { edges { node { ref owner { ref } ... on Component { system { ref } providesApis { ref } } } } } }`
	}
	bodies := make([][]byte, 0, 64)
	for i := range 64 {
		name := comps[(i*len(comps))/64]
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"ref": "component:default/" + name}})
		bodies = append(bodies, body)
	}
	b.ReportAllocs()
	nodes := 0
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/graphql", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req = req.WithContext(principal.NewContext(req.Context(), p))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
		}
		nodes += bytes.Count(rec.Body.Bytes(), []byte(`{"ref":`))
	}
	b.ReportMetric(float64(nodes)/float64(b.N), "nodes/op")
}
