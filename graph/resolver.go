// Package graph is Pont's GraphQL API: the schema (graph/*.graphqls), thin
// resolvers over the catalog, and the handler that puts limits, sign-in and
// error handling around gqlgen's executor (graph/generated).
package graph

import (
	"log/slog"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/runner"
)

// Resolver is the root resolver: the dependencies every resolver uses.
type Resolver struct {
	client *ent.Client
	deps   Deps
}

// Deps are what the GraphQL API needs from the rest of Pont.
type Deps struct {
	// Client reads the stored rows; ent's privacy policies filter them.
	Client *ent.Client
	Store  catalog.Store
	// Locations registers, refreshes and removes locations.
	Locations *catalog.Locations
	Processor *catalog.Processor
	Policy    *auth.Policy
	Audit     *audit.Log
	// Tokens mints and revokes API tokens (nil: token mutations fail).
	Tokens TokenService
	// Inventory is the Kubernetes plugin's live picture (nil: no
	// clusters configured, and the lists are empty).
	Inventory plugins.Inventory
	// Runner runs self-service actions (nil: none configured).
	Runner *runner.Runner
	Limits Limits
	Log    *slog.Logger
}
