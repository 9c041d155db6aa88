package catalog

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// Every reference field the validator knows emits a relation pair, and
// every pair belongs to a reference field.
func TestRelationPairsCoverReferenceFields(t *testing.T) {
	for kind, pairs := range relationPairs {
		fields := map[string]bool{}
		for _, f := range RefFieldsOf(kind) {
			fields[f.Path] = true
			if _, ok := pairs[f.Path]; !ok {
				t.Errorf("%s %s holds references but emits no relation", kind, f.Path)
			}
		}
		for path := range pairs {
			if !fields[path] {
				t.Errorf("%s %s emits a relation but the validator knows no such reference field", kind, path)
			}
		}
	}
}

func TestRelations(t *testing.T) {
	e := &Entity{Kind: "Component", Metadata: Metadata{Name: "web", Namespace: "shop"}, Spec: map[string]any{
		"owner": "team-a", "system": "default/store", "dependsOn": []any{"resource:db", "Component:other/lib"},
		"providesApis": []any{"orders"}, "subcomponentOf": "portal",
	}}
	var got []string
	for _, r := range Relations(e) {
		got = append(got, r.SourceKey+" "+r.Type+" "+r.TargetRef)
	}
	want := []string{
		"component:shop/web ownedBy group:shop/team-a", "group:shop/team-a ownerOf component:shop/web",
		"component:shop/web partOf system:default/store", "system:default/store hasPart component:shop/web",
		"component:shop/web dependsOn resource:shop/db", "resource:shop/db dependencyOf component:shop/web",
		"component:shop/web dependsOn component:other/lib", "component:other/lib dependencyOf component:shop/web",
		"component:shop/web providesApi api:shop/orders", "api:shop/orders apiProvidedBy component:shop/web",
		"component:shop/web partOf component:shop/portal", "component:shop/portal hasPart component:shop/web",
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("relations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
