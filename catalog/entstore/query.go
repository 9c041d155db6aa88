package entstore

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pont-dev/pont/catalog"
)

// whereFilter turns a filter into SQL on the entities table "e". kind and
// metadata.namespace use the entity's own columns (they are lower-cased
// there), relations.<type> the relations table, every other key the search
// table; all comparisons are on lower-cased values.
func (s *Store) whereFilter(f catalog.Filter) (string, []any) {
	switch {
	case f.Key != "":
		return leafSQL(f)
	case f.Not != nil:
		inner, args := s.whereFilter(*f.Not)
		return "NOT " + inner, args
	case len(f.Any) > 0:
		return s.combine(f.Any, " OR ")
	case len(f.All) > 0:
		return s.combine(f.All, " AND ")
	}
	return "1=1", nil
}

func (s *Store) combine(fs []catalog.Filter, op string) (string, []any) {
	parts := make([]string, 0, len(fs))
	var args []any
	for _, sub := range fs {
		p, a := s.whereFilter(sub)
		parts = append(parts, p)
		args = append(args, a...)
	}
	return "(" + strings.Join(parts, op) + ")", args
}

func lowerAll(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = strings.ToLower(v)
	}
	return out
}

func leafSQL(f catalog.Filter) (string, []any) {
	key := strings.ToLower(f.Key)
	switch f.Op {
	case catalog.OpNotExists:
		inner, args := leafSQL(catalog.Filter{Key: f.Key, Op: catalog.OpExists})
		return "NOT " + inner, args
	case catalog.OpPrefix:
		like := escapeLike(strings.ToLower(f.Prefix)) + "%"
		if typ, ok := strings.CutPrefix(key, "relations."); ok {
			return "EXISTS (SELECT 1 FROM relations r WHERE r.source_key = e.ref_key AND LOWER(r.type) = ? AND r.target_key LIKE ? ESCAPE '\\')", []any{typ, like}
		}
		return "e.seq IN (SELECT entity_seq FROM search WHERE key = ? AND value LIKE ? ESCAPE '\\')", []any{key, like}
	case catalog.OpExists:
		if typ, ok := strings.CutPrefix(key, "relations."); ok {
			return "EXISTS (SELECT 1 FROM relations r WHERE r.source_key = e.ref_key AND LOWER(r.type) = ?)", []any{typ}
		}
		return "(e.seq IN (SELECT entity_seq FROM search WHERE key = ?) OR e.seq IN (SELECT entity_seq FROM search_nulls WHERE key = ?))", []any{key, key}
	}
	vals := lowerAll(f.Values)
	if len(vals) == 0 {
		return "1=0", nil
	}
	switch {
	case key == "kind":
		return "e.kind IN (" + placeholders(len(vals)) + ")", vals
	case key == "metadata.namespace":
		return "e.namespace IN (" + placeholders(len(vals)) + ")", vals
	case key == "metadata.uid":
		return "e.id IN (" + placeholders(len(vals)) + ")", vals
	case strings.HasPrefix(key, "relations."):
		// Driven by the target: few entities point at one target.
		typ := strings.TrimPrefix(key, "relations.")
		return "e.ref_key IN (SELECT r.source_key FROM relations r WHERE r.target_key IN (" + placeholders(len(vals)) + ") AND LOWER(r.type) = ?)", append(vals, typ)
	default:
		return "e.seq IN (SELECT entity_seq FROM search WHERE key = ? AND value IN (" + placeholders(len(vals)) + "))", append([]any{key}, vals...)
	}
}

func (s *Store) whereFullText(ft *catalog.FullTextFilter) (string, []any) {
	if ft == nil || strings.TrimSpace(ft.Term) == "" {
		return "", nil
	}
	term := "%" + escapeLike(strings.ToLower(strings.TrimSpace(ft.Term))) + "%"
	if len(ft.Fields) == 0 {
		return "e.seq IN (SELECT entity_seq FROM search WHERE value LIKE ? ESCAPE '\\')", []any{term}
	}
	args := []any{}
	for _, f := range ft.Fields {
		args = append(args, strings.ToLower(f))
	}
	args = append(args, term)
	return "e.seq IN (SELECT entity_seq FROM search WHERE key IN (" + placeholders(len(ft.Fields)) + ") AND value LIKE ? ESCAPE '\\')", args
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// orderExpr is the SQL that sorts by one field. The identity fields have
// columns; other keys sort by their (smallest) search value, missing last.
func orderExpr(f catalog.OrderField) (string, []any) {
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	switch strings.ToLower(f.Field) {
	case "kind":
		return "e.kind " + dir, nil
	case "metadata.namespace":
		return "e.namespace " + dir, nil
	case "metadata.name":
		return "LOWER(e.name) " + dir, nil
	case "metadata.uid":
		return "e.id " + dir, nil
	}
	sub := "(SELECT MIN(value) FROM search so WHERE so.entity_seq = e.seq AND so.key = ?)"
	// NULLs (entities without the field) go last either way, as in Backstage.
	return "CASE WHEN " + sub + " IS NULL THEN 1 ELSE 0 END, " + sub + " " + dir, []any{strings.ToLower(f.Field), strings.ToLower(f.Field)}
}

// QueryEntities returns one page of entities matching the query.
func (s *Store) QueryEntities(ctx context.Context, q catalog.EntityQuery) (*catalog.EntityPage, error) {
	where, args := s.whereFilter(q.Filter)
	if ft, ftArgs := s.whereFullText(q.FullText); ft != "" {
		where += " AND " + ft
		args = append(args, ftArgs...)
	}
	keyset := q.AfterKey != "" && len(q.Order) == 0
	if keyset {
		q.Offset = 0
	}
	page := &catalog.EntityPage{Total: -1}
	if q.Count {
		n, err := s.count(ctx, where, args)
		if err != nil {
			return nil, err
		}
		page.Total = n
		if page.Total == 0 || q.Offset >= page.Total {
			return page, nil
		}
	}
	var orders []string
	orderArgs := []any{}
	for _, o := range q.Order {
		expr, a := orderExpr(o)
		orders = append(orders, expr)
		orderArgs = append(orderArgs, a...)
	}
	// ref_key is unique: it makes every order total and pages stable.
	orders = append(orders, "e.ref_key ASC")
	if keyset {
		where += " AND e.ref_key > ?"
		args = append(args, q.AfterKey)
	}
	query := "SELECT " + entityColumns + " FROM entities e WHERE " + where + " ORDER BY " + strings.Join(orders, ", ")
	all := append(append([]any{}, args...), orderArgs...)
	if q.Limit > 0 {
		query += " LIMIT ?"
		all = append(all, q.Limit)
	}
	if q.Offset > 0 {
		if q.Limit <= 0 {
			query += " LIMIT -1"
			if s.pg {
				query = strings.TrimSuffix(query, " LIMIT -1") + " LIMIT ALL"
			}
		}
		query += " OFFSET ?"
		all = append(all, q.Offset)
	}
	rows, err := s.query(ctx, s.q(query), all...)
	if err != nil {
		return nil, fmt.Errorf("query entities: %w", err)
	}
	var withErrors []*catalog.StoredEntity
	for rows.Next() {
		e, hasErrors, err := scanEntity(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		page.Items = append(page.Items, e)
		if hasErrors {
			withErrors = append(withErrors, e)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.attachRelations(ctx, page.Items); err != nil {
		return nil, err
	}
	if err := s.attachErrors(ctx, withErrors); err != nil {
		return nil, err
	}
	return page, nil
}

// Facets counts, for each facet key, the entities (matching the filter) per
// value as written, like Backstage's entity-facets.
func (s *Store) Facets(ctx context.Context, filter catalog.Filter, facets []string) (map[string][]catalog.FacetCount, error) {
	where, args := s.whereFilter(filter)
	out := make(map[string][]catalog.FacetCount, len(facets))
	for _, facet := range facets {
		var query string
		var qargs []any
		if strings.HasPrefix(strings.ToLower(facet), "relations.") {
			query = "SELECT r.target_ref, COUNT(DISTINCT e.id) FROM entities e JOIN relations r ON r.source_key = e.ref_key AND LOWER(r.type) = ? WHERE " + where + " GROUP BY r.target_ref"
			qargs = append([]any{strings.ToLower(strings.TrimPrefix(strings.ToLower(facet), "relations."))}, args...)
		} else {
			// original_value is stored only where it differs from value.
			query = "SELECT COALESCE(sr.original_value, sr.value) AS v, COUNT(DISTINCT e.id) FROM entities e JOIN search sr ON sr.entity_seq = e.seq AND sr.key = ? WHERE " + where + " GROUP BY v"
			qargs = append([]any{strings.ToLower(facet)}, args...)
		}
		rows, err := s.query(ctx, s.q(query), qargs...)
		if err != nil {
			return nil, fmt.Errorf("facet %s: %w", facet, err)
		}
		counts := []catalog.FacetCount{}
		for rows.Next() {
			var fc catalog.FacetCount
			if err := rows.Scan(&fc.Value, &fc.Count); err != nil {
				rows.Close()
				return nil, err
			}
			counts = append(counts, fc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		sort.Slice(counts, func(i, j int) bool {
			if counts[i].Count != counts[j].Count {
				return counts[i].Count > counts[j].Count
			}
			return counts[i].Value < counts[j].Value
		})
		out[facet] = counts
	}
	return out, nil
}
