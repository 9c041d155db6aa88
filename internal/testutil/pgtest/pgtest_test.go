package pgtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestDatabasesAreIsolated(t *testing.T) {
	dsnA, dsnB := pgtest.DSN(t), pgtest.DSN(t)
	if dsnA == dsnB {
		t.Fatalf("two calls returned the same DSN %s", dsnA)
	}
	for _, dsn := range []string{dsnA, dsnB} {
		if !strings.HasPrefix(dsn, "postgres://") || !strings.Contains(dsn, "@127.0.0.1:") || !strings.HasSuffix(dsn, "?sslmode=disable") {
			t.Fatalf("unexpected DSN form %q", dsn)
		}
	}
	ctx := context.Background()
	a, b := connect(t, dsnA), connect(t, dsnB)

	if _, err := a.Exec(ctx, `CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatalf("create table in A: %v", err)
	}
	if _, err := a.Exec(ctx, `INSERT INTO widgets VALUES (1, 'one')`); err != nil {
		t.Fatalf("insert in A: %v", err)
	}

	const exists = `SELECT to_regclass('public.widgets') IS NOT NULL`
	var inA, inB bool
	if err := a.QueryRow(ctx, exists).Scan(&inA); err != nil {
		t.Fatalf("query A: %v", err)
	}
	if err := b.QueryRow(ctx, exists).Scan(&inB); err != nil {
		t.Fatalf("query B: %v", err)
	}
	if !inA || inB {
		t.Fatalf("table widgets: in A = %v (want true), in B = %v (want false)", inA, inB)
	}
}

func TestServerSettings(t *testing.T) {
	conn := connect(t, pgtest.DSN(t))
	ctx := context.Background()
	var tz, enc string
	if err := conn.QueryRow(ctx, `SELECT current_setting('TimeZone'), current_setting('server_encoding')`).Scan(&tz, &enc); err != nil {
		t.Fatal(err)
	}
	if tz != pgtest.ServerTimeZone || enc != "UTF8" {
		t.Fatalf("TimeZone = %q, server_encoding = %q; want %q, UTF8", tz, enc, pgtest.ServerTimeZone)
	}
}

// Databases of parallel tests with long, odd names must not collide.
func TestParallel_Subtests_With_A_Rather_Long_Name_That_Exceeds_The_Identifier_Limit(t *testing.T) {
	for _, name := range []string{"a/b c", "a/b c", "UPPER-case", "ünïcode"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			conn := connect(t, pgtest.DSN(t))
			var db string
			if err := conn.QueryRow(context.Background(), `SELECT current_database()`).Scan(&db); err != nil {
				t.Fatal(err)
			}
			if len(db) > 63 {
				t.Fatalf("database name %q longer than 63 bytes", db)
			}
			if _, err := conn.Exec(context.Background(), `CREATE TABLE t (x int)`); err != nil {
				t.Fatalf("create table in %s: %v", db, err)
			}
		})
	}
}
