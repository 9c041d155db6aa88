package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/actionrun"
	"github.com/pont-dev/pont/ent/actionrunevent"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/plugins"
)

// SweepKind is the queue's periodic job that expires approval requests and
// tears down expired items (plugins.Expirer). The queue's leader enqueues
// it every Options.SweepInterval, so one process sweeps at a time.
const SweepKind = "action.sweep"

// Sweep defaults.
const (
	defaultSweepInterval = time.Minute
	defaultExpiryWarning = time.Hour
)

// expiryNamespace makes the id of an expiry's teardown run: the same
// item and expiry always give the same run, so a sweep that runs twice
// (or on two replicas) submits it once.
var expiryNamespace = uuid.MustParse("7d0c6f2e-5b0e-4f5e-9c55-2f1d3c7a9e41")

// sweep is the periodic job's work.
func (r *Runner) sweep(ctx context.Context, _ jobs.Job) error {
	if _, err := r.ExpireApprovals(ctx); err != nil {
		return err
	}
	return r.ExpireItems(ctx, time.Now())
}

// ExpireItems warns about the items of every Expirer that expire within
// Options.ExpiryWarning of now, and tears down those that have expired. A
// call that repeats (a second sweep, another replica) warns and tears down
// once: the warning is recorded in the log of the run that set the expiry,
// and the teardown run's id is derived from the item and its expiry.
func (r *Runner) ExpireItems(ctx context.Context, now time.Time) error {
	for _, x := range r.o.Expirers {
		for _, e := range x.Expiring() {
			if e.Pending || e.SetBy == "" || now.Before(e.ExpiresAt.Add(-r.o.ExpiryWarning)) {
				// Without SetBy no run of Pont's set the expiry: not
				// Pont's to act on (documented in docs/plugins.md).
				continue
			}
			setBy, actor, err := r.expirySetter(ctx, e)
			if err != nil {
				r.o.Log.Warn("expiry: not acted on", "target", e.Target, "expiresAt", e.ExpiresAt, "err", err)
				continue
			}
			if now.Before(e.ExpiresAt) {
				r.warnExpiry(ctx, x, e, setBy, actor)
				continue
			}
			if err := r.tearDown(ctx, e, setBy, actor); err != nil {
				r.o.Log.Warn("expiry: teardown not submitted", "target", e.Target, "err", err)
			}
		}
	}
	return nil
}

// expirySetter reads the run that set an expiry, and the person it acted for.
func (r *Runner) expirySetter(ctx context.Context, e plugins.Expiry) (*ent.ActionRun, plugins.Actor, error) {
	var actor plugins.Actor
	row, err := r.o.Client.ActionRun.Get(sys(ctx), e.SetBy)
	if err != nil {
		return nil, actor, fmt.Errorf("the run %s that set the expiry: %w", e.SetBy, err)
	}
	if err := json.Unmarshal([]byte(row.Actor), &actor); err != nil {
		return nil, actor, fmt.Errorf("run %s: actor: %w", row.ID, err)
	}
	return row, actor, nil
}

// warnExpiry warns once per item and expiry: through the plugin (a
// Kubernetes event), in the log of the run that set the expiry (its
// requester and the target's owners follow it), in the audit trail and in
// Pont's log.
func (r *Runner) warnExpiry(ctx context.Context, x plugins.Expirer, e plugins.Expiry, setBy *ent.ActionRun, actor plugins.Actor) {
	notice := fmt.Sprintf("%s expires at %s; %s will then tear it down", e.Target, e.ExpiresAt.UTC().Format(time.RFC3339), e.Action)
	warned, err := r.o.Client.ActionRunEvent.Query().
		Where(actionrunevent.RunID(setBy.ID), actionrunevent.KindEQ(actionrunevent.KindLog), actionrunevent.Message(notice)).
		Exist(sys(ctx))
	if err != nil || warned {
		return
	}
	outcome := audit.Success
	detail := map[string]any{"expiresAt": e.ExpiresAt, "setBy": setBy.ID, "for": setBy.Requester}
	if err := x.Warn(ctx, e, actor); err != nil {
		// The warning still reaches the run's log and the audit trail.
		outcome = audit.Failure
		detail["error"] = err.Error()
		r.o.Log.Warn("expiry: the plugin's warning failed", "target", e.Target, "err", err)
	}
	r.event(ctx, setBy.ID, actionrunevent.KindLog, notice)
	r.o.Audit.Record(sys(ctx), audit.Event{Action: "action.expiry.warn", Target: e.Target, Outcome: outcome, Details: detail})
	r.o.Log.Info("expiry: warned", "target", e.Target, "expiresAt", e.ExpiresAt)
}

// tearDown submits the run of the item's teardown action, acting as the
// person whose run set the expiry, without approval: the expiry was part
// of their (approved) request. Its id is derived from the item and its
// expiry, so it is submitted once.
func (r *Runner) tearDown(ctx context.Context, e plugins.Expiry, setBy *ent.ActionRun, actor plugins.Actor) error {
	id := uuid.NewSHA1(expiryNamespace, []byte(e.Target+"@"+e.ExpiresAt.UTC().Format(time.RFC3339))).String()
	if exists, err := r.o.Client.ActionRun.Query().Where(actionrun.ID(id)).Exist(sys(ctx)); err != nil || exists {
		return err
	}
	if _, ok := r.o.Registry.Action(e.Action); !ok {
		return fmt.Errorf("action %s is not registered", e.Action)
	}
	_, stored, err := r.target(sys(ctx), e.Target)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	owner := ""
	if owners := catalog.OwnersOf(stored); len(owners) > 0 {
		owner = owners[0]
	}
	actorJSON, _ := json.Marshal(actor)
	planJSON, _ := json.Marshal(plugins.Plan{Summary: fmt.Sprintf("%s expired at %s: %s", e.Target, e.ExpiresAt.UTC().Format(time.RFC3339), e.Action)})
	requester := fmt.Sprintf("%s (expiry set by run %s)", setBy.Requester, setBy.ID)
	err = r.o.Client.ActionRun.Create().SetID(id).SetAction(e.Action).SetTarget(e.Target).SetTargetOwner(owner).
		SetInput("{}").SetPlan(string(planJSON)).SetState(actionrun.StateQueued).
		SetRequestedBy(setBy.RequestedBy).SetRequester(requester).SetActor(string(actorJSON)).Exec(sys(ctx))
	if ent.IsConstraintError(err) {
		return nil // another sweep was first
	}
	if err != nil {
		return fmt.Errorf("record the run: %w", err)
	}
	r.event(ctx, id, actionrunevent.KindState, fmt.Sprintf("expired at %s (set by run %s); queued", e.ExpiresAt.UTC().Format(time.RFC3339), setBy.ID))
	r.event(ctx, setBy.ID, actionrunevent.KindLog, fmt.Sprintf("%s expired: run %s tears it down", e.Target, id))
	if err := r.enqueue(ctx, id); err != nil {
		return err
	}
	r.o.Audit.Record(sys(ctx), audit.Event{Action: "action.expiry.teardown", Target: e.Target, Outcome: audit.Success,
		Details: map[string]any{"action": e.Action, "run": id, "setBy": setBy.ID, "for": setBy.Requester, "expiresAt": e.ExpiresAt}})
	r.o.Log.Info("expiry: teardown submitted", "target", e.Target, "run", id)
	return nil
}
