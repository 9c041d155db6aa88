package catalog

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// validateYAML parses src, which must hold one document, and validates it.
func validateYAML(t *testing.T, v *Validator, src string) (*Entity, Errors) {
	t.Helper()
	docs, err := Parse("catalog-info.yaml", []byte(src), DefaultLimits())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(docs) != 1 {
		t.Fatalf("got %d documents", len(docs))
	}
	e, err := v.Validate(docs[0])
	if err == nil {
		return e, nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want Errors", err)
	}
	if e != nil {
		t.Error("got an entity with an error")
	}
	return nil, errs
}

func fields(errs Errors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

// component is a valid Component; the tests edit it with strings.Replace.
const component = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  lifecycle: production
  owner: team-a
`

func TestValidateRefuses(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		field  string // the field the (first) error must name
		reason string // substring of its reason
	}{
		{"name with path", strings.Replace(component, "name: payments", "name: ../x", 1), "metadata.name", "separated by any of [-_.]"},
		{"name of 64 characters", strings.Replace(component, "name: payments", "name: "+strings.Repeat("a", 64), 1), "metadata.name", "1-63 characters"},
		{"name with a space", strings.Replace(component, "name: payments", "name: a b", 1), "metadata.name", `got "a b"`},
		{"name with a Cyrillic a", strings.Replace(component, "name: payments", "name: pаyments", 1), "metadata.name", "[a-zA-Z0-9]"},
		{"name ending in a dash", strings.Replace(component, "name: payments", "name: payments-", 1), "metadata.name", ""},
		{"name is a number", strings.Replace(component, "name: payments", "name: 123", 1), "metadata.name", "must be a string, got the number 123"},
		{"name is a boolean", strings.Replace(component, "name: payments", "name: true", 1), "metadata.name", "got the boolean true"},
		{"name missing", strings.Replace(component, "name: payments", "title: Payments", 1), "metadata.name", "is required"},
		{"name empty", strings.Replace(component, "name: payments", `name: ""`, 1), "metadata.name", "must not be empty"},
		{"namespace with capitals", strings.Replace(component, "name: payments", "name: payments\n  namespace: Team", 1), "metadata.namespace", "DNS label"},
		{"namespace with underscore", strings.Replace(component, "name: payments", "name: payments\n  namespace: team_a", 1), "metadata.namespace", ""},
		{"namespace with double dash", strings.Replace(component, "name: payments", "name: payments\n  namespace: a--b", 1), "metadata.namespace", ""},
		{"namespace of 64 characters", strings.Replace(component, "name: payments", "name: payments\n  namespace: "+strings.Repeat("a", 64), 1), "metadata.namespace", ""},
		{"namespace empty", strings.Replace(component, "name: payments", "name: payments\n  namespace: ''", 1), "metadata.namespace", "must not be empty"},
		{"unknown kind", strings.Replace(component, "kind: Component", "kind: Service", 1), "kind", `unknown kind "Service"`},
		{"kind in the wrong case", strings.Replace(component, "kind: Component", "kind: component", 1), "kind", `did you mean "Component"`},
		{"kind with a dash", strings.Replace(component, "kind: Component", "kind: My-Kind", 1), "kind", "letters and digits"},
		{"kind missing", strings.Replace(component, "kind: Component\n", "", 1), "kind", "is required"},
		{"unknown apiVersion", strings.Replace(component, "backstage.io/v1alpha1", "backstage.io/v2", 1), "apiVersion", "must have apiVersion backstage.io/v1alpha1 or backstage.io/v1beta1"},
		{"malformed apiVersion", strings.Replace(component, "backstage.io/v1alpha1", "a/b/c", 1), "apiVersion", `must look like "backstage.io/v1alpha1"`},
		{"apiVersion missing", strings.Replace(component, "apiVersion: backstage.io/v1alpha1\n", "", 1), "apiVersion", "is required"},
		{"missing spec.owner", strings.Replace(component, "  owner: team-a\n", "", 1), "spec.owner", "is required for kind Component"},
		{"empty spec.owner", strings.Replace(component, "owner: team-a", `owner: ""`, 1), "spec.owner", "must not be empty"},
		{"bad owner reference", strings.Replace(component, "owner: team-a", "owner: 'group:'", 1), "spec.owner", "entity reference"},
		{"missing spec", strings.Split(component, "spec:")[0], "spec", "is required for kind Component"},
		{"spec is a list", strings.Split(component, "spec:")[0] + "spec: [a]\n", "spec", "must be a mapping"},
		{"metadata is a string", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: x\nspec: {type: a, lifecycle: b, owner: c}\n", "metadata", "must be a mapping"},
		{"javascript link", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: 'javascript:alert(1)'}]", 1), "metadata.links[0].url", "javascript: URL"},
		{"data link", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: 'data:text/html,<script>alert(1)</script>'}]", 1), "metadata.links[0].url", "data: URL"},
		{"vbscript link", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: 'vbscript:msgbox(1)'}]", 1), "metadata.links[0].url", "vbscript: URL"},
		{"mixed-case javascript link with a leading space", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: ' JaVaScRiPt:alert(1)'}]", 1), "metadata.links[0].url", "javascript: URL"},
		{"javascript link with a tab inside", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: \"java\\tscript:alert(1)\"}]", 1), "metadata.links[0].url", "javascript: URL"},
		{"javascript link with a leading control character", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: \"\\x01javascript:alert(1)\"}]", 1), "metadata.links[0].url", "javascript: URL"},
		{"relative link", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: /docs}]", 1), "metadata.links[0].url", "absolute URL"},
		{"link without host", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: 'https://'}]", 1), "metadata.links[0].url", "host"},
		{"link without url", strings.Replace(component, "name: payments", "name: payments\n  links: [{title: Docs}]", 1), "metadata.links[0].url", "is required"},
		{"blank link title", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: 'https://x.example', title: '  '}]", 1), "metadata.links[0].title", "blank"},
		{"link is a string", strings.Replace(component, "name: payments", "name: payments\n  links: [https://x.example]", 1), "metadata.links[0]", "must be a mapping"},
		{"bad link icon", strings.Replace(component, "name: payments", "name: payments\n  links: [{url: 'https://x.example', icon: 'a b'}]", 1), "metadata.links[0].icon", "icon key"},
		{"uppercase tag", strings.Replace(component, "name: payments", "name: payments\n  tags: [Java]", 1), "metadata.tags[0]", "[a-z0-9:+#]"},
		{"tag with underscore", strings.Replace(component, "name: payments", "name: payments\n  tags: [ok, tier_gold]", 1), "metadata.tags[1]", ""},
		{"tag of 64 characters", strings.Replace(component, "name: payments", "name: payments\n  tags: ["+strings.Repeat("a", 64)+"]", 1), "metadata.tags[0]", ""},
		{"tag is a number", strings.Replace(component, "name: payments", "name: payments\n  tags: [1]", 1), "metadata.tags[0]", "must be a string"},
		{"tags is a string", strings.Replace(component, "name: payments", "name: payments\n  tags: java", 1), "metadata.tags", "must be a list"},
		{"label key with two slashes", strings.Replace(component, "name: payments", "name: payments\n  labels: {a/b/c: x}", 1), "metadata.labels.a/b/c", "label key"},
		{"label key with bad prefix", strings.Replace(component, "name: payments", "name: payments\n  labels: {Example.com/x: y}", 1), "metadata.labels.Example.com/x", "label key"},
		{"label value with a space", strings.Replace(component, "name: payments", "name: payments\n  labels: {team: a b}", 1), "metadata.labels.team", "label value"},
		{"label value is a number", strings.Replace(component, "name: payments", "name: payments\n  labels: {port: 8080}", 1), "metadata.labels.port", "must be a string, got the number 8080"},
		{"annotation value is a boolean", strings.Replace(component, "name: payments", "name: payments\n  annotations: {backstage.io/orphan: true}", 1), "metadata.annotations.backstage.io/orphan", "quote it"},
		{"annotation key with space", strings.Replace(component, "name: payments", "name: payments\n  annotations: {'a b': x}", 1), "metadata.annotations.a b", "annotation key"},
		{"title is a number", strings.Replace(component, "name: payments", "name: payments\n  title: 5", 1), "metadata.title", "must be a string"},
		{"description is a list", strings.Replace(component, "name: payments", "name: payments\n  description: [a]", 1), "metadata.description", "must be a string"},
		{"generation is zero", strings.Replace(component, "name: payments", "name: payments\n  generation: 0", 1), "metadata.generation", "positive integer"},
		{"foreign root field", component + "extra: 1\n", "extra", "unknown field"},
		{"relations at the root", component + "relations: []\n", "relations", "computed by the catalog"},
		{"status at the root", component + "status: {}\n", "status", "computed by the catalog"},
		{"dependsOn without kind", component + "  dependsOn: [payments-db]\n", "spec.dependsOn[0]", `names its kind, like "component:payments-db"`},
		{"dependencyOf without kind", component + "  dependencyOf: [checkout]\n", "spec.dependencyOf[0]", "names its kind"},
		{"providesApis is a string", component + "  providesApis: payments-api\n", "spec.providesApis", "must be a list"},
		{"providesApis with a bad reference", component + "  providesApis: [ok, 'api:default/']\n", "spec.providesApis[1]", "empty name"},
		{"system is a list", component + "  system: [a]\n", "spec.system", "must be a string"},
		{"type is a number", strings.Replace(component, "type: service", "type: 1", 1), "spec.type", "must be a string"},
		{"API without definition", "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: x}\nspec: {type: openapi, lifecycle: production, owner: a}\n", "spec.definition", "is required"},
		{"Resource without type", "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: x}\nspec: {owner: a}\n", "spec.type", "is required"},
		{"System without owner", "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: x}\nspec: {domain: d}\n", "spec.owner", "is required"},
		{"Domain with bad subdomainOf", "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: x}\nspec: {owner: a, subdomainOf: 'a/b/c'}\n", "spec.subdomainOf", "entity reference"},
		{"Group without children", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: x}\nspec: {type: team}\n", "spec.children", "is required"},
		{"Group with bad profile email", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: x}\nspec: {type: team, children: [], profile: {email: 5}}\n", "spec.profile.email", "must be a string"},
		{"Group profile is a string", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: x}\nspec: {type: team, children: [], profile: x}\n", "spec.profile", "must be a mapping"},
		{"User without memberOf", "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: x}\nspec: {profile: {displayName: X}}\n", "spec.memberOf", "is required"},
		{"User memberOf with null", "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: x}\nspec: {memberOf: [~]}\n", "spec.memberOf[0]", "got null"},
		{"Location target is a list", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: x}\nspec: {target: [a]}\n", "spec.target", "must be a string"},
		{"Template without steps", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service}\n", "spec.steps", "is required"},
		{"Template step without action", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service, steps: [{id: a}]}\n", "spec.steps[0].action", "is required"},
		{"Template step if is a number", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service, steps: [{action: a, if: 1}]}\n", "spec.steps[0].if", "string or a boolean"},
		{"Template parameters is a string", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service, steps: [], parameters: x}\n", "spec.parameters", "mapping or a list"},
		{"Template output is not a string", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service, steps: [], output: {remoteUrl: 1}}\n", "spec.output.remoteUrl", "must be a string"},
		{"Template with the old apiVersion", "apiVersion: backstage.io/v1beta2\nkind: Template\nmetadata: {name: x}\nspec: {type: service, steps: []}\n", "apiVersion", "scaffolder.backstage.io/v1beta3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := validateYAML(t, &Validator{}, tt.src)
			if len(errs) == 0 {
				t.Fatal("accepted")
			}
			var found *FieldError
			for _, e := range errs {
				if e.Field == tt.field {
					found = e
					break
				}
			}
			if found == nil {
				t.Fatalf("no error names %s; got:\n%v", tt.field, errs)
			}
			if !strings.Contains(found.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", found.Reason, tt.reason)
			}
			if found.File != "catalog-info.yaml" || found.Document != 0 || found.Line == 0 {
				t.Errorf("location not filled in: %+v", found)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	edit := func(old, new string) string { return strings.Replace(component, old, new, 1) }
	tests := []struct {
		name string
		src  string
	}{
		{"plain component", component},
		{"name of 63 characters", edit("name: payments", "name: "+strings.Repeat("a", 63))},
		{"name with all separators", edit("name: payments", "name: A.b_c-D9")},
		{"name with repeated separators", edit("name: payments", "name: a--b..c")},
		{"one-character name", edit("name: payments", "name: x")},
		{"v1beta1", edit("v1alpha1", "v1beta1")},
		{"namespace", edit("name: payments", "name: payments\n  namespace: team-a-1")},
		{"empty label value", edit("name: payments", "name: payments\n  labels: {team: ''}")},
		{"prefixed label key", edit("name: payments", "name: payments\n  labels: {example.com/team: Payments_1}")},
		{"annotation values are free", edit("name: payments", "name: payments\n  annotations: {example.com/x: 'anything: <at> all ✓'}")},
		{"tags", edit("name: payments", "name: payments\n  tags: [c++, 'c#', 'team:payments', go-1]")},
		{"links", edit("name: payments", "name: payments\n  links: [{url: 'https://x.example/a?b=c#d', title: Docs, icon: docs, type: documentation}, {url: 'mailto:a@b.example'}, {url: 'file:///tmp/x'}]")},
		{"description may be empty", edit("name: payments", "name: payments\n  description: ''")},
		{"uid, etag and generation", edit("name: payments", "name: payments\n  uid: abc\n  etag: def\n  generation: 3")},
		{"unknown spec fields", component + "  custom: {a: [1]}\n"},
		{"references", component + "  system: system:default/checkout\n  subcomponentOf: checkout\n  providesApis: [a, api:b, api:ns/c]\n  consumesApis: []\n  dependsOn: [resource:db, component:ns/x]\n  dependencyOf: [component:y]\n"},
		{"User with empty memberOf", "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jane.doe}\nspec: {memberOf: []}\n"},
		{"Location without targets", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: x}\nspec: {}\n"},
		{"Template minimal", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service, steps: []}\n"},
		{"Template with parameters object and output", "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: x}\nspec: {type: service, owner: group:a, parameters: {properties: {}}, steps: [{action: fetch:plain, if: false, input: {}}], output: {links: [{url: 'https://x.example', title: Repo}], text: [{title: T, content: ''}], remoteUrl: 'x'}}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, errs := validateYAML(t, &Validator{}, tt.src)
			if errs != nil {
				t.Fatalf("refused:\n%v", errs)
			}
			if e == nil {
				t.Fatal("no entity")
			}
		})
	}
}

func TestValidateBuildsEntity(t *testing.T) {
	src := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  title: Payments
  description: Takes money
  uid: set-by-the-file
  generation: 7
  labels: {tier: gold}
  annotations: {example.com/a: b}
  tags: [go]
  links: [{url: 'https://x.example', title: Docs, icon: docs, type: doc}]
  x-extra: {a: [1, 2.5]}
spec:
  type: service
  lifecycle: production
  owner: team-a
  custom: [x]
`
	e, errs := validateYAML(t, nil, src) // a nil *Validator works too
	if errs != nil {
		t.Fatal(errs)
	}
	want := &Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       "Component",
		Metadata: Metadata{
			Name:        "payments",
			Title:       "Payments",
			Description: "Takes money",
			Labels:      map[string]string{"tier": "gold"},
			Annotations: map[string]string{"example.com/a": "b"},
			Tags:        []string{"go"},
			Links:       []Link{{URL: "https://x.example", Title: "Docs", Icon: "docs", Type: "doc"}},
			Extra:       map[string]any{"x-extra": map[string]any{"a": []any{int64(1), 2.5}}},
		},
		Spec: map[string]any{"type": "service", "lifecycle": "production", "owner": "team-a", "custom": []any{"x"}},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got  %#v\nwant %#v", e, want)
	}
	if e.Metadata.Namespace != "" || e.NamespaceOrDefault() != "default" {
		t.Error("namespace is not left as written")
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"x-extra":{"a":[1,2.5]}`) || strings.Contains(string(b), "set-by-the-file") {
		t.Errorf("JSON: %s", b)
	}
}

func TestValidateDoesNotShareMaps(t *testing.T) {
	docs, err := Parse("f", []byte(component+"  custom: {a: 1}\n"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	e, err := (&Validator{}).Validate(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	e.Spec["custom"].(map[string]any)["a"] = 2
	if docs[0].Object["spec"].(map[string]any)["custom"].(map[string]any)["a"] != int64(1) {
		t.Error("changing the entity changed the raw document")
	}
}

func TestValidateCollectsAllErrorsWithLines(t *testing.T) {
	src := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ../x
  namespace: Bad
  links:
    - url: javascript:alert(1)
spec:
  type: service
  lifecycle: production
`
	_, errs := validateYAML(t, &Validator{}, src)
	want := map[string]int{
		"metadata.name":         4,
		"metadata.namespace":    5,
		"metadata.links[0].url": 7,
		"spec.owner":            8, // missing: reported on the line of spec
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for _, e := range errs {
		if line, ok := want[e.Field]; !ok || e.Line != line {
			t.Errorf("%s on line %d, want line %d", e.Field, e.Line, line)
		}
	}
	if !slices.IsSortedFunc(errs, func(a, b *FieldError) int { return a.Line - b.Line }) {
		t.Errorf("errors are not in line order: %v", fields(errs))
	}
	if got := errs[0].Error(); !strings.HasPrefix(got, "catalog-info.yaml: document 1: line 4: metadata.name: must be") {
		t.Errorf("message %q", got)
	}
}

func TestValidatorKindRules(t *testing.T) {
	user := "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: mallory}\nspec: {memberOf: [admins]}\n"
	custom := "apiVersion: example.com/v1\nkind: Pipeline\nmetadata: {name: build}\nspec: {stages: 3}\n"
	customNoSpec := "apiVersion: example.com/v1\nkind: Pipeline\nmetadata: {name: build}\n"
	oldTemplate := "apiVersion: backstage.io/v1beta2\nkind: Template\nmetadata: {name: x}\nspec: {type: service}\n"
	bogusComponent := "apiVersion: example.com/v1\nkind: Component\nmetadata: {name: x}\nspec: {}\n"
	lowerComponent := "apiVersion: example.com/v1\nkind: component\nmetadata: {name: x}\nspec: {}\n"

	repoOnly := &Validator{AllowedKinds: []string{"component", "API", "Location"}}
	tests := []struct {
		name  string
		v     *Validator
		src   string
		field string // "" = accepted
	}{
		{"User from a location allowed only Component, API, Location", repoOnly, user, "kind"},
		{"Component from that location", repoOnly, component, ""},
		{"empty AllowedKinds allows nothing", &Validator{AllowedKinds: []string{}}, component, "kind"},
		{"nil AllowedKinds allows all built-ins", &Validator{}, user, ""},
		{"custom kind unknown", &Validator{}, custom, "kind"},
		{"custom kind configured for any apiVersion", &Validator{ExtraKinds: []KindRule{{Kind: "pipeline"}}}, custom, ""},
		{"custom kind without spec", &Validator{ExtraKinds: []KindRule{{Kind: "Pipeline"}}}, customNoSpec, ""},
		{"custom kind configured for its apiVersion", &Validator{ExtraKinds: []KindRule{{APIVersion: "example.com/v1", Kind: "Pipeline"}}}, custom, ""},
		{"custom kind with another apiVersion", &Validator{ExtraKinds: []KindRule{{APIVersion: "example.com/v2", Kind: "Pipeline"}}}, custom, "apiVersion"},
		{"custom kind configured but not allowed", &Validator{ExtraKinds: []KindRule{{Kind: "Pipeline"}}, AllowedKinds: []string{"Component"}}, custom, "kind"},
		{"old Template with an explicit rule", &Validator{ExtraKinds: []KindRule{{APIVersion: "backstage.io/v1beta2", Kind: "Template"}}}, oldTemplate, ""},
		// A wildcard rule for a built-in kind (as a rules config listing
		// "Component" produces) must not let a bogus apiVersion skip the
		// Component checks, nor a lower-case kind pass as a custom one.
		{"wildcard rule cannot relax a built-in apiVersion", &Validator{ExtraKinds: []KindRule{{Kind: "Component"}}}, bogusComponent, "apiVersion"},
		{"wildcard rule cannot admit a built-in in another case", &Validator{ExtraKinds: []KindRule{{Kind: "Component"}}}, lowerComponent, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := validateYAML(t, tt.v, tt.src)
			if tt.field == "" {
				if errs != nil {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if !slices.Contains(fields(errs), tt.field) {
				t.Fatalf("no error on %s: %v", tt.field, errs)
			}
		})
	}

	_, errs := validateYAML(t, repoOnly, user)
	if !strings.Contains(errs.Error(), `may not provide entities of kind "User"`) {
		t.Errorf("message: %v", errs)
	}
}

func TestValidateObjectFromJSON(t *testing.T) {
	// Entities also arrive as JSON, with float64 numbers and no line numbers.
	var obj map[string]any
	raw := `{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":1,"generation":2},"spec":{"type":"a","lifecycle":"b","owner":"c"}}`
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		t.Fatal(err)
	}
	_, err := (&Validator{}).Validate(RawDocument{File: "api", Object: obj})
	if err == nil || !strings.Contains(err.Error(), "metadata.name: must be a string, got the number 1") {
		t.Errorf("error = %v", err)
	}
	if _, err := (&Validator{}).Validate(RawDocument{}); err == nil {
		t.Error("empty document accepted")
	}
}

func TestRefFieldsOf(t *testing.T) {
	want := map[string][]RefField{
		"Component": {
			{"spec.owner", "Group", false}, {"spec.system", "System", false}, {"spec.subcomponentOf", "Component", false},
			{"spec.providesApis", "API", true}, {"spec.consumesApis", "API", true},
			{"spec.dependsOn", "", true}, {"spec.dependencyOf", "", true},
		},
		"API":      {{"spec.owner", "Group", false}, {"spec.system", "System", false}},
		"Resource": {{"spec.owner", "Group", false}, {"spec.dependsOn", "", true}, {"spec.dependencyOf", "", true}, {"spec.system", "System", false}},
		"System":   {{"spec.owner", "Group", false}, {"spec.domain", "Domain", false}},
		"Domain":   {{"spec.owner", "Group", false}, {"spec.subdomainOf", "Domain", false}},
		"group":    {{"spec.parent", "Group", false}, {"spec.children", "Group", true}, {"spec.members", "User", true}},
		"User":     {{"spec.memberOf", "Group", true}},
		"Template": {{"spec.owner", "Group", false}},
		"Location": nil,
		"Pipeline": nil,
	}
	for kind, w := range want {
		if got := RefFieldsOf(kind); !reflect.DeepEqual(got, w) {
			t.Errorf("RefFieldsOf(%q) = %v, want %v", kind, got, w)
		}
	}
	// Callers may change what they get without changing the next answer.
	RefFieldsOf("User")[0].DefaultKind = "Changed"
	if RefFieldsOf("User")[0].DefaultKind != "Group" {
		t.Error("RefFieldsOf shares its result")
	}
}

func TestBuiltin(t *testing.T) {
	v := &Validator{}
	if !v.Builtin("Component") || !v.Builtin("Template") || v.Builtin("component") || v.Builtin("Pipeline") {
		t.Error("Builtin")
	}
}

// TestDescriptorFiles checks the example descriptors under testdata: all of
// valid/ must validate (most are Backstage's own examples), and every file of
// invalid/ must fail with errors naming the fields its "# want:" line lists.
func TestDescriptorFiles(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		files, err := filepath.Glob(filepath.Join("testdata", "descriptors", dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no files in %s: %v", dir, err)
		}
		for _, file := range files {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				entities, errs := parseAndValidate(file, data)
				if dir == "valid" {
					if errs != nil {
						t.Fatalf("refused:\n%v", errs)
					}
					if len(entities) == 0 {
						t.Fatal("no entities")
					}
					return
				}
				first, _, _ := strings.Cut(string(data), "\n")
				wantList, ok := strings.CutPrefix(first, "# want: ")
				if !ok {
					t.Fatalf("first line must be '# want: field, …', is %q", first)
				}
				got := fields(errs)
				for _, w := range strings.Split(wantList, ", ") {
					if !slices.Contains(got, w) {
						t.Errorf("no error names %s; got:\n%v", w, errs)
					}
				}
			})
		}
	}
}

// parseAndValidate runs a file through Parse and a zero Validator,
// collecting the errors of every document.
func parseAndValidate(file string, data []byte) ([]*Entity, Errors) {
	docs, err := Parse(file, data, DefaultLimits())
	var all Errors
	if err != nil {
		errors.As(err, &all)
		return nil, all
	}
	var entities []*Entity
	for _, doc := range docs {
		e, err := (&Validator{}).Validate(doc)
		var errs Errors
		if errors.As(err, &errs) {
			all = append(all, errs...)
			continue
		}
		entities = append(entities, e)
	}
	return entities, all
}

func TestValidateBoundsMessages(t *testing.T) {
	long := strings.Repeat("x", 100000)
	src := strings.Replace(component, "owner: team-a", "owner: 'group:"+long+"/'", 1)
	src = strings.Replace(src, "name: payments", "name: payments\n  labels:\n    ? "+long+"\n    : v", 1)
	_, errs := validateYAML(t, &Validator{}, src)
	if len(errs) != 2 {
		t.Fatalf("errors: %d", len(errs))
	}
	for _, e := range errs {
		if len(e.Error()) > 2000 {
			t.Errorf("message of %d bytes: %.200s", len(e.Error()), e.Error())
		}
	}
	if !strings.Contains(errs.Error(), "but it has an empty name") {
		t.Errorf("cause lost: %.300s", errs.Error())
	}
}

// TestValidateManyBadLabelsIsCheap: the cost of validating many bad labels
// grows linearly with their number. It compares the bytes allocated for
// 4,000 labels with those for 400 (a count, not a clock, so a busy machine
// does not change it): linear work allocates about 10 times as much, the
// quadratic walk this guards against far more.
func TestValidateManyBadLabelsIsCheap(t *testing.T) {
	doc := func(n int) string {
		var b strings.Builder
		b.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments\n  labels:\n")
		// Keys of dotted garbage make every error look up many parent paths.
		key := strings.Repeat("a.", 250)
		for i := 0; i < n; i++ {
			b.WriteString("    " + key + strconv.Itoa(i) + "_: v\n")
		}
		b.WriteString("spec: {type: s, lifecycle: l, owner: o}\n")
		return b.String()
	}
	allocated := func(src string) (uint64, Errors) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, errs := validateYAML(t, &Validator{}, src)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, errs
	}
	small, _ := allocated(doc(400))
	large, errs := allocated(doc(4000))
	ratio := float64(large) / float64(small)
	t.Logf("400 labels: %d bytes; 4000: %d (%.1f times)", small, large, ratio)
	if ratio > 25 {
		t.Errorf("4000 bad labels allocate %.1f times what 400 do (%d and %d bytes): not linear", ratio, large, small)
	}
	if len(errs) != maxProblems+1 || !strings.Contains(errs[maxProblems].Reason, "3900 more problems") {
		t.Errorf("%d errors; last: %v", len(errs), errs[len(errs)-1])
	}
}
