package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/actionrun"
	"github.com/pont-dev/pont/ent/actionrunevent"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/plugins"
)

// work executes one attempt of a run: the queue's job function.
func (r *Runner) work(ctx context.Context, job jobs.Job) error {
	var payload struct {
		Run string `json:"run"`
	}
	if err := json.Unmarshal(job.Payload, &payload); err != nil || payload.Run == "" {
		return jobs.Permanent(fmt.Errorf("job %d: no run in its payload", job.ID))
	}
	id := payload.Run
	row, err := r.o.Client.ActionRun.Get(sys(ctx), id)
	if ent.IsNotFound(err) {
		return jobs.Permanent(fmt.Errorf("run %s is gone", id))
	}
	if err != nil {
		return err
	}
	switch row.State {
	case actionrun.StateQueued, actionrun.StateRunning:
	default:
		// Finished, cancelled, or never approved: a late delivery of the
		// job does nothing.
		return nil
	}
	action, ok := r.o.Registry.Action(row.Action)
	if !ok {
		return r.finish(ctx, row, nil, fmt.Errorf("action %s is no longer registered", row.Action))
	}
	req, err := r.requestOf(ctx, row)
	if err != nil {
		return r.finish(ctx, row, nil, err)
	}
	// Start (or resume) the run; only a run still queued or running moves,
	// so a cancel meanwhile wins.
	now := time.Now()
	upd := r.o.Client.ActionRun.Update().
		Where(actionrun.ID(id), actionrun.StateIn(actionrun.StateQueued, actionrun.StateRunning)).
		SetState(actionrun.StateRunning).AddAttempts(1)
	if row.StartedAt == nil {
		upd.SetStartedAt(now)
	}
	if n, err := upd.Save(sys(ctx)); err != nil || n == 0 {
		return err
	}
	r.event(ctx, id, actionrunevent.KindState, fmt.Sprintf("running (attempt %d of %d) on %s", job.Attempt, job.MaxAttempts, r.o.Replica))

	result, runErr := action.Run(ctx, req, &reporter{r: r, ctx: ctx, run: id})
	if runErr == nil {
		return r.finish(ctx, row, result, nil)
	}
	if errors.Is(context.Cause(ctx), jobs.ErrCancelled) {
		// Cancel already recorded the state.
		return nil
	}
	if job.Attempt >= job.MaxAttempts || plugins.IsPermanent(runErr) {
		return r.finish(ctx, row, nil, runErr)
	}
	// A transient error: the queue tries again after its backoff.
	_ = r.o.Client.ActionRun.Update().Where(actionrun.ID(id), actionrun.StateEQ(actionrun.StateRunning)).
		SetState(actionrun.StateQueued).SetError(runErr.Error()).Exec(sys(ctx))
	r.event(ctx, id, actionrunevent.KindState, fmt.Sprintf("attempt %d failed, will retry: %v", job.Attempt, runErr))
	return runErr
}

// finish records a run's end: succeeded with its result, or failed.
func (r *Runner) finish(ctx context.Context, row *ent.ActionRun, result *plugins.RunResult, runErr error) error {
	upd := r.o.Client.ActionRun.Update().
		Where(actionrun.ID(row.ID), actionrun.StateIn(actionrun.StateQueued, actionrun.StateRunning)).
		SetFinishedAt(time.Now())
	msg := "succeeded"
	if runErr != nil {
		upd.SetState(actionrun.StateFailed).SetError(runErr.Error())
		msg = "failed: " + runErr.Error()
	} else {
		b, _ := json.Marshal(result)
		upd.SetState(actionrun.StateSucceeded).SetResult(string(b)).SetError("")
	}
	if _, err := upd.Save(sys(ctx)); err != nil {
		return err
	}
	r.event(ctx, row.ID, actionrunevent.KindState, msg)
	r.o.Audit.Outcome(sys(ctx), "action.run.finish", row.ID, runErr,
		map[string]any{"action": row.Action, "target": row.Target, "requestedBy": row.Requester})
	return nil
}

// requestOf rebuilds a run's request from its row, the same on every
// attempt. The target's labels and annotations are read afresh.
func (r *Runner) requestOf(ctx context.Context, row *ent.ActionRun) (plugins.ActionRequest, error) {
	req := plugins.ActionRequest{RunID: row.ID}
	if err := json.Unmarshal([]byte(row.Input), &req.Input); err != nil {
		return req, fmt.Errorf("run %s: input: %w", row.ID, err)
	}
	if err := json.Unmarshal([]byte(row.Actor), &req.Actor); err != nil {
		return req, fmt.Errorf("run %s: actor: %w", row.ID, err)
	}
	t, _, err := r.target(principal.SystemContext(ctx), row.Target)
	if err != nil {
		return req, fmt.Errorf("target %s: %w", row.Target, err)
	}
	req.Target = t
	return req, nil
}

// reporter writes what a run says as events.
type reporter struct {
	r   *Runner
	ctx context.Context
	run string
}

func (rp *reporter) Log(format string, args ...any) {
	rp.r.event(rp.ctx, rp.run, actionrunevent.KindLog, fmt.Sprintf(format, args...))
}

func (rp *reporter) Step(name string) { rp.r.event(rp.ctx, rp.run, actionrunevent.KindStep, name) }

func (rp *reporter) Once(name string, do func() error) error {
	done, err := rp.r.o.Client.ActionRunEvent.Query().
		Where(actionrunevent.RunID(rp.run), actionrunevent.KindEQ(actionrunevent.KindDone), actionrunevent.Message(name)).
		Exist(sys(rp.ctx))
	if err != nil {
		return fmt.Errorf("step %s: read the run's log: %w", name, err)
	}
	if done {
		rp.Log("%s: done by an earlier attempt", name)
		return nil
	}
	rp.Step(name)
	if err := do(); err != nil {
		return err
	}
	rp.r.event(rp.ctx, rp.run, actionrunevent.KindDone, name)
	return nil
}

// maxEventBytes caps one log line.
const maxEventBytes = 8 << 10

// event appends one event to a run's log and wakes its watchers. Two
// writers never write one run's log at once (one attempt runs at a time),
// but a retry is cheap if they did.
func (r *Runner) event(ctx context.Context, run string, kind actionrunevent.Kind, msg string) {
	if len(msg) > maxEventBytes {
		msg = msg[:maxEventBytes] + "…"
	}
	ctx = sys(context.WithoutCancel(ctx))
	for range 3 {
		last, err := r.o.Client.ActionRunEvent.Query().Where(actionrunevent.RunID(run)).
			Order(ent.Desc(actionrunevent.FieldSeq)).First(ctx)
		seq := 1
		if err == nil {
			seq = last.Seq + 1
		} else if !ent.IsNotFound(err) {
			r.o.Log.Warn("read the run's log", "run", run, "err", err)
			return
		}
		err = r.o.Client.ActionRunEvent.Create().SetRunID(run).SetSeq(seq).SetKind(kind).SetMessage(msg).Exec(ctx)
		if err == nil {
			r.wake(run)
			return
		}
		if !ent.IsConstraintError(err) {
			r.o.Log.Warn("write the run's log", "run", run, "err", err)
			return
		}
	}
}

// Events returns a run's events after seq (0: from the start), at most limit.
func (r *Runner) Events(ctx context.Context, id string, after, limit int) ([]Event, error) {
	if _, err := r.row(ctx, id, auth.ReadRun); err != nil {
		return nil, err
	}
	return r.events(ctx, id, after, limit)
}

func (r *Runner) events(ctx context.Context, id string, after, limit int) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := r.o.Client.ActionRunEvent.Query().
		Where(actionrunevent.RunID(id), actionrunevent.SeqGT(after)).
		Order(ent.Asc(actionrunevent.FieldSeq)).Limit(limit).All(sys(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, e := range rows {
		out[i] = Event{Seq: e.Seq, Time: e.Time, Kind: string(e.Kind), Message: e.Message}
	}
	return out, nil
}

// Follow streams a run's events from after seq until the run has finished
// and its last event was sent, or ctx ends. Events written by this process
// arrive at once; those of another replica within the poll interval.
func (r *Runner) Follow(ctx context.Context, id string, after int) (<-chan Event, error) {
	if _, err := r.row(ctx, id, auth.ReadRun); err != nil {
		return nil, err
	}
	wake := make(chan struct{}, 1)
	r.mu.Lock()
	if r.watchers[id] == nil {
		r.watchers[id] = map[chan struct{}]struct{}{}
	}
	r.watchers[id][wake] = struct{}{}
	r.mu.Unlock()
	out := make(chan Event, 64)
	go func() {
		defer close(out)
		defer func() {
			r.mu.Lock()
			delete(r.watchers[id], wake)
			if len(r.watchers[id]) == 0 {
				delete(r.watchers, id)
			}
			r.mu.Unlock()
		}()
		poll := time.NewTicker(500 * time.Millisecond)
		defer poll.Stop()
		draining := false
		for {
			evs, err := r.events(ctx, id, after, 1000)
			if err != nil {
				return
			}
			for _, e := range evs {
				select {
				case out <- e:
					after = e.Seq
				case <-ctx.Done():
					return
				}
			}
			if len(evs) == 0 {
				row, err := r.o.Client.ActionRun.Get(sys(ctx), id)
				if err != nil {
					return
				}
				if finished(row.State) {
					// The state changes just before its event is
					// written: one last read after a moment gets it.
					if draining {
						return
					}
					draining = true
					select {
					case <-ctx.Done():
						return
					case <-time.After(200 * time.Millisecond):
					}
					continue
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-poll.C:
			}
		}
	}()
	return out, nil
}

func finished(s actionrun.State) bool {
	switch s {
	case actionrun.StateSucceeded, actionrun.StateFailed, actionrun.StateCancelled, actionrun.StateExpired, actionrun.StateRejected:
		return true
	}
	return false
}

func (r *Runner) wake(run string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ch := range r.watchers[run] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
