// Package jobs is Pont's durable job queue: jobs are rows in Pont's own
// database (SQLite or PostgreSQL), worked by River
// (github.com/riverqueue/river) in every Pont process that calls Start.
//
// # Delivery: at least once
//
// A job is inserted in its own transaction by Enqueue and survives restarts.
// It runs at least once, not exactly once: a process can be killed after a
// step's side effect and before River records the job as completed, and the
// job then runs again. Every work function must therefore be idempotent (or
// check, in Pont's tables, whether its effect already happened). A work
// function's outcome:
//
//   - nil: the job is completed.
//   - any other error (or a panic): the job is retried with River's backoff
//     (attempt⁴ seconds, ±10 % jitter: 1 s, 16 s, 81 s, …) until MaxAttempts
//     (River's default 25, about three weeks in all), then discarded.
//   - Permanent(err): the job fails at once, without retry (River's
//     "cancelled" state, with err recorded).
//   - Snooze(d): the job comes back after d without using up an attempt (for
//     waiting on something outside, like an operator's readiness).
//
// Several processes on one PostgreSQL database share the queue: a job is
// locked by one of them (SELECT … FOR UPDATE SKIP LOCKED), so each attempt runs
// in one process only.
//
// # A killed process (kill -9)
//
// While a job runs, its process refreshes the job's attempted_at in River's
// table every RescueAfter/4 (the heartbeat). A job whose heartbeat is older
// than Options.RescueAfter (default 1 minute) is taken as abandoned: River's
// rescuer, which runs in the leader process every 30 seconds, makes it
// retryable and it runs again (next attempt, after River's 1 s backoff) in
// any live process. From a kill -9 to the next attempt thus takes
// RescueAfter plus up to 30 s (the rescuer's round); when the killed process
// was River's leader, another must take over first, 15 to 20 s after the
// kill (the leader's lease). With the default, count 60 to 90 s; the tests,
// with RescueAfter 2 s, see 3 to 21 s.
//
// A job whose process lives is never rescued, however long it runs. If a
// process finds on a heartbeat that its job was rescued all the same (it
// could not reach the database, or was frozen, for longer than RescueAfter),
// the work function's context is cancelled with ErrLeaseLost, and the
// attempt's outcome is held back until the attempt that took the job over
// has finished: River records an outcome on the job's row whenever the row is
// running, whichever attempt runs it, and would otherwise end or retry the
// other attempt's run.
//
// River itself has no heartbeat: it rescues jobs whose attempt started
// longer ago than Config.RescueStuckJobsAfter, and it must not be less than
// the job timeout, so a job could not outlive RescueAfter. This package
// keeps attempted_at fresh (UPDATE river_job SET attempted_at = now() for its
// own running attempt) and tells River a job timeout of -1 (no deadline) when
// an attempt starts and of RescueAfter when the rescuer looks at a stale one.
// That relies on two details of River v0.51.1 (the rescuer compares
// attempted_at, and asks the worker's Timeout): TestLongJobIsNotRescued and
// TestKill9Rescue catch a River upgrade that changes them.
//
// All processes that share a database should Register the same kinds. A
// process fetches only the kinds it registered (FetchOnlyKnownKinds), so
// during a rolling deploy an old process leaves a new kind to the new ones;
// but if an old process is River's leader, it discards (fails for good) a
// stuck job of a kind it does not know.
//
// # SQLite
//
// River's SQLite driver requires one connection at a time: River runs many
// operations in parallel (fetching, completing, electing a leader, polling its
// notification table) and with several connections SQLite answers "database
// is locked (SQLITE_BUSY)". River's own advice is a pool of one connection
// (sql.DB.SetMaxOpenConns(1)). Pont's pool has several connections (readers
// go on in parallel under WAL), so River gets a pool of its own: one
// connection, opened on the same file as Pont's (found with PRAGMA
// database_list) with the same settings — WAL, busy_timeout 30 s so that a
// writer waits for the other pool's writer instead of failing, and
// _txlock=immediate so that every transaction takes the write lock at BEGIN
// and two writers never deadlock on a lock upgrade (an error busy_timeout
// cannot fix). River's operations are thus serialized in this process, and
// wait for Pont's own writes and vice versa. A Pont write transaction that
// holds the lock for longer than 30 s makes River's statements fail with
// SQLITE_BUSY meanwhile (River logs them and tries again). SQLite has no
// LISTEN/NOTIFY: River polls a notification table every 50 ms. Two processes
// on one SQLite file work (the kill -9 test does it) but are not a supported
// Pont deployment.
//
// # PostgreSQL
//
// River's pgx driver needs a pgxpool.Pool, while Pont's database is a
// database/sql pool: River gets a pool of its own (Options.DB's connection
// settings, at most 10 connections), which also keeps River's long-lived
// LISTEN connection out of Pont's pool. New jobs are announced with
// LISTEN/NOTIFY, so an idle process starts a job within milliseconds.
//
// River's tables (river_job, river_leader, river_queue, river_client,
// river_migration, …) live beside Pont's, and Open creates or upgrades them
// with River's migrations, each version in its own transaction. River's
// migrator takes no lock: on PostgreSQL an advisory lock makes processes
// that start together migrate one after another; on SQLite a process that
// loses the race on a version tries again.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/pont-dev/pont/internal/database"
)

// Defaults of Options.
const (
	DefaultWorkers     = 10
	DefaultRescueAfter = time.Minute

	// fetchCooldown is the least time between two fetches of a process; it
	// bounds throughput at about Workers jobs per fetchCooldown when jobs are
	// short, and so the queue latency of a burst. With 10 workers and
	// trivial jobs (TestMeasure, SQLite and PostgreSQL alike): River's
	// default, 100 ms, runs 100 jobs/s and 500 jobs enqueued at once start
	// within 4.7 s (p99); 20 ms, 430–490 jobs/s and 0.8–0.9 s; 5 ms,
	// 940–1680 jobs/s and 0.25 s. A fetch is one indexed UPDATE … SKIP
	// LOCKED, and runs that often only while jobs end that often.
	fetchCooldown = 5 * time.Millisecond
	// fetchPollInterval is the most time between two fetches. River's
	// default, 1 s, is too long: an insert notifies the workers at most
	// once per fetchCooldown (there is no trailing notification), so a job
	// inserted just after a notified one may wait for the next poll. An
	// idle process polls 5 times a second: one indexed query each.
	fetchPollInterval = 200 * time.Millisecond
)

var (
	// ErrCancelled is the cause (context.Cause) of a work function's
	// context when the job was cancelled with Cancel.
	ErrCancelled = rivertype.ErrJobCancelledRemotely
	// ErrLeaseLost is the cause of a work function's context when a
	// heartbeat found that the job is no longer this attempt's (it was
	// rescued, see the package comment).
	ErrLeaseLost = errors.New("jobs: the job was rescued from this process (heartbeat lost)")
	// ErrNotFound is returned by Cancel for an unknown job.
	ErrNotFound = rivertype.ErrNotFound
)

// Options configures a Queue.
type Options struct {
	// DB is Pont's database (SQLite or PostgreSQL). River's tables are
	// created in it; River gets a pool of its own on the same database.
	DB *database.DB
	// Log receives River's log (default slog.Default()).
	Log *slog.Logger
	// Workers is how many jobs run at once in this process (default 10).
	Workers int
	// RescueAfter: a running job whose heartbeat is older than this is
	// taken as abandoned (its process was killed) and retried (default 1
	// minute). The heartbeat runs every RescueAfter/4.
	RescueAfter time.Duration

	// Tuning for tests and measurements; zero means the defaults above.
	fetchCooldown, fetchPollInterval time.Duration
	noHeartbeat                      bool // for the test that shows why there is one
}

// Job is one attempt of a job, as given to a work function.
type Job struct {
	ID      int64
	Kind    string
	Payload []byte // as enqueued (JSON; PostgreSQL normalizes its spacing and key order)
	// Attempt counts from 1; a snooze does not use one up.
	Attempt     int
	MaxAttempts int
}

// EnqueueOptions are a job's options; the zero value is fine.
type EnqueueOptions struct {
	// UniqueKey, when set, makes Enqueue return the existing job of the same
	// kind and key instead of inserting another, as long as that job is
	// scheduled, available, running, retryable or completed (until River's
	// cleaner deletes completed jobs, after 24 hours); a cancelled or
	// discarded job does not count.
	UniqueKey string
	// MaxAttempts is how many times the job runs before it is discarded
	// (default 25, River's default).
	MaxAttempts int
	// RunAt delays the job (default: now).
	RunAt time.Time
}

// WorkFunc works one attempt of a job. Its context is cancelled when the job
// is cancelled (cause ErrCancelled), when its heartbeat is lost (cause
// ErrLeaseLost) and when Stop runs out of time.
type WorkFunc func(ctx context.Context, job Job) error

// Queue is Pont's durable queue. Its methods are safe for concurrent use.
type Queue struct {
	log         *slog.Logger
	workers     int
	rescueAfter time.Duration
	opts        Options

	eng    *engine
	ctl    riverClient // inserts and cancels; never started
	bundle *river.Workers

	mu       sync.Mutex // guards the fields below
	kinds    map[string]bool
	periodic []*river.PeriodicJob
	work     riverClient // working client, from Start
	started  bool
	stopping bool

	// life is held shared by Enqueue and Cancel, and exclusively to close
	// River's pool.
	life   sync.RWMutex
	closed bool
}

// riverClient is what this package uses of a *river.Client[TTx], whatever
// its driver's transaction type.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// Open gives River a pool on o.DB's database, runs River's migrations
// (idempotent, and safe when several processes start at once) and returns
// the queue. Register its kinds, then Enqueue and Start in any order; Stop
// releases it.
func Open(ctx context.Context, o Options) (*Queue, error) {
	if o.DB == nil {
		return nil, errors.New("jobs: Options.DB is required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.RescueAfter <= 0 {
		o.RescueAfter = DefaultRescueAfter
	}
	if o.fetchCooldown <= 0 {
		o.fetchCooldown = fetchCooldown
	}
	if o.fetchPollInterval <= 0 {
		o.fetchPollInterval = max(fetchPollInterval, o.fetchCooldown)
	}
	eng, err := openEngine(ctx, o)
	if err != nil {
		return nil, err
	}
	ctl, err := eng.newClient(&river.Config{
		Logger:        o.Log,
		FetchCooldown: o.fetchCooldown, // also the least time between two insert notifications
		// No Workers: this client only inserts and cancels; Enqueue
		// checks kinds against Register itself.
	})
	if err != nil {
		eng.close()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{
		log: o.Log, workers: o.Workers, rescueAfter: o.RescueAfter, opts: o,
		eng: eng, ctl: ctl, bundle: river.NewWorkers(), kinds: map[string]bool{},
	}, nil
}

// Register sets the work function of a kind of job ("action.run"). Call it
// for every kind before Start, in every process. Kinds are letters, digits
// and _-[]<>/.·:+ (River's rule). It panics on a second registration of a
// kind or after Start.
func (q *Queue) Register(kind string, work WorkFunc) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.stopping {
		panic("jobs: Register after Start or Stop")
	}
	if q.kinds[kind] {
		panic(fmt.Sprintf("jobs: kind %q registered twice", kind))
	}
	river.AddWorkerArgs(q.bundle, args{kind: kind}, &worker{q: q, fn: work})
	q.kinds[kind] = true
}

// Every enqueues a job of a registered kind every interval (and once at
// start), for work that must happen regularly but once across processes:
// River's leader alone enqueues periodic jobs, and a job is unique per
// kind and interval, so two processes that both believe they lead (for a
// moment, after a failover) still enqueue one. Any process may work it.
// Call it after Register and before Start, with an interval of at least a
// second; it panics otherwise.
func (q *Queue) Every(kind string, interval time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started || q.stopping {
		panic("jobs: Every after Start or Stop")
	}
	if !q.kinds[kind] {
		panic(fmt.Sprintf("jobs: Every of kind %q, which is not registered", kind))
	}
	if interval < time.Second {
		// River's uniqueness by period counts whole seconds.
		panic("jobs: Every needs an interval of at least a second")
	}
	q.periodic = append(q.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return args{kind: kind, Payload: json.RawMessage("null")}, &river.InsertOpts{
				MaxAttempts: 1, // the next round is the retry
				UniqueOpts:  river.UniqueOpts{ByPeriod: interval},
			}
		}, &river.PeriodicJobOpts{ID: kind, RunOnStart: true}))
}

// Start starts working jobs in the background, Workers at a time. The
// queue works until Stop; ctx only bounds the start itself.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.stopping:
		return errors.New("jobs: Start after Stop")
	case q.started:
		return errors.New("jobs: Start called twice")
	case len(q.kinds) == 0:
		return errors.New("jobs: Start before any Register")
	}
	c, err := q.eng.newClient(&river.Config{
		Logger:  q.log,
		Workers: q.bundle,
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.workers}},
		// No deadline of River's: the worker's Timeout decides (see
		// the package comment), and steps bound themselves.
		JobTimeout:           -1,
		RescueStuckJobsAfter: q.rescueAfter,
		// A process fetches only the kinds it registered: during a
		// rolling deploy, an old process leaves a new kind alone
		// instead of failing an attempt of it.
		FetchOnlyKnownKinds: true,
		FetchCooldown:       q.opts.fetchCooldown,
		FetchPollInterval:   q.opts.fetchPollInterval,
		PeriodicJobs:        q.periodic,
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	// River's client stops when the context given to Start ends; Stop
	// ends it instead.
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.work, q.started = c, true
	return nil
}

// Stop stops fetching jobs, waits for running jobs to return until ctx ends,
// then cancels their contexts (an attempt that then fails is retried later,
// in this or another process) and waits 10 s more. It then closes River's
// pool: Enqueue and Cancel fail after Stop (a running job may still Enqueue
// while Stop waits for it). Stop must be called on every opened Queue,
// started or not; a stopped queue cannot be started again.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if q.stopping {
		q.mu.Unlock()
		return nil
	}
	q.stopping = true
	work := q.work
	q.mu.Unlock()
	// Not under q.mu: a running job may still Enqueue its next step.
	if work != nil {
		if err := work.Stop(ctx); err != nil {
			q.log.Warn("jobs: running jobs did not finish in time; cancelling them", "err", err)
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := work.StopAndCancel(hctx); err != nil {
				// A work function ignores its context: closing the
				// pool under it would block, so leave it open.
				return fmt.Errorf("jobs: stop: jobs still running after cancellation: %w", err)
			}
		}
	}
	q.life.Lock()
	defer q.life.Unlock()
	q.closed = true
	q.eng.close()
	return nil
}

// Enqueue inserts a job of a registered kind, in its own transaction, and
// returns its ID. payload must be JSON (River stores it as a JSON value);
// nil means null. With a UniqueKey that an existing job already has,
// nothing is inserted and the existing job's ID is returned.
func (q *Queue) Enqueue(ctx context.Context, kind string, payload []byte, opts EnqueueOptions) (int64, error) {
	q.mu.Lock()
	known := q.kinds[kind]
	q.mu.Unlock()
	if !known {
		return 0, fmt.Errorf("jobs: enqueue: kind %q is not registered", kind)
	}
	if len(payload) == 0 {
		payload = []byte("null")
	} else if !json.Valid(payload) {
		return 0, fmt.Errorf("jobs: enqueue %s: the payload is not JSON", kind)
	}
	io := &river.InsertOpts{MaxAttempts: opts.MaxAttempts, ScheduledAt: opts.RunAt}
	if opts.UniqueKey != "" {
		// Only the field tagged river:"unique" (the key) is hashed,
		// with the kind.
		io.UniqueOpts = river.UniqueOpts{ByArgs: true}
	}
	q.life.RLock()
	defer q.life.RUnlock()
	if q.closed {
		return 0, errors.New("jobs: enqueue after Stop")
	}
	res, err := q.ctl.Insert(ctx, args{kind: kind, Payload: payload, UniqueKey: opts.UniqueKey}, io)
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return res.Job.ID, nil
}

// Cancel cancels a job. A job not yet running never runs. A running job's
// context is cancelled (cause ErrCancelled; within a second or two, also when
// it runs in another process), and the job is not retried whatever it
// returns, except that a nil return still completes it. A finished job is
// left as it is. An unknown ID gives ErrNotFound.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	q.life.RLock()
	defer q.life.RUnlock()
	if q.closed {
		return errors.New("jobs: cancel after Stop")
	}
	if _, err := q.ctl.JobCancel(ctx, id); err != nil {
		return fmt.Errorf("jobs: cancel %d: %w", id, err)
	}
	return nil
}

// Permanent marks err as final: the job fails without retry.
func Permanent(err error) error {
	if err == nil {
		err = errors.New("permanent failure")
	}
	return &permanentError{err}
}

// Snooze makes the job come back after d (at least 0) without using up an
// attempt.
func Snooze(d time.Duration) error { return &snoozeError{max(d, 0)} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

type snoozeError struct{ d time.Duration }

func (e *snoozeError) Error() string { return fmt.Sprintf("snooze %s", e.d) }

// args is the JSON stored in river_job.args. Its kind is not stored there
// (River keeps it in river_job.kind).
type args struct {
	kind      string
	Payload   json.RawMessage `json:"payload"`
	UniqueKey string          `json:"unique_key,omitempty" river:"unique"`
}

func (a args) Kind() string { return a.kind }

// worker adapts a WorkFunc to River.
type worker struct {
	river.WorkerDefaults[args]
	q  *Queue
	fn WorkFunc
}

// Timeout is asked by River twice: when an attempt starts (its attempted_at
// is just now), where -1 means no deadline, and by the rescuer for an
// attempt whose attempted_at (the heartbeat) is older than RescueAfter, where
// a positive timeout no longer than that lets the rescuer retry it.
func (w *worker) Timeout(job *river.Job[args]) time.Duration {
	if job.AttemptedAt != nil && time.Since(*job.AttemptedAt) >= w.q.rescueAfter/2 {
		return w.q.rescueAfter
	}
	return -1
}

func (w *worker) Work(riverCtx context.Context, job *river.Job[args]) error {
	ctx, cancel := context.WithCancelCause(riverCtx)
	defer cancel(nil)
	if !w.q.opts.noHeartbeat {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.q.heartbeat(ctx, job.ID, job.Attempt, stop, cancel)
		}()
		// Deferred, so a panicking work function stops it too.
		defer func() { close(stop); <-done }()
	}
	payload := []byte(job.Args.Payload)
	if string(payload) == "null" {
		payload = nil
	}
	err := w.fn(ctx, Job{ID: job.ID, Kind: job.Kind, Payload: payload, Attempt: job.Attempt, MaxAttempts: job.MaxAttempts})
	var (
		perm   *permanentError
		snooze *snoozeError
	)
	switch {
	case context.Cause(ctx) == ErrLeaseLost: // only the heartbeat sets it
		// River records an attempt's outcome on the job's row if the row is
		// running, whichever attempt runs it: wait until the attempt that
		// took the job over has finished, so that ours changes nothing.
		w.q.awaitOtherAttempt(riverCtx, job.ID, job.Attempt)
		return ErrLeaseLost
	case err == nil:
		return nil
	case errors.As(err, &snooze):
		return river.JobSnooze(snooze.d)
	case errors.As(err, &perm):
		return river.JobCancel(err)
	default:
		return err
	}
}

// awaitOtherAttempt waits while the job runs under another attempt (or until
// ctx ends: a hard stop).
func (q *Queue) awaitOtherAttempt(ctx context.Context, id int64, attempt int) {
	for {
		row, err := q.ctl.JobGet(ctx, id)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			q.log.Warn("jobs: reading a job taken over by another attempt", "job_id", id, "err", err)
		case row.State != rivertype.JobStateRunning || row.Attempt == attempt:
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(q.rescueAfter/4, 10*time.Millisecond)):
		}
	}
}

// heartbeat refreshes the attempt's attempted_at every RescueAfter/4 until
// stop is closed, and cancels the attempt when the job is no longer its own.
func (q *Queue) heartbeat(ctx context.Context, id int64, attempt int, stop <-chan struct{}, cancel context.CancelCauseFunc) {
	t := time.NewTicker(max(q.rescueAfter/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		// The beat must not be cut short by the job's own
		// cancellation: a cancelled job may still take a while to
		// return.
		bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), q.rescueAfter/2)
		ok, err := q.eng.heartbeat(bctx, id, attempt)
		bcancel()
		switch {
		case err != nil:
			q.log.Warn("jobs: heartbeat failed", "job_id", id, "attempt", attempt, "err", err)
		case !ok:
			q.log.Error("jobs: job rescued from this process (heartbeat lost); cancelling this attempt", "job_id", id, "attempt", attempt)
			cancel(ErrLeaseLost)
			return
		}
	}
}
