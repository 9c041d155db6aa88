package database

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func dialects(t *testing.T) map[string]Config {
	return map[string]Config{
		"sqlite":   {Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "pont.db")},
		"postgres": {Driver: "postgres", DSN: pgtest.DSN(t)},
	}
}

// open opens a store for a test and closes it after.
func open(t *testing.T, cfg Config) *DB {
	t.Helper()
	db, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrationsMatchEntSchema: after the versioned migrations, ent finds
// nothing to change, so the hand-written SQL and ent/schema agree.
func TestMigrationsMatchEntSchema(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t, cfg)
			if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := db.Ent.Schema.WriteTo(ctx, &buf); err != nil {
				t.Fatal(err)
			}
			var changes []string
			for _, line := range strings.Split(buf.String(), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "PRAGMA foreign_keys") && line != "BEGIN;" && line != "COMMIT;" {
					changes = append(changes, line)
				}
			}
			if len(changes) > 0 {
				t.Fatalf("ent/schema and the migrations differ; ent would run:\n%s", strings.Join(changes, "\n"))
			}
			cur, latest, err := db.MigrationStatus(ctx)
			if err != nil || cur != latest {
				t.Fatalf("status %d/%d %v", cur, latest, err)
			}
		})
	}
}

// TestFailedMigrationLeavesDatabaseAsItWas: a migration that fails half
// way leaves neither its first statements nor a version behind.
func TestFailedMigrationLeavesDatabaseAsItWas(t *testing.T) {
	for name, cfg := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t, cfg)
			dir := "migrations/" + name // the dialect's folder
			fsys := fstest.MapFS{
				dir + "/00001_ok.sql":     {Data: []byte("-- +goose Up\nCREATE TABLE kept (id integer);\n")},
				dir + "/00002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE half (id integer);\nINSERT INTO no_such_table VALUES (1);\n")},
			}
			if err := db.migrate(ctx, slog.New(slog.DiscardHandler), fsys); err == nil {
				t.Fatal("the broken migration succeeded")
			}
			var n int
			if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM kept").Scan(&n); err != nil {
				t.Fatalf("the good migration was lost: %v", err)
			}
			if _, err := db.SQL.ExecContext(ctx, "SELECT COUNT(*) FROM half"); err == nil {
				t.Fatal("the broken migration left its first table behind")
			}
			p, _ := db.migrationProviderFS(fsys)
			if v, err := p.GetDBVersion(ctx); err != nil || v != 1 {
				t.Fatalf("version = %d (%v), want 1", v, err)
			}
		})
	}
}
