package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// ProviderState is the refresh state of one provider: when it last applied
// a mutation, the outcome, and when it is due again.
type ProviderState struct {
	ent.Schema
}

// Annotations names the table.
func (ProviderState) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "provider_states"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the ProviderState.
func (ProviderState) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("provider key"),
		field.Time("last_refresh_at").Optional().Nillable(),
		field.Time("next_refresh_at").Optional().Nillable(),
		field.Text("last_error").Default(""),
		field.Int("entity_count").Default(0),
	}
}
