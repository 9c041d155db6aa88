package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// ScopedStore wraps a catalog store so that every read answers only what
// the request's principal may read (as coder's dbauthz wraps its
// database): entities of kinds it may not read are absent from lists,
// totals, facets and lookups, as if they did not exist. A handler written
// tomorrow gets the same answer without knowing the policy. Writes pass
// through: the API authorizes each mutation against its target first
// (Policy.Authorize), since that needs the target's owners.
func ScopedStore(s catalog.Store) catalog.Store { return scopedStore{s} }

type scopedStore struct{ catalog.Store }

// readFilter is the filter every read of p is narrowed by; ok is false
// when p may read nothing (not signed in).
func readFilter(ctx context.Context) (f catalog.Filter, ok bool) {
	p := principal.FromContext(ctx)
	if p == nil {
		return catalog.Filter{}, false
	}
	if p.Admin || p.ReadKinds == nil {
		return catalog.Filter{}, true
	}
	if len(p.ReadKinds) == 0 {
		return catalog.Filter{}, false
	}
	return catalog.Filter{Key: "kind", Values: p.ReadKinds}, true
}

func denied() error {
	return &DeniedError{Permission: ReadEntity, Reason: "not signed in", Anonymous: true}
}

// readable reports whether the caller may read e, and leaves out of its
// relations those to kinds the caller may not read (their refs would
// reveal what it may not see).
func readable(ctx context.Context, e *catalog.StoredEntity) bool {
	p := principal.FromContext(ctx)
	kind, _, _ := strings.Cut(e.Key, ":")
	if !p.CanReadKind(kind) {
		return false
	}
	if !p.Admin && p.ReadKinds != nil {
		e.Relations = slices.DeleteFunc(slices.Clone(e.Relations), func(r catalog.Relation) bool {
			kind, _, ok := strings.Cut(r.TargetRef, ":")
			return !ok || !p.CanReadKind(kind)
		})
	}
	return true
}

func (s scopedStore) EntityByKey(ctx context.Context, key string) (*catalog.StoredEntity, error) {
	return s.one(ctx, func() (*catalog.StoredEntity, error) { return s.Store.EntityByKey(ctx, key) })
}

func (s scopedStore) EntityByUID(ctx context.Context, uid string) (*catalog.StoredEntity, error) {
	return s.one(ctx, func() (*catalog.StoredEntity, error) { return s.Store.EntityByUID(ctx, uid) })
}

func (s scopedStore) one(ctx context.Context, read func() (*catalog.StoredEntity, error)) (*catalog.StoredEntity, error) {
	if principal.FromContext(ctx) == nil {
		return nil, denied()
	}
	e, err := read()
	if err != nil {
		return nil, err
	}
	if !readable(ctx, e) {
		return nil, catalog.ErrNotFound
	}
	return e, nil
}

func (s scopedStore) EntitiesByKeys(ctx context.Context, keys []string) ([]*catalog.StoredEntity, error) {
	if principal.FromContext(ctx) == nil {
		return nil, denied()
	}
	out, err := s.Store.EntitiesByKeys(ctx, keys)
	for i, e := range out {
		if e != nil && !readable(ctx, e) {
			out[i] = nil
		}
	}
	return out, err
}

func (s scopedStore) QueryEntities(ctx context.Context, q catalog.EntityQuery) (*catalog.EntityPage, error) {
	f, ok := readFilter(ctx)
	if !ok {
		return nil, denied()
	}
	if !f.Empty() {
		q.Filter = catalog.And(q.Filter, f)
	}
	page, err := s.Store.QueryEntities(ctx, q)
	if page != nil {
		for _, e := range page.Items {
			readable(ctx, e)
		}
	}
	return page, err
}

func (s scopedStore) Facets(ctx context.Context, filter catalog.Filter, facets []string) (map[string][]catalog.FacetCount, error) {
	f, ok := readFilter(ctx)
	if !ok {
		return nil, denied()
	}
	if !f.Empty() {
		filter = catalog.And(filter, f)
	}
	return s.Store.Facets(ctx, filter, facets)
}

func (s scopedStore) SearchText(ctx context.Context, q catalog.TextQuery) (*catalog.TextPage, error) {
	p := principal.FromContext(ctx)
	if p == nil {
		return nil, denied()
	}
	if !p.Admin && p.ReadKinds != nil {
		if q.Kinds == nil {
			q.Kinds = slices.Clone(p.ReadKinds)
		} else {
			q.Kinds = slices.DeleteFunc(slices.Clone(q.Kinds), func(k string) bool { return !p.CanReadKind(k) })
		}
	}
	return s.Store.SearchText(ctx, q)
}

func (s scopedStore) ProviderOf(ctx context.Context, key string) (string, error) {
	p := principal.FromContext(ctx)
	if p == nil {
		return "", denied()
	}
	kind, _, _ := strings.Cut(key, ":")
	if !p.CanReadKind(kind) {
		return "", catalog.ErrNotFound
	}
	return s.Store.ProviderOf(ctx, key)
}
