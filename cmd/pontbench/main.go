// Command pontbench is the catalog benchmark of docs/benchmarks.md: it
// starts `pont serve` as a separate process on SQLite and on PostgreSQL,
// registers a generated catalog through the REST API, measures how long
// until every entity is served with all its relations, the peak RSS, query
// latencies and how fast an edited file shows, checks crash recovery, and
// writes the report. deploy/bench/run.sh (make bench) generates the
// catalogs and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the driver's flags.
type options struct {
	pont        string
	catalogs    map[int]string // N -> generated folder
	dbs         []string       // "sqlite", "postgres", in this order
	crash       bool
	timeout     time.Duration
	pgImage     string
	pgContainer string
	generator   string
	command     string
	out         string
	workDir     string
}

type catalogFlag map[int]string

func (c catalogFlag) String() string { return fmt.Sprint(map[int]string(c)) }

func (c catalogFlag) Set(v string) error {
	n, dir, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want N=DIR, got %q", v)
	}
	i, err := strconv.Atoi(n)
	if err != nil || i <= 0 {
		return fmt.Errorf("N must be a positive number, got %q", n)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	c[i] = abs
	return nil
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{catalogs: map[int]string{}}
	fs := flag.NewFlagSet("pontbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.pont, "pont", "bin/pont", "the pont binary to benchmark")
	fs.Var(catalogFlag(o.catalogs), "catalog", "N=DIR: a folder written by `node generate.js N DIR` (repeatable)")
	db := fs.String("db", "sqlite,postgres", "databases: sqlite, postgres or both, comma-separated")
	fs.BoolVar(&o.crash, "crash", true, "run the crash-recovery check on the largest N")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long an ingest may take to converge before the run fails")
	fs.StringVar(&o.pgImage, "pg-image", "pont-test/postgres:15", "the local PostgreSQL image (deploy/testenv/setup.sh builds it)")
	fs.StringVar(&o.pgContainer, "pg-container", fmt.Sprintf("pontbench-%d", os.Getpid()), "name of the PostgreSQL container")
	fs.StringVar(&o.generator, "generator", "", "hash of the generator, for the report")
	fs.StringVar(&o.command, "command", "make bench", "the command that ran the benchmark, for the report")
	fs.StringVar(&o.out, "out", "docs/benchmarks.md", "the report to write (empty: none)")
	fs.StringVar(&o.workDir, "work", "", "folder for the runs' copies and databases (default: the system's temp dir)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if len(o.catalogs) == 0 {
		return o, errors.New("no -catalog N=DIR given")
	}
	seen := map[string]bool{}
	for _, d := range strings.Split(*db, ",") {
		switch strings.ToLower(strings.TrimSpace(d)) {
		case "sqlite":
			seen["sqlite"] = true
		case "postgres", "postgresql", "pg":
			seen["postgres"] = true
		case "":
		default:
			return o, fmt.Errorf("-db: unknown database %q (sqlite or postgres)", d)
		}
	}
	for _, d := range []string{"sqlite", "postgres"} { // always SQLite first
		if seen[d] {
			o.dbs = append(o.dbs, d)
		}
	}
	if len(o.dbs) == 0 {
		return o, errors.New("-db: no database chosen")
	}
	abs, err := filepath.Abs(o.pont)
	if err != nil {
		return o, err
	}
	o.pont = abs
	if _, err := os.Stat(o.pont); err != nil {
		return o, fmt.Errorf("-pont: %w (run make build)", err)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "pontbench: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{opts: opts, out: stdout, log: stderr, began: time.Now()}
	failed := b.run(ctx)
	b.cleanup()
	if ctx.Err() != nil {
		b.logf("interrupted: %s left as it was", opts.out)
		return 130
	}
	if b.report != nil && opts.out != "" {
		if err := writeReport(opts.out, b.report); err != nil {
			fmt.Fprintf(stderr, "pontbench: writing %s: %v\n", opts.out, err)
			failed = true
		} else {
			b.logf("report written to %s", opts.out)
		}
	}
	if failed {
		b.logf("FAILED: see the messages above")
		return 1
	}
	return 0
}

// bench is one benchmark session: the runs, the shared PostgreSQL
// container, and what must be cleaned up.
type bench struct {
	opts   options
	out    io.Writer
	log    io.Writer
	began  time.Time
	pg     *postgres
	report *report

	cleanups []func()
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "[pontbench %7.1fs] %s\n", time.Since(b.began).Seconds(), fmt.Sprintf(format, args...))
}

// defer registers a cleanup, run in reverse order by cleanup.
func (b *bench) deferCleanup(f func()) { b.cleanups = append(b.cleanups, f) }

func (b *bench) cleanup() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	b.cleanups = nil
}

// run runs every measurement and fills b.report. It reports whether
// anything failed.
func (b *bench) run(ctx context.Context) (failed bool) {
	rep := newReport(b.opts)
	b.report = rep
	sizes := make([]int, 0, len(b.opts.catalogs))
	for n := range b.opts.catalogs {
		sizes = append(sizes, n)
	}
	sort.Ints(sizes)
	rep.Sizes = sizes

	manifests := map[int]*manifest{}
	for _, n := range sizes {
		m, err := loadManifest(b.opts.catalogs[n])
		if err != nil {
			b.logf("catalog N=%d: %v", n, err)
			rep.Errors = append(rep.Errors, fmt.Sprintf("catalog N=%d: %v", n, err))
			return true
		}
		if m.N != n {
			rep.Errors = append(rep.Errors, fmt.Sprintf("catalog N=%d: manifest.json says n=%d", n, m.N))
			return true
		}
		manifests[n] = m
	}

	for _, db := range b.opts.dbs {
		if db != "postgres" {
			continue
		}
		b.logf("postgres: starting container %s from %s", b.opts.pgContainer, b.opts.pgImage)
		pg, err := startPostgres(ctx, b.opts.pgImage, b.opts.pgContainer, b.logf)
		if err != nil {
			b.logf("postgres: %v", err)
			rep.Errors = append(rep.Errors, fmt.Sprintf("PostgreSQL: %v", err))
			return true
		}
		b.pg = pg
		b.deferCleanup(func() {
			b.logf("postgres: removing container %s", pg.name)
			if err := pg.remove(); err != nil {
				b.logf("postgres: %v", err)
			}
		})
		rep.Postgres = pg.info
		b.logf("postgres: %s", pg.info.Version)
	}

	printHeader(b.out)
	for _, n := range sizes {
		for _, db := range b.opts.dbs {
			if ctx.Err() != nil {
				return true
			}
			b.logf("run: N=%d on %s", n, db)
			r := b.measure(ctx, db, manifests[n])
			rep.Runs = append(rep.Runs, r)
			printRow(b.out, r)
			if r.Failed() {
				failed = true
				b.logf("run N=%d %s FAILED: %s", n, db, r.Error)
			}
		}
	}
	if b.opts.crash {
		n := sizes[len(sizes)-1]
		for _, db := range b.opts.dbs {
			if ctx.Err() != nil {
				return true
			}
			b.logf("crash recovery: N=%d on %s", n, db)
			c := b.crashRecovery(ctx, db, manifests[n], rep.run(n, db))
			rep.Crashes = append(rep.Crashes, c)
			printCrash(b.out, c)
			if !c.OK {
				failed = true
				b.logf("crash recovery N=%d %s FAILED: %s", n, db, c.Error)
			}
		}
	}
	rep.Total = time.Since(b.began)
	rep.LoadAfter = loadAvg()
	return failed || len(rep.Errors) > 0
}
