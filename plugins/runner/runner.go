// Package runner runs self-service actions: it checks a request (the input
// against the action's schema, the caller against the policy), records the
// run with its plan, holds it for approval when the action's policy says so,
// and executes it as a durable job (internal/jobs), at least once, keeping
// every log line, state change and decision. The core never imports a
// plugin: actions come in through plugins.Registry.
//
// A run's states:
//
//	pending_approval ──approve──► queued ──► running ──► succeeded
//	       │  └──reject──► rejected        │   ▲   └──► failed
//	       └──expiry──► expired            ▼   │ (retry after a
//	                                   cancelled  transient error)
//
// A run is executed at least once: after a restart, or a transient error, Run
// is called again with the same request and RunID, so actions make every
// step idempotent (plugins.Action says so). A run that was cancelled, or has
// finished, is never run again, however often its job is delivered.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/actionapproval"
	"github.com/pont-dev/pont/ent/actionrun"
	"github.com/pont-dev/pont/ent/actionrunevent"
	"github.com/pont-dev/pont/ent/predicate"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/plugins"
)

// JobKind is the queue's job kind for action runs.
const JobKind = "action.run"

// Defaults.
const (
	defaultApprovalExpiry = 72 * time.Hour
	defaultMaxAttempts    = 5
)

// Options are what a Runner needs.
type Options struct {
	Registry *plugins.Registry
	Client   *ent.Client
	Queue    *jobs.Queue
	Store    catalog.Store
	Policy   *auth.Policy
	Audit    *audit.Log
	Log      *slog.Logger
	// MaxAttempts of a run before it fails (default 5).
	MaxAttempts int
	// Expirers are the plugins whose provisioned things expire; the
	// sweep warns about and tears down their items (expiry.go).
	Expirers []plugins.Expirer
	// SweepInterval is how often the sweep runs (default 1 minute): it
	// expires approval requests and acts on expiries.
	SweepInterval time.Duration
	// ExpiryWarning is how long before an item's expiry its users are
	// warned (default 1 hour).
	ExpiryWarning time.Duration
	// Replica names this process in run logs ("running … on host:pid");
	// default the host name and process id.
	Replica string
}

// Runner submits, approves, cancels and executes runs.
type Runner struct {
	o Options

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{} // by run id: woken on a new event
}

// New builds the runner and registers its job kind with the queue (call it
// before the queue starts).
func New(o Options) *Runner {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = defaultSweepInterval
	}
	if o.ExpiryWarning <= 0 {
		o.ExpiryWarning = defaultExpiryWarning
	}
	if o.Replica == "" {
		host, _ := os.Hostname()
		o.Replica = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	r := &Runner{o: o, watchers: map[string]map[chan struct{}]struct{}{}}
	o.Queue.Register(JobKind, r.work)
	o.Queue.Register(SweepKind, r.sweep)
	o.Queue.Every(SweepKind, o.SweepInterval)
	return r
}

// Run is a run as the API shows it.
type Run struct {
	ID          string
	Action      string
	Target      string
	State       string
	Requester   string
	RequestedBy string
	Input       map[string]any
	Plan        *plugins.Plan
	Result      *plugins.RunResult
	Error       string
	Attempts    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	// ApprovalExpiresAt is set while the run waits for approval.
	ApprovalExpiresAt *time.Time
	NeedsApproval     bool
	Approvals         []Approval
	// Approvers may approve it (plugins.ApprovalPolicy.Who).
	Approvers []string
}

// Approval is one decision.
type Approval struct {
	Approver string
	Name     string
	Decision string // approve or reject
	Comment  string
	Time     time.Time
}

// Event is one line of a run's log, a step, or a state change.
type Event struct {
	Seq     int
	Time    time.Time
	Kind    string // log, step, state
	Message string
}

// sys is the context Pont's own reads and writes of run rows use (the
// tables' privacy policy admits only the system; this package authorizes).
func sys(ctx context.Context) context.Context { return principal.SystemContext(ctx) }

// target reads the entity a request names, as the caller may read it.
func (r *Runner) target(ctx context.Context, ref string) (plugins.Target, *catalog.StoredEntity, error) {
	parsed, err := catalog.ParseRef(strings.TrimSpace(ref), catalog.RefDefaults{Kind: "component", Namespace: catalog.DefaultNamespace})
	if err != nil {
		return plugins.Target{}, nil, &catalog.FieldError{Document: -1, Field: "target", Reason: err.Error()}
	}
	p := principal.FromContext(ctx)
	if p == nil || !p.CanReadKind(strings.ToLower(parsed.Kind)) {
		return plugins.Target{}, nil, catalog.ErrNotFound
	}
	e, err := r.o.Store.EntityByKey(sys(ctx), parsed.Key())
	if err != nil {
		return plugins.Target{}, nil, err
	}
	var doc catalog.Entity
	if err := json.Unmarshal(e.Body, &doc); err != nil {
		return plugins.Target{}, nil, fmt.Errorf("target %s: %w", ref, err)
	}
	t := plugins.Target{
		Ref: doc.Ref().String(), Kind: strings.ToLower(doc.Kind),
		Annotations: doc.Metadata.Annotations, Labels: doc.Metadata.Labels,
	}
	if s, ok := doc.Spec["type"].(string); ok {
		t.Type = s
	}
	if owners := catalog.OwnersOf(e); len(owners) > 0 {
		t.Owner = owners[0]
	}
	return t, e, nil
}

// Actions lists the actions offered on an entity the caller may read.
func (r *Runner) Actions(ctx context.Context, targetRef string) ([]plugins.ActionSpec, error) {
	t, _, err := r.target(ctx, targetRef)
	if err != nil {
		return nil, err
	}
	return r.o.Registry.Specs(t.Kind, t.Type), nil
}

// request checks a request for an action on a target, and builds it.
func (r *Runner) request(ctx context.Context, actionID, targetRef string, input json.RawMessage) (plugins.Action, plugins.ActionRequest, []string, error) {
	p := principal.FromContext(ctx)
	action, ok := r.o.Registry.Action(actionID)
	if !ok {
		return nil, plugins.ActionRequest{}, nil, fmt.Errorf("%w: %s", plugins.ErrUnknownAction, actionID)
	}
	t, stored, err := r.target(ctx, targetRef)
	if err != nil {
		return nil, plugins.ActionRequest{}, nil, err
	}
	spec := action.Spec()
	if !spec.AppliesTo.Matches(t.Kind, t.Type) {
		return nil, plugins.ActionRequest{}, nil, &catalog.FieldError{Document: -1, Field: "target",
			Reason: fmt.Sprintf("action %s is not offered on %s", actionID, t.Ref)}
	}
	owners := catalog.OwnersOf(stored)
	if err := r.o.Policy.Enforce(ctx, r.o.Audit, auth.RunAction, auth.Resource{Name: t.Ref, Owners: owners}); err != nil {
		return nil, plugins.ActionRequest{}, nil, err
	}
	in, err := r.o.Registry.ValidateInput(actionID, input)
	if err != nil {
		return nil, plugins.ActionRequest{}, nil, err
	}
	req := plugins.ActionRequest{
		Target: t, Input: in,
		Actor: plugins.Actor{Subject: p.Subject, User: p.User, Name: p.Name, Email: p.Email, Groups: p.Groups},
	}
	return action, req, owners, nil
}

// Plan is a dry run: what the action would change, changing nothing.
func (r *Runner) Plan(ctx context.Context, actionID, targetRef string, input json.RawMessage) (*plugins.Plan, error) {
	action, req, _, err := r.request(ctx, actionID, targetRef, input)
	if err != nil {
		return nil, err
	}
	req.RunID = "plan-" + uuid.NewString()
	return action.Plan(ctx, req)
}

// Submit asks for a run. It is planned at once; then it waits for approval
// when the action's policy says so, or is queued.
func (r *Runner) Submit(ctx context.Context, actionID, targetRef string, input json.RawMessage) (*Run, error) {
	action, req, owners, err := r.request(ctx, actionID, targetRef, input)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	req.RunID = id.String()
	plan, err := action.Plan(ctx, req)
	if err != nil {
		r.o.Audit.Outcome(ctx, string(auth.RunAction), req.Target.Ref, err, map[string]any{"action": actionID})
		return nil, fmt.Errorf("plan: %w", err)
	}
	spec := action.Spec()
	state := actionrun.StateQueued
	var expires *time.Time
	if spec.Approval.Needed(req) {
		state = actionrun.StatePendingApproval
		d := spec.Approval.Expires
		if d <= 0 {
			d = defaultApprovalExpiry
		}
		t := time.Now().Add(d)
		expires = &t
	}
	inputJSON, _ := json.Marshal(req.Input)
	actorJSON, _ := json.Marshal(req.Actor)
	planJSON, _ := json.Marshal(plan)
	p := principal.FromContext(ctx)
	owner := ""
	if len(owners) > 0 {
		owner = owners[0]
	}
	create := r.o.Client.ActionRun.Create().SetID(req.RunID).SetAction(actionID).SetTarget(req.Target.Ref).
		SetTargetOwner(owner).SetInput(string(inputJSON)).SetPlan(string(planJSON)).SetState(state).
		SetRequestedBy(p.Subject).SetRequester(p.Actor()).SetActor(string(actorJSON)).
		SetNillableApprovalExpiresAt(expires)
	if _, err := create.Save(sys(ctx)); err != nil {
		return nil, fmt.Errorf("record the run: %w", err)
	}
	r.event(ctx, req.RunID, actionrunevent.KindState, "requested by "+p.Actor()+"; "+string(state))
	if state == actionrun.StateQueued {
		if err := r.enqueue(ctx, req.RunID); err != nil {
			return nil, err
		}
	}
	r.o.Audit.Record(ctx, audit.Event{Action: string(auth.RunAction), Target: req.Target.Ref, Outcome: audit.Success,
		Details: map[string]any{"action": actionID, "run": req.RunID, "state": string(state)}})
	return r.Get(ctx, req.RunID)
}

func (r *Runner) enqueue(ctx context.Context, runID string) error {
	payload, _ := json.Marshal(map[string]string{"run": runID})
	jobID, err := r.o.Queue.Enqueue(ctx, JobKind, payload, jobs.EnqueueOptions{UniqueKey: runID, MaxAttempts: r.o.MaxAttempts})
	if err != nil {
		return fmt.Errorf("queue the run: %w", err)
	}
	return r.o.Client.ActionRun.UpdateOneID(runID).SetJobID(jobID).Exec(sys(ctx))
}

// Get returns a run the caller may see.
func (r *Runner) Get(ctx context.Context, id string) (*Run, error) {
	row, err := r.row(ctx, id, auth.ReadRun)
	if err != nil {
		return nil, err
	}
	return r.view(ctx, row)
}

// row reads a run and authorizes perm on it; a run the caller may not see
// is missing.
func (r *Runner) row(ctx context.Context, id string, perm auth.Permission) (*ent.ActionRun, error) {
	row, err := r.o.Client.ActionRun.Get(sys(ctx), id)
	if ent.IsNotFound(err) {
		return nil, catalog.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	// A run the caller may not see is missing, whatever they asked.
	res := r.resource(row)
	if r.o.Policy.Authorize(principal.FromContext(ctx), auth.ReadRun, res) != nil {
		return nil, catalog.ErrNotFound
	}
	if perm != auth.ReadRun {
		if err := r.o.Policy.Enforce(ctx, r.o.Audit, perm, res); err != nil {
			return nil, err
		}
	}
	return row, nil
}

func (r *Runner) resource(row *ent.ActionRun) auth.Resource {
	res := auth.Resource{Name: row.ID, CreatedBy: row.RequestedBy}
	if row.TargetOwner != "" {
		res.Owners = []string{strings.ToLower(row.TargetOwner)}
	}
	if a, ok := r.o.Registry.Action(row.Action); ok {
		res.Approvers = a.Spec().Approval.Approvers
	}
	return res
}

func (r *Runner) view(ctx context.Context, row *ent.ActionRun) (*Run, error) {
	run := &Run{
		ID: row.ID, Action: row.Action, Target: row.Target, State: string(row.State), Requester: row.Requester,
		RequestedBy: row.RequestedBy, Error: row.Error, Attempts: row.Attempts, CreatedAt: row.CreatedAt,
		UpdatedAt: row.UpdatedAt, StartedAt: row.StartedAt, FinishedAt: row.FinishedAt,
		ApprovalExpiresAt: row.ApprovalExpiresAt, NeedsApproval: row.ApprovalExpiresAt != nil,
	}
	if a, ok := r.o.Registry.Action(row.Action); ok {
		run.Approvers = a.Spec().Approval.Who()
	}
	_ = json.Unmarshal([]byte(row.Input), &run.Input)
	if row.Plan != "" {
		run.Plan = &plugins.Plan{}
		_ = json.Unmarshal([]byte(row.Plan), run.Plan)
	}
	if row.Result != "" {
		run.Result = &plugins.RunResult{}
		_ = json.Unmarshal([]byte(row.Result), run.Result)
	}
	approvals, err := r.o.Client.ActionApproval.Query().Where(actionapproval.RunID(row.ID)).
		Order(ent.Asc(actionapproval.FieldTime)).All(sys(ctx))
	if err != nil {
		return nil, err
	}
	for _, a := range approvals {
		run.Approvals = append(run.Approvals, Approval{Approver: a.Approver, Name: a.ApproverName,
			Decision: string(a.Decision), Comment: a.Comment, Time: a.Time})
	}
	return run, nil
}

// ErrState is a request the run's state does not allow (approving a run
// that is not waiting for approval).
var ErrState = errors.New("not allowed in the run's state")

// Approve approves a run waiting for approval, which queues it.
func (r *Runner) Approve(ctx context.Context, id, comment string) (*Run, error) {
	return r.decide(ctx, id, actionapproval.DecisionApprove, comment)
}

// Reject rejects a run waiting for approval; it never runs.
func (r *Runner) Reject(ctx context.Context, id, comment string) (*Run, error) {
	return r.decide(ctx, id, actionapproval.DecisionReject, comment)
}

func (r *Runner) decide(ctx context.Context, id string, d actionapproval.Decision, comment string) (*Run, error) {
	if len(comment) > 4096 {
		return nil, &catalog.FieldError{Document: -1, Field: "comment", Reason: "longer than 4096 characters"}
	}
	row, err := r.row(ctx, id, auth.ApproveRun)
	if err != nil {
		return nil, err
	}
	p := principal.FromContext(ctx)
	next := actionrun.StateQueued
	if d == actionapproval.DecisionReject {
		next = actionrun.StateRejected
	}
	// Only a run still waiting moves; two approvers at once: one wins.
	n, err := r.o.Client.ActionRun.Update().
		Where(actionrun.ID(id), actionrun.StateEQ(actionrun.StatePendingApproval), actionrun.ApprovalExpiresAtGT(time.Now())).
		SetState(next).ClearApprovalExpiresAt().Save(sys(ctx))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("run %s is %s: %w", id, row.State, ErrState)
	}
	if err := r.o.Client.ActionApproval.Create().SetRunID(id).SetApprover(p.Subject).SetApproverName(p.Actor()).
		SetDecision(d).SetComment(comment).Exec(sys(ctx)); err != nil {
		return nil, err
	}
	r.event(ctx, id, actionrunevent.KindState, fmt.Sprintf("%sd by %s; %s", d, p.Actor(), next))
	if next == actionrun.StateQueued {
		if err := r.enqueue(ctx, id); err != nil {
			return nil, err
		}
	}
	r.o.Audit.Record(ctx, audit.Event{Action: string(auth.ApproveRun), Target: id, Outcome: audit.Success,
		Details: map[string]any{"decision": string(d), "action": row.Action, "target": row.Target}})
	return r.Get(ctx, id)
}

// Cancel stops a run that has not finished: a waiting or queued run never
// runs, a running one has its context cancelled.
func (r *Runner) Cancel(ctx context.Context, id string) (*Run, error) {
	row, err := r.row(ctx, id, auth.CancelRun)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	n, err := r.o.Client.ActionRun.Update().
		Where(actionrun.ID(id), actionrun.StateIn(actionrun.StatePendingApproval, actionrun.StateQueued, actionrun.StateRunning)).
		SetState(actionrun.StateCancelled).SetFinishedAt(now).ClearApprovalExpiresAt().Save(sys(ctx))
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("run %s is %s: %w", id, row.State, ErrState)
	}
	if row.JobID != nil {
		if err := r.o.Queue.Cancel(ctx, *row.JobID); err != nil {
			r.o.Log.Warn("cancel the run's job", "run", id, "err", err)
		}
	}
	r.event(ctx, id, actionrunevent.KindState, "cancelled by "+principal.FromContext(ctx).Actor())
	r.o.Audit.Record(ctx, audit.Event{Action: string(auth.CancelRun), Target: id, Outcome: audit.Success,
		Details: map[string]any{"action": row.Action, "target": row.Target}})
	return r.Get(ctx, id)
}

// ExpireApprovals moves runs whose approval request timed out to expired.
func (r *Runner) ExpireApprovals(ctx context.Context) (int, error) {
	expired, err := r.o.Client.ActionRun.Query().
		Where(actionrun.StateEQ(actionrun.StatePendingApproval), actionrun.ApprovalExpiresAtLTE(time.Now())).
		IDs(sys(ctx))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range expired {
		c, err := r.o.Client.ActionRun.Update().
			Where(actionrun.ID(id), actionrun.StateEQ(actionrun.StatePendingApproval)).
			SetState(actionrun.StateExpired).SetFinishedAt(time.Now()).Save(sys(ctx))
		if err != nil {
			return n, err
		}
		if c > 0 {
			n++
			r.event(ctx, id, actionrunevent.KindState, "approval request expired")
		}
	}
	return n, nil
}

// Filter selects runs; empty fields match all.
type Filter struct {
	State  string
	Action string
	Target string
	// Mine keeps the caller's own runs.
	Mine bool
	// ToApprove keeps runs waiting for an approval the caller may give.
	ToApprove bool
	Limit     int
	// Before is the id of the last run of the previous page (runs come
	// newest first; ids are UUIDv7, so they sort by time).
	Before string
}

// List returns the runs the caller may see, newest first.
func (r *Runner) List(ctx context.Context, f Filter) ([]*Run, error) {
	p := principal.FromContext(ctx)
	if p == nil {
		return nil, &auth.DeniedError{Permission: auth.ReadRun, Reason: "not signed in", Anonymous: true}
	}
	q := r.o.Client.ActionRun.Query()
	if !p.Admin || f.Mine {
		visible := []predicate.ActionRun{actionrun.RequestedBy(p.Subject)}
		if !f.Mine {
			owners := append([]string{p.User}, p.Groups...)
			visible = append(visible, actionrun.TargetOwnerIn(owners...))
		}
		q.Where(actionrun.Or(visible...))
	}
	if f.State != "" {
		q.Where(actionrun.StateEQ(actionrun.State(f.State)))
	}
	if f.ToApprove {
		q.Where(actionrun.StateEQ(actionrun.StatePendingApproval), actionrun.RequestedByNEQ(p.Subject))
	}
	if f.Action != "" {
		q.Where(actionrun.Action(f.Action))
	}
	if f.Target != "" {
		q.Where(actionrun.Target(f.Target))
	}
	if f.Before != "" {
		q.Where(actionrun.IDLT(f.Before))
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Order(ent.Desc(actionrun.FieldID)).Limit(f.Limit).All(sys(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]*Run, 0, len(rows))
	for _, row := range rows {
		if f.ToApprove && r.o.Policy.Authorize(p, auth.ApproveRun, r.resource(row)) != nil {
			continue
		}
		v, err := r.view(ctx, row)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
