package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river/rivertype"

	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/logbuf"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// forEachDB runs f on a migrated Pont database of each kind (PostgreSQL
// unless -short).
func forEachDB(t *testing.T, f func(t *testing.T, cfg database.Config, db *database.DB)) {
	for name, cfg := range dbtest.Configs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, cfg, dbtest.Open(t, cfg))
		})
	}
}

// open opens a queue on db, stopped at the end of the test; its log is
// shown when the test fails.
func open(t *testing.T, db *database.DB, o Options) (*Queue, *logbuf.Buffer) {
	t.Helper()
	logs := &logbuf.Buffer{}
	o.DB = db
	o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	q, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			t.Logf("queue log:\n%s", logs)
		}
	})
	return q, logs
}

func start(t *testing.T, q *Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, q *Queue, kind, payload string, o EnqueueOptions) int64 {
	t.Helper()
	id, err := q.Enqueue(context.Background(), kind, []byte(payload), o)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// rebind turns ? placeholders into PostgreSQL's $n.
func rebind(db *database.DB, query string) string {
	if db.Dialect != dialect.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func execSQL(ctx context.Context, db *database.DB, query string, args ...any) error {
	_, err := db.SQL.ExecContext(ctx, rebind(db, query), args...)
	return err
}

func mustExec(t *testing.T, db *database.DB, query string, args ...any) {
	t.Helper()
	if err := execSQL(context.Background(), db, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func count(t *testing.T, db *database.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRowContext(context.Background(), rebind(db, query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func jobRow(t *testing.T, q *Queue, id int64) *rivertype.JobRow {
	t.Helper()
	row, err := q.ctl.JobGet(context.Background(), id)
	if err != nil {
		t.Fatalf("job %d: %v", id, err)
	}
	return row
}

func waitState(t *testing.T, q *Queue, id int64, want rivertype.JobState, timeout time.Duration) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	wait.For(t, timeout, fmt.Sprintf("job %d to be %s", id, want), func() bool {
		row = jobRow(t, q, id)
		return row.State == want
	})
	return row
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

// 1. A job runs once, with its payload; a second enqueue with the same
// unique key returns the first job.
func TestEnqueueRunsOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, _ database.Config, db *database.DB) {
		q, _ := open(t, db, Options{})
		got := make(chan Job, 10)
		q.Register("test.echo", func(ctx context.Context, job Job) error {
			got <- job
			return nil
		})
		q.Register("test.other", func(context.Context, Job) error { return nil })
		if _, err := q.Enqueue(context.Background(), "test.unknown", nil, EnqueueOptions{}); err == nil {
			t.Fatal("an unregistered kind was enqueued")
		}
		if _, err := q.Enqueue(context.Background(), "test.echo", []byte("not json"), EnqueueOptions{}); err == nil {
			t.Fatal("a payload that is not JSON was enqueued")
		}

		payload := `{"run":42,"name":"deploy"}`
		id := enqueue(t, q, "test.echo", payload, EnqueueOptions{UniqueKey: "run-42"})
		if again := enqueue(t, q, "test.echo", `{"run":42,"name":"other"}`, EnqueueOptions{UniqueKey: "run-42"}); again != id {
			t.Fatalf("the second enqueue with the same unique key made job %d, want %d", again, id)
		}
		other := enqueue(t, q, "test.echo", `{"run":43}`, EnqueueOptions{UniqueKey: "run-43"})
		if other == id {
			t.Fatal("another unique key gave the same job")
		}
		plain := enqueue(t, q, "test.echo", "", EnqueueOptions{MaxAttempts: 3})
		start(t, q)

		seen := map[int64]Job{}
		for len(seen) < 3 {
			select {
			case j := <-got:
				if _, dup := seen[j.ID]; dup {
					t.Fatalf("job %d ran twice", j.ID)
				}
				seen[j.ID] = j
			case <-time.After(15 * time.Second):
				t.Fatalf("only %d of 3 jobs ran", len(seen))
			}
		}
		j := seen[id]
		if j.Kind != "test.echo" || !jsonEqual(j.Payload, []byte(payload)) || j.Attempt != 1 || j.MaxAttempts != 25 {
			t.Fatalf("job = %+v (payload %s)", j, j.Payload)
		}
		if p := seen[plain]; p.Payload != nil || p.MaxAttempts != 3 {
			t.Fatalf("plain job = %+v, want a nil payload and 3 attempts", p)
		}
		waitState(t, q, id, rivertype.JobStateCompleted, 10*time.Second)
		// Completed, the unique job still dedupes.
		if again := enqueue(t, q, "test.echo", payload, EnqueueOptions{UniqueKey: "run-42"}); again != id {
			t.Fatalf("an enqueue after completion made job %d, want %d", again, id)
		}
		// The same key under another kind is another job.
		if o := enqueue(t, q, "test.other", payload, EnqueueOptions{UniqueKey: "run-42"}); o == id {
			t.Fatal("the unique key was shared across kinds")
		}
		select {
		case j := <-got:
			t.Fatalf("job %d ran again", j.ID)
		case <-time.After(time.Second):
		}
	})
}

// 2. A transient error is retried, Permanent fails at once, Snooze comes
// back later without using up an attempt.
func TestRetryPermanentSnooze(t *testing.T) {
	forEachDB(t, func(t *testing.T, _ database.Config, db *database.DB) {
		q, _ := open(t, db, Options{})
		type run struct {
			job Job
			at  time.Time
		}
		runs := make(chan run, 20)
		q.Register("test.flaky", func(ctx context.Context, job Job) error {
			runs <- run{job, time.Now()}
			if job.Attempt == 1 {
				return errors.New("connection reset (transient)")
			}
			return nil
		})
		q.Register("test.permanent", func(ctx context.Context, job Job) error {
			runs <- run{job, time.Now()}
			return Permanent(errors.New("no such template"))
		})
		var snoozed atomic.Bool
		q.Register("test.snooze", func(ctx context.Context, job Job) error {
			runs <- run{job, time.Now()}
			if !snoozed.Swap(true) {
				return Snooze(time.Second)
			}
			return nil
		})
		flaky := enqueue(t, q, "test.flaky", `{}`, EnqueueOptions{})
		perm := enqueue(t, q, "test.permanent", `{}`, EnqueueOptions{})
		snooze := enqueue(t, q, "test.snooze", `{}`, EnqueueOptions{MaxAttempts: 1})
		start(t, q)

		byID := map[int64][]run{}
		deadline := time.After(30 * time.Second)
		for len(byID[flaky]) < 2 || len(byID[perm]) < 1 || len(byID[snooze]) < 2 {
			select {
			case r := <-runs:
				byID[r.job.ID] = append(byID[r.job.ID], r)
			case <-deadline:
				t.Fatalf("runs so far: flaky %d, permanent %d, snooze %d", len(byID[flaky]), len(byID[perm]), len(byID[snooze]))
			}
		}
		if f := byID[flaky]; f[0].job.Attempt != 1 || f[1].job.Attempt != 2 {
			t.Fatalf("flaky attempts %d, %d", f[0].job.Attempt, f[1].job.Attempt)
		}
		row := waitState(t, q, flaky, rivertype.JobStateCompleted, 10*time.Second)
		if len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "transient") {
			t.Fatalf("flaky errors %+v", row.Errors)
		}
		row = waitState(t, q, perm, rivertype.JobStateCancelled, 10*time.Second)
		if row.Attempt != 1 || len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "no such template") {
			t.Fatalf("permanent: attempt %d, errors %+v", row.Attempt, row.Errors)
		}
		s := byID[snooze]
		if d := s[1].at.Sub(s[0].at); d < 900*time.Millisecond {
			t.Fatalf("the snoozed job came back after %s, want 1s", d)
		}
		// MaxAttempts 1, and yet it ran twice: the snooze took no attempt.
		if s[0].job.Attempt != 1 || s[1].job.Attempt != 1 {
			t.Fatalf("snooze attempts %d, %d", s[0].job.Attempt, s[1].job.Attempt)
		}
		waitState(t, q, snooze, rivertype.JobStateCompleted, 10*time.Second)
		select {
		case r := <-runs:
			t.Fatalf("job %d (%s) ran once more", r.job.ID, r.job.Kind)
		case <-time.After(2 * time.Second): // past the 1 s backoff of a retry
		}
	})
}

// 3. A cancelled queued job never runs; a cancelled running job sees its
// context cancelled.
func TestCancel(t *testing.T) {
	forEachDB(t, func(t *testing.T, _ database.Config, db *database.DB) {
		q, _ := open(t, db, Options{})
		ran := make(chan int64, 10)
		q.Register("test.queued", func(ctx context.Context, job Job) error {
			ran <- job.ID
			return nil
		})
		started := make(chan int64, 1)
		cause := make(chan error, 1)
		q.Register("test.running", func(ctx context.Context, job Job) error {
			started <- job.ID
			select {
			case <-ctx.Done():
				cause <- context.Cause(ctx)
				return ctx.Err()
			case <-time.After(30 * time.Second):
				cause <- nil
				return nil
			}
		})

		cancelled := enqueue(t, q, "test.queued", `{"n":1}`, EnqueueOptions{})
		if err := q.Cancel(context.Background(), cancelled); err != nil {
			t.Fatal(err)
		}
		if err := q.Cancel(context.Background(), 1<<40); !errors.Is(err, ErrNotFound) {
			t.Fatalf("cancel of an unknown job: %v, want ErrNotFound", err)
		}
		start(t, q)
		// A job enqueued after the cancelled one, in the same queue: once
		// it has run, the cancelled one would have run too.
		marker := enqueue(t, q, "test.queued", `{"n":2}`, EnqueueOptions{})
		select {
		case id := <-ran:
			if id != marker {
				t.Fatalf("job %d ran, want only the marker %d", id, marker)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the marker job did not run")
		}
		if row := jobRow(t, q, cancelled); row.State != rivertype.JobStateCancelled || row.Attempt != 0 {
			t.Fatalf("cancelled job: state %s, attempt %d", row.State, row.Attempt)
		}

		running := enqueue(t, q, "test.running", `{}`, EnqueueOptions{})
		select {
		case <-started:
		case <-time.After(15 * time.Second):
			t.Fatal("the job did not start")
		}
		at := time.Now()
		if err := q.Cancel(context.Background(), running); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-cause:
			if !errors.Is(err, ErrCancelled) {
				t.Fatalf("the job's context ended with %v, want ErrCancelled", err)
			}
			t.Logf("running job's context cancelled %s after Cancel", time.Since(at).Round(time.Millisecond))
		case <-time.After(15 * time.Second):
			t.Fatal("the running job's context was not cancelled")
		}
		waitState(t, q, running, rivertype.JobStateCancelled, 10*time.Second)
		// Cancelling a finished job changes nothing.
		if err := q.Cancel(context.Background(), marker); err != nil {
			t.Fatal(err)
		}
		if row := jobRow(t, q, marker); row.State != rivertype.JobStateCompleted {
			t.Fatalf("the completed marker is now %s", row.State)
		}
	})
}

const (
	envHelper       = "PONT_JOBS_TEST_HELPER"
	envHelperDriver = "PONT_JOBS_TEST_HELPER_DRIVER"
	envHelperDSN    = "PONT_JOBS_TEST_HELPER_DSN"
	kindBlock       = "test.block"
	kill9Rescue     = 2 * time.Second
)

// TestHelperProcess is the process that TestKill9Rescue kills: it works the
// queue of the database it is given; its job records that it started, then
// blocks.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("the process killed by TestKill9Rescue")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, database.Config{Driver: os.Getenv(envHelperDriver), DSN: os.Getenv(envHelperDSN)})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(ctx, Options{DB: db, Log: slog.New(slog.NewTextHandler(os.Stderr, nil)), RescueAfter: kill9Rescue})
	if err != nil {
		t.Fatal(err)
	}
	q.Register(kindBlock, func(ctx context.Context, job Job) error {
		if err := execSQL(ctx, db, `INSERT INTO test_runs (job_id, attempt, who) VALUES (?, ?, 'child')`, job.ID, job.Attempt); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "helper: job %d attempt %d started; blocking\n", job.ID, job.Attempt)
		<-ctx.Done()
		return ctx.Err()
	})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Minute) // killed long before
	t.Fatal("helper: not killed")
}

// 4. A process killed (SIGKILL) in the middle of a job: another process
// runs the job to completion once more, after RescueAfter, never both at
// once.
func TestKill9Rescue(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 20 to 60 seconds")
	}
	forEachDB(t, func(t *testing.T, cfg database.Config, db *database.DB) {
		ctx := context.Background()
		mustExec(t, db, `CREATE TABLE test_runs (job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, who TEXT NOT NULL)`)
		q, _ := open(t, db, Options{RescueAfter: kill9Rescue})
		var running, maxRunning atomic.Int32
		done := make(chan Job, 4)
		q.Register(kindBlock, func(ctx context.Context, job Job) error {
			n := running.Add(1)
			defer running.Add(-1)
			if n > maxRunning.Load() {
				maxRunning.Store(n)
			}
			if err := execSQL(ctx, db, `INSERT INTO test_runs (job_id, attempt, who) VALUES (?, ?, 'parent')`, job.ID, job.Attempt); err != nil {
				return err
			}
			time.Sleep(200 * time.Millisecond) // a step that takes a while
			done <- job
			return nil
		})
		id := enqueue(t, q, kindBlock, `{"step":"provision"}`, EnqueueOptions{UniqueKey: "kill9"})

		var out logbuf.Buffer
		child := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		child.Env = append(os.Environ(), envHelper+"=1", envHelperDriver+"="+cfg.Driver, envHelperDSN+"="+cfg.DSN)
		child.Stdout, child.Stderr = &out, &out
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		killed := false
		defer func() {
			if !killed {
				_ = child.Process.Kill()
				_ = child.Wait()
			}
			if t.Failed() || os.Getenv("PONT_JOBS_SHOW_CHILD") == "1" {
				t.Logf("child's output:\n%s", out.String())
			}
		}()
		wait.For(t, 60*time.Second, "the child to start the job", func() bool {
			return count(t, db, `SELECT COUNT(*) FROM test_runs WHERE job_id = ? AND who = 'child'`, id) > 0
		})
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := child.Wait()
		killed = true
		if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("the child ended with %v, not by SIGKILL", err)
		}
		killedAt := time.Now()
		if row := jobRow(t, q, id); row.State != rivertype.JobStateRunning || row.Attempt != 1 {
			t.Fatalf("after the kill the job is %s, attempt %d; want running, 1", row.State, row.Attempt)
		}

		start(t, q)
		var j Job
		select {
		case j = <-done:
		case <-time.After(120 * time.Second):
			t.Fatal("the killed job was not run again")
		}
		t.Logf("kill -9 → attempt %d started after %s (RescueAfter %s)", j.Attempt, time.Since(killedAt).Round(100*time.Millisecond), kill9Rescue)
		row := waitState(t, q, id, rivertype.JobStateCompleted, 10*time.Second)
		if j.Attempt != 2 || row.Attempt != 2 {
			t.Fatalf("rerun attempt %d, row attempt %d; want 2", j.Attempt, row.Attempt)
		}
		if len(row.Errors) != 1 || !strings.Contains(row.Errors[0].Error, "Stuck job rescued") {
			t.Fatalf("errors %+v, want River's rescue", row.Errors)
		}
		time.Sleep(3 * time.Second) // nothing more comes
		rows, err := db.SQL.QueryContext(ctx, rebind(db, `SELECT attempt, who FROM test_runs WHERE job_id = ? ORDER BY attempt`), id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var runs []string
		for rows.Next() {
			var a int
			var who string
			if err := rows.Scan(&a, &who); err != nil {
				t.Fatal(err)
			}
			runs = append(runs, fmt.Sprintf("%d:%s", a, who))
		}
		if !slices.Equal(runs, []string{"1:child", "2:parent"}) {
			t.Fatalf("runs %v, want [1:child 2:parent]", runs)
		}
		if maxRunning.Load() != 1 {
			t.Fatalf("%d attempts ran at once in the parent", maxRunning.Load())
		}
	})
}

// The heartbeat: a job that runs for longer than RescueAfter in a live
// process is not rescued. River's rescuer runs every 30 s, so the job runs
// 40 s to be looked at. Without the heartbeat (the control), River rescues it
// and runs a second attempt alongside the first.
func TestLongJobIsNotRescued(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 45 seconds")
	}
	for _, heartbeat := range []bool{true, false} {
		name := "heartbeat"
		if !heartbeat {
			name = "control_without_heartbeat"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			forEachDB(t, func(t *testing.T, _ database.Config, db *database.DB) {
				q, _ := open(t, db, Options{RescueAfter: 2 * time.Second, noHeartbeat: !heartbeat})
				const runFor = 40 * time.Second
				type attempt struct {
					n     int
					cause error
				}
				attempts := make(chan attempt, 4)
				q.Register("test.long", func(ctx context.Context, job Job) error {
					select {
					case <-ctx.Done():
						attempts <- attempt{job.Attempt, context.Cause(ctx)}
						return ctx.Err()
					case <-time.After(runFor):
						attempts <- attempt{job.Attempt, nil}
						return nil
					}
				})
				id := enqueue(t, q, "test.long", `{}`, EnqueueOptions{})
				start(t, q)
				wait.For(t, 10*time.Second, "the job to start", func() bool { return jobRow(t, q, id).State == rivertype.JobStateRunning })
				first := *jobRow(t, q, id).AttemptedAt
				select {
				case a := <-attempts:
					if heartbeat {
						t.Fatalf("attempt %d ended early: %v", a.n, a.cause)
					}
				case <-time.After(3 * time.Second):
				}
				if heartbeat {
					if later := *jobRow(t, q, id).AttemptedAt; !later.After(first) {
						t.Fatalf("attempted_at %s did not move on from %s", later, first)
					}
					a := <-attempts
					if a.n != 1 || a.cause != nil {
						t.Fatalf("attempt %d ended with %v", a.n, a.cause)
					}
					row := waitState(t, q, id, rivertype.JobStateCompleted, 10*time.Second)
					if row.Attempt != 1 || len(row.Errors) != 0 {
						t.Fatalf("attempt %d, errors %+v", row.Attempt, row.Errors)
					}
					return
				}
				// Without a heartbeat River rescues the job and runs it
				// again while attempt 1 still runs.
				wait.For(t, 45*time.Second, "River to rescue the job", func() bool { return jobRow(t, q, id).Attempt >= 2 })
				select {
				case a := <-attempts:
					t.Fatalf("attempt %d ended (%v) before River rescued the job", a.n, a.cause)
				default:
				}
				t.Logf("without a heartbeat River rescued the job %s after it started and ran attempt %d while attempt 1 still ran",
					time.Since(first).Round(time.Second), jobRow(t, q, id).Attempt)
			})
		})
	}
}

// When a heartbeat finds the job taken over by another attempt (this
// process lost the database for longer than RescueAfter and the job was
// rescued), the attempt's context is cancelled with ErrLeaseLost, and its
// outcome is held back until the other attempt has finished, so that it
// does not overwrite the other's.
func TestLeaseLost(t *testing.T) {
	forEachDB(t, func(t *testing.T, _ database.Config, db *database.DB) {
		q, _ := open(t, db, Options{RescueAfter: time.Second})
		started := make(chan struct{}, 1)
		cause := make(chan error, 1)
		q.Register("test.lease", func(ctx context.Context, job Job) error {
			started <- struct{}{}
			<-ctx.Done()
			cause <- context.Cause(ctx)
			return errors.New("interrupted")
		})
		id := enqueue(t, q, "test.lease", `{}`, EnqueueOptions{})
		start(t, q)
		<-started
		// Another process has the job now, in attempt 2, and keeps its
		// heartbeat fresh (an hour ahead here, so that River's rescuer,
		// whose first round may come at any moment, leaves it alone).
		later := "now() + interval '1 hour'"
		if db.Dialect == dialect.SQLite {
			later = "datetime('now', '+1 hour', 'subsec')"
		}
		mustExec(t, db, `UPDATE river_job SET attempt = attempt + 1, attempted_at = `+later+` WHERE id = ?`, id)
		select {
		case err := <-cause:
			if !errors.Is(err, ErrLeaseLost) {
				t.Fatalf("cause %v, want ErrLeaseLost", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the attempt was not cancelled")
		}
		time.Sleep(time.Second)
		if row := jobRow(t, q, id); row.State != rivertype.JobStateRunning || row.Attempt != 2 || len(row.Errors) != 0 {
			t.Fatalf("the lost attempt changed the job: %s, attempt %d, errors %+v", row.State, row.Attempt, row.Errors)
		}
		// Attempt 2 completes; the lost attempt's outcome then changes
		// nothing.
		now := "now()"
		if db.Dialect == dialect.SQLite {
			now = "datetime('now', 'subsec')"
		}
		mustExec(t, db, `UPDATE river_job SET state = 'completed', finalized_at = `+now+` WHERE id = ?`, id)
		time.Sleep(time.Second)
		if row := jobRow(t, q, id); row.State != rivertype.JobStateCompleted || len(row.Errors) != 0 {
			t.Fatalf("after attempt 2 completed: %s, errors %+v", row.State, row.Errors)
		}
	})
}

// 5. Two queues (separate pools, as two processes would have) on one
// PostgreSQL database share 200 jobs; each runs exactly once.
func TestTwoQueuesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	cfg := database.Config{Driver: "postgres", DSN: pgtest.DSN(t), MaxOpenConns: 4}
	db := dbtest.Open(t, cfg)
	db2 := dbtest.Open(t, cfg) // a second pool: the second "process"
	mustExec(t, db, `CREATE TABLE test_once (job_id BIGINT PRIMARY KEY, who TEXT NOT NULL)`)
	var dups, errs atomic.Int32
	var total atomic.Int32
	byWho := [2]atomic.Int32{}
	work := func(who int, pdb *database.DB) WorkFunc {
		return func(ctx context.Context, job Job) error {
			time.Sleep(2 * time.Millisecond)
			if err := execSQL(ctx, pdb, `INSERT INTO test_once (job_id, who) VALUES (?, ?)`, job.ID, strconv.Itoa(who)); err != nil {
				if strings.Contains(err.Error(), "23505") || strings.Contains(err.Error(), "duplicate key") {
					dups.Add(1)
				} else {
					errs.Add(1)
				}
				return err
			}
			byWho[who].Add(1)
			total.Add(1)
			return nil
		}
	}
	q1, _ := open(t, db, Options{})
	q2, _ := open(t, db2, Options{})
	q1.Register("test.once", work(0, db))
	q2.Register("test.once", work(1, db2))
	start(t, q1)
	start(t, q2)
	const n = 200
	ids := make([]int64, 0, n)
	for i := range n {
		q := q1
		if i%2 == 1 {
			q = q2
		}
		ids = append(ids, enqueue(t, q, "test.once", fmt.Sprintf(`{"i":%d}`, i), EnqueueOptions{}))
	}
	wait.For(t, 60*time.Second, "200 completed jobs", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'completed'`) == n
	})
	time.Sleep(time.Second)
	if d, e := dups.Load(), errs.Load(); d != 0 || e != 0 {
		t.Fatalf("%d jobs ran twice, %d other errors", d, e)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM test_once`); got != n || total.Load() != n {
		t.Fatalf("%d rows, %d runs; want %d", got, total.Load(), n)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM river_job WHERE attempt <> 1`); got != 0 {
		t.Fatalf("%d jobs took more than one attempt", got)
	}
	t.Logf("queue 1 ran %d jobs, queue 2 ran %d", byWho[0].Load(), byWho[1].Load())
	if byWho[0].Load() == 0 || byWho[1].Load() == 0 {
		t.Fatalf("one queue did all the work (%d, %d)", byWho[0].Load(), byWho[1].Load())
	}
}

// 6. On SQLite, 200 jobs that write to Pont's tables, with 10 workers, jobs
// enqueued while others run and Pont writing beside them: all complete, none
// is retried, and "database is locked" never shows.
func TestSQLiteManyJobs(t *testing.T) {
	cfg := dbtest.SQLite(t)
	db := dbtest.Open(t, cfg)
	mustExec(t, db, `CREATE TABLE test_runs (job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, who TEXT NOT NULL)`)
	q, logs := open(t, db, Options{Workers: 10})
	var errs atomic.Int32
	q.Register("test.write", func(ctx context.Context, job Job) error {
		// A step's transaction in Pont's own pool: a read, then a write.
		err := func() error {
			tx, err := db.SQL.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM test_runs`).Scan(&n); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO test_runs (job_id, attempt, who) VALUES (?, ?, 'w')`, job.ID, job.Attempt); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			errs.Add(1)
			t.Errorf("step: %v", err)
		}
		return err
	})
	// Meanwhile Pont writes too (an ingest): 20 ms write transactions.
	ingestDone := make(chan struct{})
	var ingests atomic.Int32
	ingestCtx, stopIngest := context.WithCancel(context.Background())
	mustExec(t, db, `CREATE TABLE test_ingest (n INTEGER NOT NULL)`)
	go func() {
		defer close(ingestDone)
		for ingestCtx.Err() == nil {
			tx, err := db.SQL.BeginTx(ingestCtx, nil)
			if err != nil {
				if ingestCtx.Err() == nil {
					t.Errorf("ingest: %v", err)
				}
				return
			}
			if _, err := tx.ExecContext(ingestCtx, `INSERT INTO test_ingest (n) VALUES (1)`); err != nil && ingestCtx.Err() == nil {
				t.Errorf("ingest: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
			if err := tx.Commit(); err != nil && ingestCtx.Err() == nil {
				t.Errorf("ingest: %v", err)
			}
			ingests.Add(1)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	defer func() { stopIngest(); <-ingestDone }()
	start(t, q)
	const n = 200
	var wg sync.WaitGroup
	var enqErrs atomic.Int32
	for g := range 4 {
		wg.Go(func() {
			for i := range n / 4 {
				if _, err := q.Enqueue(context.Background(), "test.write", fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i), EnqueueOptions{}); err != nil {
					enqErrs.Add(1)
					t.Errorf("enqueue: %v", err)
				}
			}
		})
	}
	wg.Wait()
	began := time.Now()
	wait.For(t, 60*time.Second, "200 completed jobs", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'completed'`) == n
	})
	t.Logf("200 jobs completed %s after the last enqueue, beside %d ingest transactions", time.Since(began).Round(time.Millisecond), ingests.Load())
	if e := errs.Load(); e != 0 {
		t.Fatalf("%d steps failed", e)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM test_runs`); got != n {
		t.Fatalf("%d runs, want %d", got, n)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM river_job WHERE attempt <> 1`); got != 0 {
		t.Fatalf("%d jobs were retried", got)
	}
	if s := logs.String(); strings.Contains(s, "locked") || strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "level=ERROR") {
		t.Fatalf("the log shows errors:\n%s", s)
	}
}

// Processes that start together migrate River's tables once, one after
// another.
func TestOpenConcurrently(t *testing.T) {
	for name, cfg := range dbtest.Configs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var wg sync.WaitGroup
			var logs logbuf.Buffer
			ready := make(chan struct{})
			for range 4 {
				db := dbtest.Open(t, cfg) // a pool each, as processes would have
				wg.Go(func() {
					<-ready
					q, err := Open(context.Background(), Options{DB: db, Log: slog.New(slog.NewTextHandler(&logs, nil))})
					if err != nil {
						t.Error(err)
						return
					}
					_ = q.Stop(context.Background())
				})
			}
			close(ready)
			wg.Wait()
			db := dbtest.Open(t, cfg)
			if got := count(t, db, `SELECT COUNT(*) FROM river_migration`); got < 6 {
				t.Fatalf("%d River migrations recorded", got)
			}
			t.Logf("migrations: %d applied, %d retried", strings.Count(logs.String(), "Applied migration"), strings.Count(logs.String(), "trying again"))
		})
	}
}

// Stop lets a running job finish within its context, then cancels it.
func TestStop(t *testing.T) {
	forEachDB(t, func(t *testing.T, _ database.Config, db *database.DB) {
		q, err := Open(context.Background(), Options{DB: db, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{}, 2)
		finished := make(chan error, 2)
		q.Register("test.slow", func(ctx context.Context, job Job) error {
			started <- struct{}{}
			select {
			case <-time.After(500 * time.Millisecond):
				finished <- nil
				return nil
			case <-ctx.Done():
				finished <- ctx.Err()
				return ctx.Err()
			}
		})
		id := enqueue(t, q, "test.slow", `{}`, EnqueueOptions{})
		start(t, q)
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-finished; err != nil {
			t.Fatalf("the job was cut short: %v", err)
		}
		// Stop closed the queue's pool: look with another.
		q2, _ := open(t, db, Options{})
		q2.Register("test.slow", func(context.Context, Job) error { return nil })
		if row := jobRow(t, q2, id); row.State != rivertype.JobStateCompleted {
			t.Fatalf("state %s", row.State)
		}
		if _, err := q.Enqueue(context.Background(), "test.slow", nil, EnqueueOptions{}); err == nil {
			t.Fatal("enqueue after Stop worked")
		}
	})
}

// Every: two queues on one PostgreSQL database (two "processes") both ask
// for a periodic job; it runs about once per interval in all, not once per
// queue, because only River's leader enqueues it and each is unique per
// interval.
func TestEveryOnceAcrossQueues(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	cfg := database.Config{Driver: "postgres", DSN: pgtest.DSN(t), MaxOpenConns: 4}
	db, db2 := dbtest.Open(t, cfg), dbtest.Open(t, cfg)
	var ticks atomic.Int32
	tick := func(context.Context, Job) error { ticks.Add(1); return nil }
	const interval = time.Second
	q1, _ := open(t, db, Options{})
	q2, _ := open(t, db2, Options{})
	for _, q := range []*Queue{q1, q2} {
		q.Register("test.tick", tick)
		q.Every("test.tick", interval)
		start(t, q)
	}
	wait.For(t, 30*time.Second, "the first tick", func() bool { return ticks.Load() > 0 })
	first := ticks.Load()
	time.Sleep(6 * interval)
	n := ticks.Load() - first
	// Six intervals: about six ticks (one per interval at most, as each is
	// unique per interval), far from the twelve of two queues each ticking.
	if n < 3 || n > 8 {
		t.Fatalf("%d ticks in 6 intervals, want about 6", n)
	}
	t.Logf("%d ticks in 6 intervals", n)
}
