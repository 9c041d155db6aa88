// Package storetest is the conformance suite every catalog.Store must
// pass. Each backend's test calls Run with a function that opens a fresh,
// empty store; entstore runs it on SQLite and on PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pont-dev/pont/catalog"
)

// Run runs the whole suite.
func Run(t *testing.T, open func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"InsertAndRead", testInsertAndRead},
		{"RelationsBothWays", testRelationsBothWays},
		{"DanglingRelationResolves", testDanglingRelationResolves},
		{"UnchangedIsSkipped", testUnchangedIsSkipped},
		{"UpdateKeepsUID", testUpdateKeepsUID},
		{"FullRemovesOrphans", testFullRemovesOrphans},
		{"KeepOrphansFlags", testKeepOrphansFlags},
		{"SecondProviderIsRefused", testSecondProviderIsRefused},
		{"ErrorKeepsStoredEntity", testErrorKeepsStoredEntity},
		{"DeltaReplacesSources", testDeltaReplacesSources},
		{"DeltaWithoutSources", testDeltaWithoutSources},
		{"FailedMutationWritesNothing", testFailedMutationWritesNothing},
		{"QueryFilters", testQueryFilters},
		{"QueryOrderAndPages", testQueryOrderAndPages},
		{"Facets", testFacets},
		{"Locations", testLocations},
		{"DeleteLocationRemovesEntities", testDeleteLocationRemovesEntities},
		{"ConcurrentProviders", testConcurrentProviders},
		{"SearchWords", testSearchWords},
		{"SearchKindsAndFacets", testSearchKindsAndFacets},
		{"SearchFilters", testSearchFilters},
		{"SearchPages", testSearchPages},
		{"SearchFollowsWrites", testSearchFollowsWrites},
		{"SearchNastyText", testSearchNastyText},
		{"ChangeFeed", testChangeFeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// entity builds a descriptor for tests.
func entity(kind, name string, spec map[string]any) *catalog.Entity {
	return &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       kind,
		Metadata:   catalog.Metadata{Name: name, Namespace: "default", Tags: []string{"go"}, Labels: map[string]string{"tier": "1"}},
		Spec:       spec,
	}
}

func prepare(t *testing.T, e *catalog.Entity, source string) *catalog.Prepared {
	t.Helper()
	p, err := catalog.Prepare(e, source, "file:/root.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func seq(ps ...*catalog.Prepared) func(func(*catalog.Prepared) bool) {
	return func(yield func(*catalog.Prepared) bool) {
		for _, p := range ps {
			if !yield(p) {
				return
			}
		}
	}
}

func apply(t *testing.T, s catalog.Store, m *catalog.Mutation) catalog.ApplyResult {
	t.Helper()
	res, err := s.Apply(context.Background(), m)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func full(provider string, ps ...*catalog.Prepared) *catalog.Mutation {
	return &catalog.Mutation{Provider: provider, Full: true, Entities: seq(ps...), ErrorKey: "location:default/root"}
}

func mustGet(t *testing.T, s catalog.Store, key string) *catalog.StoredEntity {
	t.Helper()
	e, err := s.EntityByKey(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return e
}

func absent(t *testing.T, s catalog.Store, key string) {
	t.Helper()
	if _, err := s.EntityByKey(context.Background(), key); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("get %s: want ErrNotFound, got %v", key, err)
	}
}

func relations(e *catalog.StoredEntity) []string {
	out := make([]string, 0, len(e.Relations))
	for _, r := range e.Relations {
		out = append(out, r.Type+" "+r.TargetRef)
	}
	sort.Strings(out)
	return out
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func component(name, owner string, extra map[string]any) *catalog.Entity {
	spec := map[string]any{"type": "service", "lifecycle": "production", "owner": owner}
	for k, v := range extra {
		spec[k] = v
	}
	return entity("Component", name, spec)
}

func testInsertAndRead(t *testing.T, s catalog.Store) {
	a := component("a", "team", nil)
	// A NUL in a value (PostgreSQL text cannot hold one) must not fail the
	// write; the value is simply not searchable.
	a.Metadata.Annotations = map[string]string{"example.com/odd": "x\x00y"}
	res := apply(t, s, full("p1", prepare(t, a, "file:/a.yaml")))
	if res.Inserted != 1 {
		t.Fatalf("inserted = %d, want 1", res.Inserted)
	}
	e := mustGet(t, s, "component:default/a")
	if e.UID == "" || e.Etag == "" || e.Provider != "p1" || e.Source != "file:/a.yaml" {
		t.Fatalf("stored entity = %+v", e)
	}
	byUID, err := s.EntityByUID(context.Background(), e.UID)
	if err != nil || byUID.Key != e.Key {
		t.Fatalf("by uid: %v %v", byUID, err)
	}
	items, err := s.EntitiesByKeys(context.Background(), []string{"component:default/nope", "component:default/a"})
	if err != nil || len(items) != 2 || items[0] != nil || items[1] == nil || items[1].UID != e.UID {
		t.Fatalf("by keys: %v %v", items, err)
	}
	absent(t, s, "component:default/nope")
	if p, err := s.ProviderOf(context.Background(), "component:default/a"); err != nil || p != "p1" {
		t.Fatalf("provider of: %q %v", p, err)
	}
}

func testRelationsBothWays(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1",
		prepare(t, component("a", "team", map[string]any{"providesApis": []any{"api-a"}, "dependsOn": []any{"resource:db"}}), "file:/a.yaml"),
		prepare(t, entity("Group", "team", map[string]any{"type": "team", "children": []any{}}), "file:/org.yaml"),
		prepare(t, entity("API", "api-a", map[string]any{"type": "openapi", "lifecycle": "production", "owner": "team", "definition": "x"}), "file:/a.yaml"),
	))
	same(t, "component relations", relations(mustGet(t, s, "component:default/a")),
		[]string{"ownedBy group:default/team", "providesApi api:default/api-a", "dependsOn resource:default/db"})
	same(t, "group relations", relations(mustGet(t, s, "group:default/team")),
		[]string{"ownerOf component:default/a", "ownerOf api:default/api-a"})
	same(t, "api relations", relations(mustGet(t, s, "api:default/api-a")),
		[]string{"apiProvidedBy component:default/a", "ownedBy group:default/team"})
}

func testDanglingRelationResolves(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "later", nil), "file:/a.yaml")))
	same(t, "before", relations(mustGet(t, s, "component:default/a")), []string{"ownedBy group:default/later"})
	// The group arrives from another provider: the relation is there already.
	apply(t, s, full("p2", prepare(t, entity("Group", "later", map[string]any{"type": "team", "children": []any{}}), "file:/org.yaml")))
	same(t, "after", relations(mustGet(t, s, "group:default/later")), []string{"ownerOf component:default/a"})
}

func testUnchangedIsSkipped(t *testing.T, s catalog.Store) {
	p := prepare(t, component("a", "team", nil), "file:/a.yaml")
	apply(t, s, full("p1", p))
	before := mustGet(t, s, "component:default/a")
	res := apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml")))
	if res.Unchanged != 1 || res.Updated != 0 || res.Inserted != 0 {
		t.Fatalf("second apply = %+v, want 1 unchanged", res)
	}
	if after := mustGet(t, s, "component:default/a"); after.Etag != before.Etag {
		t.Fatalf("etag changed on an unchanged entity")
	}
}

func testUpdateKeepsUID(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml")))
	before := mustGet(t, s, "component:default/a")
	res := apply(t, s, full("p1", prepare(t, component("a", "other", nil), "file:/a.yaml")))
	if res.Updated != 1 {
		t.Fatalf("apply = %+v, want 1 updated", res)
	}
	after := mustGet(t, s, "component:default/a")
	if after.UID != before.UID || after.Etag == before.Etag {
		t.Fatalf("uid %s->%s etag %s->%s: want same uid, new etag", before.UID, after.UID, before.Etag, after.Etag)
	}
	same(t, "relations after update", relations(after), []string{"ownedBy group:default/other"})
}

func testFullRemovesOrphans(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"), prepare(t, component("b", "team", nil), "file:/b.yaml")))
	res := apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml")))
	if res.Removed != 1 {
		t.Fatalf("apply = %+v, want 1 removed", res)
	}
	absent(t, s, "component:default/b")
	// Its relations went with it.
	page, err := s.QueryEntities(context.Background(), catalog.EntityQuery{Filter: catalog.Filter{Key: "relations.ownedBy", Values: []string{"group:default/team"}}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("owned entities after removal: %v %v", page, err)
	}
}

func testKeepOrphansFlags(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"), prepare(t, component("b", "team", nil), "file:/b.yaml")))
	m := full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"))
	m.KeepOrphans = true
	if res := apply(t, s, m); res.Orphaned != 1 {
		t.Fatalf("apply = %+v, want 1 orphaned", res)
	}
	if e := mustGet(t, s, "component:default/b"); !e.Orphan || !strings.Contains(string(e.Body), `"backstage.io/orphan":"true"`) {
		t.Fatalf("b is not flagged orphan: %s", e.Body)
	}
	// Emitted again, it is no longer an orphan.
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"), prepare(t, component("b", "team", nil), "file:/b.yaml")))
	if e := mustGet(t, s, "component:default/b"); e.Orphan || strings.Contains(string(e.Body), "backstage.io/orphan") {
		t.Fatalf("b is still flagged orphan")
	}
}

func testSecondProviderIsRefused(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml")))
	first := mustGet(t, s, "component:default/a")
	m := full("p2", prepare(t, component("a", "thief", nil), "file:/other.yaml"))
	m.ErrorKey = "location:default/p2"
	res := apply(t, s, m)
	if res.Conflicts != 1 || res.Inserted != 0 {
		t.Fatalf("apply = %+v, want 1 conflict", res)
	}
	after := mustGet(t, s, "component:default/a")
	if after.Provider != "p1" || after.Etag != first.Etag {
		t.Fatalf("the first provider's entity changed: %+v", after)
	}
	errs, err := s.ProviderErrors(context.Background(), "p2")
	if err != nil || len(errs) != 1 || errs[0].EntityKey != "location:default/p2" {
		t.Fatalf("p2 errors = %+v %v, want one on its location entity", errs, err)
	}
}

func testErrorKeepsStoredEntity(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"), prepare(t, component("b", "team", nil), "file:/b.yaml")))
	// b no longer validates: the mutation carries an error for it instead.
	m := full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"))
	m.Errors = []catalog.ProcessingError{{EntityKey: "component:default/b", Source: "file:/b.yaml", Field: "spec.owner", Message: "is required"}}
	apply(t, s, m)
	b := mustGet(t, s, "component:default/b")
	if len(b.Errors) != 1 || b.Errors[0].Field != "spec.owner" {
		t.Fatalf("b errors = %+v", b.Errors)
	}
	// Fixed: the error goes away.
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml"), prepare(t, component("b", "team", nil), "file:/b.yaml")))
	if b := mustGet(t, s, "component:default/b"); len(b.Errors) != 0 {
		t.Fatalf("b errors after fix = %+v", b.Errors)
	}
}

func testDeltaReplacesSources(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1",
		prepare(t, component("a", "team", nil), "file:/a.yaml"),
		prepare(t, component("a2", "team", nil), "file:/a.yaml"),
		prepare(t, component("b", "team", nil), "file:/b.yaml")))
	res := apply(t, s, &catalog.Mutation{Provider: "p1", Sources: []string{"file:/a.yaml"},
		Entities: seq(prepare(t, component("a", "other", nil), "file:/a.yaml"), prepare(t, component("a3", "team", nil), "file:/a.yaml"))})
	if res.Updated != 1 || res.Inserted != 1 || res.Removed != 1 {
		t.Fatalf("delta = %+v, want 1 updated, 1 inserted, 1 removed", res)
	}
	absent(t, s, "component:default/a2")
	mustGet(t, s, "component:default/a3")
	mustGet(t, s, "component:default/b") // other sources untouched
	// A delta that names removed keys.
	apply(t, s, &catalog.Mutation{Provider: "p1", Removed: []string{"component:default/b"}, Entities: seq()})
	absent(t, s, "component:default/b")
}

// testDeltaWithoutSources: a provider that is not file-based (the
// Kubernetes plugin) sends deltas naming only what changed; they update its
// own entities in place, leave the rest alone, and still refuse another
// provider's.
func testDeltaWithoutSources(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "k8s:c1"), prepare(t, component("b", "team", nil), "k8s:c1")))
	apply(t, s, full("p2", prepare(t, component("c", "team", nil), "file:/c.yaml")))
	before := mustGet(t, s, "component:default/a")
	res := apply(t, s, &catalog.Mutation{Provider: "p1", Entities: seq(
		prepare(t, component("a", "other", nil), "k8s:c1"),
		prepare(t, component("b", "team", nil), "k8s:c1"),
		prepare(t, component("c", "other", nil), "k8s:c1"),
		prepare(t, component("d", "team", nil), "k8s:c1"))})
	if res.Updated != 1 || res.Unchanged != 1 || res.Inserted != 1 || res.Conflicts != 1 || res.Removed != 0 {
		t.Fatalf("delta = %+v, want 1 updated, 1 unchanged, 1 inserted, 1 conflict, 0 removed", res)
	}
	after := mustGet(t, s, "component:default/a")
	if after.UID != before.UID {
		t.Fatalf("uid %s -> %s: a delta update must keep it", before.UID, after.UID)
	}
	same(t, "relations after a delta", relations(after), []string{"ownedBy group:default/other"})
	if c := mustGet(t, s, "component:default/c"); c.Provider != "p2" {
		t.Fatalf("c now belongs to %s", c.Provider)
	}
	mustGet(t, s, "component:default/d")
}

func testFailedMutationWritesNothing(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1", prepare(t, component("a", "team", nil), "file:/a.yaml")))
	before := mustGet(t, s, "component:default/a")
	boom := errors.New("source failed mid-stream")
	var ps []*catalog.Prepared
	for i := range 2500 { // more than one batch is written before the failure
		ps = append(ps, prepare(t, component(fmt.Sprintf("n%04d", i), "team", nil), "file:/n.yaml"))
	}
	m := full("p1", ps...)
	m.Err = func() error { return boom }
	if _, err := s.Apply(context.Background(), m); !errors.Is(err, boom) {
		t.Fatalf("apply: want the stream's error, got %v", err)
	}
	absent(t, s, "component:default/n0000")
	absent(t, s, "component:default/n2499")
	if after := mustGet(t, s, "component:default/a"); after.Etag != before.Etag {
		t.Fatalf("a changed by a failed mutation")
	}
}

func seedQueryCatalog(t *testing.T, s catalog.Store) {
	apply(t, s, full("p1",
		prepare(t, component("alpha", "team-a", map[string]any{"type": "service"}), "file:/a.yaml"),
		prepare(t, component("Bravo", "team-a", map[string]any{"type": "website", "lifecycle": "experimental"}), "file:/a.yaml"),
		prepare(t, component("charlie", "team-b", map[string]any{"type": "library"}), "file:/a.yaml"),
		prepare(t, entity("API", "alpha-api", map[string]any{"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "x"}), "file:/a.yaml"),
		prepare(t, entity("Group", "team-a", map[string]any{"type": "team", "children": []any{}}), "file:/org.yaml"),
	))
}

func names(t *testing.T, s catalog.Store, q catalog.EntityQuery) []string {
	t.Helper()
	page, err := s.QueryEntities(context.Background(), q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	out := []string{}
	for _, e := range page.Items {
		out = append(out, e.Key)
	}
	return out
}

func testQueryFilters(t *testing.T, s catalog.Store) {
	seedQueryCatalog(t, s)
	leaf := func(key string, vals ...string) catalog.Filter { return catalog.Filter{Key: key, Values: vals} }
	cases := []struct {
		name   string
		filter catalog.Filter
		want   []string
	}{
		{"kind, any case", leaf("KIND", "component"), []string{"component:default/alpha", "component:default/bravo", "component:default/charlie"}},
		{"spec field, value case", leaf("spec.type", "WEBSITE"), []string{"component:default/bravo"}},
		{"two values", leaf("spec.type", "website", "library"), []string{"component:default/bravo", "component:default/charlie"}},
		{"relation", leaf("relations.ownedBy", "group:default/team-a"), []string{"api:default/alpha-api", "component:default/alpha", "component:default/bravo"}},
		{"exists", catalog.Filter{Key: "spec.definition", Op: catalog.OpExists}, []string{"api:default/alpha-api"}},
		{"not exists", catalog.And(leaf("kind", "component"), catalog.Filter{Key: "spec.lifecycle", Op: catalog.OpNotExists}), []string{}},
		{"array item key", catalog.And(leaf("kind", "group"), leaf("metadata.tags.go", "true")), []string{"group:default/team-a"}},
		{"prefix", catalog.Filter{Key: "metadata.name", Op: catalog.OpPrefix, Prefix: "ALPHA"}, []string{"api:default/alpha-api", "component:default/alpha"}},
		{"not", catalog.And(leaf("kind", "component"), catalog.Filter{Not: &catalog.Filter{Key: "spec.lifecycle", Values: []string{"experimental"}}}), []string{"component:default/alpha", "component:default/charlie"}},
		{"any", catalog.Filter{Any: []catalog.Filter{leaf("kind", "group"), leaf("spec.type", "library")}}, []string{"component:default/charlie", "group:default/team-a"}},
		{"injection is a literal", leaf("metadata.name", "x' OR 1=1--"), []string{}},
		{"like wildcards are literal", catalog.Filter{Key: "metadata.name", Op: catalog.OpPrefix, Prefix: "%"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			same(t, tc.name, names(t, s, catalog.EntityQuery{Filter: tc.filter}), tc.want)
		})
	}
	got := names(t, s, catalog.EntityQuery{FullText: &catalog.FullTextFilter{Term: "RAV", Fields: []string{"metadata.name"}}})
	same(t, "full text", got, []string{"component:default/bravo"})
}

func testQueryOrderAndPages(t *testing.T, s catalog.Store) {
	seedQueryCatalog(t, s)
	q := catalog.EntityQuery{Filter: catalog.Filter{Key: "kind", Values: []string{"component"}}, Order: []catalog.OrderField{{Field: "metadata.name", Desc: true}}, Limit: 2, Count: true}
	page, err := s.QueryEntities(context.Background(), q)
	if err != nil || page.Total != 3 || len(page.Items) != 2 || page.Items[0].Key != "component:default/charlie" || page.Items[1].Key != "component:default/bravo" {
		t.Fatalf("page 1 = %+v %v", page, err)
	}
	q.Offset = 2
	if got := names(t, s, q); !slices.Equal(got, []string{"component:default/alpha"}) {
		t.Fatalf("page 2 = %v", got)
	}
	// Keyset paging in the default order: after a ref key, offset unused.
	q = catalog.EntityQuery{Filter: catalog.Filter{Key: "kind", Values: []string{"component"}}, AfterKey: "component:default/alpha", Offset: 99, Limit: 1, Count: true}
	page, err = s.QueryEntities(context.Background(), q)
	if err != nil || page.Total != 3 || len(page.Items) != 1 || page.Items[0].Key != "component:default/bravo" {
		t.Fatalf("keyset page = %+v %v", page, err)
	}
	q = catalog.EntityQuery{Filter: catalog.Filter{Key: "kind", Values: []string{"component"}}, Order: []catalog.OrderField{{Field: "spec.lifecycle"}}}
	if got := names(t, s, q); got[0] != "component:default/bravo" {
		t.Fatalf("ordered by spec.lifecycle: %v", got)
	}
}

func testFacets(t *testing.T, s catalog.Store) {
	seedQueryCatalog(t, s)
	f, err := s.Facets(context.Background(), catalog.Filter{}, []string{"kind", "relations.ownedBy"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f["kind"], []catalog.FacetCount{{Value: "Component", Count: 3}, {Value: "API", Count: 1}, {Value: "Group", Count: 1}}) {
		t.Fatalf("kind facet = %+v", f["kind"])
	}
	if !slices.Equal(f["relations.ownedBy"], []catalog.FacetCount{{Value: "group:default/team-a", Count: 3}, {Value: "group:default/team-b", Count: 1}}) {
		t.Fatalf("owner facet = %+v", f["relations.ownedBy"])
	}
	f, err = s.Facets(context.Background(), catalog.Filter{Key: "kind", Values: []string{"component"}}, []string{"spec.type"})
	if err != nil || len(f["spec.type"]) != 3 {
		t.Fatalf("filtered facet = %+v %v", f, err)
	}
}

func testLocations(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	l, err := s.CreateLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/a.yaml"})
	if err != nil || l.ID == "" {
		t.Fatalf("create: %+v %v", l, err)
	}
	if _, err := s.CreateLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/a.yaml"}); !errors.Is(err, catalog.ErrAlreadyExists) {
		t.Fatalf("duplicate: want ErrAlreadyExists, got %v", err)
	}
	if got, err := s.Location(ctx, l.ID); err != nil || got.Target != l.Target {
		t.Fatalf("get: %+v %v", got, err)
	}
	if got, err := s.LocationByTarget(ctx, "url", l.Target); err != nil || got.ID != l.ID {
		t.Fatalf("by target: %+v %v", got, err)
	}
	l2, _ := s.CreateLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/b.yaml"})
	if _, err := s.UpdateLocation(ctx, catalog.Location{ID: l2.ID, Type: "url", Target: l.Target}); !errors.Is(err, catalog.ErrAlreadyExists) {
		t.Fatalf("update onto another's target: want ErrAlreadyExists, got %v", err)
	}
	if _, err := s.Location(ctx, "nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("missing: want ErrNotFound, got %v", err)
	}
	all, err := s.Locations(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %+v %v", all, err)
	}
}

func testDeleteLocationRemovesEntities(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	l, err := s.CreateLocation(ctx, catalog.Location{Type: "file", Target: "/x/all.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, full(catalog.LocationProvider(l.ID), prepare(t, component("a", "team", nil), "file:/x/a.yaml")))
	apply(t, s, full("other", prepare(t, component("b", "team", nil), "file:/y/b.yaml")))
	if err := s.DeleteLocation(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	absent(t, s, "component:default/a")
	mustGet(t, s, "component:default/b")
	if err := s.DeleteLocation(ctx, l.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("second delete: want ErrNotFound, got %v", err)
	}
}

// testConcurrentProviders has many providers race for the same refs:
// every mutation succeeds (the store retries transient conflicts), and
// each ref ends with exactly one owner.
func testConcurrentProviders(t *testing.T, s catalog.Store) {
	const providers, refs = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, providers*3)
	for p := range providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 3 {
				var ps []*catalog.Prepared
				for i := range refs {
					ps = append(ps, prepare(t, component(fmt.Sprintf("c%03d", i), fmt.Sprintf("team-%d-%d", p, round), nil), "file:/c.yaml"))
				}
				m := full(fmt.Sprintf("p%d", p), ps...)
				m.Replayable = true
				if _, err := s.Apply(context.Background(), m); err != nil {
					errs <- fmt.Errorf("provider %d round %d: %w", p, round, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	page, err := s.QueryEntities(context.Background(), catalog.EntityQuery{Count: true})
	if err != nil || page.Total != refs {
		t.Fatalf("entities = %d (%v), want %d", page.Total, err, refs)
	}
}
