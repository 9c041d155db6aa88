package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// watchEntities streams entity changes of the given kinds or refs (all
// when both are empty) that the subscriber may read, until ctx ends.
func (r *Resolver) watchEntities(ctx context.Context, kinds, refs []string) (<-chan *model.EntityChange, error) {
	p := principal.FromContext(ctx)
	wantKinds := make([]string, len(kinds))
	for i, k := range kinds {
		wantKinds[i] = strings.ToLower(k)
	}
	wantKeys := make([]string, 0, len(refs))
	for _, ref := range refs {
		parsed, err := catalog.ParseRef(strings.TrimSpace(ref), catalog.RefDefaults{Kind: "component", Namespace: "default"})
		if err != nil {
			return nil, &catalog.FieldError{Document: -1, Field: "refs", Reason: err.Error()}
		}
		wantKeys = append(wantKeys, parsed.Key())
	}
	changes, cancel := r.deps.Store.SubscribeChanges(64)
	out := make(chan *model.EntityChange, 16)
	go func() {
		defer close(out)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case batch, ok := <-changes:
				if !ok {
					return
				}
				if batch.Overflow {
					select {
					case out <- &model.EntityChange{Type: model.EntityChangeTypeResync}:
					case <-ctx.Done():
						return
					}
				}
				for _, c := range batch.Changes {
					if !p.CanReadKind(c.Kind) ||
						(len(wantKinds) > 0 && !slices.Contains(wantKinds, c.Kind)) ||
						(len(wantKeys) > 0 && !slices.Contains(wantKeys, c.Key)) {
						continue
					}
					ev := &model.EntityChange{Type: model.EntityChangeTypeRemoved, Ref: c.Key, Kind: c.Kind}
					if !c.Removed {
						// A fresh loader per change: the subscription lives
						// long, and what it read before is stale now.
						lctx := model.WithLoader(ctx, model.NewLoader(r.client))
						views, err := model.LoaderFrom(lctx).ByKeys(lctx, []string{c.Key})
						if err != nil || len(views) == 0 {
							continue
						}
						ref, err := views[0].Ref()
						if err != nil {
							continue
						}
						ev.Type, ev.Entity, ev.Ref = model.EntityChangeTypeChanged, model.Wrap(views[0]), ref
					}
					select {
					case out <- ev:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return out, nil
}
