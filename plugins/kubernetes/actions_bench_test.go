package kubernetes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/pont-dev/pont/ent/actionrun"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	pontdb "github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/internal/testutil/benchdoc"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
	"github.com/pont-dev/pont/plugins/runner"
)

// TestMain lets the actions benchmark use pgtest's shared PostgreSQL
// container (and terminates it afterwards); the package's tests use SQLite.
func TestMain(m *testing.M) { pgtest.Main(m) }

// BenchmarkActions is issue 6's benchmark, run once (-benchtime 1x) by
// `make bench` with PONT_BENCH_ACTIONS=1 (it skips without it, so that
// `go test -bench .` does not start it by accident). On each database
// (PostgreSQL, then SQLite; BENCH_DB narrows it), with a fresh real
// kube-apiserver enforcing RBAC, it runs kubernetes.create-environment
// through plugins/runner and the internal/jobs queue, acting as the
// requester by impersonation, as Pont serves it:
//
//   - burst: BENCH_ACTIONS_N runs (default 500), submitted at once from
//     20 goroutines; first submit to all succeeded, runs/s, queue latency
//     (the run's started_at − created_at), Go heap and RSS;
//   - paced: runs submitted at BENCH_ACTIONS_RATE per second (default 25)
//     for 20 s, each on its own goroutine (open loop); queue latency.
//
// BENCH_ACTIONS_WORKERS sets the queue's workers (default: Pont's, 10).
// PONT_BENCH_CPUPROFILE=FILE writes a CPU profile of each burst to
// FILE.postgres and FILE.sqlite. With PONT_BENCH_REPORT=FILE it writes
// its section of that markdown file.
func BenchmarkActions(b *testing.B) {
	if os.Getenv("PONT_BENCH_ACTIONS") != "1" {
		b.Skip("set PONT_BENCH_ACTIONS=1 to run the actions benchmark (make bench does)")
	}
	o := actionsBenchOptions{N: 500, Rate: 25, PacedFor: 20 * time.Second, Submitters: 20}
	if v := os.Getenv("BENCH_ACTIONS_N"); v != "" {
		o.N, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("BENCH_ACTIONS_RATE"); v != "" {
		o.Rate, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("BENCH_ACTIONS_WORKERS"); v != "" {
		o.Workers, _ = strconv.Atoi(v)
	}
	if o.N <= 0 || o.Rate <= 0 {
		b.Fatal("BENCH_ACTIONS_N and BENCH_ACTIONS_RATE must be positive numbers")
	}
	dbs := []string{"postgres", "sqlite"}
	if v := os.Getenv("BENCH_DB"); v != "" {
		dbs = slices.DeleteFunc(dbs, func(d string) bool { return !strings.Contains(v, d) })
	}
	rep := actionsReport{Opts: o, At: time.Now(), Load: benchdoc.LoadAverage(), Results: map[string]*actionsResult{}}
	for _, name := range dbs {
		b.Run(name, func(b *testing.B) {
			var cfg pontdb.Config
			if name == "postgres" {
				// Pont's default pool (database.maxOpenConns: 10).
				cfg = pontdb.Config{Driver: "postgres", DSN: pgtest.DSN(b), MaxOpenConns: 10}
			} else {
				cfg = dbtest.SQLite(b)
			}
			res := benchActionsOn(b, name, cfg, o)
			rep.Results[name] = res
			b.ReportMetric(res.Burst.total().Seconds(), "burst-s")
			b.ReportMetric(res.Burst.rate(), "runs/s")
			b.ReportMetric(ms(pct(res.Burst.Queue, 99)), "burst-queue-p99-ms")
			b.ReportMetric(ms(pct(res.Paced.Queue, 50)), "paced-queue-p50-ms")
			b.ReportMetric(ms(pct(res.Paced.Queue, 99)), "paced-queue-p99-ms")
			b.ReportMetric(float64(res.BurstMem.PeakHeap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(res.BurstMem.PeakRSS)/(1<<20), "peak-rss-MiB")
		})
	}
	rep.Took = time.Since(rep.At)
	rep.LoadAfter = benchdoc.LoadAverage()
	if out := os.Getenv("PONT_BENCH_REPORT"); out != "" && len(rep.Results) > 0 {
		if err := benchdoc.Splice(out, actionsBegin, actionsEnd, "## Actions (issue 6)\n\n"+rep.markdown()); err != nil {
			b.Fatal(err)
		}
	}
}

type actionsBenchOptions struct {
	N          int           // runs in the burst
	Submitters int           // goroutines submitting the burst
	Rate       float64       // paced arrivals per second
	PacedFor   time.Duration // how long the paced phase submits
	Workers    int           // the queue's (0: jobs.DefaultWorkers)
}

// actionsRig is one database's Pont: catalog, plugin, queue and runner, on
// its own cluster.
type actionsRig struct {
	env     *graphtest.Env
	plugin  *kubernetes.Plugin
	runs    *runner.Runner
	alice   context.Context
	cluster string
}

const benchComponent = "component:default/svc-0-0"

func benchActionsOn(b *testing.B, name string, cfg pontdb.Config, o actionsBenchOptions) *actionsResult {
	res := &actionsResult{DB: name, Load: benchdoc.LoadAverage(), Workers: o.Workers}
	if res.Workers <= 0 {
		res.Workers = jobs.DefaultWorkers
	}
	c := kubetest.Start(b, kubetest.Options{RBAC: true, Users: map[string][]string{"pont": nil}})
	c.InstallCRDs(b, "postgresql.cnpg.io_clusters.yaml")
	benchRBAC(b, c)

	env := graphtest.New(b, cfg, graphtest.Options{Teams: 1, ComponentsPerTeam: 1})
	if name == "postgres" {
		_ = env.DB.SQL.QueryRow(`SELECT current_setting('server_version')`).Scan(&res.Version)
	}
	ca := b.TempDir() + "/ca.crt"
	if err := os.WriteFile(ca, c.CAData, 0o600); err != nil {
		b.Fatal(err)
	}
	// Pont's defaults, but for the cluster.
	kcfg := config.Default().Kubernetes
	kcfg.Clusters = []config.KubernetesCluster{{Name: "dev-eu", Server: c.URL, CAFile: ca, Token: "token-pont"}}
	p := startPluginOn(b, kcfg, env.Store)

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := jobs.Open(context.Background(), jobs.Options{DB: env.DB, Log: log.With("component", "jobs"), Workers: o.Workers})
	if err != nil {
		b.Fatal(err)
	}
	reg := plugins.NewRegistry()
	if err := p.RegisterActions(reg); err != nil {
		b.Fatal(err)
	}
	runs := runner.New(runner.Options{Registry: reg, Client: env.DB.Ent, Queue: q, Store: env.Store, Policy: env.Policy,
		Audit: env.Audit, Log: log.With("component", "actions")})
	if err := q.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	r := &actionsRig{env: env, plugin: p, runs: runs, cluster: "dev-eu",
		alice: principal.NewContext(context.Background(), env.Principal("team-0-a", "team-0"))}

	// Warm-up, not counted: connections, the first plans of statements, the
	// first fetches of River (past its leader election).
	time.Sleep(2 * time.Second)
	r.phase(b, "w", 10, 1, 0)
	r.waitInventory(b, 10)

	runtime.GC()
	res.HeapBefore, res.RSSBefore = heapInuse(), procStatus("VmRSS")
	profile := ""
	if path := os.Getenv("PONT_BENCH_CPUPROFILE"); path != "" {
		profile = path + "." + name
	}
	stopProfile := benchdoc.CPUProfile(b, profile) // the burst only
	mem := startMemSampler()
	cpu0, kids0 := cpuTime(), childrenCPU()
	busy0, all0 := machineCPU()
	res.Burst = r.phase(b, "b", o.N, o.Submitters, 0)
	res.BurstCPU, res.BurstKidsCPU = cpuTime()-cpu0, childrenCPU()-kids0
	if busy, all := machineCPU(); all > all0 {
		res.BurstBusy = (busy - busy0) / (all - all0)
	}
	res.BurstMem = mem.stop()
	stopProfile()
	b.Logf("%s burst: %d runs in %s (%.1f runs/s; steady %.1f/s); submit took %s; queue latency p50 %s p99 %s; run p50 %s; heap peak %.0f MiB, RSS peak %.0f MiB",
		name, o.N, res.Burst.total().Round(time.Millisecond), res.Burst.rate(), res.Burst.steadyRate(), res.Burst.SubmitDone.Round(time.Millisecond),
		pct(res.Burst.Queue, 50), pct(res.Burst.Queue, 99), pct(res.Burst.RunTime, 50),
		float64(res.BurstMem.PeakHeap)/(1<<20), float64(res.BurstMem.PeakRSS)/(1<<20))

	// The burst's namespaces reach the inventory and the catalog before
	// the paced phase starts, so that it does not pay for them.
	r.waitInventory(b, 10+o.N)
	time.Sleep(2 * time.Second)

	paced := int(o.Rate * o.PacedFor.Seconds())
	mem = startMemSampler()
	res.Paced = r.phase(b, "p", paced, 0, time.Duration(float64(time.Second)/o.Rate))
	res.PacedMem = mem.stop()
	b.Logf("%s paced: %d runs at %.1f/s (asked %.0f/s) in %s; queue latency p50 %s p99 %s max %s; run p50 %s",
		name, paced, res.Paced.arrivalRate(), o.Rate, res.Paced.total().Round(time.Millisecond),
		pct(res.Paced.Queue, 50), pct(res.Paced.Queue, 99), pct(res.Paced.Queue, 100), pct(res.Paced.RunTime, 50))

	r.waitInventory(b, 10+o.N+paced)
	runtime.GC()
	res.HeapAfter = heapInuse()
	return res
}

// phaseResult is what one phase measured. Times come from Pont's own
// rows: created_at (Submit recorded the run), started_at (a worker began
// it), finished_at.
type phaseResult struct {
	N          int
	First      time.Time       // the first Submit was called
	SubmitDone time.Duration   // from First to the last Submit returned
	Submit     []time.Duration // each Submit call
	Done       time.Duration   // from First to the last finished_at
	Queue      []time.Duration // started_at − created_at
	RunTime    []time.Duration // finished_at − started_at
	Finished   []time.Time     // finished_at, sorted
	Created    []time.Time     // created_at, sorted
}

func (p phaseResult) total() time.Duration { return p.Done }

func (p phaseResult) rate() float64 { return float64(p.N) / p.Done.Seconds() }

// steadyRate counts runs finishing between the 10th and the 90th
// percentile of finish times: the rate without start-up and drain.
func (p phaseResult) steadyRate() float64 {
	lo, hi := p.N/10, p.N*9/10
	if hi <= lo {
		return p.rate()
	}
	return float64(hi-lo) / p.Finished[hi].Sub(p.Finished[lo]).Seconds()
}

// arrivalRate is the rate at which runs were recorded.
func (p phaseResult) arrivalRate() float64 {
	if p.N < 2 {
		return 0
	}
	return float64(p.N-1) / p.Created[p.N-1].Sub(p.Created[0]).Seconds()
}

// phase submits n create-environment runs with environments prefix000…:
// from submitters goroutines as fast as they go (gap 0), or one every gap,
// each on its own goroutine. It waits until all have finished and fails
// the benchmark if one did not succeed.
func (r *actionsRig) phase(b *testing.B, prefix string, n, submitters int, gap time.Duration) phaseResult {
	b.Helper()
	res := phaseResult{N: n, Submit: make([]time.Duration, n)}
	ids := make([]string, n)
	var failed atomic.Int32
	submit := func(i int) {
		in := fmt.Sprintf(`{"cluster":%q,"environment":"%s%03d","ttlHours":24}`, r.cluster, prefix, i)
		t0 := time.Now()
		run, err := r.runs.Submit(r.alice, "kubernetes.create-environment", benchComponent, json.RawMessage(in))
		res.Submit[i] = time.Since(t0)
		if err != nil {
			if failed.Add(1) <= 3 {
				b.Errorf("submit %s%03d: %v", prefix, i, err)
			}
			return
		}
		ids[i] = run.ID
	}
	res.First = time.Now()
	var wg sync.WaitGroup
	if gap == 0 {
		var next atomic.Int64
		for range submitters {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
					submit(i)
				}
			})
		}
	} else {
		tick := time.NewTicker(gap)
		for i := range n {
			if i > 0 {
				<-tick.C
			}
			wg.Go(func() { submit(i) })
		}
		tick.Stop()
	}
	wg.Wait()
	res.SubmitDone = time.Since(res.First)
	if failed.Load() > 0 {
		b.Fatalf("%d of %d submits failed", failed.Load(), n)
	}

	ctx := principal.SystemContext(context.Background())
	client := r.env.DB.Ent
	deadline := time.Now().Add(10 * time.Minute)
	for {
		finished, err := client.ActionRun.Query().Where(actionrun.IDIn(ids...),
			actionrun.StateIn(actionrun.StateSucceeded, actionrun.StateFailed, actionrun.StateCancelled)).Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if finished == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d runs finished after 10 minutes", finished, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows, err := client.ActionRun.Query().Where(actionrun.IDIn(ids...)).All(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var last time.Time
	for _, row := range rows {
		if row.State != actionrun.StateSucceeded || row.StartedAt == nil || row.FinishedAt == nil {
			b.Fatalf("run %s (%s): %s after %d attempts: %s", row.ID, row.Input, row.State, row.Attempts, row.Error)
		}
		if row.Attempts != 1 {
			b.Logf("run %s took %d attempts (last error %q)", row.ID, row.Attempts, row.Error)
		}
		res.Queue = append(res.Queue, row.StartedAt.Sub(row.CreatedAt))
		res.RunTime = append(res.RunTime, row.FinishedAt.Sub(*row.StartedAt))
		res.Finished = append(res.Finished, *row.FinishedAt)
		res.Created = append(res.Created, row.CreatedAt)
		if row.FinishedAt.After(last) {
			last = *row.FinishedAt
		}
	}
	slices.SortFunc(res.Finished, func(a, b time.Time) int { return a.Compare(b) })
	slices.SortFunc(res.Created, func(a, b time.Time) int { return a.Compare(b) })
	res.Done = last.Sub(res.First)
	return res
}

// waitInventory waits until the plugin has seen n environments on the
// cluster (the namespaces the runs created).
func (r *actionsRig) waitInventory(b *testing.B, n int) {
	b.Helper()
	wait.For(b, 5*time.Minute, fmt.Sprintf("%d environments in the inventory", n), func() bool {
		return len(r.plugin.Environments(plugins.EnvironmentFilter{Cluster: r.cluster})) >= n
	})
}

// benchRBAC: the roles of deploy/kubernetes, as TestActionsOnARealCluster
// has them: Pont may read and impersonate, and the example self-service
// role is bound to the requester, team-0-a.
func benchRBAC(b testing.TB, c *kubetest.Cluster) {
	b.Helper()
	c.ApplyClusterRoles(b, "../../deploy/kubernetes/rbac-read.yaml")
	c.ApplyClusterRoles(b, "../../deploy/kubernetes/rbac-actions.yaml")
	c.BindClusterRole(b, "pont-read", rbacv1.UserKind, "pont")
	c.BindClusterRole(b, "pont-impersonator", rbacv1.UserKind, "pont")
	c.BindClusterRole(b, "pont-self-service", rbacv1.UserKind, "team-0-a")
}

// --- memory ------------------------------------------------------------------

type memPeak struct {
	PeakHeap uint64 // the Go heap in use (runtime.MemStats.HeapInuse), highest sample
	PeakRSS  int64  // the process's resident set, highest of the samples and VmHWM
}

type memSampler struct {
	quit chan struct{}
	done chan memPeak
}

// startMemSampler resets the kernel's peak RSS of this process and samples
// the heap and RSS every 50 ms until stop.
func startMemSampler() *memSampler {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // VmHWM := VmRSS
	s := &memSampler{quit: make(chan struct{}), done: make(chan memPeak, 1)}
	go func() {
		var m memPeak
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			m.PeakHeap = max(m.PeakHeap, heapInuse())
			m.PeakRSS = max(m.PeakRSS, procStatus("VmRSS"))
			select {
			case <-s.quit:
				m.PeakRSS = max(m.PeakRSS, procStatus("VmHWM"))
				s.done <- m
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) stop() memPeak {
	close(s.quit)
	return <-s.done
}

func heapInuse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// procStatus reads a size (kB) from /proc/self/status, in bytes; 0 if it
// cannot.
func procStatus(key string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == key {
			if f := strings.Fields(v); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childrenCPU is the CPU time used so far by this process's running
// children: the kube-apiserver and etcd of kubetest.
func childrenCPU() time.Duration {
	self := strconv.Itoa(os.Getpid())
	dirs, _ := os.ReadDir("/proc")
	var ticks int64
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		data, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime: fields 4, 14 and 15, counted
		// after the command name, which may hold spaces.
		i := strings.LastIndexByte(string(data), ')')
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 13 || f[1] != self {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// machineCPU is the machine's busy and total CPU time so far, in ticks
// (the first line of /proc/stat).
func machineCPU() (busy, all float64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		if i >= 8 { // guest time is counted in user time already
			break
		}
		all += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, all
}

// --- the report --------------------------------------------------------------

// The actions section of docs/benchmarks.md lies between these markers.
const (
	actionsBegin = "<!-- actions-benchmark: written by BenchmarkActions -->"
	actionsEnd   = "<!-- /actions-benchmark -->"
)

type actionsResult struct {
	DB, Version, Load      string
	Workers                int
	Burst, Paced           phaseResult
	BurstCPU, BurstKidsCPU time.Duration
	BurstBusy              float64 // the machine's CPU busy, 0 to 1
	BurstMem, PacedMem     memPeak
	HeapBefore, HeapAfter  uint64
	RSSBefore              int64
}

type actionsReport struct {
	Opts            actionsBenchOptions
	At              time.Time
	Took            time.Duration
	Load, LoadAfter string
	Results         map[string]*actionsResult
}

func (r actionsReport) markdown() string {
	var cols []*actionsResult
	for _, name := range []string{"postgres", "sqlite"} {
		if res := r.Results[name]; res != nil {
			cols = append(cols, res)
		}
	}
	title := map[string]string{"postgres": "PostgreSQL", "sqlite": "SQLite"}
	mib := func(n int64) string { return fmt.Sprintf("%.0f", float64(n)/(1<<20)) }
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	var pg *actionsResult
	if res := r.Results["postgres"]; res != nil {
		pg = res
	}
	paced := int(r.Opts.Rate * r.Opts.PacedFor.Seconds())

	var b strings.Builder
	fmt.Fprintf(&b, "%d `kubernetes.create-environment` runs on one real kube-apiserver (RBAC on; Pont acting as the requester by impersonation), "+
		"through plugins/runner and the internal/jobs queue (%d workers), on PostgreSQL and on SQLite. Written by `make bench` "+
		"(`BenchmarkActions` in plugins/kubernetes; `BENCH_ONLY=actions make bench` runs only it). Run on %s, %d cores, %s; "+
		"the benchmark took %.0f s; load average %s before, %s after.\n\n",
		r.Opts.N, cols[0].Workers, r.At.UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.Version(), r.Took.Seconds(), r.Load, r.LoadAfter)

	b.WriteString("| Measure |")
	for _, c := range cols {
		b.WriteString(" " + title[c.DB] + " |")
	}
	b.WriteString(" Target (PostgreSQL) | |\n|---|")
	for range cols {
		b.WriteString("---:|")
	}
	b.WriteString("---:|---|\n")
	row := func(measure string, cell func(c *actionsResult) string, target, verdict string) {
		b.WriteString("| " + measure + " |")
		for _, c := range cols {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString(" " + target + " | " + verdict + " |\n")
	}
	verdict := func(ok func(*actionsResult) bool) string {
		if pg == nil {
			return ""
		}
		return met(ok(pg))
	}
	row(fmt.Sprintf("**burst**: %d submitted at once, first submit to all succeeded", r.Opts.N),
		func(c *actionsResult) string { return fmt.Sprintf("%.2f s", c.Burst.total().Seconds()) }, "—", "")
	row("sustained runs/s over the burst (N ÷ the time above)",
		func(c *actionsResult) string { return fmt.Sprintf("%.1f", c.Burst.rate()) }, "≥ 20",
		verdict(func(c *actionsResult) bool { return c.Burst.rate() >= 20 }))
	row("the same between the 10th and 90th percentile of finish times",
		func(c *actionsResult) string { return fmt.Sprintf("%.1f", c.Burst.steadyRate()) }, "—", "")
	row(fmt.Sprintf("submitting the %d (%d goroutines): all submitted after; one Submit p50 / p99", r.Opts.N, r.Opts.Submitters),
		func(c *actionsResult) string {
			return fmt.Sprintf("%.2f s; %.0f / %.0f ms", c.Burst.SubmitDone.Seconds(), ms(pct(c.Burst.Submit, 50)), ms(pct(c.Burst.Submit, 99)))
		}, "—", "")
	row("burst queue latency (started − created), p50 / p99, includes waiting for a free worker",
		func(c *actionsResult) string {
			return fmt.Sprintf("%.0f / %.0f ms", ms(pct(c.Burst.Queue, 50)), ms(pct(c.Burst.Queue, 99)))
		}, "(≤ 500 ms p99)", verdict(func(c *actionsResult) bool { return pct(c.Burst.Queue, 99) <= 500*time.Millisecond })+" (see below)")
	row("burst: one run, started to finished, p50 / p99",
		func(c *actionsResult) string {
			return fmt.Sprintf("%.0f / %.0f ms", ms(pct(c.Burst.RunTime, 50)), ms(pct(c.Burst.RunTime, 99)))
		}, "—", "")
	row(fmt.Sprintf("**paced**: %d runs, one every %.0f ms for %.0f s: arrival rate recorded / completion rate",
		paced, 1000/r.Opts.Rate, r.Opts.PacedFor.Seconds()),
		func(c *actionsResult) string {
			return fmt.Sprintf("%.1f / %.1f per s", c.Paced.arrivalRate(), float64(c.Paced.N-1)/c.Paced.Finished[c.Paced.N-1].Sub(c.Paced.Finished[0]).Seconds())
		}, "—", "")
	row("paced queue latency (started − created), p50",
		func(c *actionsResult) string { return fmt.Sprintf("%.0f ms", ms(pct(c.Paced.Queue, 50))) }, "—", "")
	row("paced queue latency, p99 (max)",
		func(c *actionsResult) string {
			return fmt.Sprintf("%.0f ms (%.0f)", ms(pct(c.Paced.Queue, 99)), ms(pct(c.Paced.Queue, 100)))
		}, "≤ 500 ms", verdict(func(c *actionsResult) bool { return pct(c.Paced.Queue, 99) <= 500*time.Millisecond }))
	row("paced: one run, started to finished, p50 / p99",
		func(c *actionsResult) string {
			return fmt.Sprintf("%.0f / %.0f ms", ms(pct(c.Paced.RunTime, 50)), ms(pct(c.Paced.RunTime, 99)))
		}, "—", "")
	row("Go heap in use (MiB): before the burst / peak in the burst / peak paced / at the end, after a GC",
		func(c *actionsResult) string {
			return fmt.Sprintf("%s / %s / %s / %s", mib(int64(c.HeapBefore)), mib(int64(c.BurstMem.PeakHeap)), mib(int64(c.PacedMem.PeakHeap)), mib(int64(c.HeapAfter)))
		}, "—", "")
	row("process RSS (MiB): before the burst / peak in the burst / peak paced",
		func(c *actionsResult) string {
			return fmt.Sprintf("%s / %s / %s", mib(c.RSSBefore), mib(c.BurstMem.PeakRSS), mib(c.PacedMem.PeakRSS))
		}, "—", "")
	row("CPU time of the Pont process during the burst (2 cores = 2 s per s)",
		func(c *actionsResult) string {
			return fmt.Sprintf("%.1f s (%.0f ms per run)", c.BurstCPU.Seconds(), ms(c.BurstCPU)/float64(c.Burst.N))
		}, "—", "")
	row("CPU time during the burst: kube-apiserver and etcd; the machine busy",
		func(c *actionsResult) string {
			return fmt.Sprintf("%.1f s; %.0f %%", c.BurstKidsCPU.Seconds(), 100*c.BurstBusy)
		}, "—", "")
	row("load average when the column began",
		func(c *actionsResult) string { return c.Load }, "", "")

	pgVersion := "PostgreSQL"
	if pg != nil && pg.Version != "" {
		pgVersion = "PostgreSQL " + strings.Fields(pg.Version)[0]
	}
	fmt.Fprintf(&b, `
The targets of issue 6 are PostgreSQL's; SQLite is shown beside it. How it is measured: each column
gets a fresh kube-apiserver with its etcd (internal/testutil/kubetest, --authorization-mode=RBAC)
holding the roles of deploy/kubernetes: Pont's read role and its right to impersonate
(rbac-read.yaml, rbac-actions.yaml), and the example self-service role bound to the requester; a
fresh catalog; the Kubernetes plugin with Pont's default
configuration; the queue with Pont's defaults (%d workers, River's own pool of at most 10
connections) and the runner. %s runs in pgtest's container on 127.0.0.1 with Pont's default pool
of 10 connections; SQLite is a file with Pont's pool of 4. Everything but kube-apiserver, etcd and
PostgreSQL runs in the benchmark's process: its heap, RSS and CPU are Pont's, plus the benchmark's
own small share. Each run is a whole `+"`runner.Submit`"+` as the GraphQL mutation calls it (input
schema, policy, a dry-run plan on the cluster as the requester, the run recorded and queued), then
a worker's server-side apply, as the requester, of the namespace, its quota, limits, network
policies and RoleBinding. Every run must succeed at its first attempt; ten uncounted warm-up runs
come first.

The times are read from the rows Pont keeps: *created* is when Submit recorded the run (after its
plan), *started* when a worker set it running, *finished* when it was recorded succeeded. **Queue
latency** is started − created. In the **burst**, all %d runs are submitted at once (%d goroutines
calling Submit as fast as it returns), so nearly all of them wait for one of the %d workers: at any
throughput T the last run cannot start much before N ÷ T after the first, so the burst's queue
latency measures the backlog draining, not the queue, and no number of runs per second that this
machine could do would bring a 500-run backlog's p99 under 500 ms. It is shown as measured. The
**paced** phase is the fair reading of the latency target: runs arrive at a steady %.0f per second
(one every %.0f ms for %.0f s, each Submit on its own goroutine, open loop), above the throughput
target, so a run waits only for the queue to notice it and, when several are busy, for a worker.
Between the phases the benchmark waits until the burst's namespaces are in the plugin's inventory.

The machine's other work shares the two cores (the load average and the busy share say how much):
during a burst the benchmark's process, kube-apiserver with etcd, PostgreSQL and whatever else runs
on the machine compete for them, and the throughput is the machine's as much as Pont's.
PONT_BENCH_CPUPROFILE=FILE writes a CPU profile of each burst (FILE.postgres, FILE.sqlite).
`, cols[0].Workers, pgVersion, r.Opts.N, r.Opts.Submitters, cols[0].Workers, r.Opts.Rate, 1000/r.Opts.Rate, r.Opts.PacedFor.Seconds())
	return b.String()
}
