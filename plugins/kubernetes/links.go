package kubernetes

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// componentResolver maps a backstage.io/kubernetes-id value to the catalog
// components annotated with it, as Backstage's Kubernetes plugin matches
// them. When no component carries the annotation, the id is taken as a
// component name in the default namespace (the common convention), so the
// link appears once that component is registered.
type componentResolver struct {
	store      catalog.Store
	annotation string

	mu    sync.Mutex
	cache map[string]resolved
}

type resolved struct {
	refs []string
	at   time.Time
}

// resolveTTL is how long a lookup is reused; every resync
// (kubernetes.resyncInterval) forgets them all and re-derives every link.
const resolveTTL = time.Minute

func newComponentResolver(store catalog.Store, annotation string) *componentResolver {
	return &componentResolver{store: store, annotation: annotation, cache: map[string]resolved{}}
}

func (r *componentResolver) components(id string) []string {
	r.mu.Lock()
	c, ok := r.cache[id]
	r.mu.Unlock()
	if ok && time.Since(c.at) < resolveTTL {
		return c.refs
	}
	refs := r.lookup(id)
	r.mu.Lock()
	r.cache[id] = resolved{refs: refs, at: time.Now()}
	r.mu.Unlock()
	return refs
}

func (r *componentResolver) lookup(id string) []string {
	fallback := []string{componentRef(id)}
	if r.store == nil || fallback[0] == "" {
		return fallback[:0:0]
	}
	ctx, cancel := context.WithTimeout(principal.SystemContext(context.Background()), 5*time.Second)
	defer cancel()
	page, err := r.store.QueryEntities(ctx, catalog.EntityQuery{Limit: 20, Filter: catalog.And(
		catalog.Filter{Key: "kind", Op: catalog.OpIn, Values: []string{"component"}},
		catalog.Filter{Key: "metadata.annotations." + r.annotation, Op: catalog.OpIn, Values: []string{id}},
	)})
	if err != nil || len(page.Items) == 0 {
		return fallback
	}
	var refs []string
	for _, e := range page.Items {
		if ref, err := catalog.ParseRef(e.Key, catalog.RefDefaults{}); err == nil {
			refs = append(refs, ref.String())
		}
	}
	slices.Sort(refs)
	return refs
}

// forget drops what was resolved, before a full resync.
func (r *componentResolver) forget() {
	r.mu.Lock()
	clear(r.cache)
	r.mu.Unlock()
}
