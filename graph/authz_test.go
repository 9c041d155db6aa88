package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/apitoken"
	"github.com/pont-dev/pont/graph"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/runner"
)

// The authorization walk: every field of Query, Mutation and Subscription
// must have a case below, run as an anonymous caller, a stranger (signed
// in, owner of nothing, not an admin), an owner and an admin. A field added
// to the schema without a case fails TestAuthorizationWalk.

type role int

const (
	anonymous role = iota
	stranger
	owner
	admin
)

func (r role) String() string { return [...]string{"anonymous", "stranger", "owner", "admin"}[r] }

// fixture is one walk's catalog, endpoint and callers.
type fixture struct {
	t     *testing.T
	env   *graphtest.Env
	api   *api
	runs  *runner.Runner
	as    map[role]*principal.Principal
	files atomic.Int64
}

func sys() context.Context { return principal.SystemContext(context.Background()) }

// fieldCase is how one schema field is asked and what each caller gets.
type fieldCase struct {
	query string
	// vars builds the variables for one caller (fresh targets for
	// mutations that consume them).
	vars func(fx *fixture, r role) map[string]any
	// check judges the answer of a signed-in caller; nil: no errors.
	check func(fx *fixture, r role, vars map[string]any, res response)
	// intact checks the target is unchanged after a refused call.
	intact func(fx *fixture, vars map[string]any)
	// subscription fields are asked over a WebSocket.
	subscription bool
	// first, when set, judges a subscriber's first message (else none
	// may come).
	first func(fx *fixture, r role, vars map[string]any, m map[string]any)
}

func noVars(*fixture, role) map[string]any { return nil }

func constVars(v map[string]any) func(*fixture, role) map[string]any {
	return func(*fixture, role) map[string]any { return v }
}

// codes lists the extensions.code of each error.
func codes(res response) []string {
	var out []string
	for _, e := range res.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func fieldOf(res response, field string) any {
	if res.Data == nil {
		return nil
	}
	return res.Data[field]
}

// wantNoErrors fails on any error.
func wantNoErrors(t *testing.T, what string, res response) {
	t.Helper()
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		t.Fatalf("%s: status %d, errors %+v", what, res.Status, res.Errors)
	}
}

// wantForbidden requires one FORBIDDEN error naming perm and no data.
func wantForbidden(t *testing.T, field, perm string, res response) {
	t.Helper()
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" || res.Errors[0].Extensions["permission"] != perm {
		t.Fatalf("%s: want FORBIDDEN naming %s, got %+v", field, perm, res.Errors)
	}
	if !strings.Contains(res.Errors[0].Message, perm) {
		t.Errorf("%s: message %q does not name %s", field, res.Errors[0].Message, perm)
	}
	if v := fieldOf(res, field); v != nil {
		t.Errorf("%s: data despite the denial: %v", field, v)
	}
}

func wantCode(t *testing.T, field, code string, res response) {
	t.Helper()
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != code {
		t.Fatalf("%s: want %s, got %+v", field, code, res.Errors)
	}
	if v := fieldOf(res, field); v != nil {
		t.Errorf("%s: data despite the error: %v", field, v)
	}
}

// entityUID is the uid of an entity (read as the system), "" if none.
func (fx *fixture) entityUID(key string) string { return fx.env.EntityUID(fx.t, key) }

func (fx *fixture) wantEntity(key string) {
	fx.t.Helper()
	if fx.entityUID(key) == "" {
		fx.t.Fatalf("%s is gone", key)
	}
}

// newFile writes a small valid catalog file under env.Dir and returns its
// path: a location target nobody registered yet.
func (fx *fixture) newFile() string {
	return fx.env.WriteComponentFile(fx.t, fmt.Sprintf("extra-%d", fx.files.Add(1)))
}

// newLocation registers a location as p and returns its id.
func (fx *fixture) newLocation(p *principal.Principal) string {
	res, err := fx.env.Locations.Register(graphtest.As(context.Background(), p), catalog.RegisterRequest{Type: "file", Target: fx.newFile(), CreatedBy: p.Subject})
	if err != nil {
		fx.t.Fatal(err)
	}
	return res.Location.ID
}

func (fx *fixture) locationExists(id string) bool {
	_, err := fx.env.Store.Location(sys(), id)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		fx.t.Fatal(err)
	}
	return err == nil
}

func (fx *fixture) locationByTarget(target string) (catalog.Location, bool) {
	l, err := fx.env.Store.LocationByTarget(sys(), "file", target)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		fx.t.Fatal(err)
	}
	return l, err == nil
}

// fakeTokens is a TokenService storing tokens as rows (token storage and
// hashing are internal/auth's, tested there).
type fakeTokens struct{ db *ent.Client }

func (f fakeTokens) MintToken(ctx context.Context, owner *principal.Principal, name string, scopes []string, lifetime time.Duration) (string, *ent.APIToken, error) {
	id := fmt.Sprintf("tok-%d", time.Now().UnixNano())
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	if lifetime == 0 {
		lifetime = time.Hour
	}
	tok, err := f.db.APIToken.Create().SetID(id).SetName(name).SetHash("hash-" + id).SetPrefix("pont_" + id[:4]).
		SetOwnerSubject(owner.Subject).SetOwnerName(owner.Actor()).SetPrincipal([]byte("{}")).
		SetScopes(scopes).SetExpiresAt(time.Now().Add(lifetime)).Save(principal.SystemContext(ctx))
	if err != nil {
		return "", nil, err
	}
	return "pont_secret_" + id, tok, nil
}

func (f fakeTokens) RevokeToken(ctx context.Context, id string) error {
	_, err := f.db.APIToken.UpdateOneID(id).SetRevokedAt(time.Now()).Save(principal.SystemContext(ctx))
	return err
}

func (fx *fixture) newToken(p *principal.Principal) string {
	_, tok, err := fakeTokens{fx.env.DB.Ent}.MintToken(context.Background(), p, "token of "+p.Name, nil, 0)
	if err != nil {
		fx.t.Fatal(err)
	}
	return tok.ID
}

func (fx *fixture) tokenRevoked(id string) bool {
	tok, err := fx.env.DB.Ent.APIToken.Get(sys(), id)
	if err != nil {
		fx.t.Fatal(err)
	}
	return tok.RevokedAt != nil
}

const validComponent = `{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"checked"},"spec":{"type":"service","lifecycle":"production","owner":"team-0"}}`

// authzCases holds one case per field of Query, Mutation and Subscription.
func authzCases() map[string]fieldCase {
	return map[string]fieldCase{
		"Query.viewer": {
			query: `{ viewer { kind name user groups admin readKinds } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "viewer", res)
				if got, want := at(res.Data, "viewer.admin"), r == admin; got != want {
					fx.t.Errorf("viewer.admin of %s = %v", r, got)
				}
				if at(res.Data, "viewer.name") != fx.as[r].Name {
					fx.t.Errorf("viewer of %s = %v", r, res.Data)
				}
			},
		},
		"Query.entity": {
			query: `query($ref: String!) { entity(ref: $ref) { ref owner { ref } } }`,
			vars:  constVars(map[string]any{"ref": "component:svc-0-0"}),
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "entity", res)
				if at(res.Data, "entity.ref") != "Component:default/svc-0-0" || at(res.Data, "entity.owner.ref") != "Group:default/team-0" {
					fx.t.Errorf("entity as %s = %v", r, res.Data)
				}
			},
		},
		"Query.graph": {
			query: `{ graph(ref: "component:svc-0-0", depth: 1) { root { ref } nodes { ref } edges { type } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "graph", res)
				if n := len(at(res.Data, "graph.nodes").([]any)); n < 2 {
					fx.t.Errorf("graph as %s has %d nodes", r, n)
				}
			},
		},
		"Query.search": {
			query: `{ search(query: "invoic", first: 5, facets: ["kind"]) { totalCount nodes { ref } facets { field } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "search", res)
				if n, _ := at(res.Data, "search.totalCount").(float64); n == 0 {
					fx.t.Errorf("search as %s found nothing", r)
				}
			},
		},
		"Query.node": {
			query: `query($id: ID!) { node(id: $id) { id ... on Component { ref } } }`,
			vars: func(fx *fixture, _ role) map[string]any {
				return map[string]any{"id": fx.entityUID("component:default/svc-0-0")}
			},
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "node", res)
				if at(res.Data, "node.ref") != "Component:default/svc-0-0" {
					fx.t.Errorf("node as %s = %v", r, res.Data)
				}
			},
		},
		"Query.nodes": {
			query: `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Component { ref } } }`,
			vars: func(fx *fixture, _ role) map[string]any {
				return map[string]any{"ids": []string{fx.entityUID("component:default/svc-0-0"), "no-such-id"}}
			},
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "nodes", res)
				if at(res.Data, "nodes.0.ref") != "Component:default/svc-0-0" || at(res.Data, "nodes.1") != nil {
					fx.t.Errorf("nodes as %s = %v", r, res.Data)
				}
			},
		},
		"Query.apiTokens": {
			query: `{ apiTokens(first: 100) { totalCount edges { node { id ownerSubject } } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "apiTokens", res)
				edges := at(res.Data, "apiTokens.edges").([]any)
				if len(edges) == 0 {
					fx.t.Fatalf("apiTokens as %s: none (each caller has one)", r)
				}
				others := 0
				for _, e := range edges {
					if at(e, "node.ownerSubject") != fx.as[r].Subject {
						others++
					}
				}
				if r == admin && others == 0 {
					fx.t.Errorf("admin sees only own tokens: %v", edges)
				}
				if r != admin && others > 0 {
					fx.t.Errorf("%s sees %d tokens of others: %v", r, others, edges)
				}
				if int(at(res.Data, "apiTokens.totalCount").(float64)) != len(edges) {
					fx.t.Errorf("apiTokens as %s: totalCount %v for %d edges", r, at(res.Data, "apiTokens.totalCount"), len(edges))
				}
			},
		},
		"Query.auditEvents": {
			query: `{ auditEvents(first: 5) { totalCount edges { node { action outcome } } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				if r != admin {
					wantForbidden(fx.t, "auditEvents", "audit.read", res)
					return
				}
				wantNoErrors(fx.t, "auditEvents", res)
			},
		},
		"Query.entities": {
			query: `{ entities(first: 5, where: {kind: "component"}) { totalCount edges { node { ref } } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "entities", res)
				if n, _ := at(res.Data, "entities.totalCount").(float64); n == 0 {
					fx.t.Errorf("entities as %s: none", r)
				}
			},
		},
		"Query.locations": {
			query: `{ locations(first: 100) { totalCount edges { node { id origin createdBy } } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "locations", res)
				if n, _ := at(res.Data, "locations.totalCount").(float64); n == 0 {
					fx.t.Errorf("locations as %s: none", r)
				}
			},
		},

		"Mutation.registerLocation": {
			query: `mutation($t: String!) { registerLocation(input: {type: "file", target: $t}) { location { id createdBy origin } exists } }`,
			vars: func(fx *fixture, _ role) map[string]any {
				return map[string]any{"t": fx.newFile()}
			},
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				wantNoErrors(fx.t, "registerLocation", res)
				l, ok := fx.locationByTarget(vars["t"].(string))
				if !ok || l.CreatedBy != fx.as[r].Subject || at(res.Data, "registerLocation.location.createdBy") != fx.as[r].Subject {
					fx.t.Errorf("registerLocation as %s: stored %+v, answered %v", r, l, res.Data)
				}
			},
			intact: func(fx *fixture, vars map[string]any) {
				if _, ok := fx.locationByTarget(vars["t"].(string)); ok {
					fx.t.Errorf("a refused registerLocation stored the location")
				}
			},
		},
		"Mutation.refreshLocation": {
			query: `mutation($id: ID!) { refreshLocation(id: $id) { id } }`,
			vars: func(fx *fixture, _ role) map[string]any {
				return map[string]any{"id": fx.newLocation(fx.as[owner])}
			},
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				if r == stranger {
					wantForbidden(fx.t, "refreshLocation", "catalog.location.refresh", res)
					return
				}
				wantNoErrors(fx.t, "refreshLocation", res)
				if at(res.Data, "refreshLocation.id") != vars["id"] {
					fx.t.Errorf("refreshLocation as %s = %v", r, res.Data)
				}
			},
			intact: func(fx *fixture, vars map[string]any) {
				if !fx.locationExists(vars["id"].(string)) {
					fx.t.Errorf("location %s gone", vars["id"])
				}
			},
		},
		"Mutation.deleteLocation": {
			query: `mutation($id: ID!) { deleteLocation(id: $id) }`,
			vars: func(fx *fixture, _ role) map[string]any {
				return map[string]any{"id": fx.newLocation(fx.as[owner])}
			},
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				id := vars["id"].(string)
				if r == stranger {
					wantForbidden(fx.t, "deleteLocation", "catalog.location.delete", res)
					return
				}
				wantNoErrors(fx.t, "deleteLocation", res)
				if fx.locationExists(id) {
					fx.t.Errorf("deleteLocation as %s left %s", r, id)
				}
			},
			intact: func(fx *fixture, vars map[string]any) {
				if !fx.locationExists(vars["id"].(string)) {
					fx.t.Errorf("location %s deleted by a refused call", vars["id"])
				}
			},
		},
		"Mutation.refreshEntity": {
			query: `mutation($ref: String!) { refreshEntity(ref: $ref) { ref } }`,
			vars:  constVars(map[string]any{"ref": "component:svc-0-0"}),
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				if r == stranger {
					wantForbidden(fx.t, "refreshEntity", "catalog.entity.refresh", res)
					return
				}
				wantNoErrors(fx.t, "refreshEntity", res)
			},
			intact: func(fx *fixture, _ map[string]any) { fx.wantEntity("component:default/svc-0-0") },
		},
		"Mutation.deleteEntity": {
			query: `mutation($ref: String!) { deleteEntity(ref: $ref) }`,
			vars: func(_ *fixture, r role) map[string]any {
				if r == admin {
					return map[string]any{"ref": "component:svc-1-2"} // owned by team-1
				}
				return map[string]any{"ref": "component:svc-0-2"} // owned by team-0
			},
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				if r == stranger {
					wantForbidden(fx.t, "deleteEntity", "catalog.entity.delete", res)
					return
				}
				wantNoErrors(fx.t, "deleteEntity", res)
				key := "component:default/" + strings.TrimPrefix(vars["ref"].(string), "component:")
				if fx.entityUID(key) != "" {
					fx.t.Errorf("deleteEntity as %s left %s", r, key)
				}
			},
			intact: func(fx *fixture, vars map[string]any) {
				fx.wantEntity("component:default/" + strings.TrimPrefix(vars["ref"].(string), "component:"))
			},
		},
		"Mutation.validateEntity": {
			query: `mutation($e: JSON!) { validateEntity(entity: $e) { valid errors { field message } } }`,
			vars: func(*fixture, role) map[string]any {
				var e any
				json.Unmarshal([]byte(validComponent), &e)
				return map[string]any{"e": e}
			},
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "validateEntity", res)
				if at(res.Data, "validateEntity.valid") != true {
					fx.t.Errorf("validateEntity as %s = %v", r, res.Data)
				}
			},
		},
		"Mutation.createAPIToken": {
			query: `mutation { createAPIToken(input: {name: "ci", scopes: ["read"]}) { token apiToken { id ownerSubject } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "createAPIToken", res)
				if at(res.Data, "createAPIToken.token") == "" || at(res.Data, "createAPIToken.apiToken.ownerSubject") != fx.as[r].Subject {
					fx.t.Errorf("createAPIToken as %s = %v", r, res.Data)
				}
			},
		},
		"Mutation.revokeAPIToken": {
			query: `mutation($id: ID!) { revokeAPIToken(id: $id) { id revokedAt } }`,
			vars: func(fx *fixture, _ role) map[string]any {
				return map[string]any{"id": fx.newToken(fx.as[owner])}
			},
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				if r == stranger {
					// Someone else's token is not found (ent's privacy
					// policy hides it), as if it did not exist.
					wantCode(fx.t, "revokeAPIToken", "NOT_FOUND", res)
					return
				}
				wantNoErrors(fx.t, "revokeAPIToken", res)
				if !fx.tokenRevoked(vars["id"].(string)) {
					fx.t.Errorf("revokeAPIToken as %s did not revoke", r)
				}
			},
			intact: func(fx *fixture, vars map[string]any) {
				if fx.tokenRevoked(vars["id"].(string)) {
					fx.t.Errorf("token %s revoked by a refused call", vars["id"])
				}
			},
		},

		// Self-service actions, with the walk's noop action on svc-0-0
		// (owned by team-0, the owner role's team).
		"Query.actions": {
			query: `{ actions(target: "component:default/svc-0-0") { id title inputSchema approval } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "actions", res)
				if n := len(fieldOf(res, "actions").([]any)); n != 1 {
					fx.t.Errorf("actions as %s: %d", r, n)
				}
			},
		},
		"Query.planAction": {
			query: `{ planAction(action: "walk.noop", target: "component:default/svc-0-0", input: {}) { summary } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				if r == stranger {
					wantForbidden(fx.t, "planAction", "action.run", res)
					return
				}
				wantNoErrors(fx.t, "planAction", res)
			},
		},
		"Mutation.runAction": {
			query: `mutation { runAction(action: "walk.noop", target: "component:default/svc-0-0", input: {approve: true}) { id state } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				if r == stranger {
					wantForbidden(fx.t, "runAction", "action.run", res)
					return
				}
				wantNoErrors(fx.t, "runAction", res)
				if at(res.Data, "runAction.state") != "PENDING_APPROVAL" {
					fx.t.Errorf("runAction as %s: %v", r, res.Data)
				}
			},
		},
		"Query.run": {
			query: `query($id: ID!) { run(id: $id) { id state requester plan { summary } events { seq kind message } } }`,
			vars:  func(fx *fixture, _ role) map[string]any { return map[string]any{"id": fx.newRun(fx.as[owner])} },
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "run", res)
				if got := fieldOf(res, "run"); (got == nil) != (r == stranger) {
					fx.t.Errorf("run as %s: %v", r, got)
				}
			},
		},
		"Query.runs": {
			query: `{ runs(first: 100) { id requester } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "runs", res)
				if r == stranger && len(fieldOf(res, "runs").([]any)) != 0 {
					fx.t.Errorf("a stranger sees runs: %v", res.Data)
				}
			},
		},
		"Mutation.approveRun": {
			query: `mutation($id: ID!) { approveRun(id: $id, comment: "ok") { id state } }`,
			// Nobody approves their own run: each is asked by another.
			vars: runOfAnother,
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				if r == stranger {
					wantCode(fx.t, "approveRun", "NOT_FOUND", res)
					return
				}
				wantNoErrors(fx.t, "approveRun", res)
			},
			intact: stillWaiting,
		},
		"Mutation.rejectRun": {
			query: `mutation($id: ID!) { rejectRun(id: $id, comment: "no") { id state } }`,
			vars:  runOfAnother,
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				if r == stranger {
					wantCode(fx.t, "rejectRun", "NOT_FOUND", res)
					return
				}
				wantNoErrors(fx.t, "rejectRun", res)
				if at(res.Data, "rejectRun.state") != "REJECTED" {
					fx.t.Errorf("rejectRun as %s: %v", r, res.Data)
				}
			},
			intact: stillWaiting,
		},
		"Mutation.cancelRun": {
			query: `mutation($id: ID!) { cancelRun(id: $id) { id state } }`,
			vars: func(fx *fixture, r role) map[string]any {
				by := r
				if r == stranger || r == anonymous {
					by = owner
				}
				return map[string]any{"id": fx.newRun(fx.as[by])}
			},
			check: func(fx *fixture, r role, vars map[string]any, res response) {
				if r == stranger {
					wantCode(fx.t, "cancelRun", "NOT_FOUND", res)
					return
				}
				wantNoErrors(fx.t, "cancelRun", res)
			},
			intact: stillWaiting,
		},
		"Subscription.runEvents": {
			query:        `subscription($id: ID!) { runEvents(id: $id) { seq kind message } }`,
			subscription: true,
			vars:         func(fx *fixture, _ role) map[string]any { return map[string]any{"id": fx.newRun(fx.as[owner])} },
			first: func(fx *fixture, r role, _ map[string]any, m map[string]any) {
				if r == stranger {
					if m["type"] != "error" && at(m, "payload.data") != nil {
						fx.t.Errorf("a stranger follows a run: %v", m)
					}
					return
				}
				if at(m, "payload.data.runEvents.seq") != 1.0 {
					fx.t.Errorf("runEvents as %s: %v", r, m)
				}
			},
		},

		// The Kubernetes inventory: no plugin here, so every caller gets
		// empty lists; plugins/kubernetes tests them with real clusters,
		// including a caller who may not read kind Resource.
		"Query.clusters": {
			query: `{ clusters { name reachable } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "clusters", res)
			},
		},
		"Query.environments": {
			query: `{ environments(first: 5) { totalCount nodes { name } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "environments", res)
			},
		},
		"Query.databases": {
			query: `{ databases(first: 5, status: READY) { totalCount nodes { name health } } }`, vars: noVars,
			check: func(fx *fixture, r role, _ map[string]any, res response) {
				wantNoErrors(fx.t, "databases", res)
			},
		},
		"Subscription.inventoryChanged": {
			query: `subscription { inventoryChanged { type removed } }`, vars: noVars, subscription: true,
		},
		"Subscription.entityChanged": {
			query: `subscription { entityChanged { type ref kind } }`, vars: noVars, subscription: true,
		},
	}
}

// schemaFields lists "Type.field" of every root field of the schema.
func schemaFields(t *testing.T, env *graphtest.Env) []string {
	s := graph.NewSchema(graph.Deps{Client: env.Client, Store: env.Store, Policy: env.Policy, Audit: env.Audit, Limits: graph.DefaultLimits()}).Schema()
	var out []string
	for _, def := range []struct {
		name string
		ok   bool
	}{{"Query", s.Query != nil}, {"Mutation", s.Mutation != nil}, {"Subscription", s.Subscription != nil}} {
		if !def.ok {
			continue
		}
		for _, f := range s.Types[def.name].Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			out = append(out, def.name+"."+f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// newAuthzAPI is newAPI with a token service.
func newAuthzAPI(t testing.TB, env *graphtest.Env, tokens graph.TokenService, runs *runner.Runner) *api {
	h := graph.NewHandler(graph.Deps{
		Client: env.Client, Store: env.Store, Locations: env.Locations, Processor: env.Processor,
		Policy: env.Policy, Audit: env.Audit, Tokens: tokens, Limits: graph.DefaultLimits(), Runner: runs,
	})
	return &api{t: t, env: env, h: h}
}

// noopAction is the action of the walk: it does nothing, and asks for
// approval when its input says so.
type noopAction struct{}

func (noopAction) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{ID: "walk.noop", Title: "Nothing", InputSchema: json.RawMessage(
		`{"type":"object","additionalProperties":false,"properties":{"approve":{"type":"boolean"}}}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"component"}},
		Approval:  plugins.ApprovalPolicy{When: func(r plugins.ActionRequest) bool { return r.Input["approve"] == true }}}
}

func (noopAction) Plan(context.Context, plugins.ActionRequest) (*plugins.Plan, error) {
	return &plugins.Plan{Summary: "nothing"}, nil
}

func (noopAction) Run(context.Context, plugins.ActionRequest, plugins.RunReporter) (*plugins.RunResult, error) {
	return &plugins.RunResult{Summary: "done"}, nil
}

// newRunner is a runner over a real queue on the walk's database.
func newRunner(t testing.TB, env *graphtest.Env) *runner.Runner {
	q, err := jobs.Open(context.Background(), jobs.Options{DB: env.DB, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	reg := plugins.NewRegistry()
	if err := reg.Register(noopAction{}); err != nil {
		t.Fatal(err)
	}
	r := runner.New(runner.Options{Registry: reg, Client: env.DB.Ent, Queue: q, Store: env.Store, Policy: env.Policy, Audit: env.Audit})
	ctx, cancel := context.WithCancel(context.Background())
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = q.Stop(stop)
		cancel()
	})
	return r
}

// newRun asks, as p, for a run of walk.noop on svc-0-0 that waits for
// approval, and returns its id.
func (fx *fixture) newRun(p *principal.Principal) string {
	run, err := fx.runs.Submit(graphtest.As(context.Background(), p), "walk.noop", "component:default/svc-0-0", json.RawMessage(`{"approve":true}`))
	if err != nil {
		fx.t.Fatal(err)
	}
	return run.ID
}

// runOfAnother is a waiting run asked for by someone other than r (who
// may then decide on it).
func runOfAnother(fx *fixture, r role) map[string]any {
	by := owner
	if r == owner {
		by = admin
	}
	return map[string]any{"id": fx.newRun(fx.as[by])}
}

// stillWaiting checks a refused call left the run waiting for approval.
func stillWaiting(fx *fixture, vars map[string]any) {
	if s := fx.runState(vars["id"].(string)); s != "pending_approval" {
		fx.t.Errorf("run %s is %s after a refused call", vars["id"], s)
	}
}

func (fx *fixture) runState(id string) string {
	run, err := fx.env.DB.Ent.ActionRun.Get(sys(), id)
	if err != nil {
		fx.t.Fatal(err)
	}
	return string(run.State)
}

var adminPolicy = config.Policy{AdminGroups: []string{"group:default/admins"}}

func TestAuthorizationWalk(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 3, ComponentsPerTeam: 3, Policy: adminPolicy})
			cases := authzCases()
			fields := schemaFields(t, env)
			for _, f := range fields {
				if _, ok := cases[f]; !ok {
					t.Errorf("schema field %s has no case in the authorization walk: add one to authzCases", f)
				}
			}
			for k := range cases {
				if !slices.Contains(fields, k) {
					t.Errorf("case %s names no schema field", k)
				}
			}
			runs := newRunner(t, env)
			fx := &fixture{t: t, env: env, runs: runs, api: newAuthzAPI(t, env, fakeTokens{env.DB.Ent}, runs), as: map[role]*principal.Principal{
				anonymous: nil,
				stranger:  env.Principal("stranger", "strangers"),
				owner:     env.Principal("team-0-a", "team-0"),
				admin:     env.Principal("root", "admins"),
			}}
			if fx.as[stranger].Admin || !fx.as[admin].Admin {
				t.Fatal("policy: admin groups not applied")
			}
			for _, r := range []role{stranger, owner, admin} {
				fx.newToken(fx.as[r])
			}
			for _, key := range fields {
				c, ok := cases[key]
				if !ok {
					continue
				}
				field := key[strings.Index(key, ".")+1:]
				t.Run(key, func(t *testing.T) {
					fx.t = t
					if c.subscription {
						walkSubscription(t, fx, c)
						return
					}
					for _, r := range []role{anonymous, stranger, owner, admin} {
						vars := c.vars(fx, r)
						res := fx.api.post(fx.as[r], c.query, vars)
						noLeak(t, res)
						if r == anonymous {
							if !slices.Contains(codes(res), "UNAUTHENTICATED") {
								t.Fatalf("anonymous %s: want UNAUTHENTICATED, got %+v", key, res.Errors)
							}
							if v := fieldOf(res, field); v != nil {
								t.Fatalf("anonymous %s: data %v", key, v)
							}
							if c.intact != nil {
								c.intact(fx, vars)
							}
							continue
						}
						if c.check != nil {
							c.check(fx, r, vars, res)
						} else {
							wantNoErrors(t, key, res)
						}
						if r == stranger && len(res.Errors) > 0 && c.intact != nil {
							c.intact(fx, vars)
						}
					}
				})
			}
			fx.t = t

			t.Run("refused mutations are audited", func(t *testing.T) {
				n, err := env.DB.Ent.AuditEvent.Query().Count(sys())
				if err != nil || n == 0 {
					t.Fatalf("audit events: %d, %v", n, err)
				}
				d := fx.api.ok(fx.as[admin], `{ auditEvents(first: 100, where: {outcome: denied}) { edges { node { action actor } } } }`, nil)
				seen := map[string]bool{}
				for _, e := range at(d, "auditEvents.edges").([]any) {
					if at(e, "node.actor") == "user:default/stranger" {
						seen[at(e, "node.action").(string)] = true
					}
				}
				for _, action := range []string{"catalog.entity.delete", "catalog.entity.refresh", "catalog.location.delete", "catalog.location.refresh", "audit.read"} {
					if !seen[action] {
						t.Errorf("no denied audit record of %s by the stranger (have %v)", action, seen)
					}
				}
			})

			t.Run("a configured location is changed by nobody", func(t *testing.T) {
				fx.t = t
				for _, r := range []role{stranger, owner, admin} {
					res := fx.api.post(fx.as[r], `mutation($id: ID!) { deleteLocation(id: $id) }`, map[string]any{"id": env.Location.ID})
					wantForbidden(t, "deleteLocation", "catalog.location.delete", res)
				}
				if !fx.locationExists(env.Location.ID) {
					t.Fatal("configured location deleted")
				}
				// Refreshing it is for admins only.
				wantForbidden(t, "refreshLocation", "catalog.location.refresh",
					fx.api.post(fx.as[owner], `mutation($id: ID!) { refreshLocation(id: $id) { id } }`, map[string]any{"id": env.Location.ID}))
				wantNoErrors(t, "admin refreshLocation", fx.api.post(fx.as[admin], `mutation($id: ID!) { refreshLocation(id: $id) { id } }`, map[string]any{"id": env.Location.ID}))
			})

			t.Run("the registrant changes its location", func(t *testing.T) {
				fx.t = t
				id := fx.newLocation(fx.as[stranger])
				wantForbidden(t, "deleteLocation", "catalog.location.delete",
					fx.api.post(fx.as[owner], `mutation($id: ID!) { deleteLocation(id: $id) }`, map[string]any{"id": id}))
				wantNoErrors(t, "registrant deleteLocation", fx.api.post(fx.as[stranger], `mutation($id: ID!) { deleteLocation(id: $id) }`, map[string]any{"id": id}))
				if fx.locationExists(id) {
					t.Fatal("location not deleted")
				}
			})

			t.Run("a read-only token mutates nothing", func(t *testing.T) {
				fx.t = t
				p := env.Principal("team-0-b", "team-0")
				p.Kind, p.Scopes = principal.Token, []string{principal.ScopeRead}
				res := fx.api.post(p, `mutation { deleteEntity(ref: "component:svc-0-1") }`, nil)
				wantForbidden(t, "deleteEntity", "catalog.entity.delete", res)
				fx.wantEntity("component:default/svc-0-1")
				res = fx.api.post(p, `mutation { createAPIToken(input: {name: "x"}) { token } }`, nil)
				wantForbidden(t, "createAPIToken", "token.create", res)
			})

			t.Run("without a token service createAPIToken fails but is not a denial", func(t *testing.T) {
				a := newAuthzAPI(t, env, nil, nil)
				res := a.post(fx.as[stranger], `mutation { createAPIToken(input: {name: "ci"}) { token } }`, nil)
				if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] == "FORBIDDEN" || res.Errors[0].Extensions["code"] == "UNAUTHENTICATED" {
					t.Fatalf("createAPIToken without tokens: %+v", res.Errors)
				}
				noLeak(t, res)
			})
		})
	}
}

// noLeak fails when an error message shows SQL or Go internals.
func noLeak(t testing.TB, res response) {
	t.Helper()
	for _, e := range res.Errors {
		for _, bad := range []string{"SELECT", "INSERT", "sql:", "goroutine", ".go:", "pq:", "SQLSTATE", "runtime error"} {
			if strings.Contains(e.Message, bad) {
				t.Errorf("error message leaks %q: %q", bad, e.Message)
			}
		}
	}
}

// serveAs serves h with p (nil: nobody) in every request's context, as the
// authentication middleware would.
func serveAs(t testing.TB, h http.Handler, p *principal.Principal) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p != nil {
			r = r.WithContext(principal.NewContext(r.Context(), p))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// subscribe serves h as p and subscribes through a real socket.
func subscribe(t testing.TB, h http.Handler, p *principal.Principal, query string, vars map[string]any) (*graphtest.WSClient, bool) {
	return graphtest.Subscribe(t, serveAs(t, h, p).URL, nil, query, vars)
}

func walkSubscription(t *testing.T, fx *fixture, c fieldCase) {
	t.Run("anonymous", func(t *testing.T) {
		ws, acked := subscribe(t, fx.api.h, nil, c.query, nil)
		if acked {
			m := ws.Next(2 * time.Second)
			t.Fatalf("anonymous subscriber acknowledged; then got %v", m)
		}
		select {
		case <-ws.Done:
		case <-time.After(5 * time.Second):
			t.Fatal("the server kept an anonymous socket open")
		}
	})
	for _, r := range []role{stranger, owner, admin} {
		t.Run(r.String(), func(t *testing.T) {
			var vars map[string]any
			if c.vars != nil {
				vars = c.vars(fx, r)
			}
			ws, acked := subscribe(t, fx.api.h, fx.as[r], c.query, vars)
			if !acked {
				t.Fatalf("%s not acknowledged", r)
			}
			if c.first != nil {
				m := ws.Next(10 * time.Second)
				if m == nil {
					t.Fatalf("%s got nothing", r)
				}
				c.first(fx, r, vars, m)
				return
			}
			// Nothing changes: no message, in particular no error.
			if m := ws.Next(300 * time.Millisecond); m != nil {
				t.Fatalf("%s got %v", r, m)
			}
		})
	}
}

// rewriteCatalog changes descriptions in the test catalog and refreshes it.
func rewriteCatalog(t testing.TB, env *graphtest.Env, replace ...string) {
	path := filepath.Join(env.Dir, "catalog.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("catalog lacks %q", replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Processor.Refresh(context.Background(), env.Location); err != nil {
		t.Fatal(err)
	}
}

// collect gathers the entityChanged events of ws until quiet for quiet.
func collect(t testing.TB, ws *graphtest.WSClient, quiet time.Duration) []map[string]any {
	var out []map[string]any
	for {
		m := ws.Next(quiet)
		if m == nil {
			return out
		}
		if m["type"] != "next" {
			t.Fatalf("subscription message %v", m)
		}
		if errs := at(m, "payload.errors"); errs != nil {
			t.Fatalf("subscription errors %v", errs)
		}
		out = append(out, at(m, "payload.data.entityChanged").(map[string]any))
	}
}

func TestSubscriptionDeliversOnlyReadableKinds(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 2, ComponentsPerTeam: 2, Policy: config.Policy{
				AdminGroups: []string{"group:default/admins"}, ReadKinds: []string{"component"},
			}})
			a := newAPI(t, env, graph.Limits{})
			restricted := env.Principal("team-0-a", "team-0")
			if !slices.Equal(restricted.ReadKinds, []string{"component"}) {
				t.Fatalf("ReadKinds = %v", restricted.ReadKinds)
			}
			const q = `subscription { entityChanged { type ref kind entity { ref description } } }`
			wsAdmin, ok1 := subscribe(t, a.h, env.Principal("root", "admins"), q, nil)
			wsUser, ok2 := subscribe(t, a.h, restricted, q, nil)
			if !ok1 || !ok2 {
				t.Fatal("subscription not acknowledged")
			}
			// Let the subscriptions start before anything changes.
			time.Sleep(300 * time.Millisecond)
			rewriteCatalog(t, env,
				"description: Team number 0}", "description: Team zero}",
				"title: Service 0 of team 0,", "title: Service zero of team 0,")
			kindsOf := func(evs []map[string]any) map[string]bool {
				out := map[string]bool{}
				for _, e := range evs {
					out[strings.ToLower(e["kind"].(string))] = true
				}
				return out
			}
			adminEvents := collect(t, wsAdmin, 2*time.Second)
			userEvents := collect(t, wsUser, time.Second)
			if k := kindsOf(adminEvents); !k["group"] || !k["component"] {
				t.Errorf("admin received %v", adminEvents)
			}
			if k := kindsOf(userEvents); !k["component"] || k["group"] || len(k) != 1 {
				t.Errorf("restricted subscriber received %v", userEvents)
			}
			for _, e := range userEvents {
				if e["type"] == "CHANGED" && at(e, "entity.ref") == nil {
					t.Errorf("changed event without its entity: %v", e)
				}
			}
		})
	}
}

func TestHiddenKinds(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 2, ComponentsPerTeam: 2, Policy: config.Policy{
				AdminGroups: []string{"group:default/admins"}, ReadKinds: []string{"component", "api"},
			}})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("team-0-a", "team-0")
			root := env.Principal("root", "admins")
			groupUID := (&fixture{t: t, env: env}).entityUID("group:default/team-0")
			if groupUID == "" {
				t.Fatal("no group team-0")
			}

			// Lookups: a group is as absent as a missing entity.
			d := a.ok(me, `query($id: ID!) { entity(ref: "group:team-0") { ref } node(id: $id) { id } nodes(ids: [$id]) { id } }`, map[string]any{"id": groupUID})
			if d["entity"] != nil || d["node"] != nil || at(d, "nodes.0") != nil {
				t.Errorf("hidden group visible: %v", d)
			}
			d = a.ok(root, `query($id: ID!) { entity(ref: "group:team-0") { ref } node(id: $id) { id } }`, map[string]any{"id": groupUID})
			if at(d, "entity.ref") != "Group:default/team-0" || at(d, "node.id") != groupUID {
				t.Errorf("admin does not see the group: %v", d)
			}

			// Lists and totals.
			d = a.ok(me, `{ g: entities(where: {kind: "group"}) { totalCount edges { node { ref } } } all: entities(first: 100) { totalCount edges { node { kind } } } }`, nil)
			if at(d, "g.totalCount") != float64(0) || len(at(d, "g.edges").([]any)) != 0 {
				t.Errorf("entities of kind group: %v", d["g"])
			}
			for _, e := range at(d, "all.edges").([]any) {
				if k := at(e, "node.kind"); k != "Component" && k != "API" {
					t.Errorf("entities lists a %v", k)
				}
			}
			if n := at(d, "all.totalCount"); n != float64(8) {
				t.Errorf("entities totalCount = %v, want 8 (4 components, 4 APIs)", n)
			}

			// Search: totals and facets.
			const sq = `{ search(query: "team", first: 50, facets: ["kind"]) { totalCount nodes { kind } facets { field values { value count } } } }`
			d = a.ok(me, sq, nil)
			total := 0
			for _, v := range at(d, "search.facets.0.values").([]any) {
				if k := strings.ToLower(at(v, "value").(string)); k != "component" && k != "api" {
					t.Errorf("search facet counts kind %s", k)
				}
				total += int(at(v, "count").(float64))
			}
			if total != int(at(d, "search.totalCount").(float64)) {
				t.Errorf("facets count %d, totalCount %v", total, at(d, "search.totalCount"))
			}
			for _, n := range at(d, "search.nodes").([]any) {
				if k := at(n, "kind"); k != "Component" && k != "API" {
					t.Errorf("search finds a %v", k)
				}
			}
			d = a.ok(me, `{ search(query: "team", kinds: ["group"]) { totalCount } }`, nil)
			if at(d, "search.totalCount") != float64(0) {
				t.Errorf("search of kind group: %v", d)
			}
			adminSearch := a.ok(root, sq, nil)
			if at(adminSearch, "search.totalCount").(float64) <= at(a.ok(me, sq, nil), "search.totalCount").(float64) {
				t.Errorf("admin's search finds no more than the restricted one: %v", adminSearch)
			}

			// Fields of readable entities do not lead to hidden ones.
			d = a.ok(me, `{ entity(ref: "component:svc-0-0") { ref owner { ref } relations { type targetRef target { ref } } ... on Component { system { ref } providesApis { ref owner { ref } } } } }`, nil)
			if at(d, "entity.owner") != nil || at(d, "entity.system") != nil || at(d, "entity.providesApis.0.owner") != nil {
				t.Errorf("a hidden owner or system shows: %v", d)
			}
			if at(d, "entity.providesApis.0.ref") != "API:default/svc-0-0-api" {
				t.Errorf("a readable API is missing: %v", d)
			}
			for _, r := range at(d, "entity.relations").([]any) {
				target := strings.ToLower(at(r, "targetRef").(string))
				if !strings.HasPrefix(target, "component:") && !strings.HasPrefix(target, "api:") {
					t.Errorf("relation to a hidden kind: %v", r)
				}
			}

			// graph() reaches no hidden node.
			d = a.ok(me, `{ graph(ref: "component:svc-0-0", depth: 3) { nodes { ref kind } edges { source target } } }`, nil)
			for _, n := range at(d, "graph.nodes").([]any) {
				if k := at(n, "kind"); k != "Component" && k != "API" {
					t.Errorf("graph reaches a %v", n)
				}
			}
			for _, e := range at(d, "graph.edges").([]any) {
				for _, end := range []string{"source", "target"} {
					s := strings.ToLower(at(e, end).(string))
					if !strings.HasPrefix(s, "component:") && !strings.HasPrefix(s, "api:") {
						t.Errorf("graph edge to a hidden entity: %v", e)
					}
				}
			}
			// A hidden root is as missing as an unknown one.
			hidden := a.post(me, `{ graph(ref: "group:team-0") { root { ref } nodes { ref } } }`, nil)
			missing := a.post(me, `{ graph(ref: "group:no-such-team") { root { ref } nodes { ref } } }`, nil)
			hb, _ := json.Marshal(hidden)
			mb, _ := json.Marshal(missing)
			if string(hb) != string(mb) {
				t.Errorf("graph of a hidden root %s differs from a missing one %s", hb, mb)
			}

			// Mutations on a hidden entity: not found, like a missing one,
			// even for its owner.
			for _, m := range []string{`mutation { deleteEntity(ref: "group:team-0") }`, `mutation { refreshEntity(ref: "group:team-0") { ref } }`} {
				res := a.post(me, m, nil)
				if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "NOT_FOUND" {
					t.Errorf("%s: %+v", m, res.Errors)
				}
			}
			if (&fixture{t: t, env: env}).entityUID("group:default/team-0") == "" {
				t.Fatal("group deleted")
			}
		})
	}
}

var _ = apitoken.FieldID
