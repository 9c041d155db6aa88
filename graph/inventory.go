package graph

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// The Kubernetes inventory's clusters, environments and databases are
// catalog entities of kind Resource too, so whoever may read that kind
// reads them here; to anyone else the lists are empty, as hidden entities
// are missing ones.
func (r *Resolver) readsInventory(ctx context.Context) bool {
	if r.deps.Inventory == nil {
		return false
	}
	p := principal.FromContext(ctx)
	return p != nil && r.deps.Policy.Authorize(p, auth.ReadEntity, auth.Resource{Kind: "resource"}) == nil
}

// entityOrNull is the entity of a ref, null when it is not (yet) in the
// catalog or the caller may not read it.
func (r *Resolver) entityOrNull(ctx context.Context, ref string) (model.Entity, error) {
	v, err := r.entityByRef(ctx, ref)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return model.Wrap(v), nil
}

// componentKubernetesID is the component's backstage.io/kubernetes-id.
func componentKubernetesID(c *model.Component) (string, error) {
	a, err := c.Annotations()
	if err != nil {
		return "", err
	}
	m, _ := a.(map[string]string)
	return m["backstage.io/kubernetes-id"], nil
}

// pageOf cuts a sorted list after the cursor (the key of the last item of
// the previous page) and returns the page, the next cursor and the total.
func pageOf[T any](items []T, first *int, after *string, def int, key func(T) string) ([]T, *string, int) {
	total := len(items)
	if after != nil && *after != "" {
		i, _ := slices.BinarySearchFunc(items, *after, func(it T, k string) int { return strings.Compare(key(it), k) })
		if i < len(items) && key(items[i]) == *after {
			i++
		}
		items = items[i:]
	}
	n := def
	if first != nil {
		n = *first
	}
	if n < len(items) {
		items = items[:n]
		if n > 0 {
			next := key(items[n-1])
			return items, &next, total
		}
	}
	return items, nil, total
}

func ptrs[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

// groupFilter reads an owner filter: "team-a" means group:default/team-a.
func groupFilter(s *string) string { return refFilter(s, "group") }

// refFilter is an entity ref argument in full (kind defaulted), "" for none.
func refFilter(s *string, kind string) string {
	v := deref(s)
	if v == "" {
		return ""
	}
	ref, err := catalog.ParseRef(v, catalog.RefDefaults{Kind: kind, Namespace: catalog.DefaultNamespace})
	if err != nil {
		return v // matches nothing
	}
	return ref.String()
}

// watchInventory streams inventory changes to a subscriber who may read
// kind Resource, filtered by type and cluster.
func (r *Resolver) watchInventory(ctx context.Context, types []model.InventoryChangeType, cluster string) (<-chan *model.InventoryChange, error) {
	out := make(chan *model.InventoryChange, 1)
	if !r.readsInventory(ctx) {
		go func() {
			<-ctx.Done()
			close(out)
		}()
		return out, nil
	}
	events := r.deps.Inventory.Subscribe(ctx, 1024)
	go func() {
		defer close(out)
		for e := range events {
			c := &model.InventoryChange{Removed: e.Removed, Cluster: e.Cluster, Environment: e.Environment, Database: e.Database}
			name := ""
			switch {
			case e.Overflow:
				c.Type = model.InventoryChangeTypeResync
			case e.Cluster != nil:
				c.Type, name = model.InventoryChangeTypeCluster, e.Cluster.Name
			case e.Environment != nil:
				c.Type, name = model.InventoryChangeTypeEnvironment, e.Environment.Cluster
			case e.Database != nil:
				c.Type, name = model.InventoryChangeTypeDatabase, e.Database.Cluster
			}
			if c.Type != model.InventoryChangeTypeResync {
				if (len(types) > 0 && !slices.Contains(types, c.Type)) || (cluster != "" && cluster != name) {
					continue
				}
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
