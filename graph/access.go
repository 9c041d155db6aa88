package graph

import (
	"context"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph/model"
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
	if err := r.deps.Policy.Enforce(ctx, r.deps.Audit, perm, res); err != nil {
		return nil, err
	}
	return principal.FromContext(ctx), nil
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
