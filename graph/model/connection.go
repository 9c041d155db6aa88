package model

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/entity"
)

// EntityConnection is a page of entities. entgql generates the GraphQL
// types (ent.graphqls) but not this Go side for Entity, which is an
// interface in GraphQL rather than an ent-backed object, so Paginate does
// the keyset paging here, over the generated where filter.
type EntityConnection struct {
	Edges      []*EntityEdge
	PageInfo   ent.PageInfo
	TotalCount int
}

// EntityEdge is one entity of a page.
type EntityEdge struct {
	Node   Entity
	Cursor ent.Cursor
}

// EntityOrder orders a connection.
type EntityOrder struct {
	Direction ent.OrderDirection
	Field     EntityOrderField
}

// EntityOrderField names an orderable column (REF, KIND, NAME ...).
type EntityOrderField string

// MarshalGQL writes the field name.
func (f EntityOrderField) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(f))) }

// UnmarshalGQL reads a field name; Paginate checks it.
func (f *EntityOrderField) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("orderBy.field: %v is not a field name", v)
	}
	*f = EntityOrderField(s)
	return nil
}

// orderColumns maps the GraphQL order fields (ent/schema OrderField
// annotations) onto columns.
var orderColumns = map[string]string{
	"REF": entity.FieldRefKey, "KIND": entity.FieldKind, "NAMESPACE": entity.FieldNamespace,
	"NAME": entity.FieldName, "CREATED_AT": entity.FieldCreatedAt, "UPDATED_AT": entity.FieldUpdatedAt,
}

// PageArgs are a connection's arguments.
type PageArgs struct {
	After  *ent.Cursor
	First  *int
	Before *ent.Cursor
	Last   *int
	Order  *EntityOrder
	Where  *ent.EntityWhereInput
	// WantCount reads the total (one more statement) when set.
	WantCount bool
}

// Paginate reads one page of entities in one statement (two with the
// total): keyset paging on (order column, uid), so deep pages cost what
// the first does.
func (l *Loader) Paginate(ctx context.Context, args PageArgs, defaultSize int) (*EntityConnection, error) {
	q := l.client.Entity.Query()
	if args.Where != nil {
		var err error
		if q, err = args.Where.Filter(q); err != nil {
			return nil, err
		}
	}
	column, desc := entity.FieldRefKey, false
	if o := args.Order; o != nil {
		c, ok := orderColumns[string(o.Field)]
		if !ok {
			return nil, fmt.Errorf("orderBy.field: unknown field %q", o.Field)
		}
		column, desc = c, o.Direction == entgql.OrderDirectionDesc
	}
	conn := &EntityConnection{Edges: []*EntityEdge{}}
	if args.WantCount {
		n, err := q.Clone().Count(ctx)
		if err != nil {
			return nil, err
		}
		conn.TotalCount = n
	}
	size := defaultSize
	backward := args.Last != nil && args.First == nil
	if args.First != nil {
		size = *args.First
	} else if backward {
		size = *args.Last
	}
	if size < 0 {
		return nil, fmt.Errorf("first/last: must not be negative")
	}
	if size == 0 {
		return conn, nil
	}
	// Reading backwards flips the order; the page is reversed after.
	scanDesc := desc != backward
	cursor := args.After
	if backward {
		cursor = args.Before
	}
	if cursor != nil {
		q.Where(keyset(column, cursor, scanDesc))
	}
	if scanDesc {
		q.Order(ent.Desc(column), ent.Desc(entity.FieldID))
	} else {
		q.Order(ent.Asc(column), ent.Asc(entity.FieldID))
	}
	// The page's key columns (and the order column, for cursors): the
	// whole rows are read for the page only if a field needs them.
	cols := keyColumns
	if !slices.Contains(cols, column) {
		cols = append(slices.Clone(cols), column)
	}
	rows, err := q.Limit(size + 1).Unique(false).Select(cols...).All(ctx)
	if err != nil {
		return nil, err
	}
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	if backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	views := l.batchOf(rows)
	for i, v := range views {
		conn.Edges = append(conn.Edges, &EntityEdge{Node: Wrap(v), Cursor: ent.Cursor{ID: rows[i].ID, Value: orderValue(rows[i], column)}})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &conn.Edges[0].Cursor, &conn.Edges[n-1].Cursor
	}
	if backward {
		conn.PageInfo.HasPreviousPage = more
		conn.PageInfo.HasNextPage = args.Before != nil
	} else {
		conn.PageInfo.HasNextPage = more
		conn.PageInfo.HasPreviousPage = args.After != nil
	}
	return conn, nil
}

// keyset is the predicate for rows after cursor in (column, id) order.
func keyset(column string, c *ent.Cursor, desc bool) func(*sql.Selector) {
	return func(s *sql.Selector) {
		cmp, cmpID := sql.GT, sql.GT
		if desc {
			cmp, cmpID = sql.LT, sql.LT
		}
		if column == entity.FieldRefKey || c.Value == nil {
			// ref_key is unique: the id is no tie-breaker.
			v := c.Value
			if v == nil {
				s.Where(cmpID(s.C(entity.FieldID), c.ID))
				return
			}
			s.Where(cmp(s.C(column), v))
			return
		}
		s.Where(sql.Or(
			cmp(s.C(column), c.Value),
			sql.And(sql.EQ(s.C(column), c.Value), cmpID(s.C(entity.FieldID), c.ID)),
		))
	}
}

func orderValue(row *ent.Entity, column string) ent.Value {
	switch column {
	case entity.FieldRefKey:
		return row.RefKey
	case entity.FieldKind:
		return row.Kind
	case entity.FieldNamespace:
		return row.Namespace
	case entity.FieldName:
		return row.Name
	case entity.FieldCreatedAt:
		return row.CreatedAt
	case entity.FieldUpdatedAt:
		return row.UpdatedAt
	}
	return nil
}
