package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// report is everything docs/benchmarks.md shows.
type report struct {
	Command   string
	Generator string
	Timeout   time.Duration
	Machine   machine
	Postgres  pgInfo
	Sizes     []int
	DBs       []string
	Runs      []*runResult
	Crashes   []*crashResult
	Errors    []string
	Total     time.Duration
	LoadAfter string
}

func newReport(o options) *report {
	return &report{Command: o.command, Generator: o.generator, Timeout: o.timeout, Machine: describeMachine(o.pont), DBs: o.dbs}
}

func (r *report) run(n int, db string) *runResult {
	for _, x := range r.Runs {
		if x.N == n && x.DB == db {
			return x
		}
	}
	return nil
}

// baseline is Backstage's figures: Ingest to ByName from issue 3
// (catalog-backend 4.0.5 on PostgreSQL 15, same machine kind); Graph and
// Search from issue 4 (p50 in ms against Backstage's REST API on the same
// 50 000-entity catalog; empty when the issue quotes none).
type baseline struct {
	N                         int
	Ingest, RSS, List, ByName string
	Graph, GraphTrips, Search string
}

var baselines = []baseline{
	{1000, "7.6", "308", "—", "—", "", "", ""},
	{10000, "51.5", "414", "7.3", "0.80", "", "", ""},
	{50000, "250", "840", "24.7", "0.76", "26", "4", "27.6"},
}

// targetN is the size the targets of issues 3 and 4 apply to.
const targetN = 50000

type targetRow struct {
	What  string
	Cells []targetCell
}

type targetCell struct {
	Limit, Value, Met string
}

// Targets compares the runs at targetN with the targets of issues 3 and 4.
func (r *report) Targets() []targetRow {
	type target struct {
		what  string
		limit func(db string) float64
		unit  string
		value func(*runResult) float64
	}
	fixed := func(v float64) func(string) float64 { return func(string) float64 { return v } }
	targets := []target{
		{"Ingest, POST to every entity and relation served", func(db string) float64 {
			if db == "postgres" {
				return 15
			}
			return 10
		}, "s", func(x *runResult) float64 { return x.Ingest().Seconds() }},
		{"Peak RSS", fixed(300), "MiB", func(x *runResult) float64 { return float64(x.HWMEnd) / 1024 }},
		{"List p50", fixed(3), "ms", func(x *runResult) float64 { return ms(x.List.P50) }},
		{"By-name p50", fixed(0.3), "ms", func(x *runResult) float64 { return ms(x.ByName.P50) }},
		{"Touched file visible (max of 5)", fixed(1), "s", func(x *runResult) float64 { return x.TouchMax().Seconds() }},
		{"GraphQL list p50 (issue 4)", fixed(5), "ms", func(x *runResult) float64 { return ms(x.GQL.List.P50) }},
		{"GraphQL graph depth 3 p50 (issue 4)", fixed(10), "ms", func(x *runResult) float64 { return ms(x.GQL.Graph.P50) }},
		{"GraphQL search p50, by component name (issue 4)", fixed(3), "ms", func(x *runResult) float64 { return ms(x.GQL.Search.P50) }},
	}
	var rows []targetRow
	for _, t := range targets {
		row := targetRow{What: t.what}
		for _, db := range r.DBs {
			cell := targetCell{Limit: fmt.Sprintf("≤ %s %s", trim(t.limit(db)), t.unit)}
			x := r.run(targetN, db)
			switch {
			case x == nil:
				cell.Value, cell.Met = "not run", "—"
			case x.Failed() || x.GQL == nil:
				cell.Value, cell.Met = "run failed", "missed"
			default:
				v := t.value(x)
				cell.Value = fmt.Sprintf("%s %s", trim(round(v)), t.unit)
				cell.Met = "missed"
				if v <= t.limit(db) {
					cell.Met = "met"
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	return rows
}

// Notes gathers every odd thing the runs saw.
func (r *report) Notes() []string {
	var out []string
	for _, x := range r.Runs {
		for _, n := range x.Notes {
			out = append(out, fmt.Sprintf("N=%d, %s: %s", x.N, dbName(x.DB), n))
		}
	}
	for _, c := range r.Crashes {
		for _, n := range c.Notes {
			out = append(out, fmt.Sprintf("crash recovery N=%d, %s: %s", c.N, dbName(c.DB), n))
		}
	}
	return out
}

// Failures are the failed runs and checks.
func (r *report) Failures() []string {
	out := append([]string(nil), r.Errors...)
	for _, x := range r.Runs {
		if x.Failed() {
			out = append(out, fmt.Sprintf("N=%d, %s: %s", x.N, dbName(x.DB), x.Error))
		}
	}
	for _, c := range r.Crashes {
		if !c.OK {
			out = append(out, fmt.Sprintf("crash recovery N=%d, %s: %s", c.N, dbName(c.DB), c.Error))
		}
	}
	return out
}

// AnyTruncated tells whether a graph answer of any run was truncated.
func (r *report) AnyTruncated() bool {
	for _, x := range r.Runs {
		if x.GQL != nil && x.GQL.Truncated > 0 {
			return true
		}
	}
	return false
}

func (r *report) CommonWords() []string { return gqlCommonWords }

func (r *report) Partial() bool {
	if len(r.DBs) != 2 || len(r.Sizes) != len(baselines) {
		return true
	}
	for i, b := range baselines {
		if r.Sizes[i] != b.N {
			return true
		}
	}
	return false
}

func (r *report) Baseline(n int) *baseline {
	for i := range baselines {
		if baselines[i].N == n {
			return &baselines[i]
		}
	}
	return nil
}

func (r *report) RunsOf(n int) []*runResult {
	var out []*runResult
	for _, x := range r.Runs {
		if x.N == n {
			out = append(out, x)
		}
	}
	return out
}

// GraphQLBaseline is the baseline at N with issue 4's figures, or nil.
func (r *report) GraphQLBaseline(n int) *baseline {
	if b := r.Baseline(n); b != nil && b.Graph != "" {
		return b
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// round keeps three significant digits, at most.
func round(v float64) float64 {
	switch {
	case v >= 100:
		return float64(int64(v + 0.5))
	case v >= 10:
		return float64(int64(v*10+0.5)) / 10
	case v >= 1:
		return float64(int64(v*100+0.5)) / 100
	default:
		return float64(int64(v*1000+0.5)) / 1000
	}
}

func trim(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", v), ".0") }

func dbName(db string) string {
	if db == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func secs(d time.Duration) string   { return trim(round(d.Seconds())) }
func millis(d time.Duration) string { return trim(round(ms(d))) }
func mib(kib int64) string          { return trim(round(float64(kib) / 1024)) }

var funcs = template.FuncMap{
	"db":      dbName,
	"num":     thousands,
	"s":       secs,
	"ms":      millis,
	"mib":     mib,
	"f0":      func(v float64) string { return trim(round(v)) },
	"bmib":    func(b int64) string { return trim(round(float64(b) / (1 << 20))) },
	"minutes": func(d time.Duration) string { return trim(round(d.Minutes())) },
	"lines": func(s string) string { // a multi-line error as an indented block in a list item
		return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
	},
}

var reportTemplate = template.Must(template.New("benchmarks.md").Funcs(funcs).Parse(`# Benchmarks

<!-- Generated by cmd/pontbench (make bench): edit the template in
cmd/pontbench/report.go, not this file. -->

Pont's catalog on the synthetic catalogs of issue 3, beside Backstage's
figures from issues 3 and 4, measured with ` + "`{{.Command}}`" + `.
{{- if .Partial}} **Partial run** (sizes {{range $i, $n := .Sizes}}{{if $i}}, {{end}}{{num $n}}{{end}}; {{range $i, $d := .DBs}}{{if $i}} and {{end}}{{db $d}}{{end}}): ` + "`make bench`" + ` measures 1 000, 10 000 and 50 000 entities on SQLite and PostgreSQL.{{end}}

- Machine: {{.Machine.Nproc}} cores (` + "`nproc`" + `){{if .Machine.CPU}}, {{.Machine.CPU}}{{end}}, {{.Machine.MemTotal}} memory, {{.Machine.Kernel}}
- Go: {{.Machine.GoVersion}}; {{.Machine.Pont}}
- Commit: {{.Machine.Commit}}{{if .Machine.Dirty}} (with uncommitted changes){{end}}; run on {{.Machine.Date}}; the whole bench took {{s .Total}} s; load average {{.Machine.Load}} before, {{.LoadAfter}} after
{{- if .Postgres.Version}}
- PostgreSQL: {{.Postgres.Version}}, image ` + "`{{.Postgres.Image}}`" + ` (host networking, 127.0.0.1, data on the container's disk, not tmpfs), started with ` + "`{{.Postgres.Flags}}`" + `: {{.Postgres.Settings}}
{{- end}}
- Input: ` + "`generate.js N DIR`" + ` (generator {{.Generator}}), registered with ` + "`POST /api/catalog/locations {\"type\":\"file\",\"target\":\"DIR/location.yaml\"}`" + `; the catalog then holds N + 2 entities (the Location of location.yaml and the one Pont generates for the registered location)

## Results

| N | Database | Ingest (s) | Peak RSS (MiB), after ingest / at end | List p50 / p95 / p99 (ms) | By-name p50 / p95 / p99 (ms) | HTTP floor p50 (ms) | Touch to visible, median / max (s) |
|---:|---|---:|---:|---:|---:|---:|---:|
{{- range $n := .Sizes}}
{{- range $r := $.RunsOf $n}}
{{- if $r.Failed}}
| {{num $n}} | {{db $r.DB}} | **failed** (see below) | | | | | |
{{- else}}
| {{num $n}} | {{db $r.DB}} | {{s $r.Ingest}} | {{mib $r.HWMIngest}} / {{mib $r.HWMEnd}} | {{ms $r.List.P50}} / {{ms $r.List.P95}} / {{ms $r.List.P99}} | {{ms $r.ByName.P50}} / {{ms $r.ByName.P95}} / {{ms $r.ByName.P99}} | {{ms $r.Floor.P50}} | {{s $r.TouchMedian}} / {{s $r.TouchMax}} |
{{- end}}
{{- end}}
{{- with $.Baseline $n}}
| {{num $n}} | *Backstage 4.0.5, PostgreSQL 15* | *{{.Ingest}}* | *{{.RSS}}* | *{{.List}}* | *{{.ByName}}* | — | — |
{{- end}}
{{- end}}

How each figure is taken, for every N and database, each on a fresh ` + "`bin/pont serve`" + ` process
(configuration written by the driver: a new SQLite file or a new PostgreSQL database,
` + "`catalog.files.roots`" + ` the run's copy of the catalog, every kind allowed, ` + "`refreshInterval: 10m`" + `,
` + "`log.level: warn`" + `):

- **Ingest**: seconds from sending the POST until the end of the first complete
  verification that passes; nothing is subtracted. The driver polls
  ` + "`GET /entities/by-query?limit=1`" + ` (at intervals of a twentieth of the time elapsed, 50 to 500 ms) until ` + "`totalItems`" + ` reaches N + 2,
  then pages through ` + "`GET /entities/by-query?limit=1000&fields=kind,metadata.namespace,metadata.name,relations`" + `
  and compares every entity's relations, as a set of "type targetRef", with the
  generator's ` + "`expectedRelations`" + `; it repeats until all match ({{minutes .Timeout}} min at most).
- **Peak RSS**: the larger of VmHWM and VmRSS of the pont process in /proc, read every
  20 ms, up to convergence and to the end (after the query and touch phases); the
  kernel's RSS counters are approximate, and VmHWM alone was seen to read a little
  lower at the end than after the ingest.
- **List** and **by-name**: 200 sequential ` + "`GET /entities/by-query?filter=kind=component&limit=50`" + `, then 200
  ` + "`GET /entities/by-name/component/default/NAME`" + ` over names spread evenly through the manifest,
  each after 20 uncounted warm-up requests, on one keep-alive connection; client-side
  time to the last byte of the body; nearest-rank percentiles.
- **HTTP floor**: 200 ` + "`GET /healthz`" + ` the same way, just before by-name: a request that does
  nothing, so what it costs is the HTTP round trip between two processes on this machine,
  which every by-name figure includes.
- **Touch to visible**: five ` + "`repos/repo-*.yaml`" + ` files, one after the other, rewritten in place
  with a new ` + "`metadata.description`" + ` for their first Component; seconds until
  ` + "`GET /entities/by-name`" + ` serves it, polled every 5 ms.

## GraphQL (issue 4)

| N | Database | List p50 / p95 / p99 (ms) | Graph depth 3 p50 / p95 / p99 (ms) | Graph nodes, mean (min–max); edges, mean | Search by name p50 / p95 / p99 (ms) | Search hits (totalCount), mean | Search for a common word p50 / p95 / p99 (ms) | Its hits (totalCount) |
|---:|---|---:|---:|---:|---:|---:|---:|---|
{{- range $n := .Sizes}}
{{- range $r := $.RunsOf $n}}
{{- if or $r.Failed (not $r.GQL)}}
| {{num $n}} | {{db $r.DB}} | **failed** (see below) | | | | | | |
{{- else}}
{{- with $r.GQL}}
| {{num $n}} | {{db $r.DB}} | {{ms .List.P50}} / {{ms .List.P95}} / {{ms .List.P99}} | {{ms .Graph.P50}} / {{ms .Graph.P95}} / {{ms .Graph.P99}} | {{f0 .NodesMean}} ({{num .NodesMin}}–{{num .NodesMax}}){{if .Truncated}}, **truncated {{.Truncated}}×**{{end}}; {{f0 .EdgesMean}} | {{ms .Search.P50}} / {{ms .Search.P95}} / {{ms .Search.P99}} | {{f0 .SearchTotalMean}} | {{ms .Common.P50}} / {{ms .Common.P95}} / {{ms .Common.P99}} | {{.Words}} |
{{- end}}
{{- end}}
{{- end}}
{{- with $.GraphQLBaseline $n}}
| {{num $n}} | *Backstage's REST API (issue 4's figures, p50 only)* | — | *{{.Graph}}* ({{.GraphTrips}} round trips) | — | *{{.Search}}* (substring scan) | — | — | — |
{{- end}}
{{- end}}

How it was measured, in the same run and on the same ` + "`pont serve`" + ` process as the REST figures,
right after by-name and before the touch phase: each query is a
` + "`POST /api/graphql`" + ` with ` + "`{\"query\": …, \"variables\": …}`" + `, 200 timed requests after 20
uncounted warm-up ones, sequential, on one keep-alive connection, with no credentials (the bench's
pont has no OIDC configured, so a loopback caller is the local admin); client-side time to the last
byte of the body; nearest-rank percentiles. Every answer, warm-up included, must be HTTP 200 without
` + "`errors`" + ` and have the expected shape, checked outside the timing:

- **List**: 50 edges, each a Component with a ` + "`ref`" + `, an ` + "`owner`" + ` and a ` + "`system`" + ` with their ` + "`ref`" + `, and a ` + "`providesApis`" + ` list:

  ` + "```graphql" + `
  ` + gqlListQuery + `
  ` + "```" + `
- **Graph depth 3**: ` + "`$ref`" + ` cycles over 200 components spread evenly through the generator's
  manifest (` + "`component:default/NAME`" + `; the warm-up uses 20 others). The root must be the first
  node, no node served twice, every edge between served nodes. The node and edge counts are the
  means over the timed answers; ` + "`truncated`" + ` is asked for only to see whether the walk hit the node
  cap (` + "`graph.DefaultLimits().MaxGraphNodes`" + `, 5 000; ` + "`graphql.maxGraphDepth`" + ` is 4):
  {{if .AnyTruncated}}it did (see the table){{else}}it never did{{end}}.

  ` + "```graphql" + `
  ` + gqlGraphQuery + `
  ` + "```" + `
- **Search by name**: ` + "`$q`" + ` is the name of one of the same 200 components (such as ` + "`svc-000123`" + `),
  which must be among the hits served; the hits column is the mean ` + "`totalCount`" + `. The target of
  issue 4 applies to this row.
- **Search for a common word**: ` + "`$q`" + ` cycles over the six languages the generator writes into every
  Component's description and tags ({{range $i, $w := .CommonWords}}{{if $i}}, {{end}}` + "`{{$w}}`" + `{{end}}): thousands of
  hits at N = {{num 50000}}, ranked, counted and the first 20 served; the column lists each word's
  ` + "`totalCount`" + `. Both searches send:

  ` + "```graphql" + `
  ` + gqlSearchQuery + `
  ` + "```" + `

Backstage's figures are those quoted in issue 4, measured on the same 50 000-entity catalog
against Backstage's REST API, which has no single request for either: a depth-3 neighbourhood
takes 4 round trips (26 ms p50 in all), a search is a substring scan (27.6 ms p50; the issue
does not say for which words, so it is shown beside the search by name). Backstage has no GraphQL
list to compare: its REST list is in the table above.

## Targets of issues 3 and 4 at N = {{num 50000}}

| Target |{{range .DBs}} {{db .}}: limit | measured | |{{end}}
|---|{{range .DBs}}---|---:|---|{{end}}
{{- range .Targets}}
| {{.What}} |{{range .Cells}} {{.Limit}} | {{.Value}} | **{{.Met}}** |{{end}}
{{- end}}

## Crash recovery
{{if .Crashes}}
At the largest N: start pont, POST the location, ` + "`kill -9`" + ` the process about 40% into the
ingest, start a new pont on the same database (it refreshes every registered location
at start) and wait until the catalog holds exactly the N + 2 entities with every
relation correct (the same verification as above).

| Database | N | Killed after (s) | Entities stored at the kill | Restart to ready (s) | Restart to converged (s) | Result |
|---|---:|---:|---:|---:|---:|---|
{{- range .Crashes}}
| {{db .DB}} | {{num .N}} | {{s .KillAfter}} ({{.Basis}}) | {{num .CountAtKill}} of {{num .N}} + 2 | {{if .OK}}{{s .Ready}}{{else}}—{{end}} | {{if .OK}}{{s .Converged}}{{else}}—{{end}} | {{if .OK}}**converged**, exact{{else}}**failed** (see below){{end}} |
{{- end}}
{{else}}
Not run{{if .Partial}} in this partial run{{end}}.
{{end}}
## Where the time goes

Wall time per phase of each run, from the driver's side (the driver runs on the same
{{.Machine.Nproc}} cores as pont{{if .Postgres.Version}} and PostgreSQL{{end}}). "Count reached" is when
` + "`totalItems`" + ` first read N + 2; the ingest figure adds the verifications after it. The
database size is the SQLite file with its WAL, or ` + "`pg_database_size`" + `.

| N | Database | Copy catalog (s) | Start to ready (s) | POST (ms) | Count reached N + 2 (s) | Verifications × last (s) | pont CPU to converge (s) | List phase (s) | By-name phase (s) | GraphQL phase (s) | Touches, in order (s) | Stop (s) | Database size (MiB) | Run (s) | Load average at start |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|
{{- range .Runs}}
{{- if .Conv}}
| {{num .N}} | {{db .DB}} | {{s .Copy}} | {{s .StartReady}} | {{ms .Post}} | {{s .Conv.CountReached}} | {{.Conv.Verifications}} × {{if .Conv.Last}}{{s .Conv.Last.Took}}{{end}} | {{s .IngestCPU}} | {{s .ListPhase}} | {{s .ByNamePhase}} | {{if .GQL}}{{s .GQL.Phase}}{{else}}—{{end}} | {{range $i, $t := .Touches}}{{if $i}}, {{end}}{{s $t.Visible}}{{end}} | {{s .Stop}} | {{bmib .DBBytes}} | {{s .Wall}} | {{.Load}} |
{{- end}}
{{- end}}

## Why the ingest targets are missed (profile)

Profiled with ` + "`pont ingest --cpuprofile cpu.prof --config bench.yaml DIR/location.yaml`" + `
(the same engine and store as serve; ` + "`go tool pprof -top -cum bin/pont cpu.prof`" + `) on
the 50 000-entity catalog, SQLite, at commit 4c97797: 18.7 s wall, 22.8 s of CPU on the
2 cores.

- The single writer is the critical path: ` + "`entstore.(*applier).flush`" + ` takes 13.0 s
  of the 18.7 s. Of that, inserting 1.17 million rows into the clustered search
  index takes 7.1 s, the 331 000 relation rows with their three indexes 4.4 s,
  the 50 002 entity rows 1.3 s. SQLite's B-tree inserts
  (` + "`sqlite3BtreeInsert`" + `) are 6.8 s of it, and writing pages to the WAL
  (` + "`pwrite`" + ` syscalls) 4.1 s.
- Reading, parsing, validating and preparing the 16 056 files
  (` + "`catalog.(*crawl).readFile`" + `) costs 6.3 s of CPU, but on the other core, overlapped with
  the writer.
- What was done before this profile: statement journals avoided (75 s → 25 s), a
  compact clustered search table with integer entity keys (402 → 272 MB of
  database), a larger page cache for the writer only, rows sorted in index order.
  What is left is the volume: Backstage's search-table model (every key and value
  of every entity indexed, relations in both directions) written in one
  transaction. Getting to 10 s needs fewer rows: for instance answering
  ` + "`key.item=true`" + ` filters (a fifth of the rows) from the array rows at query time, and
  the relations table keyed on integers like the search table.
- PostgreSQL reaches the count at about the same time as SQLite; its search rows
  and relations go in with COPY. The rest of its ingest figure is the verification
  paging (51 pages of 1 000 entities with their relations), slower than on SQLite.
- By-name on PostgreSQL is one statement (the entity with its relations gathered
  as JSON), so its p50 is one loopback round trip to PostgreSQL plus the query;
  it was not profiled further.

{{if .Failures}}
## Failures
{{range .Failures}}
- {{lines .}}
{{- end}}
{{end}}
{{- if .Notes}}
## Observations
{{range .Notes}}
- {{lines .}}
{{- end}}
{{end}}`))

// writeReport renders the report to path (atomically).
func writeReport(path string, r *report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchmarks-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := reportTemplate.Execute(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// The table printed as the bench goes.
const rowFormat = "%-7s %-10s %9s %15s %22s %22s %14s  %s\n"

func printHeader(w io.Writer) {
	fmt.Fprintf(w, rowFormat, "N", "database", "ingest s", "RSS MiB", "list p50/95/99 ms", "by-name p50/95/99 ms", "touch med/max", "")
}

func printRow(w io.Writer, r *runResult) {
	if r.Failed() {
		first, _, _ := strings.Cut(r.Error, "\n")
		fmt.Fprintf(w, rowFormat, fmt.Sprint(r.N), r.DB, "FAILED", "", "", "", "", first)
		return
	}
	fmt.Fprintf(w, rowFormat, fmt.Sprint(r.N), r.DB,
		secs(r.Ingest()),
		fmt.Sprintf("%s / %s", mib(r.HWMIngest), mib(r.HWMEnd)),
		fmt.Sprintf("%s/%s/%s", millis(r.List.P50), millis(r.List.P95), millis(r.List.P99)),
		fmt.Sprintf("%s/%s/%s", millis(r.ByName.P50), millis(r.ByName.P95), millis(r.ByName.P99)),
		fmt.Sprintf("%s/%s s", secs(r.TouchMedian()), secs(r.TouchMax())),
		fmt.Sprintf("(%d verification(s); count reached %.2fs)", r.Conv.Verifications, r.Conv.CountReached.Seconds()))
}

func printCrash(w io.Writer, c *crashResult) {
	if !c.OK {
		first, _, _ := strings.Cut(c.Error, "\n")
		fmt.Fprintf(w, "crash   %-10s N=%d killed after %.2fs with %d stored: FAILED: %s\n", c.DB, c.N, c.KillAfter.Seconds(), c.CountAtKill, first)
		return
	}
	fmt.Fprintf(w, "crash   %-10s N=%d killed after %.2fs with %d stored; restart ready in %.2fs, converged in %.2fs (%d verification(s))\n",
		c.DB, c.N, c.KillAfter.Seconds(), c.CountAtKill, c.Ready.Seconds(), c.Converged.Seconds(), c.Conv.Verifications)
}
