package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/privacy"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/auth"
)

// LimitError is a breached limit; the answer names its configuration key.
type LimitError struct {
	Limit   string // configuration key, e.g. graphql.maxPageSize
	Message string
	Value   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s (%s is %d)", e.Message, e.Limit, e.Value)
}

// maxFacets caps the facets one search may count, and the filters it
// may apply; maxFilterValues the values of one filter.
const (
	maxFacets       = 10
	maxFilterValues = 50
)

// searchFilters checks a search's filters: facet fields (no relations,
// which text search does not index), each at most once, with 1 to
// maxFilterValues values of at most 200 bytes.
func searchFilters(filters []*model.SearchFilter) (map[string][]string, error) {
	if len(filters) == 0 {
		return nil, nil
	}
	bad := func(format string, args ...any) error {
		return &catalog.FieldError{Document: -1, Field: "filters", Reason: fmt.Sprintf(format, args...)}
	}
	if len(filters) > maxFacets {
		return nil, bad("at most %d filters", maxFacets)
	}
	out := make(map[string][]string, len(filters))
	for _, f := range filters {
		field := strings.ToLower(strings.TrimSpace(f.Field))
		switch {
		case field == "" || len(field) > 200 || strings.HasPrefix(field, "relations."):
			return nil, bad("%q is not a field search can filter on", f.Field)
		case out[field] != nil:
			return nil, bad("%s is filtered twice", field)
		case len(f.Values) == 0 || len(f.Values) > maxFilterValues:
			return nil, bad("%s: 1 to %d values", field, maxFilterValues)
		}
		for _, v := range f.Values {
			if len(v) > 200 {
				return nil, bad("%s: a value longer than 200 bytes", field)
			}
		}
		out[field] = f.Values
	}
	return out, nil
}

func (l Limits) defaultPageSize() int { return min(20, l.MaxPageSize) }

// checkPage refuses first/last beyond graphql.maxPageSize.
func (r *Resolver) checkPage(first, last *int) error {
	for _, n := range []*int{first, last} {
		if n != nil && (*n < 0 || *n > r.deps.Limits.MaxPageSize) {
			return &LimitError{Limit: "graphql.maxPageSize", Message: fmt.Sprintf("first/last %d is outside 0..%d", *n, r.deps.Limits.MaxPageSize), Value: r.deps.Limits.MaxPageSize}
		}
	}
	return nil
}

// defaultPage gives a connection without first or last the default page.
func (r *Resolver) defaultPage(first, last *int) (*int, *int) {
	if first == nil && last == nil {
		n := r.deps.Limits.defaultPageSize()
		return &n, nil
	}
	return first, last
}

// pageSize is first (or the default), checked against the limit.
func (r *Resolver) pageSize(first, last *int) (int, error) {
	if err := r.checkPage(first, last); err != nil {
		return 0, err
	}
	if first != nil {
		return *first, nil
	}
	return r.deps.Limits.defaultPageSize(), nil
}

// wantsField reports whether the current field's selection includes name,
// so that a total is counted only when asked for.
func wantsField(ctx context.Context, name string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// node finds any Relay node by id: an entity (by uid), a registered
// location, an API token or an audit event, each read through the privacy
// policies, so what the caller may not see is not found.
func (r *Resolver) node(ctx context.Context, id string) (ent.Noder, error) {
	views, err := model.LoaderFrom(ctx).ByIDs(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(views) > 0 {
		return model.Wrap(views[0]).(ent.Noder), nil
	}
	if l, err := r.client.Location.Get(ctx, id); err == nil {
		return l, nil
	} else if !ent.IsNotFound(err) && !isPrivacyDenial(err) {
		return nil, err
	}
	if t, err := r.client.APIToken.Get(ctx, id); err == nil {
		return t, nil
	} else if !ent.IsNotFound(err) && !isPrivacyDenial(err) {
		return nil, err
	}
	if a, err := r.client.AuditEvent.Get(ctx, id); err == nil {
		return a, nil
	} else if !ent.IsNotFound(err) && !isPrivacyDenial(err) {
		return nil, err
	}
	return nil, nil
}

// changeableLocation reads a registered location and authorizes perm on
// it; a missing location is ErrNotFound.
func (r *Resolver) changeableLocation(ctx context.Context, id string, perm auth.Permission) (*ent.Location, error) {
	if _, err := signedIn(ctx, perm); err != nil {
		return nil, err
	}
	loc, err := r.client.Location.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, catalog.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	res := auth.Resource{Name: id, CreatedBy: loc.CreatedBy, Config: loc.Origin == "config"}
	if _, err := r.authorize(ctx, perm, res); err != nil {
		return nil, err
	}
	return loc, nil
}

// ownedEntity reads an entity the caller may read and authorizes perm on
// it against its owners.
func (r *Resolver) ownedEntity(ctx context.Context, ref string, perm auth.Permission) (*model.View, error) {
	if _, err := signedIn(ctx, perm); err != nil {
		return nil, err
	}
	v, err := r.entityByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	owners, err := r.ownersOf(ctx, v.Key())
	if err != nil {
		return nil, err
	}
	if _, err := r.authorize(ctx, perm, auth.Resource{Kind: v.Row.Kind, Name: v.Key(), Owners: owners}); err != nil {
		return nil, err
	}
	return v, nil
}

// isPrivacyDenial reports a refusal by ent/schema's privacy policies.
func isPrivacyDenial(err error) bool { return errors.Is(err, privacy.Deny) }
