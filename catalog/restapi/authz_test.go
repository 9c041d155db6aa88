package restapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/restapi"
	"github.com/pont-dev/pont/ent/auditevent"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The REST authorization walk: every route of the catalog API must have a
// case below, asked as an anonymous caller, a stranger (signed in, owner of
// nothing, not an admin), an owner and an admin. A route added without a
// case fails TestRESTAuthorizationWalk.

type role int

const (
	anonymous role = iota
	stranger
	owner
	admin
)

func (r role) String() string { return [...]string{"anonymous", "stranger", "owner", "admin"}[r] }

type noTrigger struct{}

func (noTrigger) Trigger(string) {}

// restEnv is a test catalog behind the REST API.
type restEnv struct {
	t     *testing.T
	env   *graphtest.Env
	e     *echo.Echo
	as    map[role]*principal.Principal
	files atomic.Int64
}

func sys() context.Context { return principal.SystemContext(context.Background()) }

func buildREST(t *testing.T, env *graphtest.Env) *restEnv {
	api := restapi.New(restapi.Options{
		Store: env.Store, Processor: env.Processor, Locations: env.Locations, Refresher: noTrigger{},
		Policy: env.Policy, Audit: env.Audit, Config: restapi.Config{AllowedLocationTypes: []string{"url", "file"}},
		Log: slog.New(slog.DiscardHandler),
	})
	re := &restEnv{t: t, env: env, e: echo.New(), as: map[role]*principal.Principal{
		anonymous: nil,
		stranger:  env.Principal("stranger", "strangers"),
		owner:     env.Principal("team-0-a", "team-0"),
		admin:     env.Principal("root", "admins"),
	}}
	re.e.HTTPErrorHandler = api.HandleError
	// The authentication middleware, as a test stands it: X-Test-As names
	// the caller.
	g := re.e.Group("/api/catalog", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for r, p := range re.as {
				if p != nil && c.Request().Header.Get("X-Test-As") == r.String() {
					c.SetRequest(c.Request().WithContext(principal.NewContext(c.Request().Context(), p)))
				}
			}
			return next(c)
		}
	})
	api.Register(g)
	return re
}

type restResponse struct {
	Status int
	Body   []byte
}

func (r restResponse) json(t testing.TB) any {
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("status %d, body %q: %v", r.Status, r.Body, err)
	}
	return v
}

// errorName is error.name of a Backstage error body.
func (r restResponse) errorName() string {
	var b struct {
		Error struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		} `json:"error"`
		Response struct {
			StatusCode int `json:"statusCode"`
		} `json:"response"`
	}
	json.Unmarshal(r.Body, &b)
	return b.Error.Name
}

func (re *restEnv) do(r role, method, path string, body any) restResponse {
	re.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r != anonymous {
		req.Header.Set("X-Test-As", r.String())
	}
	rec := httptest.NewRecorder()
	re.e.ServeHTTP(rec, req)
	out := restResponse{Status: rec.Code, Body: rec.Body.Bytes()}
	for _, bad := range []string{"SELECT ", "goroutine ", ".go:", "SQLSTATE"} {
		if bytes.Contains(out.Body, []byte(bad)) {
			re.t.Errorf("%s %s leaks %q: %.300s", method, path, bad, out.Body)
		}
	}
	return out
}

func (re *restEnv) uid(key string) string { return re.env.EntityUID(re.t, key) }

func (re *restEnv) wantEntity(key string) {
	re.t.Helper()
	if re.uid(key) == "" {
		re.t.Fatalf("%s is gone", key)
	}
}

func (re *restEnv) newFile() string {
	return re.env.WriteComponentFile(re.t, fmt.Sprintf("rest-extra-%d", re.files.Add(1)))
}

// newLocation registers a location as the owner through POST /locations.
func (re *restEnv) newLocation(by role) string {
	re.t.Helper()
	res := re.do(by, http.MethodPost, "/api/catalog/locations", map[string]any{"type": "file", "target": re.newFile()})
	if res.Status != http.StatusCreated {
		re.t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	var b struct {
		Location struct{ ID string } `json:"location"`
	}
	json.Unmarshal(res.Body, &b)
	return b.Location.ID
}

func (re *restEnv) location(id string) (catalog.Location, bool) {
	l, err := re.env.Store.Location(sys(), id)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		re.t.Fatal(err)
	}
	return l, err == nil
}

// restCase is how one route is asked and what each caller gets.
type restCase struct {
	// req builds the path (with parameters) and body for a caller.
	req func(re *restEnv, r role) (path string, body any)
	// check judges a signed-in caller's answer; nil: 200.
	check func(re *restEnv, r role, path string, res restResponse)
	// intact checks the target is unchanged after a refused call.
	intact func(re *restEnv, path string)
}

func fixed(path string, body any) func(*restEnv, role) (string, any) {
	return func(*restEnv, role) (string, any) { return path, body }
}

func status(want int) func(*restEnv, role, string, restResponse) {
	return func(re *restEnv, r role, path string, res restResponse) {
		if res.Status != want {
			re.t.Errorf("%s %s: status %d, want %d: %.300s", r, path, res.Status, want, res.Body)
		}
	}
}

// forbidden requires 403 NotAllowedError naming perm for the stranger and
// want for everyone else.
func forbidden(perm string, want int, after func(re *restEnv, r role, path string)) func(*restEnv, role, string, restResponse) {
	return func(re *restEnv, r role, path string, res restResponse) {
		re.t.Helper()
		if r == stranger {
			if res.Status != http.StatusForbidden || res.errorName() != "NotAllowedError" || !bytes.Contains(res.Body, []byte(perm)) {
				re.t.Errorf("stranger %s: want 403 NotAllowedError naming %s, got %d %.300s", path, perm, res.Status, res.Body)
			}
			return
		}
		if res.Status != want {
			re.t.Errorf("%s %s: status %d, want %d: %.300s", r, path, res.Status, want, res.Body)
		}
		if after != nil {
			after(re, r, path)
		}
	}
}

func lastSegment(path string) string { return path[strings.LastIndex(path, "/")+1:] }

func restCases() map[string]restCase {
	entityGone := func(re *restEnv, r role, path string) {
		uid := lastSegment(path)
		if _, err := re.env.Store.EntityByUID(sys(), uid); !errors.Is(err, catalog.ErrNotFound) {
			re.t.Errorf("%s: entity %s still there (%v)", r, uid, err)
		}
	}
	return map[string]restCase{
		"GET /api/catalog/entities":          {req: fixed("/api/catalog/entities?filter=kind=component&limit=5", nil)},
		"GET /api/catalog/entities/by-query": {req: fixed("/api/catalog/entities/by-query?limit=5", nil)},
		"POST /api/catalog/entities/by-query": {req: fixed("/api/catalog/entities/by-query", map[string]any{"limit": 5}),
			check: func(re *restEnv, r role, path string, res restResponse) {
				status(200)(re, r, path, res)
				if n, _ := res.json(re.t).(map[string]any)["totalItems"].(float64); n == 0 {
					re.t.Errorf("%s: no items", r)
				}
			}},
		"POST /api/catalog/entities/by-refs": {req: fixed("/api/catalog/entities/by-refs", map[string]any{"entityRefs": []string{"component:default/svc-0-0"}}),
			check: func(re *restEnv, r role, path string, res restResponse) {
				status(200)(re, r, path, res)
				var b struct{ Items []any }
				json.Unmarshal(res.Body, &b)
				if len(b.Items) != 1 || b.Items[0] == nil {
					re.t.Errorf("%s: by-refs %s", r, res.Body)
				}
			}},
		"GET /api/catalog/entities/by-uid/:uid": {req: func(re *restEnv, _ role) (string, any) {
			return "/api/catalog/entities/by-uid/" + re.uid("component:default/svc-0-0"), nil
		}},
		"DELETE /api/catalog/entities/by-uid/:uid": {
			req: func(re *restEnv, r role) (string, any) {
				if r == admin {
					return "/api/catalog/entities/by-uid/" + re.uid("component:default/svc-1-2"), nil
				}
				return "/api/catalog/entities/by-uid/" + re.uid("component:default/svc-0-2"), nil
			},
			check: forbidden("catalog.entity.delete", http.StatusNoContent, entityGone),
			intact: func(re *restEnv, path string) {
				if _, err := re.env.Store.EntityByUID(sys(), lastSegment(path)); err != nil {
					re.t.Errorf("entity deleted by a refused call: %v", err)
				}
			},
		},
		"GET /api/catalog/entities/by-name/:kind/:namespace/:name":          {req: fixed("/api/catalog/entities/by-name/component/default/svc-0-0", nil)},
		"GET /api/catalog/entities/by-name/:kind/:namespace/:name/ancestry": {req: fixed("/api/catalog/entities/by-name/component/default/svc-0-0/ancestry", nil)},
		"GET /api/catalog/entity-facets":                                    {req: fixed("/api/catalog/entity-facets?facet=kind", nil)},
		"POST /api/catalog/entity-facets":                                   {req: fixed("/api/catalog/entity-facets", map[string]any{"facets": []string{"kind"}})},
		"POST /api/catalog/locations": {
			req: func(re *restEnv, _ role) (string, any) {
				return "/api/catalog/locations", map[string]any{"type": "file", "target": re.newFile()}
			},
			check: func(re *restEnv, r role, path string, res restResponse) {
				status(http.StatusCreated)(re, r, path, res)
				var b struct {
					Location struct{ ID string } `json:"location"`
				}
				json.Unmarshal(res.Body, &b)
				if l, ok := re.location(b.Location.ID); !ok || l.CreatedBy != re.as[r].Subject {
					re.t.Errorf("%s: stored %+v", r, l)
				}
			},
		},
		"GET /api/catalog/locations":                                  {},
		"POST /api/catalog/locations/by-query":                        {req: fixed("/api/catalog/locations/by-query", map[string]any{})},
		"GET /api/catalog/locations/:id":                              {req: func(re *restEnv, _ role) (string, any) { return "/api/catalog/locations/" + re.env.Location.ID, nil }},
		"GET /api/catalog/locations/by-entity/:kind/:namespace/:name": {req: fixed("/api/catalog/locations/by-entity/component/default/svc-0-0", nil)},
		"PUT /api/catalog/locations/:id": {
			req: func(re *restEnv, _ role) (string, any) {
				return "/api/catalog/locations/" + re.newLocation(owner), map[string]any{"type": "file", "target": re.newFile()}
			},
			check: forbidden("catalog.location.update", http.StatusOK, nil),
			intact: func(re *restEnv, path string) {
				l, ok := re.location(lastSegment(path))
				if !ok || !strings.Contains(l.Target, "rest-extra-") {
					re.t.Errorf("location changed by a refused call: %+v", l)
				}
			},
		},
		"DELETE /api/catalog/locations/:id": {
			req: func(re *restEnv, _ role) (string, any) {
				return "/api/catalog/locations/" + re.newLocation(owner), nil
			},
			check: forbidden("catalog.location.delete", http.StatusNoContent, func(re *restEnv, r role, path string) {
				if _, ok := re.location(lastSegment(path)); ok {
					re.t.Errorf("%s: location still there", r)
				}
			}),
			intact: func(re *restEnv, path string) {
				if _, ok := re.location(lastSegment(path)); !ok {
					re.t.Errorf("location deleted by a refused call")
				}
			},
		},
		"POST /api/catalog/refresh": {
			req:    fixed("/api/catalog/refresh", map[string]any{"entityRef": "component:default/svc-0-0"}),
			check:  forbidden("catalog.entity.refresh", http.StatusOK, nil),
			intact: func(re *restEnv, _ string) { re.wantEntity("component:default/svc-0-0") },
		},
		"POST /api/catalog/validate-entity": {req: fixed("/api/catalog/validate-entity", map[string]any{
			"location": "url:https://example.com/catalog-info.yaml",
			"entity":   map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": map[string]any{"name": "x"}, "spec": map[string]any{"type": "service", "lifecycle": "production", "owner": "team-0"}},
		})},
		"POST /api/catalog/analyze-location": {req: fixed("/api/catalog/analyze-location", map[string]any{"location": map[string]any{"type": "url", "target": "https://github.com/acme/payments"}})},
	}
}

func routeKeys(e *echo.Echo) []string {
	var out []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

var adminPolicy = config.Policy{AdminGroups: []string{"group:default/admins"}}

func TestRESTAuthorizationWalk(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 2, ComponentsPerTeam: 3, Policy: adminPolicy})
			re := buildREST(t, env)
			cases := restCases()
			routes := routeKeys(re.e)
			for _, k := range routes {
				if _, ok := cases[k]; !ok {
					t.Errorf("route %s has no case in the REST authorization walk: add one to restCases", k)
				}
			}
			for k := range cases {
				if !slices.Contains(routes, k) {
					t.Errorf("case %s names no route", k)
				}
			}
			for _, key := range routes {
				c, ok := cases[key]
				if !ok {
					continue
				}
				method, route, _ := strings.Cut(key, " ")
				t.Run(key, func(t *testing.T) {
					re.t = t
					for _, r := range []role{anonymous, stranger, owner, admin} {
						path, body := route, any(nil)
						if c.req != nil {
							path, body = c.req(re, r)
						}
						res := re.do(r, method, path, body)
						if r == anonymous {
							if res.Status != http.StatusUnauthorized || res.errorName() != "AuthenticationError" {
								t.Fatalf("anonymous %s %s: %d %.300s", method, path, res.Status, res.Body)
							}
							if c.intact != nil {
								c.intact(re, path)
							}
							continue
						}
						if c.check != nil {
							c.check(re, r, path, res)
						} else {
							status(http.StatusOK)(re, r, path, res)
						}
						if r == stranger && res.Status == http.StatusForbidden && c.intact != nil {
							c.intact(re, path)
						}
					}
				})
			}
			re.t = t

			t.Run("denials are audited", func(t *testing.T) {
				re.t = t
				uid := re.uid("component:default/svc-0-1")
				before, err := env.DB.Ent.AuditEvent.Query().Where(auditevent.OutcomeEQ(auditevent.OutcomeDenied)).Count(sys())
				if err != nil {
					t.Fatal(err)
				}
				res := re.do(stranger, http.MethodDelete, "/api/catalog/entities/by-uid/"+uid, nil)
				if res.Status != http.StatusForbidden {
					t.Fatalf("status %d", res.Status)
				}
				re.wantEntity("component:default/svc-0-1")
				evs, err := env.DB.Ent.AuditEvent.Query().Where(auditevent.OutcomeEQ(auditevent.OutcomeDenied), auditevent.Action("catalog.entity.delete")).All(sys())
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, ev := range evs {
					found = found || (ev.Target == "component:default/svc-0-1" && ev.Actor == "user:default/stranger")
				}
				after, _ := env.DB.Ent.AuditEvent.Query().Where(auditevent.OutcomeEQ(auditevent.OutcomeDenied)).Count(sys())
				if !found || after != before+1 {
					t.Errorf("denied audit record: found %v, %d → %d: %+v", found, before, after, evs)
				}
			})

			t.Run("a configured location is changed by nobody", func(t *testing.T) {
				re.t = t
				path := "/api/catalog/locations/" + env.Location.ID
				for _, r := range []role{stranger, owner, admin} {
					if res := re.do(r, http.MethodDelete, path, nil); res.Status != http.StatusForbidden || res.errorName() != "NotAllowedError" {
						t.Errorf("%s DELETE config location: %d %s", r, res.Status, res.Body)
					}
					if res := re.do(r, http.MethodPut, path, map[string]any{"type": "file", "target": re.newFile()}); res.Status != http.StatusForbidden {
						t.Errorf("%s PUT config location: %d %s", r, res.Status, res.Body)
					}
				}
				if l, ok := re.location(env.Location.ID); !ok || l.Target != env.Location.Target {
					t.Fatalf("configured location changed: %+v", l)
				}
			})

			t.Run("the registrant may delete its location, a stranger may not", func(t *testing.T) {
				re.t = t
				id := re.newLocation(stranger)
				if res := re.do(owner, http.MethodDelete, "/api/catalog/locations/"+id, nil); res.Status != http.StatusForbidden {
					t.Errorf("non-registrant: %d %s", res.Status, res.Body)
				}
				if _, ok := re.location(id); !ok {
					t.Fatal("deleted by a non-registrant")
				}
				if res := re.do(stranger, http.MethodDelete, "/api/catalog/locations/"+id, nil); res.Status != http.StatusNoContent {
					t.Errorf("registrant: %d %s", res.Status, res.Body)
				}
				if _, ok := re.location(id); ok {
					t.Fatal("not deleted by its registrant")
				}
			})

			t.Run("a dry run stores nothing", func(t *testing.T) {
				re.t = t
				target := re.newFile()
				res := re.do(stranger, http.MethodPost, "/api/catalog/locations?dryRun=true", map[string]any{"type": "file", "target": target})
				if res.Status != http.StatusCreated {
					t.Fatalf("dry run: %d %s", res.Status, res.Body)
				}
				if _, err := env.Store.LocationByTarget(sys(), "file", target); !errors.Is(err, catalog.ErrNotFound) {
					t.Errorf("dry run stored the location (%v)", err)
				}
			})
		})
	}
}

func TestRESTHiddenKinds(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 2, ComponentsPerTeam: 2, Policy: config.Policy{
				AdminGroups: []string{"group:default/admins"}, ReadKinds: []string{"component"},
			}})
			re := buildREST(t, env)
			get := func(r role, path string) restResponse {
				t.Helper()
				return re.do(r, http.MethodGet, path, nil)
			}

			if res := get(stranger, "/api/catalog/entities?filter=kind=group"); res.Status != 200 || string(res.Body) != "[]" {
				t.Errorf("entities of kind group: %d %s", res.Status, res.Body)
			}
			var all []map[string]any
			json.Unmarshal(get(stranger, "/api/catalog/entities").Body, &all)
			for _, e := range all {
				if e["kind"] != "Component" {
					t.Errorf("GET /entities lists a %v", e["kind"])
				}
			}
			if len(all) != 4 {
				t.Errorf("GET /entities: %d entities, want 4 components", len(all))
			}
			// Relations to hidden kinds are left out too: their refs would
			// name what the caller may not see.
			for _, path := range []string{"/api/catalog/entities", "/api/catalog/entities/by-name/component/default/svc-0-0"} {
				body := string(get(stranger, path).Body)
				if !strings.Contains(body, `"relations":[`) || strings.Contains(body, "group:default/team-0") || strings.Contains(body, "system:default/") {
					t.Errorf("GET %s shows relations to hidden kinds: %.300s", path, body)
				}
			}
			if body := string(get(admin, "/api/catalog/entities/by-name/component/default/svc-0-0").Body); !strings.Contains(body, `"targetRef":"group:default/team-0"`) {
				t.Errorf("the admin does not see the ownedBy relation: %.300s", body)
			}

			for _, res := range []restResponse{
				get(stranger, "/api/catalog/entities/by-query?limit=100"),
				re.do(stranger, http.MethodPost, "/api/catalog/entities/by-query", map[string]any{"limit": 100}),
			} {
				var b struct {
					Items      []map[string]any
					TotalItems int
				}
				json.Unmarshal(res.Body, &b)
				if b.TotalItems != 4 || len(b.Items) != 4 {
					t.Errorf("by-query: totalItems %d, %d items, want 4", b.TotalItems, len(b.Items))
				}
			}
			var adminQ struct{ TotalItems int }
			json.Unmarshal(get(admin, "/api/catalog/entities/by-query?limit=1").Body, &adminQ)
			if adminQ.TotalItems <= 4 {
				t.Errorf("admin's by-query totalItems = %d", adminQ.TotalItems)
			}

			for _, res := range []restResponse{
				get(stranger, "/api/catalog/entity-facets?facet=kind"),
				re.do(stranger, http.MethodPost, "/api/catalog/entity-facets", map[string]any{"facets": []string{"kind"}}),
			} {
				var b struct {
					Facets map[string][]struct {
						Value string
						Count int
					}
				}
				json.Unmarshal(res.Body, &b)
				if len(b.Facets["kind"]) != 1 || !strings.EqualFold(b.Facets["kind"][0].Value, "component") || b.Facets["kind"][0].Count != 4 {
					t.Errorf("facets: %s", res.Body)
				}
			}

			groupUID := re.uid("group:default/team-0")
			for _, path := range []string{
				"/api/catalog/entities/by-name/group/default/team-0",
				"/api/catalog/entities/by-name/group/default/team-0/ancestry",
				"/api/catalog/entities/by-uid/" + groupUID,
				"/api/catalog/locations/by-entity/group/default/team-0",
			} {
				hidden := get(stranger, path)
				if hidden.Status != http.StatusNotFound || hidden.errorName() != "NotFoundError" {
					t.Errorf("%s: %d %s", path, hidden.Status, hidden.Body)
				}
				if res := get(admin, path); res.Status != 200 {
					t.Errorf("admin %s: %d %s", path, res.Status, res.Body)
				}
			}
			// A hidden entity answers as a missing one, word for word
			// (but for the name in the message).
			hidden := get(stranger, "/api/catalog/entities/by-name/group/default/team-0")
			missing := get(stranger, "/api/catalog/entities/by-name/group/default/nobody")
			if strings.ReplaceAll(string(hidden.Body), "team-0", "X") != strings.ReplaceAll(string(missing.Body), "nobody", "X") {
				t.Errorf("hidden %s, missing %s", hidden.Body, missing.Body)
			}

			res := re.do(stranger, http.MethodPost, "/api/catalog/entities/by-refs", map[string]any{"entityRefs": []string{"group:default/team-0", "component:default/svc-0-0"}})
			var b struct{ Items []any }
			json.Unmarshal(res.Body, &b)
			if len(b.Items) != 2 || b.Items[0] != nil || b.Items[1] == nil {
				t.Errorf("by-refs: %s", res.Body)
			}

			// Ordering or filtering on a hidden kind reveals nothing either.
			res = get(stranger, "/api/catalog/entities/by-query?filter=kind=group,metadata.name=team-0&limit=1")
			if !bytes.Contains(res.Body, []byte(`"totalItems":0`)) {
				t.Errorf("by-query of a hidden group: %s", res.Body)
			}

			// Mutations on a hidden entity: not found, like a missing one.
			if res := re.do(stranger, http.MethodDelete, "/api/catalog/entities/by-uid/"+groupUID, nil); res.Status != http.StatusNotFound {
				t.Errorf("DELETE hidden group: %d %s", res.Status, res.Body)
			}
			if res := re.do(stranger, http.MethodPost, "/api/catalog/refresh", map[string]any{"entityRef": "group:default/team-0"}); res.Status != http.StatusNotFound {
				t.Errorf("refresh hidden group: %d %s", res.Status, res.Body)
			}
			if re.uid("group:default/team-0") == "" {
				t.Fatal("group deleted")
			}
		})
	}
}
