package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// signedIn returns the caller, or the denial every field gives an
// anonymous caller.
func signedIn(ctx context.Context, perm auth.Permission) (*principal.Principal, error) {
	p := principal.FromContext(ctx)
	if p == nil {
		return nil, &auth.DeniedError{Permission: perm, Reason: "not signed in", Anonymous: true}
	}
	return p, nil
}

// authorize asks the policy, and audits a denial.
func (r *Resolver) authorize(ctx context.Context, perm auth.Permission, res auth.Resource) (*principal.Principal, error) {
	p := principal.FromContext(ctx)
	if err := r.deps.Policy.Authorize(p, perm, res); err != nil {
		r.deps.Audit.Record(ctx, audit.Event{Action: string(perm), Target: res.Name, Outcome: audit.Denied, Reason: err.Error()})
		return nil, err
	}
	return p, nil
}

// record audits the outcome of a mutation: success, or the error.
func (r *Resolver) record(ctx context.Context, perm auth.Permission, target string, err error, details map[string]any) {
	ev := audit.Event{Action: string(perm), Target: target, Outcome: audit.Success, Details: details}
	if err != nil {
		ev.Outcome, ev.Reason = audit.Failure, err.Error()
		var fe *catalog.FieldError
		if errors.As(err, &fe) {
			ev.Reason = fe.Error()
		}
	}
	r.deps.Audit.Record(ctx, ev)
}

// entityByRef reads an entity the caller may read; ErrNotFound otherwise,
// so that hidden and missing look alike.
func (r *Resolver) entityByRef(ctx context.Context, ref string) (*model.View, error) {
	parsed, err := catalog.ParseRef(strings.TrimSpace(ref), catalog.RefDefaults{Kind: "component", Namespace: "default"})
	if err != nil {
		return nil, &catalog.FieldError{Document: -1, Field: "ref", Reason: err.Error()}
	}
	views, err := model.LoaderFrom(ctx).ByKeys(ctx, []string{parsed.Key()})
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, catalog.ErrNotFound
	}
	return views[0], nil
}

// ownersOf lists the owner ref keys of an entity (its ownedBy relations),
// read with the store's rights so that an owner of a hidden kind still
// counts.
func (r *Resolver) ownersOf(ctx context.Context, key string) ([]string, error) {
	e, err := r.deps.Store.EntityByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	return catalog.OwnersOf(e), nil
}
