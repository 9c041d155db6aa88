// Package model holds the GraphQL views of catalog entities: one type per
// kind over a shared View, and the Loader that reads them, their relations
// and their targets a whole page at a time, so that a query costs the same
// number of SQL statements for 5 entities as for 500.
//
// Every read goes through ent, so ent/schema's privacy policies decide what
// the caller sees: an entity of a kind it may not read is simply absent,
// as if it did not exist.
//
// Views read lazily: related entities come with their key columns only
// (id, ref, kind, namespace, name: a covering index serves them), the
// whole rows of a batch are read (in one statement) when a field needs
// more, and a body is decoded only when a field needs it, so
// `graph { nodes { ref } }` over 800 entities never touches a row. View methods take no context: gqlgen runs a method with
// a context in a goroutine of its own, and these need none; they read
// through the Loader, which carries the request's context.
package model

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
)

// Entity is the GraphQL Entity interface: every kind's view implements it.
type Entity interface {
	IsEntity()
	base() *View
}

// View is one stored entity as GraphQL serves it. Typed views (Component,
// API ...) embed it and add their kind's relations.
type View struct {
	// Row holds the key columns (id, ref_key, kind, namespace, name; and
	// the order column of a connection page); the whole row is read for
	// the batch when a field needs more (full).
	Row   *ent.Entity
	batch *batch

	decode sync.Once
	doc    catalog.Entity
	docErr error
}

// EntityLink is one of metadata.links, with absent parts null.
type EntityLink struct {
	URL   string
	Title *string
	Icon  *string
	Type  *string
}

func newView(row *ent.Entity, b *batch) *View { return &View{Row: row, batch: b} }

// full returns the whole row, read with the batch's the first time.
func (v *View) full() (*ent.Entity, error) { return v.batch.fullRowOf(v) }

// column returns a column of the whole row.
func column[T any](v *View, get func(*ent.Entity) T) (T, error) {
	row, err := v.full()
	if err != nil {
		var zero T
		return zero, err
	}
	return get(row), nil
}

// document is the decoded descriptor, its body read with the batch's.
func (v *View) document() (*catalog.Entity, error) {
	v.decode.Do(func() {
		row, err := v.full()
		if err != nil {
			v.docErr = err
			return
		}
		// The body was validated when it was stored; one that no longer
		// decodes shows as empty metadata rather than failing the page.
		_ = json.Unmarshal(row.Body, &v.doc)
		if v.doc.Spec == nil {
			v.doc.Spec = map[string]any{}
		}
	})
	return &v.doc, v.docErr
}

// meta returns a part of the metadata, or its zero value with the error.
func meta[T any](v *View, get func(*catalog.Metadata) T) (T, error) {
	doc, err := v.document()
	if err != nil {
		var zero T
		return zero, err
	}
	return get(&doc.Metadata), nil
}

// IsNode makes every view a Relay node (its id is metadata.uid).
func (*View) IsNode() {}

// IsEntity marks the Entity interface.
func (*View) IsEntity() {}

func (v *View) base() *View { return v }

// ID is metadata.uid.
func (v *View) ID() string { return v.Row.ID }

// builtinKinds spells the builtin kinds as Backstage writes them, so that
// a ref needs no body.
var builtinKinds = map[string]string{
	"component": "Component", "api": "API", "system": "System", "domain": "Domain",
	"resource": "Resource", "group": "Group", "user": "User", "location": "Location",
	"template": "Template",
}

// Ref is kind:namespace/name as written.
func (v *View) Ref() (string, error) {
	kind, err := v.Kind()
	if err != nil {
		return "", err
	}
	return kind + ":" + v.Row.Namespace + "/" + v.Row.Name, nil
}

// Key is the lower-cased ref.
func (v *View) Key() string { return v.Row.RefKey }

// Kind is the kind as written.
func (v *View) Kind() (string, error) {
	if k, ok := builtinKinds[v.Row.Kind]; ok {
		return k, nil
	}
	doc, err := v.document()
	if err != nil || doc.Kind == "" {
		return v.Row.Kind, err
	}
	return doc.Kind, nil
}

// Namespace is metadata.namespace ("default" when absent). Namespaces are
// lower-case DNS labels, so the stored column is as written.
func (v *View) Namespace() string { return v.Row.Namespace }

// Name is metadata.name.
func (v *View) Name() string { return v.Row.Name }

// Title is metadata.title.
func (v *View) Title() (*string, error) {
	return meta(v, func(m *catalog.Metadata) *string { return optional(m.Title) })
}

// Description is metadata.description.
func (v *View) Description() (*string, error) {
	return meta(v, func(m *catalog.Metadata) *string { return optional(m.Description) })
}

// Labels is metadata.labels.
func (v *View) Labels() (any, error) {
	return meta(v, func(m *catalog.Metadata) any { return orEmpty(m.Labels) })
}

// Annotations is metadata.annotations.
func (v *View) Annotations() (any, error) {
	return meta(v, func(m *catalog.Metadata) any { return orEmpty(m.Annotations) })
}

// Tags is metadata.tags.
func (v *View) Tags() ([]string, error) {
	return meta(v, func(m *catalog.Metadata) []string {
		if m.Tags == nil {
			return []string{}
		}
		return m.Tags
	})
}

// Links is metadata.links.
func (v *View) Links() ([]*EntityLink, error) {
	return meta(v, func(m *catalog.Metadata) []*EntityLink {
		out := make([]*EntityLink, len(m.Links))
		for i, l := range m.Links {
			out[i] = &EntityLink{URL: l.URL, Title: optional(l.Title), Icon: optional(l.Icon), Type: optional(l.Type)}
		}
		return out
	})
}

// Spec is the spec as stored.
func (v *View) Spec() (any, error) {
	doc, err := v.document()
	if err != nil {
		return nil, err
	}
	return doc.Spec, nil
}

// Orphan reports the backstage.io/orphan state.
func (v *View) Orphan() (bool, error) { return column(v, func(r *ent.Entity) bool { return r.Orphan }) }

// Source is where the descriptor was read.
func (v *View) Source() (*string, error) {
	return column(v, func(r *ent.Entity) *string { return optional(r.Source) })
}

// CreatedAt is when Pont first stored the entity.
func (v *View) CreatedAt() (time.Time, error) {
	return column(v, func(r *ent.Entity) time.Time { return r.CreatedAt })
}

// UpdatedAt is when Pont last changed it.
func (v *View) UpdatedAt() (time.Time, error) {
	return column(v, func(r *ent.Entity) time.Time { return r.UpdatedAt })
}

// OwnerRef is spec.owner as written.
func (v *View) OwnerRef() (*string, error) { return v.specField("owner") }

// SpecType is spec.type.
func (v *View) SpecType() (*string, error) { return v.specField("type") }

// Lifecycle is spec.lifecycle.
func (v *View) Lifecycle() (*string, error) { return v.specField("lifecycle") }

// Profile is spec.profile (User, Group).
func (v *View) Profile() (any, error) {
	doc, err := v.document()
	if err != nil {
		return nil, err
	}
	return doc.Spec["profile"], nil
}

// specField is a string field of the spec, nil when absent.
func (v *View) specField(key string) (*string, error) {
	doc, err := v.document()
	if err != nil {
		return nil, err
	}
	s, _ := doc.Spec[key].(string)
	return optional(s), nil
}

// Descriptor is the entity as Backstage's catalog API serves it: the
// stored body with metadata.uid, metadata.etag and relations.
func (v *View) Descriptor() (any, error) {
	row, err := v.full()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(row.Body, &doc); err != nil {
		return nil, err
	}
	md, _ := doc["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		doc["metadata"] = md
	}
	md["uid"], md["etag"] = row.ID, row.Etag
	rels, err := v.batch.relationsOf(v)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]string, 0, len(rels))
	for _, r := range rels {
		out = append(out, map[string]string{"type": r.Type, "targetRef": r.TargetRef})
	}
	doc["relations"] = out
	return doc, nil
}

// Relation is a relation from an entity.
type Relation struct {
	Type      string
	TargetRef string
	targetKey string
	from      *View
}

// Target is the related entity, when stored and readable.
func (r *Relation) Target() (Entity, error) {
	return r.from.first(r.Type, "", r.targetKey)
}

// Relations lists the entity's relations, of the given types or all,
// leaving out those that point at kinds the caller may not read.
func (v *View) Relations(types []string) ([]*Relation, error) {
	rels, err := v.batch.relationsOf(v)
	if err != nil {
		return nil, err
	}
	out := []*Relation{}
	for _, r := range rels {
		if len(types) > 0 && !containsFold(types, r.Type) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// ProcessingError is a problem met reading the entity.
type ProcessingError struct {
	Message  string
	Field    *string
	File     *string
	Document *int
	Line     *int
}

// ProcessingErrors lists the entity's processing errors.
func (v *View) ProcessingErrors() ([]*ProcessingError, error) { return v.batch.errorsOf(v) }

// Owner is the entity spec.owner names.
func (v *View) Owner() (Entity, error) { return v.first("ownedBy", "", "") }

// first returns the first target of relation type relType (of kind, when
// not empty; the one with targetKey, when not empty).
func (v *View) first(relType, kind, targetKey string) (Entity, error) {
	views, err := v.batch.targetsOf(v, relType, kind)
	if err != nil {
		return nil, err
	}
	for _, t := range views {
		if targetKey == "" || t.Key() == targetKey {
			return Wrap(t), nil
		}
	}
	return nil, nil
}

// all returns every target of relation type relType, as Entities.
func (v *View) all(relType string) ([]Entity, error) {
	views, err := v.batch.targetsOf(v, relType, "")
	if err != nil {
		return nil, err
	}
	out := make([]Entity, len(views))
	for i, t := range views {
		out[i] = Wrap(t)
	}
	return out, nil
}

// related returns every target of relType of the given kind, typed.
func related[T any](v *View, relType, kind string, as func(*View) T) ([]T, error) {
	views, err := v.batch.targetsOf(v, relType, kind)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(views))
	for i, t := range views {
		out[i] = as(t)
	}
	return out, nil
}

// relatedOne returns the first target of relType of the given kind, typed.
func relatedOne[T any](v *View, relType, kind string, as func(*View) *T) (*T, error) {
	views, err := v.batch.targetsOf(v, relType, kind)
	if err != nil || len(views) == 0 {
		return nil, err
	}
	return as(views[0]), nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty(m map[string]string) any {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// kindOfKey is the kind part of a ref key.
func kindOfKey(key string) string {
	kind, _, _ := strings.Cut(key, ":")
	return kind
}
