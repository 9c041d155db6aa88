package kubernetes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/plugins"
)

// graphAPI is Pont's GraphQL handler over a test catalog and the plugin's
// inventory, asked as one principal or another.
type graphAPI struct {
	t   testing.TB
	env *graphtest.Env
	h   http.Handler
}

func newGraphAPI(t testing.TB, env *graphtest.Env, inv plugins.Inventory) *graphAPI {
	h := graph.NewHandler(graph.Deps{
		Client: env.Client, Store: env.Store, Locations: env.Locations, Processor: env.Processor,
		Policy: env.Policy, Audit: env.Audit, Limits: graph.DefaultLimits(), Inventory: inv,
	})
	return &graphAPI{t: t, env: env, h: h}
}

// query runs a query as p and returns its data; errors fail the test.
func (a *graphAPI) query(p *principal.Principal, q string, vars map[string]any) map[string]any {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/api/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(principal.NewContext(req.Context(), p))
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 || rec.Code != http.StatusOK {
		a.t.Fatalf("query %s: %d %s", q, rec.Code, rec.Body.String())
	}
	return out.Data
}

// server serves the handler as p over a real socket (for subscriptions).
func (a *graphAPI) server(p *principal.Principal) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.h.ServeHTTP(w, r.WithContext(principal.NewContext(r.Context(), p)))
	}))
	a.t.Cleanup(srv.Close)
	return srv
}

// at walks a decoded JSON value by a dotted path ("databases.nodes").
func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// addComponent stores a component carrying a kubernetes id, as a location
// would.
func addComponent(t testing.TB, store catalog.Store, name, id string) {
	t.Helper()
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
		Metadata: catalog.Metadata{Name: name, Annotations: map[string]string{"backstage.io/kubernetes-id": id}},
		Spec:     map[string]any{"type": "service", "lifecycle": "production", "owner": "team-0"}}
	pr, err := catalog.Prepare(e, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(principal.SystemContext(context.Background()), &catalog.Mutation{
		Provider: "test:" + name, Full: true, Replayable: true,
		Entities: func(yield func(*catalog.Prepared) bool) { yield(pr) },
	}); err != nil {
		t.Fatal(err)
	}
}
