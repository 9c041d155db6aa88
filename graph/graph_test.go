package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pont-dev/pont/graph"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// api is a GraphQL endpoint over a test catalog.
type api struct {
	t   testing.TB
	env *graphtest.Env
	h   http.Handler
}

func newAPI(t testing.TB, env *graphtest.Env, limits graph.Limits) *api {
	if limits.MaxPageSize == 0 {
		limits = graph.DefaultLimits()
	}
	h := graph.NewHandler(graph.Deps{
		Client: env.Client, Store: env.Store, Locations: env.Locations, Processor: env.Processor,
		Policy: env.Policy, Audit: env.Audit, Limits: limits,
	})
	return &api{t: t, env: env, h: h}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Status int
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

// post runs a query as p (nil: anonymous).
func (a *api) post(p *principal.Principal, query string, vars map[string]any) response {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/api/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if p != nil {
		req = req.WithContext(principal.NewContext(req.Context(), p))
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	var out response
	out.Status = rec.Code
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		a.t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body.String(), err)
	}
	return out
}

// ok runs a query that must succeed and returns its data.
func (a *api) ok(p *principal.Principal, query string, vars map[string]any) map[string]any {
	a.t.Helper()
	res := a.post(p, query, vars)
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		a.t.Fatalf("status %d, errors %+v", res.Status, res.Errors)
	}
	return res.Data
}

// at walks a decoded JSON value by keys and indexes ("a.b.0.c").
func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func refs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(map[string]any)["ref"].(string))
	}
	return out
}

const componentQuery = `query($ref: String!) {
  entity(ref: $ref) {
    __typename id ref kind name title description tags
    owner { ref ... on Group { members { ref memberOf { ref } } parent { ref } } }
    ... on Component {
      type lifecycle
      system { ref domain { ref } }
      providesApis { ref definition consumers { ref } }
      consumesApis { ref providers { ref } }
      dependsOn { ref }
    }
    relations(types: ["ownedBy"]) { type targetRef target { ref } }
    processingErrors { message }
    descriptor
  }
}`

func TestEntityAndRelations(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 3, ComponentsPerTeam: 3})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("team-0-a", "team-0")
			data := a.ok(me, componentQuery, map[string]any{"ref": "component:default/svc-1-1"})
			e := data["entity"]
			for path, want := range map[string]any{
				"__typename": "Component", "ref": "Component:default/svc-1-1", "type": "service",
				"owner.ref": "Group:default/team-1", "owner.parent.ref": "Group:default/engineering",
				"system.ref": "System:default/system-1", "system.domain.ref": "Domain:default/commerce",
				"providesApis.0.ref": "API:default/svc-1-1-api", "providesApis.0.consumers.0.ref": "Component:default/svc-1-2",
				"consumesApis.0.ref": "API:default/svc-1-0-api", "consumesApis.0.providers.0.ref": "Component:default/svc-1-0",
				"dependsOn.0.ref": "Resource:default/db-1", "relations.0.target.ref": "Group:default/team-1",
				"descriptor.metadata.name": "svc-1-1", "descriptor.relations.0.type": "consumesApi",
			} {
				if got := at(e, path); got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
			if got := refs(at(e, "owner.members")); len(got) != 2 || got[0] != "User:default/team-1-a" {
				t.Errorf("members = %v", got)
			}
			// The same entity by its Relay id.
			id := at(e, "id").(string)
			node := a.ok(me, `query($id: ID!) { node(id: $id) { id ... on Component { ref } } }`, map[string]any{"id": id})
			if at(node, "node.ref") != "Component:default/svc-1-1" {
				t.Errorf("node = %v", node)
			}
			// A missing entity is null, not an error.
			if d := a.ok(me, componentQuery, map[string]any{"ref": "component:default/nope"}); d["entity"] != nil {
				t.Errorf("missing entity = %v", d["entity"])
			}
		})
	}
}

func TestEntitiesConnectionPagesThroughEverything(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 4, ComponentsPerTeam: 5})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("someone")
			const q = `query($after: Cursor, $order: EntityOrder) {
			  entities(first: 7, after: $after, orderBy: $order, where: {kind: "component"}) {
			    totalCount edges { cursor node { ref name } } pageInfo { hasNextPage endCursor }
			  }
			}`
			for _, order := range []map[string]any{nil, {"field": "NAME", "direction": "DESC"}, {"field": "UPDATED_AT", "direction": "ASC"}} {
				seen := map[string]bool{}
				var after any
				var prev string
				for pages := 0; ; pages++ {
					if pages > 10 {
						t.Fatal("paging does not end")
					}
					d := a.ok(me, q, map[string]any{"after": after, "order": order})
					conn := d["entities"].(map[string]any)
					if n := conn["totalCount"].(float64); n != 20 {
						t.Fatalf("totalCount = %v, want 20", n)
					}
					for _, edge := range conn["edges"].([]any) {
						name := at(edge, "node.name").(string)
						if seen[name] {
							t.Fatalf("%s seen twice (order %v)", name, order)
						}
						seen[name] = true
						if order != nil && order["field"] == "NAME" && prev != "" && name > prev {
							t.Fatalf("%s after %s in descending order", name, prev)
						}
						prev = name
					}
					if at(conn, "pageInfo.hasNextPage") != true {
						break
					}
					after = at(conn, "pageInfo.endCursor")
				}
				if len(seen) != 20 {
					t.Fatalf("order %v: saw %d components, want 20", order, len(seen))
				}
			}
			// A forged cursor is an input error, not a 500.
			res := a.post(me, q, map[string]any{"after": "bm90IGEgY3Vyc29y"})
			if len(res.Errors) == 0 || strings.Contains(res.Errors[0].Message, "internal") {
				t.Fatalf("forged cursor: %+v", res.Errors)
			}
		})
	}
}

func TestGraphAndSearch(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 3, ComponentsPerTeam: 3})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("someone")
			d := a.ok(me, `{ graph(ref: "component:svc-0-0", depth: 2) { root { ref } nodes { ref } edges { source type target } truncated } }`, nil)
			nodes := refs(at(d, "graph.nodes"))
			want := map[string]bool{"Group:default/team-0": false, "System:default/system-0": false, "API:default/svc-0-0-api": false, "Group:default/engineering": false, "Component:default/svc-0-1": false}
			for _, n := range nodes {
				if _, ok := want[n]; ok {
					want[n] = true
				}
			}
			for n, found := range want {
				if !found {
					t.Errorf("graph lacks %s: %v", n, nodes)
				}
			}
			if at(d, "graph.root.ref") != "Component:default/svc-0-0" {
				t.Errorf("root = %v", at(d, "graph.root"))
			}
			// Depth 1 with one relation type follows only that type.
			d = a.ok(me, `{ graph(ref: "component:svc-0-0", depth: 1, relationTypes: ["ownedBy"]) { nodes { ref } edges { type } } }`, nil)
			if got := refs(at(d, "graph.nodes")); len(got) != 2 || got[1] != "Group:default/team-0" {
				t.Errorf("ownedBy graph = %v", got)
			}

			d = a.ok(me, `{ search(query: "invoic team", kinds: ["component"], first: 4, facets: ["kind", "spec.type"]) { totalCount nodes { ref } hasNextPage endCursor facets { field values { value count } } } }`, nil)
			if n := at(d, "search.totalCount"); n != float64(9) {
				t.Errorf("search totalCount = %v, want 9", n)
			}
			if got := refs(at(d, "search.nodes")); len(got) != 4 {
				t.Errorf("search page = %v", got)
			}
			if at(d, "search.facets.0.values.0.count") != float64(9) {
				t.Errorf("facets = %v", at(d, "search.facets"))
			}
			// A filter narrows the hits and the facets alike; a bad one names
			// the argument.
			d = a.ok(me, `{ search(query: "invoic team", first: 4, facets: ["kind"], filters: [{field: "kind", values: ["component"]}]) { totalCount facets { field values { value count } } } }`, nil)
			if at(d, "search.totalCount") != at(d, "search.facets.0.values.0.count") || fmt.Sprint(at(d, "search.facets.0.values.0.value")) != "Component" || at(d, "search.totalCount") != float64(9) {
				t.Errorf("filtered search = %v", d)
			}
			if errs := a.post(me, `{ search(query: "x", filters: [{field: "relations.ownedBy", values: ["a"]}]) { totalCount } }`, nil).Errors; !strings.Contains(fmt.Sprint(errs), "filters") {
				t.Errorf("a relation filter: %v", errs)
			}
		})
	}
}

// TestStatementsDoNotGrowWithThePage: the big queries cost the same number
// of SQL statements for a page of 5 as for a page of 60 (no N+1).
func TestStatementsDoNotGrowWithThePage(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 6, ComponentsPerTeam: 10})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("someone")
			const list = `query($n: Int) { entities(first: $n, where: {kind: "component"}) { edges { node { ref owner { ref ... on Group { members { ref } } } ... on Component { system { ref } providesApis { ref consumers { ref } } } } } } }`
			count := func(query string, vars map[string]any) int64 {
				before := env.Statements()
				a.ok(me, query, vars)
				return env.Statements() - before
			}
			small, large := count(list, map[string]any{"n": 5}), count(list, map[string]any{"n": 60})
			t.Logf("list of 5: %d statements, list of 60: %d", small, large)
			// The larger page may cost less: more of what it reaches is
			// read already. It must never cost more.
			if large > small || small > 12 {
				t.Errorf("a page of 60 costs %d statements, a page of 5 %d", large, small)
			}
			const g = `query($d: Int!) { graph(ref: "component:svc-0-0", depth: $d) { nodes { ref ... on Component { owner { ref } } } edges { type } } }`
			d1, d3 := count(g, map[string]any{"d": 1}), count(g, map[string]any{"d": 3})
			t.Logf("graph depth 1: %d statements, depth 3: %d", d1, d3)
			if d3 > d1+3 {
				t.Errorf("graph depth 3 costs %d statements, depth 1 %d: want about one more per hop", d3, d1)
			}
		})
	}
}
