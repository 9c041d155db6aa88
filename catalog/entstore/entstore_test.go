package entstore_test

import (
	"path/filepath"
	"testing"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/catalog/storetest"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, cfg database.Config) catalog.Store {
	t.Helper()
	return entstore.New(dbtest.Open(t, cfg))
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) catalog.Store {
		return open(t, database.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "pont.db")})
	})
}

func TestConformancePostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) catalog.Store {
		return open(t, database.Config{Driver: "postgres", DSN: pgtest.DSN(t)})
	})
}
