package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/graph"
	"github.com/pont-dev/pont/internal/auth"
)

// graphMount is the GraphQL API, mounted at /api/graphql.
func (a *app) graphMount(tokens *auth.Service) graphQLMount {
	g := a.cfg.GraphQL
	limits := graph.DefaultLimits()
	limits.MaxComplexity, limits.MaxDepth, limits.MaxAliases = g.MaxComplexity, g.MaxDepth, g.MaxAliases
	limits.MaxTokens, limits.MaxPageSize, limits.MaxGraphDepth = g.MaxTokens, g.MaxPageSize, g.MaxGraphDepth
	limits.Timeout, limits.Introspection = g.Timeout, a.cfg.IntrospectionEnabled()
	limits.AllowedOrigins = []string{a.cfg.ExternalURL()}
	return graphQLMount{graph.NewHandler(graph.Deps{
		Client: a.db.Ent, Store: a.store, Locations: a.locations, Processor: a.processor,
		Policy: a.policy, Audit: a.audit, Tokens: tokens, Limits: limits, Inventory: a.inventory, Runner: a.actions,
		Log: a.log.With("component", "graphql"),
	})}
}

type graphQLMount struct{ h http.Handler }

func (graphQLMount) Prefix() string { return "/api/graphql" }

func (m graphQLMount) Register(g *echo.Group) { g.Any("", echo.WrapHandler(m.h)) }

// HandleError answers errors met before GraphQL runs (a body over the cap,
// an unknown method) in GraphQL's error shape.
func (graphQLMount) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	if he, ok := err.(*echo.HTTPError); ok {
		code, msg = he.Code, http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	}
	_ = c.JSON(code, map[string]any{"errors": []map[string]any{{"message": msg}}})
}
