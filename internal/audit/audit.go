// Package audit keeps the audit trail: every mutation, sign-in, token
// minted or revoked and denied request becomes a record in the database
// (queryable by admins through GraphQL) and a structured JSON line in the
// log. Callers say what happened; who, when and from where come from the
// request context. Secrets never reach a record: Details is for
// parameters, and callers leave tokens, cookies and passwords out.
package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/auditevent"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// Outcome of an audited action.
type Outcome = auditevent.Outcome

// Outcomes.
const (
	Success = auditevent.OutcomeSuccess
	Denied  = auditevent.OutcomeDenied
	Failure = auditevent.OutcomeFailure
)

// Event is one audited action.
type Event struct {
	// Action names what was attempted: catalog.location.create,
	// auth.signin, token.revoke ...
	Action string
	// Target is what it was attempted on: an entity ref, a location id.
	Target  string
	Outcome Outcome
	// Reason says why it was denied or failed.
	Reason string
	// Details holds the action's parameters, secrets left out.
	Details map[string]any
}

// Log writes audit records.
type Log struct {
	db  *ent.Client
	log *slog.Logger
}

// New returns an audit log writing to db and to logger (as JSON lines under
// the "audit" message).
func New(db *ent.Client, logger *slog.Logger) *Log {
	return &Log{db: db, log: logger}
}

// Record writes ev. A record that cannot be stored is still logged, with
// the storage error: losing the request over its audit record would hide
// the action, and losing the record silently would too.
func (l *Log) Record(ctx context.Context, ev Event) {
	if l == nil {
		return
	}
	p := principal.FromContext(ctx)
	meta := RequestFrom(ctx)
	details := ""
	if len(ev.Details) > 0 {
		if b, err := json.Marshal(ev.Details); err == nil {
			details = string(b)
		}
	}
	kind := ""
	if p != nil {
		kind = string(p.Kind)
	}
	now := time.Now().UTC()
	id, err := uuid.NewV7()
	if err != nil {
		id = uuid.New()
	}
	// The record is written even when the request's context is cancelled
	// (a timeout is often what is being audited), within its own bound.
	wctx, cancel := context.WithTimeout(principal.SystemContext(context.WithoutCancel(ctx)), 5*time.Second)
	defer cancel()
	err = l.db.AuditEvent.Create().
		SetID(id.String()).SetTime(now).
		SetActor(p.Actor()).SetActorKind(kind).
		SetAction(ev.Action).SetTarget(ev.Target).
		SetOutcome(ev.Outcome).SetReason(ev.Reason).
		SetRemoteAddr(meta.RemoteAddr).SetRequestID(meta.RequestID).
		SetDetails(details).
		Exec(wctx)
	attrs := []any{
		slog.String("id", id.String()), slog.String("actor", p.Actor()), slog.String("actorKind", kind),
		slog.String("action", ev.Action), slog.String("target", ev.Target), slog.String("outcome", string(ev.Outcome)),
		slog.String("remoteAddr", meta.RemoteAddr), slog.String("requestId", meta.RequestID),
	}
	if ev.Reason != "" {
		attrs = append(attrs, slog.String("reason", ev.Reason))
	}
	if details != "" {
		attrs = append(attrs, slog.String("details", details))
	}
	if err != nil {
		attrs = append(attrs, slog.String("storeError", err.Error()))
		l.log.Error("audit", attrs...)
		return
	}
	l.log.Info("audit", attrs...)
}

// Request is where a request came from.
type Request struct {
	RemoteAddr string
	RequestID  string
}

type requestKey struct{}

// WithRequest returns ctx carrying the request's origin for records.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request origin of ctx (zero outside requests).
func RequestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// Prune deletes the records written before cutoff and returns how many.
func (l *Log) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	return l.db.AuditEvent.Delete().Where(auditevent.TimeLT(cutoff)).Exec(principal.SystemContext(ctx))
}

// KeepFor deletes records older than retention every hour until ctx
// ends. Every replica may run it: deleting what is gone already is a no-op.
func (l *Log) KeepFor(ctx context.Context, retention time.Duration) error {
	if retention <= 0 {
		return nil
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := l.Prune(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
			l.log.Warn("audit retention", "err", err)
		} else if n > 0 {
			l.log.Info("audit retention: deleted old records", "count", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Outcome records what became of an action: success when err is nil, a
// failure with err's words otherwise.
func (l *Log) Outcome(ctx context.Context, action, target string, err error, details map[string]any) {
	ev := Event{Action: action, Target: target, Outcome: Success, Details: details}
	if err != nil {
		ev.Outcome, ev.Reason = Failure, err.Error()
	}
	l.Record(ctx, ev)
}
