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

// Entity is one stored catalog entity. The descriptor itself is kept as the
// JSON document served by the API (without relations, which are read from
// the relations table so that a relation to an entity that arrives later
// resolves without rewriting its source); the columns beside it exist for
// lookups and ownership.
type Entity struct {
	ent.Schema
}

// Annotations names the table. In GraphQL, Entity is an interface with a
// typed view per kind (graph/entity.graphqls); entgql generates the
// connection, ordering and where filters of the stored rows, not the type.
func (Entity) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "entities"},
		entgql.Skip(entgql.SkipType, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		entgql.RelayConnection(),
		entgql.QueryField("entities").Description("Catalog entities, filtered and ordered on their stored columns."),
	}
}

// Fields of the Entity.
func (Entity) Fields() []ent.Field {
	return []ent.Field{
		// id is metadata.uid, assigned by Pont when the entity first appears.
		field.String("id").Immutable().NotEmpty(),
		// ref_key is the lower-cased "kind:namespace/name", the identity
		// Backstage compares case-insensitively.
		field.String("ref_key").Unique().NotEmpty().Annotations(entgql.OrderField("REF")),
		// seq is a compact surrogate key: the search and relations tables,
		// which hold millions of rows on a large catalog, refer to entities
		// by it rather than by the 36-character uid.
		field.Int64("seq").Unique().Annotations(entgql.Skip()),
		field.String("kind").NotEmpty().Comment("lower-cased kind").Annotations(entgql.OrderField("KIND")),
		field.String("namespace").NotEmpty().Comment("lower-cased namespace").Annotations(entgql.OrderField("NAMESPACE")),
		field.String("name").NotEmpty().Comment("name as written").Annotations(entgql.OrderField("NAME")),
		field.Bytes("body").Comment("the entity as JSON, without metadata.uid, metadata.etag and relations, which are added when it is served").Annotations(entgql.Skip()),
		field.String("etag").NotEmpty(),
		field.String("hash").Comment("content hash of the descriptor as the provider emitted it: an unchanged hash skips the write").Annotations(entgql.Skip()),
		field.String("provider").NotEmpty().Comment("key of the provider that owns the entity, e.g. location:<id>"),
		field.String("source").Default("").Comment("where the provider read the descriptor (file:/path or a URL), for delta updates of one file"),
		field.String("parent_ref").Default("").Comment("the Location entity whose target led to this entity, for ancestry"),
		field.Bool("orphan").Default(false).Comment("the provider no longer emits it and the orphan policy keeps it"),
		field.Bool("has_errors").Default(false).Comment("processing errors are stored for this entity"),
		field.Time("created_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(time.Now).Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// Indexes of the Entity.
func (Entity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "ref_key"),
		index.Fields("provider", "source"),
		// Covers what GraphQL reads of a related entity (its ref), so the
		// neighbourhood of an entity is read from this index alone, not
		// from the rows with their bodies.
		index.Fields("ref_key", "id", "kind", "namespace", "name"),
	}
}
