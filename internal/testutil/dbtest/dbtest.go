// Package dbtest gives tests migrated databases: SQLite in a temporary
// folder, and PostgreSQL (a fresh database on the shared container of
// pgtest) unless the tests run with -short.
package dbtest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

// SQLite is a fresh SQLite database in the test's temporary folder, for
// tests that need a catalog but do not test storage (no PostgreSQL
// container is started for them).
func SQLite(t testing.TB) database.Config {
	return database.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "pont.db"), MaxOpenConns: 4}
}

// Configs lists the databases a test runs on, by name.
func Configs(t testing.TB) map[string]database.Config {
	t.Helper()
	out := map[string]database.Config{"sqlite": SQLite(t)}
	if !testing.Short() {
		out["postgres"] = database.Config{Driver: "postgres", DSN: pgtest.DSN(t), MaxOpenConns: 4}
	}
	return out
}

// Open opens the database of cfg and migrates it; it closes with the test.
func Open(t testing.TB, cfg database.Config) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db
}
