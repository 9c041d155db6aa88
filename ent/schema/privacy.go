package schema

import (
	"context"

	"entgo.io/ent"

	gen "github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/apitoken"
	"github.com/pont-dev/pont/ent/entity"
	"github.com/pont-dev/pont/ent/privacy"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// The privacy policies below are where reads are authorized for every
// query that goes through ent (GraphQL's connections, node lookups and
// hand-written resolvers alike), so a new resolver is safe by default.
// The principal comes from the request context (internal/auth builds it;
// the catalog engine and audit writer use principal.SystemContext). The
// decisions themselves (which kinds a principal reads, whether it is an
// admin) are made once, in internal/auth.Policy, and carried by the
// principal; these rules only apply them.

// Policy of the Entity: signed-in principals read the kinds they may.
func (Entity) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			requirePrincipal(),
			privacy.EntityQueryRuleFunc(func(ctx context.Context, q *gen.EntityQuery) error {
				p := principal.FromContext(ctx)
				if p.Admin || p.ReadKinds == nil {
					return privacy.Allow
				}
				q.Where(entity.KindIn(p.ReadKinds...))
				return privacy.Allow
			}),
		},
	}
}

// Policy of the Location: every signed-in principal reads registrations.
func (Location) Policy() ent.Policy {
	return privacy.Policy{Query: privacy.QueryPolicy{requirePrincipal(), privacy.AlwaysAllowRule()}}
}

// Policy of the AuditEvent: admins only.
func (AuditEvent) Policy() ent.Policy {
	return privacy.Policy{Query: privacy.QueryPolicy{requireAdmin()}}
}

// Policy of the APIToken: admins read every token, others their own.
func (APIToken) Policy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			requirePrincipal(),
			privacy.APITokenQueryRuleFunc(func(ctx context.Context, q *gen.APITokenQuery) error {
				p := principal.FromContext(ctx)
				if !p.Admin {
					q.Where(apitoken.OwnerSubject(p.Subject))
				}
				return privacy.Allow
			}),
		},
	}
}

// Policy of the Session: Pont's own code only.
func (Session) Policy() ent.Policy {
	return systemOnly()
}

// Policy of the LoginState: Pont's own code only.
func (LoginState) Policy() ent.Policy {
	return systemOnly()
}

// Policies of action runs, their events and approvals: Pont's own code
// only. The run service (plugins) decides who sees and does what, through
// internal/auth.Policy, and reads them as the system.
func (ActionRun) Policy() ent.Policy {
	return systemOnly()
}

// Policy of the ActionRunEvent: Pont's own code only.
func (ActionRunEvent) Policy() ent.Policy {
	return systemOnly()
}

// Policy of the ActionApproval: Pont's own code only.
func (ActionApproval) Policy() ent.Policy {
	return systemOnly()
}

// systemOnly is the policy of tables only Pont's own code reads and writes.
func systemOnly() ent.Policy {
	return privacy.Policy{Query: privacy.QueryPolicy{requireSystem()}, Mutation: privacy.MutationPolicy{requireSystemMutation()}}
}

func requirePrincipal() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if principal.FromContext(ctx) == nil {
			return privacy.Denyf("permission catalog.read denied: not signed in")
		}
		return privacy.Skip
	})
}

func requireAdmin() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if p := principal.FromContext(ctx); p != nil && p.Admin {
			return privacy.Allow
		}
		return privacy.Denyf("permission audit.read denied: admins only")
	})
}

func requireSystem() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if p := principal.FromContext(ctx); p != nil && p.Kind == principal.System {
			return privacy.Allow
		}
		return privacy.Denyf("internal table")
	})
}

func requireSystemMutation() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		if p := principal.FromContext(ctx); p != nil && p.Kind == principal.System {
			return privacy.Allow
		}
		return privacy.Denyf("internal table")
	})
}
