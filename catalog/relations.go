package catalog

import "strings"

// The relation types Backstage emits for its builtin kinds.
const (
	RelationOwnedBy       = "ownedBy"
	RelationOwnerOf       = "ownerOf"
	RelationPartOf        = "partOf"
	RelationHasPart       = "hasPart"
	RelationProvidesAPI   = "providesApi"
	RelationAPIProvidedBy = "apiProvidedBy"
	RelationConsumesAPI   = "consumesApi"
	RelationAPIConsumedBy = "apiConsumedBy"
	RelationDependsOn     = "dependsOn"
	RelationDependencyOf  = "dependencyOf"
	RelationMemberOf      = "memberOf"
	RelationHasMember     = "hasMember"
	RelationParentOf      = "parentOf"
	RelationChildOf       = "childOf"
)

// relationRule says which relation pair a reference field of a kind emits:
// Forward from the entity to the target, Reverse from the target back.
type relationRule struct {
	Field       string // spec key
	DefaultKind string // kind implied when the reference names none; "" = the reference must name one
	Forward     string
	Reverse     string
}

// relationRules follow Backstage's BuiltinKindsEntityProcessor (and the
// scaffolder's processor for Template), keyed by lower-cased kind.
var relationRules = map[string][]relationRule{
	"component": {
		{"owner", "Group", RelationOwnedBy, RelationOwnerOf},
		{"subcomponentOf", "Component", RelationPartOf, RelationHasPart},
		{"providesApis", "API", RelationProvidesAPI, RelationAPIProvidedBy},
		{"consumesApis", "API", RelationConsumesAPI, RelationAPIConsumedBy},
		{"dependsOn", "", RelationDependsOn, RelationDependencyOf},
		{"dependencyOf", "", RelationDependencyOf, RelationDependsOn},
		{"system", "System", RelationPartOf, RelationHasPart},
	},
	"api": {
		{"owner", "Group", RelationOwnedBy, RelationOwnerOf},
		{"system", "System", RelationPartOf, RelationHasPart},
	},
	"resource": {
		{"owner", "Group", RelationOwnedBy, RelationOwnerOf},
		{"dependsOn", "", RelationDependsOn, RelationDependencyOf},
		{"dependencyOf", "", RelationDependencyOf, RelationDependsOn},
		{"system", "System", RelationPartOf, RelationHasPart},
	},
	"system": {
		{"owner", "Group", RelationOwnedBy, RelationOwnerOf},
		{"domain", "Domain", RelationPartOf, RelationHasPart},
	},
	"domain": {
		{"owner", "Group", RelationOwnedBy, RelationOwnerOf},
		{"subdomainOf", "Domain", RelationPartOf, RelationHasPart},
	},
	"group": {
		{"parent", "Group", RelationChildOf, RelationParentOf},
		{"children", "Group", RelationParentOf, RelationChildOf},
		{"members", "User", RelationHasMember, RelationMemberOf},
	},
	"user": {
		{"memberOf", "Group", RelationMemberOf, RelationHasMember},
	},
	"template": {
		{"owner", "Group", RelationOwnedBy, RelationOwnerOf},
	},
}

// RelationRow is one stored relation: Type from the entity SourceKey to
// TargetRef. Relations of an entity are the rows whose SourceKey is its ref.
type RelationRow struct {
	SourceKey string
	Type      string
	TargetRef string
	TargetKey string
}

// Relations computes the relations an entity's descriptor emits, in both
// directions, as Backstage does: for every reference in a relation field,
// the forward relation from the entity and the reverse one from the target.
// References that do not parse are skipped here; the validator reports them.
func Relations(e *Entity) []RelationRow {
	rules := relationRules[strings.ToLower(e.Kind)]
	if len(rules) == 0 {
		return nil
	}
	self := e.Ref()
	selfRef, selfKey := self.String(), self.Key()
	var rows []RelationRow
	seen := make(map[RelationRow]bool)
	add := func(r RelationRow) {
		if !seen[r] {
			seen[r] = true
			rows = append(rows, r)
		}
	}
	for _, rule := range rules {
		for _, s := range refStrings(e.Spec[rule.Field]) {
			target, err := ParseRef(s, RefDefaults{Kind: rule.DefaultKind, Namespace: self.Namespace})
			if err != nil {
				continue
			}
			targetRef, targetKey := target.String(), target.Key()
			add(RelationRow{SourceKey: selfKey, Type: rule.Forward, TargetRef: targetRef, TargetKey: targetKey})
			add(RelationRow{SourceKey: targetKey, Type: rule.Reverse, TargetRef: selfRef, TargetKey: selfKey})
		}
	}
	return rows
}

// refStrings reads a reference field that holds one reference or a list.
func refStrings(v any) []string {
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil
		}
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return t
	}
	return nil
}
