// Package database opens Pont's store (embedded SQLite or PostgreSQL), runs
// its versioned migrations and gives the catalog an ent client plus the raw
// handle its bulk writer needs.
package database

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go, no cgo)

	"github.com/pont-dev/pont/ent"
	_ "github.com/pont-dev/pont/ent/runtime" // registers the privacy policies of ent/schema
)

//go:embed migrations
var migrations embed.FS

// SQLiteReaderCacheKiB is the page cache of each SQLite connection.
const SQLiteReaderCacheKiB = 32768

// Config selects and tunes the store.
type Config struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `yaml:"driver"`
	// DSN is the SQLite file path or the PostgreSQL connection URL.
	// Default: pont.db in the working directory.
	DSN string `yaml:"dsn" secret:"true"`
	// MaxOpenConns caps the connection pool (PostgreSQL). Default 10.
	MaxOpenConns int `yaml:"maxOpenConns"`
	// MigrateOnStart runs pending migrations when serve starts. Default true.
	MigrateOnStart *bool `yaml:"migrateOnStart"`
}

// DB is an open store.
type DB struct {
	Ent     *ent.Client
	SQL     *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
}

// Open connects to the store described by cfg. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	switch cfg.Driver {
	case "", "sqlite":
		return openSQLite(ctx, cfg)
	case "postgres":
		return openPostgres(ctx, cfg)
	default:
		return nil, fmt.Errorf("database.driver: unknown driver %q (want sqlite or postgres)", cfg.Driver)
	}
}

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	path := cfg.DSN
	if path == "" {
		path = "pont.db"
	}
	dsn := path
	if !strings.HasPrefix(dsn, "file:") {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database.dsn: %w", err)
			}
		}
		dsn = "file:" + path
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	// The page cache is per connection: 32 MiB for each reader (by-name
	// reads slow by half at 8 MiB on a 50k catalog), and the
	// writer raises its own for the length of a mutation (entstore).
	// WAL lets readers go on while an ingest writes; busy_timeout makes a
	// second writer wait instead of failing; _txlock=immediate takes the
	// write lock at BEGIN so two writers never deadlock on lock upgrade.
	dsn += sep + fmt.Sprintf("_pragma=journal_mode(WAL)&_pragma=busy_timeout(30000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=cache_size(-%d)&_txlock=immediate", SQLiteReaderCacheKiB)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &DB{Ent: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.SQLite, db))), SQL: db, Dialect: dialect.SQLite}, nil
}

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DSN == "" {
		return nil, errors.New("database.dsn: required for the postgres driver")
	}
	db, err := sql.Open("pgx", cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 10
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		// The DSN may hold a password: never echo it.
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return &DB{Ent: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, db))), SQL: db, Dialect: dialect.Postgres}, nil
}

// Close closes the store.
func (db *DB) Close() error { return db.Ent.Close() }

func (db *DB) migrationProvider() (*goose.Provider, error) {
	return db.migrationProviderFS(migrations)
}

func (db *DB) migrationProviderFS(fsys fs.FS) (*goose.Provider, error) {
	var (
		gd  goose.Dialect
		dir string
	)
	switch db.Dialect {
	case dialect.SQLite:
		gd, dir = goose.DialectSQLite3, "migrations/sqlite"
	case dialect.Postgres:
		gd, dir = goose.DialectPostgres, "migrations/postgres"
	default:
		return nil, fmt.Errorf("no migrations for dialect %q", db.Dialect)
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	if db.Dialect == dialect.Postgres {
		// Replicas starting together take turns: an advisory lock held for
		// the session keeps two from migrating at once. (SQLite has one
		// writer by construction.)
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(gd, db.SQL, sub, opts...)
}

// Migrate applies every pending migration. Each migration runs in its own
// transaction (both SQLite and PostgreSQL have transactional DDL), so a
// failed one leaves the database as it was before it.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	return db.migrate(ctx, log, migrations)
}

func (db *DB) migrate(ctx context.Context, log *slog.Logger, fsys fs.FS) error {
	p, err := db.migrationProviderFS(fsys)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// MigrationStatus reports the current and latest schema versions.
func (db *DB) MigrationStatus(ctx context.Context) (current, latest int64, err error) {
	p, err := db.migrationProvider()
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	return current, latest, err
}

// Retryable tells whether err is a transient conflict (a PostgreSQL
// serialization failure or deadlock) that a retry of the whole transaction
// can fix.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}
