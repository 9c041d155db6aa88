package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/runner"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// greet is a test action: it "creates" a greeting per run (idempotent: a
// second attempt finds it), can fail transiently once, or block until
// cancelled.
type greet struct {
	mu       sync.Mutex
	made     map[string]int // run id → times the side effect happened
	attempts map[string]int
	release  chan struct{}
}

func newGreet() *greet {
	return &greet{made: map[string]int{}, attempts: map[string]int{}, release: make(chan struct{})}
}

func (g *greet) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "test.greet", Title: "Greet", Description: "Says hello.",
		InputSchema: json.RawMessage(`{"type":"object","required":["name"],"additionalProperties":false,"properties":{
			"name":{"type":"string","minLength":1,"maxLength":20},
			"production":{"type":"boolean"},
			"mode":{"enum":["ok","flaky","block","broken","once"]}}}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"component"}},
		Approval: plugins.ApprovalPolicy{
			When:    func(req plugins.ActionRequest) bool { return req.Input["production"] == true },
			Expires: time.Hour,
		},
	}
}

func (g *greet) Plan(_ context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	return &plugins.Plan{Summary: "greet " + fmt.Sprint(req.Input["name"]),
		Changes: []plugins.Change{{Action: "create", Kind: "Greeting", Name: fmt.Sprint(req.Input["name"])}}}, nil
}

func (g *greet) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	g.mu.Lock()
	g.attempts[req.RunID]++
	attempt := g.attempts[req.RunID]
	g.mu.Unlock()
	if req.Input["mode"] == "once" {
		// The side effect in a step of its own; the first attempt then
		// fails: the second must not do the step again.
		err := out.Once("make", func() error {
			g.mu.Lock()
			g.made[req.RunID]++
			g.mu.Unlock()
			return nil
		})
		if err != nil {
			return nil, err
		}
		if attempt == 1 {
			return nil, errors.New("lost the connection after the step")
		}
		return &plugins.RunResult{Summary: "made once"}, nil
	}
	out.Step("greet")
	switch req.Input["mode"] {
	case "flaky":
		if attempt == 1 {
			return nil, errors.New("the greeting service is busy")
		}
	case "block":
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-g.release:
		}
	case "broken":
		return nil, plugins.Permanent(errors.New("no such greeting"))
	}
	g.mu.Lock()
	if g.made[req.RunID] == 0 { // create if absent
		g.made[req.RunID]++
	}
	g.mu.Unlock()
	out.Log("hello, %s, from %s", req.Input["name"], req.Actor.Name)
	return &plugins.RunResult{Summary: "greeted", Outputs: map[string]any{"target": req.Target.Ref}}, nil
}

type rig struct {
	env     *graphtest.Env
	runner  *runner.Runner
	action  *greet
	expirer *fakeExpirer
	// alice and bob are in team-0 (the target's owner); carol is not;
	// admin is an admin.
	alice, bob, carol, admin context.Context
}

func newRig(t *testing.T, name string) *rig {
	env := graphtest.New(t, graphtest.Dialects(t)[name], graphtest.Options{Teams: 2, ComponentsPerTeam: 1,
		Policy: config.Policy{AdminGroups: []string{"group:default/admins"}}})
	q, err := jobs.Open(context.Background(), jobs.Options{DB: env.DB, Log: slog.New(slog.DiscardHandler), RescueAfter: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := plugins.NewRegistry()
	g := newGreet()
	if err := reg.Register(g); err != nil {
		t.Fatal(err)
	}
	exp := &fakeExpirer{}
	r := runner.New(runner.Options{Registry: reg, Client: env.DB.Ent, Queue: q, Store: env.Store, Policy: env.Policy, Audit: env.Audit,
		Expirers: []plugins.Expirer{exp}, SweepInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(g.release)
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = q.Stop(stop)
		cancel()
	})
	as := func(user string, groups ...string) context.Context {
		return principal.NewContext(context.Background(), env.Principal(user, groups...))
	}
	return &rig{env: env, runner: r, action: g, expirer: exp,
		alice: as("team-0-a", "team-0"), bob: as("team-0-b", "team-0"), carol: as("team-1-a", "team-1"), admin: as("root", "admins")}
}

const target = "component:default/svc-0-0"

func (rg *rig) waitState(t *testing.T, id, state string) *runner.Run {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		run, err := rg.runner.Get(rg.admin, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.State == state {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s is %s, not %s (error %q)", id, run.State, state, run.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRuns(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" && testing.Short() {
				t.Skip("postgres needs Docker")
			}
			rg := newRig(t, name)
			t.Run("run without approval", func(t *testing.T) {
				run, err := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"world"}`))
				if err != nil {
					t.Fatal(err)
				}
				if run.Plan == nil || run.Plan.Summary != "greet world" || run.NeedsApproval {
					t.Fatalf("submitted: %+v", run)
				}
				done := rg.waitState(t, run.ID, "succeeded")
				if done.Result == nil || done.Result.Summary != "greeted" || done.Attempts != 1 {
					t.Fatalf("succeeded: %+v", done)
				}
				evs, err := rg.runner.Events(rg.alice, run.ID, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				var lines []string
				for _, e := range evs {
					lines = append(lines, e.Kind+": "+e.Message)
				}
				log := strings.Join(lines, "\n")
				for _, want := range []string{"state: requested by", "step: greet", "log: hello, world", "state: succeeded"} {
					if !strings.Contains(log, want) {
						t.Errorf("log lacks %q:\n%s", want, log)
					}
				}
				if _, err := rg.runner.Get(rg.carol, run.ID); !errors.Is(err, catalog.ErrNotFound) {
					t.Errorf("an outsider sees the run: %v", err)
				}
			})
			t.Run("approval by someone else", func(t *testing.T) {
				run, err := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"prod","production":true}`))
				if err != nil {
					t.Fatal(err)
				}
				if run.State != "pending_approval" || run.ApprovalExpiresAt == nil {
					t.Fatalf("submitted: %+v", run)
				}
				var denied *auth.DeniedError
				if _, err := rg.runner.Approve(rg.alice, run.ID, "me"); !errors.As(err, &denied) {
					t.Fatalf("self-approval: %v", err)
				}
				if _, err := rg.runner.Approve(rg.carol, run.ID, "lgtm"); err == nil {
					t.Fatal("an outsider approved")
				}
				time.Sleep(200 * time.Millisecond)
				if r, _ := rg.runner.Get(rg.alice, run.ID); r.State != "pending_approval" {
					t.Fatalf("ran before approval: %s", r.State)
				}
				approved, err := rg.runner.Approve(rg.bob, run.ID, "go ahead")
				if err != nil {
					t.Fatal(err)
				}
				if len(approved.Approvals) != 1 || approved.Approvals[0].Comment != "go ahead" {
					t.Fatalf("approvals: %+v", approved.Approvals)
				}
				rg.waitState(t, run.ID, "succeeded")
				if _, err := rg.runner.Approve(rg.admin, run.ID, "again"); !errors.Is(err, runner.ErrState) {
					t.Errorf("approving a finished run: %v", err)
				}
			})
			t.Run("rejection", func(t *testing.T) {
				run, _ := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"nope","production":true}`))
				if _, err := rg.runner.Reject(rg.admin, run.ID, "not today"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(300 * time.Millisecond)
				rg.action.mu.Lock()
				ran := rg.action.attempts[run.ID]
				rg.action.mu.Unlock()
				if ran != 0 {
					t.Fatal("a rejected run ran")
				}
				rg.waitState(t, run.ID, "rejected")
			})
			t.Run("transient error retries", func(t *testing.T) {
				run, _ := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"flaky","mode":"flaky"}`))
				done := rg.waitState(t, run.ID, "succeeded")
				rg.action.mu.Lock()
				made := rg.action.made[run.ID]
				rg.action.mu.Unlock()
				if done.Attempts != 2 || made != 1 {
					t.Fatalf("attempts %d, side effects %d", done.Attempts, made)
				}
			})
			t.Run("permanent error fails", func(t *testing.T) {
				run, _ := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"broken","mode":"broken"}`))
				done := rg.waitState(t, run.ID, "failed")
				if done.Attempts != 1 || !strings.Contains(done.Error, "no such greeting") {
					t.Fatalf("failed: %+v", done)
				}
			})
			t.Run("cancel a running run", func(t *testing.T) {
				run, _ := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"slow","mode":"block"}`))
				rg.waitState(t, run.ID, "running")
				if _, err := rg.runner.Cancel(rg.bob, run.ID); err == nil {
					t.Fatal("bob cancelled alice's run")
				}
				if _, err := rg.runner.Cancel(rg.alice, run.ID); err != nil {
					t.Fatal(err)
				}
				rg.waitState(t, run.ID, "cancelled")
			})
			t.Run("expiry", func(t *testing.T) {
				run, _ := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"late","production":true}`))
				rg.env.DB.Ent.ActionRun.UpdateOneID(run.ID).SetApprovalExpiresAt(time.Now().Add(-time.Second)).ExecX(principal.SystemContext(context.Background()))
				if n, err := rg.runner.ExpireApprovals(context.Background()); err != nil || n != 1 {
					t.Fatalf("expired %d: %v", n, err)
				}
				rg.waitState(t, run.ID, "expired")
				if _, err := rg.runner.Approve(rg.bob, run.ID, "too late"); !errors.Is(err, runner.ErrState) {
					t.Errorf("approving an expired run: %v", err)
				}
			})
			t.Run("refusals", func(t *testing.T) {
				var ie *plugins.InputError
				if _, err := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"","mode":"loud"}`)); !errors.As(err, &ie) ||
					!strings.Contains(err.Error(), "/name") || !strings.Contains(err.Error(), "/mode") {
					t.Errorf("bad input: %v", err)
				}
				var denied *auth.DeniedError
				if _, err := rg.runner.Submit(rg.carol, "test.greet", target, json.RawMessage(`{"name":"x"}`)); !errors.As(err, &denied) {
					t.Errorf("an outsider ran an action: %v", err)
				}
				if _, err := rg.runner.Submit(rg.alice, "test.greet", "component:default/nope", json.RawMessage(`{"name":"x"}`)); !errors.Is(err, catalog.ErrNotFound) {
					t.Errorf("missing target: %v", err)
				}
				if _, err := rg.runner.Submit(rg.alice, "test.greet", "api:default/svc-0-0-api", json.RawMessage(`{"name":"x"}`)); err == nil {
					t.Error("an action ran on a kind it does not apply to")
				}
			})
			t.Run("follow", func(t *testing.T) {
				run, _ := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"follow"}`))
				ctx, cancel := context.WithTimeout(rg.alice, 30*time.Second)
				defer cancel()
				evs, err := rg.runner.Follow(ctx, run.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				var last runner.Event
				for e := range evs {
					last = e
				}
				if last.Message != "succeeded" {
					t.Fatalf("the stream ended with %+v", last)
				}
			})
		})
	}
}

// fakeExpirer hands the runner a fixed list of items and counts warnings.
type fakeExpirer struct {
	mu    sync.Mutex
	items []plugins.Expiry
	warns map[string]int
}

func (f *fakeExpirer) Expiring() []plugins.Expiry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]plugins.Expiry(nil), f.items...)
}

func (f *fakeExpirer) Warn(_ context.Context, e plugins.Expiry, actor plugins.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.warns == nil {
		f.warns = map[string]int{}
	}
	f.warns[e.Target+" as "+actor.Name]++
	return nil
}

// TestOnceAndExpiry, on both databases: a step done by a failed attempt is
// not done again by the next; an expiry is warned about once and torn down
// by one run acting as the requester of the run that set it, however many
// sweeps run at once.
func TestOnceAndExpiry(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			if _, ok := graphtest.Dialects(t)[name]; !ok {
				t.Skip(name + " is not available")
			}
			rg := newRig(t, name)
			run, err := rg.runner.Submit(rg.alice, "test.greet", target, json.RawMessage(`{"name":"x","mode":"once"}`))
			if err != nil {
				t.Fatal(err)
			}
			done := rg.waitState(t, run.ID, "succeeded")
			rg.action.mu.Lock()
			made := rg.action.made[run.ID]
			rg.action.mu.Unlock()
			if done.Attempts != 2 || made != 1 {
				t.Fatalf("%d attempts made it %d times, want 2 and 1", done.Attempts, made)
			}
			evs, err := rg.runner.Events(rg.alice, run.ID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var log []string
			for _, e := range evs {
				log = append(log, e.Kind+" "+e.Message)
			}
			if !slicesContain(log, "done make") || !slicesContain(log, "log make: done by an earlier attempt") {
				t.Errorf("log: %q", log)
			}

			// The run "set" an expiry of its target; the sweep comes
			// within the warning hour, then after the expiry, four at once.
			at := time.Now().Add(time.Hour).Truncate(time.Second)
			rg.expirer.items = []plugins.Expiry{{Target: target, Action: "test.greet", ExpiresAt: at, SetBy: run.ID}}
			sys := principal.SystemContext(context.Background())
			for range 2 {
				if err := rg.runner.ExpireItems(sys, at.Add(-30*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			rg.expirer.mu.Lock()
			warns := fmt.Sprint(rg.expirer.warns)
			rg.expirer.mu.Unlock()
			if want := fmt.Sprintf("map[%s as %s:1]", target, "team-0-a"); warns != want {
				t.Errorf("warnings: %s, want %s", warns, want)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					if err := rg.runner.ExpireItems(sys, at.Add(time.Second)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			teardowns, err := rg.runner.List(rg.admin, runner.Filter{Action: "test.greet", Target: target})
			if err != nil {
				t.Fatal(err)
			}
			if len(teardowns) != 2 { // the first run, and one teardown
				t.Fatalf("%d runs, want the first and one teardown", len(teardowns))
			}
			td := teardowns[0]
			if td.ID == run.ID {
				td = teardowns[1]
			}
			if td.RequestedBy != done.RequestedBy || !strings.Contains(td.Requester, run.ID) || td.NeedsApproval {
				t.Errorf("teardown: %+v", td)
			}
		})
	}
}

func slicesContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
