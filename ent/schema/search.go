package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// SearchRow is one flattened key/value pair of an entity, as Backstage's
// search table keeps them: the filter, order and facet queries of the REST
// API run on it. Keys and values are lower-cased; values over 200
// characters are stored as NULL (the key still matches "exists").
type SearchRow struct {
	ent.Schema
}

// Annotations names the table.
func (SearchRow) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "search"}}
}

// Fields of the SearchRow.
func (SearchRow) Fields() []ent.Field {
	return []ent.Field{
		field.String("entity_id").NotEmpty(),
		field.String("key").NotEmpty(),
		field.String("value").Optional().Nillable(),
		field.String("original_value").Optional().Nillable(),
	}
}

// Indexes of the SearchRow.
func (SearchRow) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("key", "value"),
		index.Fields("entity_id"),
	}
}
