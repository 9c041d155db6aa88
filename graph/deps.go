package graph

import (
	"context"
	"time"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// TokenService mints and revokes Pont API tokens (internal/auth.Service).
type TokenService interface {
	MintToken(ctx context.Context, owner *principal.Principal, name string, scopes []string, lifetime time.Duration) (string, *ent.APIToken, error)
	RevokeToken(ctx context.Context, id string) error
}

// Limits bound every query; each is a configuration key (graphql.*).
type Limits struct {
	MaxComplexity int
	MaxDepth      int
	MaxAliases    int
	MaxTokens     int
	MaxPageSize   int
	MaxGraphDepth int
	// MaxGraphNodes caps the entities graph() returns.
	MaxGraphNodes int
	Timeout       time.Duration
	Introspection bool
	// AllowedOrigins are the origins WebSocket subscriptions are accepted
	// from (the external URL's origin).
	AllowedOrigins []string
}
