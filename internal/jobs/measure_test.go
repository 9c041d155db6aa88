package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
)

// TestMeasure measures throughput and queue latency (enqueue → start of the
// work function) on each database, for River's default fetch settings and
// this package's. It runs with PONT_JOBS_MEASURE=1 only:
//
//	PONT_JOBS_MEASURE=1 go test -run TestMeasure -v ./internal/jobs/
func TestMeasure(t *testing.T) {
	if os.Getenv("PONT_JOBS_MEASURE") != "1" {
		t.Skip("set PONT_JOBS_MEASURE=1 to measure")
	}
	type setting struct {
		name           string
		cooldown, poll time.Duration
		workers        int
	}
	settings := []setting{
		{"river-default(100ms,1s),10-workers", 100 * time.Millisecond, time.Second, 10},
		{"20ms,200ms,10-workers", 20 * time.Millisecond, 200 * time.Millisecond, 10},
		{"pont(5ms,200ms),10-workers", fetchCooldown, fetchPollInterval, 10},
		{"pont(5ms,200ms),50-workers", fetchCooldown, fetchPollInterval, 50},
	}
	if only := os.Getenv("PONT_JOBS_MEASURE_ONLY"); only != "" {
		settings = slices.DeleteFunc(settings, func(s setting) bool { return !strings.Contains(s.name, only) })
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, s := range settings {
			t.Run(name+"/"+s.name, func(t *testing.T) {
				// A fresh database for each measurement.
				fresh := func() *database.DB {
					cfg := dbtest.Configs(t)[name]
					if cfg.Driver == "" {
						t.Skip("no " + name)
					}
					return dbtest.Open(t, cfg)
				}
				o := Options{Workers: s.workers, fetchCooldown: s.cooldown, fetchPollInterval: s.poll}
				measureThroughput(t, fresh(), o, 1000)
				measureLatency(t, fresh(), o, "burst of 500", 500, 0)
				measureLatency(t, fresh(), o, "steady 25/s", 250, 40*time.Millisecond)
			})
		}
	}
}

func quietQueue(t *testing.T, db *database.DB, o Options) *Queue {
	o.DB = db
	o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	q, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	return q
}

// measureThroughput enqueues n trivial jobs, then starts the queue and
// times their work.
func measureThroughput(t *testing.T, db *database.DB, o Options, n int) {
	q := quietQueue(t, db, o)
	var done atomic.Int32
	all := make(chan struct{})
	q.Register("measure.noop", func(context.Context, Job) error {
		if done.Add(1) == int32(n) {
			close(all)
		}
		return nil
	})
	began := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range n / 8 {
				if _, err := q.Enqueue(context.Background(), "measure.noop", []byte(`{}`), EnqueueOptions{}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	enq := time.Since(began)
	began = time.Now()
	start(t, q)
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		t.Fatalf("only %d of %d jobs ran", done.Load(), n)
	}
	ran := time.Since(began)
	wait.For(t, time.Minute, "all jobs completed", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'completed'`) == n
	})
	recorded := time.Since(began)
	t.Logf("throughput: enqueue %d jobs (8 goroutines) %.0f/s; work %.0f jobs/s (all started+returned in %s; all recorded completed in %s → %.0f/s)",
		n, float64(n)/enq.Seconds(), float64(n)/ran.Seconds(), ran.Round(time.Millisecond), recorded.Round(time.Millisecond), float64(n)/recorded.Seconds())
}

// measureLatency enqueues n jobs into a started queue, every gap (or all at
// once from 10 goroutines when gap is 0), and reports enqueue → start.
func measureLatency(t *testing.T, db *database.DB, o Options, what string, n int, gap time.Duration) {
	q := quietQueue(t, db, o)
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	all := make(chan struct{})
	q.Register("measure.latency", func(_ context.Context, job Job) error {
		now := time.Now()
		var p struct{ T int64 }
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return Permanent(err)
		}
		mu.Lock()
		lat = append(lat, now.Sub(time.Unix(0, p.T)))
		if len(lat) == n {
			close(all)
		}
		mu.Unlock()
		return nil
	})
	start(t, q)
	time.Sleep(2 * time.Second) // past start-up (leader election, first fetches)
	var emu sync.Mutex
	enq := make([]time.Duration, 0, n)
	send := func() {
		t0 := time.Now()
		if _, err := q.Enqueue(context.Background(), "measure.latency", fmt.Appendf(nil, `{"T":%d}`, t0.UnixNano()), EnqueueOptions{}); err != nil {
			t.Error(err)
		}
		emu.Lock()
		enq = append(enq, time.Since(t0))
		emu.Unlock()
	}
	began := time.Now()
	if gap == 0 {
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				for range n / 10 {
					send()
				}
			})
		}
		wg.Wait()
	} else {
		tick := time.NewTicker(gap)
		for range n {
			<-tick.C
			go send()
		}
		tick.Stop()
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		t.Fatalf("only %d of %d jobs ran", len(lat), n)
	}
	took := time.Since(began)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Millisecond)
	}
	emu.Lock()
	defer emu.Unlock()
	slices.Sort(enq)
	t.Logf("latency, %s: p50 %s, p90 %s, p99 %s, max %s (all %d done in %s; Enqueue itself p50 %s, p99 %s)", what, pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1].Round(time.Millisecond), n, took.Round(time.Millisecond),
		enq[len(enq)/2].Round(time.Millisecond), enq[min(len(enq)-1, len(enq)*99/100)].Round(time.Millisecond))
}
