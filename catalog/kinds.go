package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The spec rules of the built-in kinds follow Backstage's JSON schemas
// (packages/catalog-model/src/schema/kinds/*.v1alpha1.schema.json and
// plugins/scaffolder-common/src/Template.v1beta3.schema.json): the required
// fields, their types, and minLength 1 on strings. Like those schemas they
// accept spec fields they do not name. On top of the schemas, every
// entity-reference field must parse with ParseRef, which Backstage checks
// when it emits the relations of the entity.

// specShape is what a spec field must hold.
type specShape int

const (
	shapeText     specShape = iota // a non-empty string
	shapeTextList                  // a list of non-empty strings
	shapeRef                       // an entity reference
	shapeRefList                   // a list of entity references
	shapeObject                    // a mapping
)

// specRule checks one spec field of a built-in kind.
type specRule struct {
	field    string
	shape    specShape
	required bool
	// refKind is the kind a reference implies when it names none, for
	// shapeRef and shapeRefList; "" means the reference must name its kind.
	refKind string
}

// builtinKind is one kind whose spec Pont knows.
type builtinKind struct {
	name        string
	apiVersions []string
	rules       []specRule
	// extra checks what the simple rules cannot express.
	extra func(c *entityChecker, spec map[string]any)
}

var backstageAPIVersions = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}

// builtinKinds is read-only: it describes Backstage's model, not
// configuration.
var builtinKinds = []builtinKind{
	{
		name:        "Component",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "type", shape: shapeText, required: true},
			{field: "lifecycle", shape: shapeText, required: true},
			{field: "owner", shape: shapeRef, required: true, refKind: "Group"},
			{field: "system", shape: shapeRef, refKind: "System"},
			{field: "subcomponentOf", shape: shapeRef, refKind: "Component"},
			{field: "providesApis", shape: shapeRefList, refKind: "API"},
			{field: "consumesApis", shape: shapeRefList, refKind: "API"},
			{field: "dependsOn", shape: shapeRefList},
			{field: "dependencyOf", shape: shapeRefList},
		},
	},
	{
		name:        "API",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "type", shape: shapeText, required: true},
			{field: "lifecycle", shape: shapeText, required: true},
			{field: "owner", shape: shapeRef, required: true, refKind: "Group"},
			{field: "definition", shape: shapeText, required: true},
			{field: "system", shape: shapeRef, refKind: "System"},
		},
	},
	{
		name:        "Resource",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "type", shape: shapeText, required: true},
			{field: "owner", shape: shapeRef, required: true, refKind: "Group"},
			{field: "dependsOn", shape: shapeRefList},
			{field: "dependencyOf", shape: shapeRefList},
			{field: "system", shape: shapeRef, refKind: "System"},
		},
	},
	{
		name:        "System",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "owner", shape: shapeRef, required: true, refKind: "Group"},
			{field: "domain", shape: shapeRef, refKind: "Domain"},
			{field: "type", shape: shapeText},
		},
	},
	{
		name:        "Domain",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "owner", shape: shapeRef, required: true, refKind: "Group"},
			{field: "subdomainOf", shape: shapeRef, refKind: "Domain"},
			{field: "type", shape: shapeText},
		},
	},
	{
		name:        "Group",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "type", shape: shapeText, required: true},
			{field: "profile", shape: shapeObject},
			{field: "parent", shape: shapeRef, refKind: "Group"},
			// Required, but may be empty.
			{field: "children", shape: shapeRefList, required: true, refKind: "Group"},
			{field: "members", shape: shapeRefList, refKind: "User"},
		},
		extra: func(c *entityChecker, spec map[string]any) {
			c.profile(spec, []string{"displayName", "email", "picture"})
		},
	},
	{
		name:        "User",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "profile", shape: shapeObject},
			// Backstage's TypeScript type made memberOf optional, but its
			// JSON schema, which the catalog enforces, still requires it.
			// It may be empty.
			{field: "memberOf", shape: shapeRefList, required: true, refKind: "Group"},
		},
		extra: func(c *entityChecker, spec map[string]any) {
			c.profile(spec, []string{
				"displayName", "email", "picture", "pronouns", "jobTitle", "startDateISO",
				"manager", "timezoneISO", "location", "directMessageURL",
			})
			profile, _ := spec["profile"].(map[string]any)
			if handles, ok := c.optionalMap("spec.profile.externalHandles", profile); ok {
				for _, k := range []string{"facebook", "github", "instagram", "spotify", "twitter", "youtube"} {
					c.optionalString("spec.profile.externalHandles."+k, handles, true)
				}
			}
		},
	},
	{
		name:        "Location",
		apiVersions: backstageAPIVersions,
		rules: []specRule{
			{field: "type", shape: shapeText},
			{field: "target", shape: shapeText},
			{field: "targets", shape: shapeTextList},
		},
	},
	{
		name:        "Template",
		apiVersions: []string{"scaffolder.backstage.io/v1beta3"},
		rules: []specRule{
			{field: "type", shape: shapeText, required: true},
			{field: "owner", shape: shapeRef, refKind: "Group"},
			{field: "lifecycle", shape: shapeText},
			{field: "secrets", shape: shapeObject},
			{field: "presentation", shape: shapeObject},
			{field: "EXPERIMENTAL_recovery", shape: shapeObject},
		},
		extra: (*entityChecker).templateSpec,
	},
}

// findBuiltinKind returns the built-in kind spelled exactly kind, or nil.
func findBuiltinKind(kind string) *builtinKind {
	for i := range builtinKinds {
		if builtinKinds[i].name == kind {
			return &builtinKinds[i]
		}
	}
	return nil
}

// findBuiltinKindFold returns the built-in kind named kind in any letter
// case, or nil.
func findBuiltinKindFold(kind string) *builtinKind {
	for i := range builtinKinds {
		if strings.EqualFold(builtinKinds[i].name, kind) {
			return &builtinKinds[i]
		}
	}
	return nil
}

func builtinKindNames() []string {
	names := make([]string, len(builtinKinds))
	for i, k := range builtinKinds {
		names[i] = k.name
	}
	return names
}

// RefField is a spec field of a built-in kind that holds entity references,
// and the kind a reference in it implies when it names none. The relations
// code turns these fields into relations.
type RefField struct {
	// Path is the field, like "spec.owner".
	Path string
	// DefaultKind is the kind implied by a reference that names none, like
	// Group for spec.owner. It is empty for spec.dependsOn and
	// spec.dependencyOf, whose references must name their kind.
	DefaultKind string
	// Many is true when the field holds a list of references.
	Many bool
}

// RefFieldsOf lists the reference fields of a built-in kind (matched
// case-insensitively); it returns nil for other kinds. The namespace a
// reference implies is always the referring entity's own.
func RefFieldsOf(kind string) []RefField {
	b := findBuiltinKindFold(kind)
	if b == nil {
		return nil
	}
	var out []RefField
	for _, r := range b.rules {
		if r.shape == shapeRef || r.shape == shapeRefList {
			out = append(out, RefField{Path: "spec." + r.field, DefaultKind: r.refKind, Many: r.shape == shapeRefList})
		}
	}
	return out
}

// spec checks the spec of a built-in kind.
func (c *entityChecker) spec(def *builtinKind, spec map[string]any) {
	for _, r := range def.rules {
		path := "spec." + r.field
		raw, ok := spec[r.field]
		if !ok {
			if r.required {
				c.fail(path, "is required for kind %s", def.name)
			}
			continue
		}
		switch r.shape {
		case shapeText:
			c.optionalString(path, spec, true)
		case shapeRef:
			if s, ok := c.optionalString(path, spec, true); ok {
				c.ref(path, s, r.refKind)
			}
		case shapeTextList, shapeRefList:
			list, ok := raw.([]any)
			if !ok {
				c.fail(path, "must be a list, got %s", describeValue(raw))
				continue
			}
			for i, item := range list {
				itemPath := indexPath(path, i)
				s, ok := item.(string)
				switch {
				case !ok:
					c.fail(itemPath, "must be a string, got %s", describeValue(item))
				case s == "":
					c.fail(itemPath, "must not be empty")
				case r.shape == shapeRefList:
					c.ref(itemPath, s, r.refKind)
				}
			}
		case shapeObject:
			c.optionalMap(path, spec)
		}
	}
	if def.extra != nil {
		def.extra(c, spec)
	}
}

// ref checks that s is an entity reference, [kind:][namespace/]name, that
// names a kind or lives in a field that implies one.
func (c *entityChecker) ref(path, s, defaultKind string) {
	if _, err := ParseRef(s, RefDefaults{Kind: defaultKind}); err != nil {
		if _, errWithKind := ParseRef(s, RefDefaults{Kind: "component"}); defaultKind == "" && errWithKind == nil {
			// Only the kind is missing, and this field implies none.
			c.fail(path, "must be an entity reference that names its kind, like %s; this field implies no kind", quoteValue("component:"+s))
			return
		}
		// ParseRef's message quotes the whole reference, which may be huge;
		// keep only what it says is wrong and show the value shortened.
		cause := strings.TrimPrefix(err.Error(), fmt.Sprintf("entity reference %q ", s))
		if len(cause) > 100 {
			cause = "is malformed"
		}
		c.fail(path, "must be an entity reference of the form [kind:][namespace/]name, but it %s; got %s", cause, quoteValue(s))
	}
}

// profile checks the optional profile of a Group or User: a mapping whose
// known fields are non-empty strings.
func (c *entityChecker) profile(spec map[string]any, fields []string) {
	profile, ok := spec["profile"].(map[string]any)
	if !ok {
		return // absent, or already reported as not a mapping
	}
	for _, f := range fields {
		c.optionalString("spec.profile."+f, profile, true)
	}
}

// templateSpec checks what Template.v1beta3.schema.json says of parameters,
// steps and output.
func (c *entityChecker) templateSpec(spec map[string]any) {
	// parameters: one form (a mapping) or a list of forms.
	if raw, ok := spec["parameters"]; ok {
		switch p := raw.(type) {
		case map[string]any:
			c.permissionTags("spec.parameters", p)
		case []any:
			for i, item := range p {
				path := indexPath("spec.parameters", i)
				if form, ok := item.(map[string]any); ok {
					c.permissionTags(path, form)
				} else {
					c.fail(path, "must be a mapping (a JSON schema form), got %s", describeValue(item))
				}
			}
		default:
			c.fail("spec.parameters", "must be a mapping or a list of mappings, got %s", describeValue(raw))
		}
	}

	if steps, ok := c.optionalList("spec.steps", spec); !ok {
		if _, present := spec["steps"]; !present {
			c.fail("spec.steps", "is required for kind Template")
		}
	} else {
		for i, item := range steps {
			path := indexPath("spec.steps", i)
			step, ok := item.(map[string]any)
			if !ok {
				c.fail(path, "must be a mapping, got %s", describeValue(item))
				continue
			}
			if _, ok := step["action"]; !ok {
				c.fail(path+".action", "is required")
			}
			for _, f := range []string{"action", "id", "name"} {
				c.optionalString(path+"."+f, step, false)
			}
			c.optionalMap(path+".input", step)
			c.stringOrBool(path+".if", step)
			c.permissionTags(path, step)
		}
	}

	if decorators, ok := c.optionalList("spec.EXPERIMENTAL_formDecorators", spec); ok {
		for i, item := range decorators {
			path := indexPath("spec.EXPERIMENTAL_formDecorators", i)
			d, ok := item.(map[string]any)
			if !ok {
				c.fail(path, "must be a mapping, got %s", describeValue(item))
				continue
			}
			c.optionalString(path+".id", d, false)
			c.optionalMap(path+".input", d)
		}
	}

	output, ok := c.optionalMap("spec.output", spec)
	if !ok {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(output)) {
		path := fieldPath("spec.output", k)
		switch k {
		case "links", "text":
			items, ok := c.optionalList(path, output)
			if !ok {
				continue
			}
			for i, item := range items {
				itemPath := indexPath(path, i)
				m, ok := item.(map[string]any)
				if !ok {
					c.fail(itemPath, "must be a mapping, got %s", describeValue(item))
					continue
				}
				c.stringOrBool(itemPath+".if", m)
				fields := []string{"title", "icon"}
				if k == "links" {
					fields = append(fields, "url", "entityRef")
				}
				for _, f := range fields {
					c.optionalString(itemPath+"."+f, m, true)
				}
				if k == "text" {
					c.optionalString(itemPath+".content", m, false)
				}
			}
		default:
			// Any other output is a template string. Keys may contain dots,
			// so the value is looked up directly rather than by path.
			if _, ok := output[k].(string); !ok {
				c.fail(path, "must be a string, got %s", describeValue(output[k]))
			}
		}
	}
}

// permissionTags checks an optional "backstage:permissions" mapping whose
// tags are a list of strings.
func (c *entityChecker) permissionTags(path string, m map[string]any) {
	perms, ok := m["backstage:permissions"]
	if !ok {
		return
	}
	path += ".backstage:permissions"
	pm, ok := perms.(map[string]any)
	if !ok {
		c.fail(path, "must be a mapping, got %s", describeValue(perms))
		return
	}
	tags, ok := c.optionalList(path+".tags", pm)
	if !ok {
		return
	}
	for i, t := range tags {
		if _, ok := t.(string); !ok {
			c.fail(indexPath(path+".tags", i), "must be a string, got %s", describeValue(t))
		}
	}
}

// stringOrBool checks an optional field that is a template expression or a
// boolean, like a step's "if".
func (c *entityChecker) stringOrBool(path string, m map[string]any) {
	raw, ok := m[lastSegment(path)]
	if !ok {
		return
	}
	switch raw.(type) {
	case string, bool:
	default:
		c.fail(path, "must be a string or a boolean, got %s", describeValue(raw))
	}
}
