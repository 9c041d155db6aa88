// Package principal is who is asking: the identity a request carries from
// authentication (internal/auth) down to the store, where ent's privacy
// policies read it. It is a leaf package so that ent/schema can import it.
package principal

import (
	"context"
	"slices"
	"strings"
)

// Kind says how a principal authenticated.
type Kind string

const (
	// Session is a person signed in through the browser flow.
	Session Kind = "session"
	// Bearer is a caller presenting a JWT from the OIDC provider.
	Bearer Kind = "bearer"
	// Token is a caller presenting a Pont API token.
	Token Kind = "token"
	// Local is a loopback caller while sign-in is off: Pont trusts the
	// machine it runs on, as a developer's laptop.
	Local Kind = "local"
	// System is Pont itself (the catalog engine, audit writer, jobs).
	System Kind = "system"
)

// Scopes an API token may carry.
const (
	ScopeRead  = "read"  // queries only
	ScopeWrite = "write" // queries and mutations
)

// Principal is an authenticated caller. Its permissions are decided once,
// when it is built (internal/auth.Policy), and read everywhere else.
type Principal struct {
	Kind Kind `json:"kind"`
	// Subject identifies the caller uniquely: "iss|sub" for OIDC,
	// "token:<id>" for an API token, "local" or "system".
	Subject string `json:"subject"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	// User is the catalog User's ref key (user:default/jdoe), or "".
	User string `json:"user,omitempty"`
	// Groups are group ref keys (group:default/team-a): the token's groups
	// claim and the catalog's memberOf, with every ancestor group.
	Groups []string `json:"groups,omitempty"`
	// Admin is set for members of a configured admin group, the local
	// principal and the system.
	Admin bool `json:"admin,omitempty"`
	// ReadKinds lists the lower-cased kinds the principal may read; nil
	// means every kind.
	ReadKinds []string `json:"readKinds,omitempty"`
	// Scopes restrict an API token (ScopeRead, ScopeWrite); nil means
	// no restriction beyond the policy.
	Scopes []string `json:"scopes,omitempty"`
	// SessionID is the stored session's id (a hash, never the cookie).
	SessionID string `json:"-"`
}

// Owns reports whether an owner ref key (as in spec.owner, resolved to
// "group:default/team-a" or "user:default/jdoe") is this principal or one
// of its groups.
func (p *Principal) Owns(ownerKey string) bool {
	if p == nil || ownerKey == "" {
		return false
	}
	ownerKey = strings.ToLower(ownerKey)
	return ownerKey == p.User || slices.Contains(p.Groups, ownerKey)
}

// CanReadKind reports whether the principal may read entities of a kind.
func (p *Principal) CanReadKind(kind string) bool {
	if p == nil {
		return false
	}
	if p.Admin || p.ReadKinds == nil {
		return true
	}
	return slices.Contains(p.ReadKinds, strings.ToLower(kind))
}

// CanWrite reports whether the principal's scopes allow mutations.
func (p *Principal) CanWrite() bool {
	return p != nil && (p.Scopes == nil || slices.Contains(p.Scopes, ScopeWrite))
}

// Actor is how audit records and logs name the principal.
func (p *Principal) Actor() string {
	switch {
	case p == nil:
		return "anonymous"
	case p.User != "":
		return p.User
	case p.Email != "":
		return p.Email
	}
	return p.Subject
}

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of ctx, or nil for an anonymous caller.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

var system = &Principal{Kind: System, Subject: "system", Admin: true}

// SystemContext marks ctx as Pont's own work: the store lets it read and
// write everything. Use it for engine, audit and job code, never for a
// request.
func SystemContext(ctx context.Context) context.Context {
	return NewContext(ctx, system)
}
