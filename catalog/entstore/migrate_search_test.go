package entstore_test

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

// TestSearchMigrationBackfills: a catalog stored before migration 00003
// is searchable once it runs.
func TestSearchMigrationBackfills(t *testing.T) {
	for name, cfg := range map[string]database.Config{
		"sqlite":   {Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "pont.db")},
		"postgres": {Driver: "postgres"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if name == "postgres" {
				cfg.DSN = pgtest.DSN(t)
			}
			db, err := database.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// Up to 00002, as a release before search left it.
			gd := goose.DialectSQLite3
			if name == "postgres" {
				gd = goose.DialectPostgres
			}
			var fsys fs.FS = os.DirFS(filepath.Join("..", "..", "internal", "database", "migrations", name))
			p, err := goose.NewProvider(gd, db.SQL, fsys)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 2); err != nil {
				t.Fatal(err)
			}
			e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
				Metadata: catalog.Metadata{Name: "payments-api", Title: "Card payments", Description: "Settles the ledger",
					Tags: []string{"billing"}, Annotations: map[string]string{"x": "a\x00b"}},
				Spec: map[string]any{"type": "service", "owner": "finance", "lifecycle": "production"}}
			pr, err := catalog.Prepare(e, "file:/a.yaml", "")
			if err != nil {
				t.Fatal(err)
			}
			q := "INSERT INTO entities (id, seq, ref_key, kind, namespace, name, body, etag, hash, provider, source, parent_ref, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
			if name == "postgres" {
				q = "INSERT INTO entities (id, seq, ref_key, kind, namespace, name, body, etag, hash, provider, source, parent_ref, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
			}
			now := time.Now().UTC()
			if _, err := db.SQL.ExecContext(ctx, q, "uid-1", 1, pr.Key, "component", "default", "payments-api", pr.Body, "etag", pr.Hash, "p1", "file:/a.yaml", "", now, now); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			s := entstore.New(db)
			defer s.Close()
			for _, text := range []string{"api", "paym", "card", "ledger", "billing", "servi", "finance"} {
				page, err := s.SearchText(ctx, catalog.TextQuery{Text: text})
				if err != nil || page.Total != 1 || len(page.Entities) != 1 || page.Entities[0].UID != "uid-1" {
					t.Fatalf("%s after the migration: %+v %v", text, page, err)
				}
			}
		})
	}
}
