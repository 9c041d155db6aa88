package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Location is a registered location: a provider that reads descriptors from
// a file or URL target. Locations come from the API or from configuration.
type Location struct {
	ent.Schema
}

// Annotations names the table. In GraphQL the registration is a
// RegisteredLocation, apart from the Location entity it generates.
func (Location) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "locations"},
		entgql.Type("RegisteredLocation"),
		entgql.RelayConnection(),
		entgql.QueryField("locations").Description("Registered locations."),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Fields of the Location.
func (Location) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("type").NotEmpty().Comment("file or url"),
		field.String("target").NotEmpty(),
		field.String("origin").Default("api").Comment("api or config"),
		field.String("created_by").Default("").Comment("subject of the principal that registered it; it may change or delete it"),
		field.Time("created_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// Indexes of the Location.
func (Location) Indexes() []ent.Index {
	return []ent.Index{index.Fields("type", "target").Unique()}
}
