package model

import (
	"context"
	"slices"
	"sync"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/entity"
	"github.com/pont-dev/pont/ent/processingerror"
	"github.com/pont-dev/pont/ent/relation"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// chunk bounds the keys of one IN list (SQLite allows 32766 parameters).
const chunk = 5000

// Loader reads entities for one GraphQL request and remembers them, so
// an entity reached twice is read once. Entities read together form a
// batch: the first time a field needs a relation of one entity of a batch,
// the loader reads it for every entity of the batch in one statement. That
// keeps the number of statements of a query bounded by the shape of the
// query, never by the size of its pages.
type Loader struct {
	client *ent.Client
	// ctx is the request's (with its principal), for the reads that views
	// make on demand.
	ctx context.Context

	mu    sync.Mutex
	byKey map[string]*View
	byRow map[*ent.Entity]*View
}

// NewLoader returns a loader reading through client.
func NewLoader(client *ent.Client) *Loader {
	return &Loader{client: client, byKey: map[string]*View{}, byRow: map[*ent.Entity]*View{}}
}

type loaderKey struct{}

// WithLoader returns ctx carrying l; l reads with that context.
func WithLoader(ctx context.Context, l *Loader) context.Context {
	ctx = context.WithValue(ctx, loaderKey{}, l)
	l.ctx = ctx
	return ctx
}

// keyColumns are the columns a related entity is read with: enough for
// its ref, served by the covering index entity_ref_key_id_kind_namespace_name.
var keyColumns = []string{entity.FieldID, entity.FieldRefKey, entity.FieldKind, entity.FieldNamespace, entity.FieldName}

// LoaderFrom returns the request's loader.
func LoaderFrom(ctx context.Context) *Loader {
	l, _ := ctx.Value(loaderKey{}).(*Loader)
	if l == nil {
		panic("model: no Loader in context (graph.Handler installs one per request)")
	}
	return l
}

// batchOf makes one batch of rows read with their key columns.
func (l *Loader) batchOf(rows []*ent.Entity) []*View {
	b := &batch{loader: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*View, len(rows))
	for i, row := range rows {
		if v, ok := l.byKey[row.RefKey]; ok {
			l.byRow[row] = v
			out[i] = v
			continue
		}
		v := newView(row, b)
		b.views = append(b.views, v)
		l.byKey[row.RefKey], l.byRow[row] = v, v
		out[i] = v
	}
	return out
}

// ByKeys returns the entities with these ref keys, in order, leaving out
// those missing or not readable by the caller. Those not read yet are read
// in one statement (per 5,000 keys) and form one batch.
func (l *Loader) ByKeys(ctx context.Context, keys []string) ([]*View, error) {
	var missing []string
	asked := make(map[string]bool, len(keys))
	l.mu.Lock()
	for _, k := range keys {
		if _, ok := l.byKey[k]; !ok && !asked[k] {
			asked[k] = true
			missing = append(missing, k)
		}
	}
	l.mu.Unlock()
	if len(missing) > 0 {
		var rows []*ent.Entity
		for part := range slices.Chunk(missing, chunk) {
			got, err := l.client.Entity.Query().Where(entity.RefKeyIn(part...)).Unique(false).Select(keyColumns...).All(ctx)
			if err != nil {
				return nil, err
			}
			rows = append(rows, got...)
		}
		l.batchOf(rows)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*View, 0, len(keys))
	for _, k := range keys {
		if v := l.byKey[k]; v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// ByIDs returns the entities with these uids, in order, leaving out
// those missing or not readable by the caller.
func (l *Loader) ByIDs(ctx context.Context, ids []string) ([]*View, error) {
	var rows []*ent.Entity
	for part := range slices.Chunk(ids, chunk) {
		got, err := l.client.Entity.Query().Where(entity.IDIn(part...)).Unique(false).Select(keyColumns...).All(ctx)
		if err != nil {
			return nil, err
		}
		rows = append(rows, got...)
	}
	views := l.batchOf(rows)
	byID := make(map[string]*View, len(views))
	for _, v := range views {
		byID[v.Row.ID] = v
	}
	out := make([]*View, 0, len(ids))
	for _, id := range ids {
		if v := byID[id]; v != nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// batch is entities read together; what one of them needs is read for all.
type batch struct {
	loader *Loader
	views  []*View

	relations lazy[map[string][]*Relation]
	errors    lazy[map[string][]*ProcessingError]
	fullRows  lazy[map[string]*ent.Entity]

	mu      sync.Mutex
	targets map[string]*lazy[map[string]*View] // by relation type
}

// lazy is a value computed once, by the first caller.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(f func() (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = f() })
	return l.v, l.err
}

func (b *batch) keys() []string {
	keys := make([]string, len(b.views))
	for i, v := range b.views {
		keys[i] = v.Key()
	}
	return keys
}

// relationsOf returns v's relations, reading those of the whole batch the
// first time. Relations to kinds the caller may not read are left out.
func (b *batch) relationsOf(v *View) ([]*Relation, error) {
	ctx := b.loader.ctx
	all, err := b.relations.get(func() (map[string][]*Relation, error) {
		p := principal.FromContext(ctx)
		out := map[string][]*Relation{}
		for part := range slices.Chunk(b.keys(), chunk) {
			rows, err := b.loader.client.Relation.Query().
				Where(relation.SourceKeyIn(part...)).
				Order(ent.Asc(relation.FieldSourceKey), ent.Asc(relation.FieldType), ent.Asc(relation.FieldTargetKey)).
				// The columns of the index relation_source_key_type_target_key_target_ref:
				// read from it alone.
				// (Unique(false): ent would add DISTINCT, a sort; duplicates
				// from two origins are skipped below.)
				Unique(false).
				Select(relation.FieldSourceKey, relation.FieldType, relation.FieldTargetKey, relation.FieldTargetRef).
				All(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if !p.CanReadKind(kindOfKey(r.TargetKey)) {
					continue
				}
				list := out[r.SourceKey]
				// Two origins may emit the same relation: list it once.
				if n := len(list); n > 0 && list[n-1].Type == r.Type && list[n-1].targetKey == r.TargetKey {
					continue
				}
				out[r.SourceKey] = append(list, &Relation{Type: r.Type, TargetRef: r.TargetRef, targetKey: r.TargetKey})
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	rels := all[v.Key()]
	out := make([]*Relation, len(rels))
	for i, r := range rels {
		c := *r
		c.from = v
		out[i] = &c
	}
	return out, nil
}

// targetsOf returns the entities v relates to by relType (of kind, when
// not empty), reading the targets of relType for the whole batch at once.
func (b *batch) targetsOf(v *View, relType, kind string) ([]*View, error) {
	ctx := b.loader.ctx
	b.mu.Lock()
	if b.targets == nil {
		b.targets = map[string]*lazy[map[string]*View]{}
	}
	lz := b.targets[relType]
	if lz == nil {
		lz = &lazy[map[string]*View]{}
		b.targets[relType] = lz
	}
	b.mu.Unlock()
	byKey, err := lz.get(func() (map[string]*View, error) {
		var keys []string
		for _, w := range b.views {
			rels, err := b.relationsOf(w)
			if err != nil {
				return nil, err
			}
			for _, r := range rels {
				if r.Type == relType {
					keys = append(keys, r.targetKey)
				}
			}
		}
		views, err := b.loader.ByKeys(ctx, keys)
		if err != nil {
			return nil, err
		}
		m := make(map[string]*View, len(views))
		for _, t := range views {
			m[t.Key()] = t
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	rels, err := b.relationsOf(v)
	if err != nil {
		return nil, err
	}
	var out []*View
	for _, r := range rels {
		if r.Type != relType {
			continue
		}
		if t := byKey[r.targetKey]; t != nil && (kind == "" || t.Row.Kind == kind) {
			out = append(out, t)
		}
	}
	return out, nil
}

// errorsOf returns v's processing errors, reading those of every entity of
// the batch that has some the first time.
func (b *batch) errorsOf(v *View) ([]*ProcessingError, error) {
	ctx := b.loader.ctx
	all, err := b.errors.get(func() (map[string][]*ProcessingError, error) {
		keys := b.keys()
		out := map[string][]*ProcessingError{}
		for part := range slices.Chunk(keys, chunk) {
			rows, err := b.loader.client.ProcessingError.Query().
				Where(processingerror.EntityKeyIn(part...)).
				Order(ent.Asc(processingerror.FieldID)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				pe := &ProcessingError{Message: r.Message, Field: optional(r.Field), File: optional(r.File)}
				if r.Line > 0 {
					line, doc := r.Line, r.Document+1
					pe.Line, pe.Document = &line, &doc
				}
				out[r.EntityKey] = append(out[r.EntityKey], pe)
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if list := all[v.Key()]; list != nil {
		return list, nil
	}
	return []*ProcessingError{}, nil
}

// fullRowOf returns v's whole row, reading those of every entity of the
// batch the first time.
func (b *batch) fullRowOf(v *View) (*ent.Entity, error) {
	all, err := b.fullRows.get(func() (map[string]*ent.Entity, error) {
		ids := make([]string, len(b.views))
		for i, w := range b.views {
			ids[i] = w.Row.ID
		}
		out := make(map[string]*ent.Entity, len(ids))
		for part := range slices.Chunk(ids, chunk) {
			rows, err := b.loader.client.Entity.Query().Where(entity.IDIn(part...)).All(b.loader.ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				out[r.ID] = r
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if row := all[v.Row.ID]; row != nil {
		return row, nil
	}
	// Removed since the batch was read: what was read stands.
	return v.Row, nil
}
