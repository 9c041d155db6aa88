package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	warmRequests  = 20
	timedRequests = 200
	listPath      = "/api/catalog/entities/by-query?filter=kind=component&limit=50"
	byNamePrefix  = "/api/catalog/entities/by-name/component/default/"
	readyTimeout  = 60 * time.Second
	stopTimeout   = 30 * time.Second
)

// runResult is one N on one database.
type runResult struct {
	N     int
	DB    string
	Error string   // set when the run failed
	Notes []string // anything odd that did not fail the run

	Wall       time.Duration
	Load       string        // load averages when the run began
	Copy       time.Duration // copying the catalog for the run
	StartReady time.Duration // pont start to /readyz 200
	Post       time.Duration // POST /locations round trip
	Conv       *convergence
	IngestCPU  time.Duration // pont's CPU time from start to convergence

	HWMIngest int64 // peak RSS KiB (VmHWM, and VmRSS sampled every 20 ms) up to convergence
	HWMEnd    int64 // the same, after the query and touch phases
	RSSEnd    int64 // VmRSS KiB then

	List, ByName           stats
	Floor                  stats // GET /healthz: the HTTP round trip alone
	ListPhase, ByNamePhase time.Duration
	GQL                    *gqlResult // the GraphQL phase (issue 4)
	Touches                []touchResult
	TouchPhase             time.Duration

	DBBytes  int64
	Stop     time.Duration
	StopExit string
	LogWarn  int
	LogError int
}

func (r *runResult) Failed() bool { return r.Error != "" }

func (r *runResult) notef(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Ingest is the headline figure: POST to the first fully-correct verification.
func (r *runResult) Ingest() time.Duration {
	if r.Conv == nil {
		return 0
	}
	return r.Conv.Took
}

func (r *runResult) touchTimes() []time.Duration {
	var ds []time.Duration
	for _, t := range r.Touches {
		ds = append(ds, t.Visible)
	}
	return ds
}

// TouchMedian and TouchMax summarise the touch phase.
func (r *runResult) TouchMedian() time.Duration {
	ds := r.touchTimes()
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func (r *runResult) TouchMax() time.Duration {
	ds := r.touchTimes()
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

// runDB is the database of one run.
type runDB struct {
	driver, dsn string
	size        func() int64
	cleanup     func()
}

func (b *bench) database(ctx context.Context, db, dir, tag string) (runDB, error) {
	switch db {
	case "sqlite":
		path := filepath.Join(dir, "pont.db")
		return runDB{driver: "sqlite", dsn: path, size: func() int64 { return fileSizes(path + "*") }, cleanup: func() {}}, nil
	case "postgres":
		name := fmt.Sprintf("pontbench_%s_%d", tag, time.Now().UnixNano()%1e9)
		dsn, err := b.pg.createDB(ctx, name)
		if err != nil {
			return runDB{}, err
		}
		return runDB{driver: "postgres", dsn: dsn,
			size: func() int64 {
				n, err := b.pg.dbSize(ctx, name)
				if err != nil {
					return 0
				}
				return n
			},
			cleanup: func() {
				if err := b.pg.dropDB(name); err != nil {
					b.logf("postgres: dropping %s: %v", name, err)
				}
			}}, nil
	}
	return runDB{}, fmt.Errorf("unknown database %q", db)
}

// prepare makes the run's folder, its copy of the catalog and its
// database. cleanup removes them.
func (b *bench) prepare(ctx context.Context, db string, m *manifest, tag string) (dir, catDir string, rdb runDB, took time.Duration, cleanup func(), err error) {
	dir, err = os.MkdirTemp(b.opts.workDir, fmt.Sprintf("pontbench-%s-", tag))
	if err != nil {
		return "", "", runDB{}, 0, nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	catDir = filepath.Join(dir, "catalog")
	t := time.Now()
	if err := copyTree(m.dir, catDir); err != nil {
		cleanup()
		return "", "", runDB{}, 0, nil, fmt.Errorf("copying the catalog: %w", err)
	}
	took = time.Since(t)
	rdb, err = b.database(ctx, db, dir, tag)
	if err != nil {
		cleanup()
		return "", "", runDB{}, 0, nil, err
	}
	return dir, catDir, rdb, took, func() { rdb.cleanup(); os.RemoveAll(dir) }, nil
}

var locationName = regexp.MustCompile(`(?m)^  name: (\S+)$`)

// expectedExtras are the two entities beyond the manifest: the Location
// of location.yaml and the one Pont generates for the registered location.
func expectedExtras(catDir, generated string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(catDir, "location.yaml"))
	if err != nil {
		return nil, err
	}
	m := locationName.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("location.yaml: no metadata.name")
	}
	return []string{"location:default/" + strings.ToLower(string(m[1])), generated}, nil
}

// measure runs the whole measurement of one N on one database.
func (b *bench) measure(ctx context.Context, db string, m *manifest) *runResult {
	r := &runResult{N: m.N, DB: db, Load: loadAvg()}
	if f := strings.Fields(r.Load); len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil && l > float64(runtime.NumCPU()) {
			r.notef("the machine was busy when this run began (load average %s on %d cores): other processes competed with pont and the driver for the CPU, so its times are higher than on an idle machine", r.Load, runtime.NumCPU())
		}
	}
	began := time.Now()
	defer func() { r.Wall = time.Since(began) }()
	tag := fmt.Sprintf("%s_%d", db, m.N)
	dir, catDir, rdb, took, cleanup, err := b.prepare(ctx, db, m, tag)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer cleanup()
	r.Copy = took

	cfg := pontConfig{driver: rdb.driver, dsn: rdb.dsn, rootDir: catDir, filePath: filepath.Join(dir, "pont.yaml")}
	p, err := startPont(ctx, b.opts.pont, cfg, filepath.Join(dir, "pont.log"), readyTimeout)
	if err != nil {
		r.Error = "starting pont: " + err.Error()
		return r
	}
	defer p.kill()
	r.StartReady = time.Since(p.started)
	c := newAPI(p.base)
	defer c.close()
	failf := func(format string, args ...any) *runResult {
		r.Error = fmt.Sprintf(format, args...)
		if tail := p.logTail(15); tail != "" {
			r.Error += "\npont log (last lines):\n" + tail
		}
		return r
	}

	// Ingest.
	t0 := time.Now()
	generated, err := c.registerLocation(ctx, filepath.Join(catDir, "location.yaml"))
	if err != nil {
		return failf("registering the location: %v", err)
	}
	r.Post = time.Since(t0)
	extra, err := expectedExtras(catDir, generated)
	if err != nil {
		return failf("%v", err)
	}
	r.Conv, err = c.waitConverged(ctx, m, extra, generated, t0, b.opts.timeout)
	if cpu, e := procCPU(p.pid); e == nil {
		r.IngestCPU = cpu
	}
	r.HWMIngest = p.peakRSS()
	if err != nil {
		return failf("ingest: %v", err)
	}
	if r.Conv.Last.DupRelations > 0 {
		r.notef("%d relations were served twice on the same entity (the comparison is by set)", r.Conv.Last.DupRelations)
	}
	b.logf("  ingest %.2fs (count reached %.2fs, %d verification(s), last took %.2fs, %d pages, %.1f MiB)",
		r.Ingest().Seconds(), r.Conv.CountReached.Seconds(), r.Conv.Verifications, r.Conv.Last.Took.Seconds(),
		r.Conv.Last.Pages, float64(r.Conv.Last.Bytes)/(1<<20))

	// Query latencies.
	comps := m.Names["Component"]
	if len(comps) == 0 {
		return failf("the manifest names no Component")
	}
	t := time.Now()
	listDs, err := c.latencies(ctx, repeat(listPath, warmRequests), repeat(listPath, timedRequests), func(path string, body []byte) error {
		var page struct {
			Items []struct {
				Kind string `json:"kind"`
			} `json:"items"`
			TotalItems int `json:"totalItems"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("GET %s: decoding: %w", path, err)
		}
		if page.TotalItems != len(comps) || len(page.Items) != min(50, len(comps)) {
			return fmt.Errorf("GET %s: %d items, totalItems %d; want %d items of %d components", path, len(page.Items), page.TotalItems, min(50, len(comps)), len(comps))
		}
		for _, it := range page.Items {
			if it.Kind != "Component" {
				return fmt.Errorf("GET %s: an item of kind %q", path, it.Kind)
			}
		}
		return nil
	})
	if err != nil {
		return failf("list latencies: %v", err)
	}
	r.ListPhase, r.List = time.Since(t), percentiles(listDs)
	r.noteSkew("list", listDs)

	// The round trip of a request that does nothing (GET /healthz) on the
	// same connection: the floor under the by-name figure on this machine.
	var floorWarm, floorTimed []string
	for range warmRequests {
		floorWarm = append(floorWarm, "/healthz")
	}
	for range timedRequests {
		floorTimed = append(floorTimed, "/healthz")
	}
	floorDs, err := c.latencies(ctx, floorWarm, floorTimed, func(string, []byte) error { return nil })
	if err != nil {
		return failf("healthz latencies: %v", err)
	}
	r.Floor = percentiles(floorDs)

	var warm, timed []string
	for i := 0; i < warmRequests; i++ {
		warm = append(warm, byNamePrefix+comps[(i*len(comps)/warmRequests+len(comps)/(2*warmRequests)+1)%len(comps)])
	}
	for i := 0; i < timedRequests; i++ {
		timed = append(timed, byNamePrefix+comps[i*len(comps)/timedRequests])
	}
	t = time.Now()
	nameDs, err := c.latencies(ctx, warm, timed, func(path string, body []byte) error {
		var e struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			return fmt.Errorf("GET %s: decoding: %w", path, err)
		}
		if e.Metadata.Name != strings.TrimPrefix(path, byNamePrefix) {
			return fmt.Errorf("GET %s: served %q", path, e.Metadata.Name)
		}
		return nil
	})
	if err != nil {
		return failf("by-name latencies: %v", err)
	}
	r.ByNamePhase, r.ByName = time.Since(t), percentiles(nameDs)
	r.noteSkew("by-name", nameDs)

	// GraphQL: list, graph depth 3, search by name and for common words.
	r.GQL, err = measureGraphQL(ctx, c, m)
	if err != nil {
		return failf("GraphQL latencies: %v", err)
	}
	r.noteSkew("GraphQL list", r.GQL.ds.list)
	r.noteSkew("GraphQL graph", r.GQL.ds.graph)
	r.noteSkew("GraphQL search by name", r.GQL.ds.search)
	r.noteSkew("GraphQL search for common words", r.GQL.ds.common)
	if r.GQL.Truncated > 0 {
		r.notef("graph(depth: %d) answered truncated: true for %d of %d components (the node cap)", gqlGraphDepth, r.GQL.Truncated, timedRequests)
	}
	b.logf("  graphql: list %s, graph depth %d %s (nodes mean %.0f, %d–%d), search %s (totalCount mean %.1f), common words %s (%s)",
		pctl(r.GQL.List), gqlGraphDepth, pctl(r.GQL.Graph), r.GQL.NodesMean, r.GQL.NodesMin, r.GQL.NodesMax,
		pctl(r.GQL.Search), r.GQL.SearchTotalMean, pctl(r.GQL.Common), r.GQL.Words())

	// Touch a file, five times.
	t = time.Now()
	r.Touches, err = touchFiles(ctx, c, catDir)
	r.TouchPhase = time.Since(t)
	if err != nil {
		return failf("touch: %v", err)
	}
	for _, tr := range r.Touches {
		if tr.Vanished > 0 {
			r.notef("while %s was rewritten, GET by-name answered 404 for %s on %d of %d polls", tr.File, tr.Entity, tr.Vanished, tr.Polls)
		}
	}
	if n, err := c.count(ctx); err != nil {
		return failf("count after touch: %v", err)
	} else if n != m.N+len(extra) {
		r.notef("after the touch phase the catalog holds %d entities, not %d", n, m.N+len(extra))
	}

	r.HWMEnd = p.peakRSS()
	r.RSSEnd, _ = procStatus(p.pid, "VmRSS")
	r.DBBytes = rdb.size()
	r.LogWarn, r.LogError = p.logWarnings()
	if r.LogError > 0 {
		r.notef("pont logged %d error line(s), last lines:\n%s", r.LogError, p.logTail(5))
	}

	t = time.Now()
	stopErr := p.stop(stopTimeout)
	r.Stop, r.StopExit = time.Since(t), exitDescription(stopErr)
	if stopErr != nil {
		r.notef("pont did not stop cleanly on SIGTERM: %s", r.StopExit)
	}
	return r
}

// noteSkew notes latencies whose p95 is far above their p50, with the
// medians of the first and last quarter of the requests: slow requests at
// the start point at work still going on after the ingest.
func (r *runResult) noteSkew(what string, ds []time.Duration) {
	st := percentiles(ds)
	if len(ds) < 8 || st.P95 < 5*st.P50 {
		return
	}
	q := len(ds) / 4
	first, last := percentiles(ds[:q]), percentiles(ds[len(ds)-q:])
	r.notef("%s latencies are skewed (p50 %s ms, p95 %s ms): the median of the first %d timed requests is %s ms, of the last %d %s ms",
		what, millis(st.P50), millis(st.P95), q, millis(first.P50), q, millis(last.P50))
}

// pctl is p50/p95/p99 in ms, for the log.
func pctl(st stats) string {
	return fmt.Sprintf("%s/%s/%s ms", millis(st.P50), millis(st.P95), millis(st.P99))
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// crashResult is the crash-recovery check of one database.
type crashResult struct {
	N           int
	DB          string
	KillAfter   time.Duration // after the POST
	Basis       string        // what KillAfter was derived from
	CountAtKill int           // totalItems just before the kill
	Killed      string
	Ready       time.Duration // second pont: start to /readyz
	Converged   time.Duration // second pont: start to the first fully-correct verification
	Conv        *convergence
	OK          bool
	Error       string
	Notes       []string
}

// crashRecovery registers the catalog, kills pont with SIGKILL about 40%
// into the expected ingest, starts a new pont on the same database and
// waits until the catalog is exactly right.
func (b *bench) crashRecovery(ctx context.Context, db string, m *manifest, prior *runResult) *crashResult {
	c := &crashResult{N: m.N, DB: db}
	switch {
	case prior != nil && !prior.Failed() && prior.Ingest() > 0:
		c.KillAfter = max(200*time.Millisecond, prior.Ingest()*4/10)
		c.Basis = fmt.Sprintf("40%% of this bench's %.1f s ingest", prior.Ingest().Seconds())
	case db == "sqlite":
		c.KillAfter, c.Basis = 3*time.Second, "fixed (no ingest measured in this bench)"
	default:
		c.KillAfter, c.Basis = 4500*time.Millisecond, "fixed (no ingest measured in this bench)"
	}
	tag := fmt.Sprintf("crash_%s_%d", db, m.N)
	dir, catDir, rdb, _, cleanup, err := b.prepare(ctx, db, m, tag)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	defer cleanup()
	cfg := pontConfig{driver: rdb.driver, dsn: rdb.dsn, rootDir: catDir, filePath: filepath.Join(dir, "pont.yaml")}
	logPath := filepath.Join(dir, "pont.log")
	p1, err := startPont(ctx, b.opts.pont, cfg, logPath, readyTimeout)
	if err != nil {
		c.Error = "starting pont: " + err.Error()
		return c
	}
	defer p1.kill()
	a1 := newAPI(p1.base)
	t0 := time.Now()
	generated, err := a1.registerLocation(ctx, filepath.Join(catDir, "location.yaml"))
	if err != nil {
		c.Error = "registering the location: " + err.Error()
		return c
	}
	extra, err := expectedExtras(catDir, generated)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	// Read the count shortly before the kill, so the request is not in
	// flight when the process dies.
	time.Sleep(max(0, c.KillAfter-time.Since(t0)-100*time.Millisecond))
	c.CountAtKill, err = a1.count(ctx)
	if err != nil {
		c.Error = "count before the kill: " + err.Error()
		return c
	}
	time.Sleep(max(0, c.KillAfter-time.Since(t0)))
	c.KillAfter = time.Since(t0)
	p1.kill()
	a1.close()
	c.Killed = exitDescription(p1.waitErr)
	b.logf("  killed pont (%s) %.2fs after the POST with %d of %d entities stored", c.Killed, c.KillAfter.Seconds(), c.CountAtKill, m.N+len(extra))
	switch {
	case c.CountAtKill >= m.N+len(extra):
		c.Notes = append(c.Notes, "the catalog already held every entity when pont was killed: the kill came late")
	case c.CountAtKill <= 1:
		c.Notes = append(c.Notes, fmt.Sprintf("no catalog entity was readable when pont was killed (totalItems %d): Pont had not committed any of the location's entities yet, so this checks the refresh at restart more than the recovery of a partly written catalog", c.CountAtKill))
	}

	// A new pont on the same database.
	f, _ := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o600)
	if f != nil {
		fmt.Fprintln(f, "---- pontbench: restart after SIGKILL ----")
		f.Close()
	}
	p2, err := startPont(ctx, b.opts.pont, cfg, logPath, readyTimeout)
	if err != nil {
		c.Error = "restarting pont: " + err.Error()
		return c
	}
	defer p2.kill()
	c.Ready = time.Since(p2.started)
	a2 := newAPI(p2.base)
	defer a2.close()
	c.Conv, err = a2.waitConverged(ctx, m, extra, generated, p2.started, b.opts.timeout)
	if err != nil {
		c.Error = fmt.Sprintf("after the restart: %v\npont log (last lines):\n%s", err, p2.logTail(15))
		return c
	}
	c.Converged = c.Conv.Took
	if c.Conv.Last.DupRelations > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d relations served twice on the same entity", c.Conv.Last.DupRelations))
	}
	if _, errs := p2.logWarnings(); errs > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("pont logged %d error line(s) after the restart, last lines:\n%s", errs, p2.logTail(5)))
	}
	if err := p2.stop(stopTimeout); err != nil {
		c.Notes = append(c.Notes, "the restarted pont did not stop cleanly: "+exitDescription(err))
	}
	c.OK = true
	return c
}
