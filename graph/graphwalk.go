package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent/relation"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// walkGraph returns the neighbourhood of ref: breadth first along the
// relations table, one statement per hop, then one statement for every
// entity reached. Relations to kinds the caller may not read are not
// followed; the walk stops at Limits.MaxGraphNodes entities.
func (r *Resolver) walkGraph(ctx context.Context, ref string, depth int, relationTypes []string) (*model.EntityGraph, error) {
	p := principal.FromContext(ctx)
	out := &model.EntityGraph{Nodes: []model.Entity{}, Edges: []*model.GraphEdge{}}
	root, err := r.entityByRef(ctx, ref)
	if errors.Is(err, catalog.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	maxNodes := r.deps.Limits.MaxGraphNodes
	seen := map[string]bool{root.Key(): true}
	order := []string{root.Key()}
	type edgeKey struct{ s, t, d string }
	edges := map[edgeKey]bool{}
	frontier := []string{root.Key()}
hops:
	for hop := 0; hop < depth && len(frontier) > 0; hop++ {
		var next []string
		for part := range slices.Chunk(frontier, 5000) {
			q := r.client.Relation.Query().Where(relation.SourceKeyIn(part...))
			if len(relationTypes) > 0 {
				q.Where(relation.TypeIn(relationTypes...))
			}
			rows, err := q.Select(relation.FieldSourceKey, relation.FieldType, relation.FieldTargetKey).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, rel := range rows {
				kind, _, _ := cutKind(rel.TargetKey)
				if !p.CanReadKind(kind) {
					continue
				}
				k := edgeKey{rel.SourceKey, rel.TargetKey, rel.Type}
				if !edges[k] {
					edges[k] = true
					out.Edges = append(out.Edges, &model.GraphEdge{Source: rel.SourceKey, Type: rel.Type, Target: rel.TargetKey})
				}
				if seen[rel.TargetKey] {
					continue
				}
				if len(seen) >= maxNodes {
					out.Truncated = true
					break hops
				}
				seen[rel.TargetKey] = true
				order = append(order, rel.TargetKey)
				next = append(next, rel.TargetKey)
			}
		}
		frontier = next
	}
	views, err := model.LoaderFrom(ctx).ByKeys(ctx, order)
	if err != nil {
		return nil, err
	}
	present := make(map[string]bool, len(views))
	for _, v := range views {
		present[v.Key()] = true
		out.Nodes = append(out.Nodes, model.Wrap(v))
	}
	out.Root = out.Nodes[0]
	// An edge to a target that is not stored (a dangling ref) or that the
	// caller may not read is left out, as the node is.
	out.Edges = slices.DeleteFunc(out.Edges, func(e *model.GraphEdge) bool { return !present[e.Source] || !present[e.Target] })
	return out, nil
}

func cutKind(key string) (kind, rest string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			return key[:i], key[i+1:], true
		}
	}
	return "", key, false
}
