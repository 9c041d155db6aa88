package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// engine is River on one database: its own pool, its clients, and the
// heartbeat statement of the dialect.
type engine struct {
	newClient func(cfg *river.Config) (riverClient, error)
	// heartbeat refreshes attempted_at of a running attempt; false when
	// the job is no longer in that attempt.
	heartbeat func(ctx context.Context, id int64, attempt int) (bool, error)
	close     func()
}

func openEngine(ctx context.Context, o Options) (*engine, error) {
	switch o.DB.Dialect {
	case dialect.SQLite:
		return openSQLite(ctx, o)
	case dialect.Postgres:
		return openPostgres(ctx, o)
	default:
		return nil, fmt.Errorf("jobs: unsupported database dialect %q", o.DB.Dialect)
	}
}

// riverSQLitePragmas are those of Pont's own pool (internal/database) but for
// the page cache: WAL, a writer waits 30 s for the other, and transactions
// take the write lock at BEGIN.
const riverSQLitePragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(30000)&_pragma=synchronous(NORMAL)&_txlock=immediate"

func openSQLite(ctx context.Context, o Options) (*engine, error) {
	var file string
	if err := o.DB.SQL.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		return nil, fmt.Errorf("jobs: finding the SQLite file: %w", err)
	}
	if file == "" {
		return nil, errors.New("jobs: an in-memory or temporary SQLite database cannot be shared with River's own connection")
	}
	if strings.ContainsAny(file, "?#") {
		return nil, fmt.Errorf("jobs: SQLite file name %q has ? or #", file)
	}
	db, err := sql.Open("sqlite", "file:"+file+"?"+riverSQLitePragmas)
	if err != nil {
		return nil, fmt.Errorf("jobs: open sqlite: %w", err)
	}
	// River's SQLite driver wants one connection (see the package comment).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("jobs: open sqlite: %w", err)
	}
	driver := riversqlite.New(db)
	if err := migrateSQLite(ctx, o, driver); err != nil {
		db.Close()
		return nil, err
	}
	return &engine{
		newClient: func(cfg *river.Config) (riverClient, error) { return river.NewClient(driver, cfg) },
		heartbeat: func(ctx context.Context, id int64, attempt int) (bool, error) {
			// River's SQLite timestamps are UTC text with milliseconds,
			// which datetime('now', 'subsec') gives (as River's own
			// queries use).
			res, err := db.ExecContext(ctx, `UPDATE river_job SET attempted_at = datetime('now', 'subsec') WHERE id = ? AND state = 'running' AND attempt = ?`, id, attempt)
			if err != nil {
				return false, err
			}
			n, err := res.RowsAffected()
			return n > 0, err
		},
		close: func() { db.Close() },
	}, nil
}

// migrateSQLite runs River's migrations. Each version is applied in its own
// transaction with its row in river_migration; a second process migrating at
// the same moment fails on a version the first applied, and its next try
// finds nothing left to do.
func migrateSQLite(ctx context.Context, o Options, driver *riversqlite.Driver) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: o.Log})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	for try := 1; ; try++ {
		_, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err == nil {
			return nil
		}
		if try == 5 || ctx.Err() != nil {
			return fmt.Errorf("jobs: migrate River's tables: %w", err)
		}
		o.Log.Warn("jobs: migrating River's tables failed; trying again", "try", try, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(try) * 200 * time.Millisecond):
		}
	}
}

// riverPoolMaxConns bounds River's own PostgreSQL pool: one LISTEN
// connection, fetches, completions, the leader's services, heartbeats.
const riverPoolMaxConns = 10

func openPostgres(ctx context.Context, o Options) (*engine, error) {
	// Pont's pool is database/sql over pgx: take its connection settings
	// (the DSN it was opened with) for River's pgxpool.
	conn, err := o.DB.SQL.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: postgres: %w", err)
	}
	var connString string
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the database/sql driver is %T, not pgx's stdlib", dc)
		}
		connString = c.Conn().Config().ConnString()
		return nil
	})
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("jobs: postgres: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// The connection string may hold a password: never echo it.
		return nil, errors.New("jobs: postgres: cannot parse the connection settings of Pont's pool")
	}
	cfg.MaxConns = riverPoolMaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: postgres pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("jobs: postgres pool: %w", err)
	}
	driver := riverpgxv5.New(pool)
	if err := migratePostgres(ctx, o, pool, driver); err != nil {
		pool.Close()
		return nil, err
	}
	return &engine{
		newClient: func(cfg *river.Config) (riverClient, error) { return river.NewClient(driver, cfg) },
		heartbeat: func(ctx context.Context, id int64, attempt int) (bool, error) {
			tag, err := pool.Exec(ctx, `UPDATE river_job SET attempted_at = now() WHERE id = $1 AND state = 'running' AND attempt = $2`, id, attempt)
			if err != nil {
				return false, err
			}
			return tag.RowsAffected() > 0, nil
		},
		close: pool.Close,
	}, nil
}

// migrateLockKey is the advisory lock that processes take in turn to run
// River's migrations.
var migrateLockKey = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("pont/internal/jobs: river migrations"))
	return int64(h.Sum64())
}()

// migratePostgres runs River's migrations under a session advisory lock, so
// processes starting together migrate one after another (River's migrator
// takes no lock). Each version is applied in its own transaction (some cannot
// share one, says River).
func migratePostgres(ctx context.Context, o Options, pool *pgxpool.Pool, driver *riverpgxv5.Driver) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: o.Log})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("jobs: migrate: taking the lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, migrateLockKey); err != nil {
			// The lock would outlive us with the connection: drop it.
			conn.Conn().Close(uctx)
		}
	}()
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate River's tables: %w", err)
	}
	return nil
}
