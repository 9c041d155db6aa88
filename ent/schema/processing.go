package schema

import (
	"entgo.io/contrib/entgql"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ProcessingError is a problem a provider met while reading its entities:
// a descriptor that does not validate, a file that cannot be read, a
// reference claimed by another location. It belongs to the provider and,
// when it concerns one entity, to that entity's ref. A provider's errors are
// replaced by each of its mutations.
type ProcessingError struct {
	ent.Schema
}

// Annotations names the table.
func (ProcessingError) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "processing_errors"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the ProcessingError.
func (ProcessingError) Fields() []ent.Field {
	return []ent.Field{
		field.String("provider").NotEmpty(),
		field.String("entity_key").Default("").Comment("lower-cased ref of the entity concerned, empty when the error is about the location"),
		field.String("file").Default(""),
		field.Int("document").Default(0),
		field.Int("line").Default(0),
		field.String("field").Default(""),
		field.Text("message"),
		field.Time("created_at").Default(time.Now),
	}
}

// Indexes of the ProcessingError.
func (ProcessingError) Indexes() []ent.Index {
	return []ent.Index{index.Fields("provider"), index.Fields("entity_key")}
}
