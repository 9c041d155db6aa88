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
			rows, err := r.hop(ctx, part, relationTypes)
			if err != nil {
				return nil, err
			}
			for i := range rows {
				rel := &rows[i]
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
	// Every entity reached, in one statement (per 5,000) from the
	// covering index, through ent's privacy policies. (Joining each hop's
	// relations to their targets instead costs a lookup per relation row,
	// several times the unique targets: measured slower.)
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

// hopRow is one relation a hop follows.
type hopRow struct {
	SourceKey string `sql:"source_key"`
	Type      string `sql:"type"`
	TargetKey string `sql:"target_key"`
}

// hop reads the relations from sources in one statement, from the index
// on (source_key, type, target_key, target_ref) alone.
func (r *Resolver) hop(ctx context.Context, sources, relationTypes []string) ([]hopRow, error) {
	q := r.client.Relation.Query().Where(relation.SourceKeyIn(sources...)).Unique(false)
	if len(relationTypes) > 0 {
		q.Where(relation.TypeIn(relationTypes...))
	}
	var rows []hopRow
	err := q.Select(relation.FieldSourceKey, relation.FieldType, relation.FieldTargetKey).Scan(ctx, &rows)
	return rows, err
}

func cutKind(key string) (kind, rest string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			return key[:i], key[i+1:], true
		}
	}
	return "", key, false
}
