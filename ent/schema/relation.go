package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Relation is one directed relation, stored under the entity whose
// descriptor produced it (the origin). Both directions are stored: the
// origin emits ownedBy from itself and ownerOf from its owner. The target
// need not exist yet; it resolves when it arrives.
type Relation struct {
	ent.Schema
}

// Annotations names the table.
func (Relation) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "relations"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the Relation.
func (Relation) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("origin_seq").Comment("seq of the entity whose descriptor emitted the relation"),
		field.String("source_key").NotEmpty().Comment("lower-cased ref of the entity the relation is listed on"),
		field.String("type").NotEmpty(),
		field.String("target_ref").NotEmpty().Comment("target ref as Backstage formats it"),
		field.String("target_key").NotEmpty().Comment("lower-cased target ref"),
	}
}

// Indexes of the Relation.
func (Relation) Indexes() []ent.Index {
	return []ent.Index{
		// Reading an entity's relations seeks here and reads them in order,
		// from the index alone: target_ref is carried for that.
		index.Fields("source_key", "type", "target_key", "target_ref"),
		index.Fields("target_key"),
		index.Fields("origin_seq"),
	}
}
