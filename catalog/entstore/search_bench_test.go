package entstore_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

// benchQueries are searches over the synthetic catalog of
// ../shared/bench/generate.js (names like svc-000123, titles like
// "ledger service", descriptions like "The svc-000123 service, written in
// go."), from one that matches a handful of entities to ones that match
// most of the catalog.
var benchQueries = []struct{ name, text string }{
	{"one-name", "svc-012345"},
	{"word-2k", "ledger"},
	{"two-words", "ledger serv"},
	{"prefix-2-letters", "le"},
	{"word-15k", "service"},
	{"word-29k", "svc"},
}

// BenchmarkSearchText measures SearchText, with the total and the kind
// facet, on a generated catalog ingested into SQLite and PostgreSQL:
//
//	cp -r ../shared/bench /tmp/benchgen && (cd /tmp/benchgen && npm ci && node generate.js 50000 /tmp/cat50k)
//	PONT_BENCH_CATALOG=/tmp/cat50k PONT_REQUIRE_DOCKER=1 go test -run '^$' -bench BenchmarkSearchText -benchtime 100x ./catalog/entstore/
//
// PONT_BENCH_SQLITE (a file) and PONT_BENCH_POSTGRES (a DSN) keep the
// ingested catalogs between runs.
//
// It reports p50 and p99 latencies besides the mean. Without
// PONT_BENCH_CATALOG it is skipped.
func BenchmarkSearchText(b *testing.B) {
	dir := os.Getenv("PONT_BENCH_CATALOG")
	if dir == "" {
		b.Skip("PONT_BENCH_CATALOG names no generated catalog")
	}
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			cfg := database.Config{Driver: "sqlite", DSN: filepath.Join(b.TempDir(), "pont.db")}
			// PONT_BENCH_SQLITE keeps the SQLite catalog between runs: a
			// file that exists is searched as it is, not ingested again.
			if keep := os.Getenv("PONT_BENCH_SQLITE"); keep != "" {
				cfg.DSN = keep
			}
			if db == "postgres" {
				// PONT_BENCH_POSTGRES names a database to search (and to
				// ingest into, when empty) instead of a fresh one.
				dsn := os.Getenv("PONT_BENCH_POSTGRES")
				if dsn == "" {
					dsn = pgtest.DSN(b)
				}
				cfg = database.Config{Driver: "postgres", DSN: dsn}
			}
			s := ingestBench(b, cfg, dir)
			for _, q := range benchQueries {
				for _, facets := range [][]string{nil, {"kind"}} {
					name := q.name
					if facets != nil {
						name += "+facet"
					}
					b.Run(name, func(b *testing.B) {
						ctx := context.Background()
						tq := catalog.TextQuery{Text: q.text, Limit: 20, Facets: facets}
						page, err := s.SearchText(ctx, tq) // warm the statement cache
						if err != nil {
							b.Fatal(err)
						}
						times := make([]time.Duration, 0, b.N)
						b.ResetTimer()
						for b.Loop() {
							start := time.Now()
							if _, err := s.SearchText(ctx, tq); err != nil {
								b.Fatal(err)
							}
							times = append(times, time.Since(start))
						}
						slices.Sort(times)
						b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
						b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
						b.ReportMetric(float64(page.Total), "hits")
					})
				}
			}
		})
	}
}

func ingestBench(b *testing.B, cfg database.Config, dir string) *entstore.Store {
	b.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}
	s := entstore.New(db)
	b.Cleanup(func() { s.Close() })
	if n, err := s.QueryEntities(ctx, catalog.EntityQuery{Count: true, Limit: 1}); err == nil && n.Total > 0 {
		b.Logf("%s: searching the %d entities stored", cfg.Driver, n.Total)
		return s
	}
	abs, err := filepath.Abs(filepath.Join(dir, "location.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	reader, err := catalog.NewReader(catalog.ReaderConfig{FileRoots: []string{filepath.Dir(abs)}})
	if err != nil {
		b.Fatal(err)
	}
	p := catalog.NewProcessor(s, reader, catalog.ProcessorConfig{Rules: []catalog.Rule{{Allow: catalog.BuiltinKinds()}}}, slog.New(slog.DiscardHandler))
	loc, err := s.CreateLocation(ctx, catalog.Location{Type: "file", Target: abs})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	res, err := p.Refresh(ctx, loc)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: ingested %d entities in %s", cfg.Driver, res.Inserted, time.Since(start).Round(time.Millisecond))
	return s
}
