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

// Session is a signed-in browser session. It lives in the database so
// that every replica shares it. The cookie carries a random secret; only
// its SHA-256 is stored here, as the id, so a leaked table grants nothing.
type Session struct {
	ent.Schema
}

// Annotations names the table and keeps sessions out of GraphQL.
func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "sessions"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("hex SHA-256 of the cookie secret"),
		field.String("subject").NotEmpty().Comment("issuer|sub of the person"),
		field.Bytes("principal").Comment("the principal (JSON) as sign-in built it"),
		field.Text("id_token").Default("").Sensitive().Comment("kept server-side for RP-initiated logout (id_token_hint); never returned"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("last_seen_at").Default(time.Now),
		field.Time("expires_at").Comment("absolute end of the session"),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("subject"), index.Fields("expires_at")}
}

// LoginState is one browser sign-in in flight: the state parameter (its
// SHA-256 is the id), the PKCE verifier and nonce, and where to return.
// It is deleted when the callback uses it, so it works once.
type LoginState struct {
	ent.Schema
}

// Annotations names the table and keeps login states out of GraphQL.
func (LoginState) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "login_states"}, entgql.Skip(entgql.SkipAll)}
}

// Fields of the LoginState.
func (LoginState) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty().Comment("hex SHA-256 of the state parameter"),
		field.String("verifier").Sensitive().Comment("PKCE code verifier"),
		field.String("nonce").Sensitive(),
		field.String("return_to").Default("/"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at"),
	}
}

// Indexes of the LoginState.
func (LoginState) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

// APIToken is a Pont API token for CI and scripts. The secret is shown
// once, when minted; only its SHA-256 is stored.
type APIToken struct {
	ent.Schema
}

// Annotations names the table and exposes tokens (never their hashes) in
// GraphQL as a connection.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entsql.Annotation{Table: "api_tokens"},
		entgql.Type("APIToken"),
		entgql.RelayConnection(),
		entgql.QueryField("apiTokens").Description("API tokens: your own, or everyone's for admins."),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("name").NotEmpty(),
		field.String("hash").Unique().Sensitive().Comment("hex SHA-256 of the token secret"),
		field.String("prefix").Comment("the first characters of the token, to recognise it in lists"),
		field.String("owner_subject").NotEmpty().Comment("subject of the principal the token acts as").
			Annotations(entgql.OrderField("OWNER")),
		field.String("owner_name").Default("").Comment("who the token acts as, for people reading lists"),
		field.Bytes("principal").Sensitive().Comment("the owner's principal (JSON) when the token was minted"),
		field.Strings("scopes").Annotations(entgql.Type("[String!]")),
		field.Time("created_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("expires_at").Annotations(entgql.OrderField("EXPIRES_AT")),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Indexes of the APIToken.
func (APIToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("owner_subject")}
}
