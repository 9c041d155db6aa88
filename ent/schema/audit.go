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

// AuditEvent records one thing someone did or tried: a mutation, a
// sign-in, a token minted or revoked, a denied request. Records are only
// ever appended. Secrets never reach them.
type AuditEvent struct {
	ent.Schema
}

// Annotations names the table and exposes the trail to admins in GraphQL.
func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "audit_events"},
		entgql.RelayConnection(),
		entgql.QueryField("auditEvents").Description("The audit trail, newest first by default. Admins only."),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("a UUIDv7: ids sort in the order events were written"),
		field.Time("time").Default(time.Now).Immutable().Annotations(entgql.OrderField("TIME")),
		field.String("actor").Comment("user ref, email or subject; anonymous when unknown").
			Annotations(entgql.OrderField("ACTOR")),
		field.String("actor_kind").Default("").Comment("session, bearer, token, local or system"),
		field.String("action").NotEmpty().Comment("e.g. catalog.location.create, auth.signin, token.revoke").
			Annotations(entgql.OrderField("ACTION")),
		field.String("target").Default("").Comment("entity ref, location id, token id ..."),
		field.Enum("outcome").Values("success", "denied", "failure"),
		field.Text("reason").Default("").Comment("why it was denied or failed"),
		field.String("remote_addr").Default(""),
		field.String("request_id").Default(""),
		field.Text("details").Default("").Comment("JSON with the action's parameters, secrets removed"),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("time"), index.Fields("actor", "time"), index.Fields("action", "time")}
}
