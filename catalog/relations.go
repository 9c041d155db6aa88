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

// relationPair is the relation a reference field emits from the entity
// (Forward) and the one it emits back from the target (Reverse).
type relationPair struct{ Forward, Reverse string }

// relationPairs follow Backstage's BuiltinKindsEntityProcessor (and the
// scaffolder's processor for Template), keyed by lower-cased kind and spec
// field. Which fields hold references, and the kind each implies, is the
// validator's knowledge (RefFieldsOf).
var relationPairs = map[string]map[string]relationPair{
	"component": {
		"spec.owner":          {RelationOwnedBy, RelationOwnerOf},
		"spec.subcomponentOf": {RelationPartOf, RelationHasPart},
		"spec.providesApis":   {RelationProvidesAPI, RelationAPIProvidedBy},
		"spec.consumesApis":   {RelationConsumesAPI, RelationAPIConsumedBy},
		"spec.dependsOn":      {RelationDependsOn, RelationDependencyOf},
		"spec.dependencyOf":   {RelationDependencyOf, RelationDependsOn},
		"spec.system":         {RelationPartOf, RelationHasPart},
	},
	"api": {
		"spec.owner":  {RelationOwnedBy, RelationOwnerOf},
		"spec.system": {RelationPartOf, RelationHasPart},
	},
	"resource": {
		"spec.owner":        {RelationOwnedBy, RelationOwnerOf},
		"spec.dependsOn":    {RelationDependsOn, RelationDependencyOf},
		"spec.dependencyOf": {RelationDependencyOf, RelationDependsOn},
		"spec.system":       {RelationPartOf, RelationHasPart},
	},
	"system": {
		"spec.owner":  {RelationOwnedBy, RelationOwnerOf},
		"spec.domain": {RelationPartOf, RelationHasPart},
	},
	"domain": {
		"spec.owner":       {RelationOwnedBy, RelationOwnerOf},
		"spec.subdomainOf": {RelationPartOf, RelationHasPart},
	},
	"group": {
		"spec.parent":   {RelationChildOf, RelationParentOf},
		"spec.children": {RelationParentOf, RelationChildOf},
		"spec.members":  {RelationHasMember, RelationMemberOf},
	},
	"user": {
		"spec.memberOf": {RelationMemberOf, RelationHasMember},
	},
	"template": {
		"spec.owner": {RelationOwnedBy, RelationOwnerOf},
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
	pairs := relationPairs[strings.ToLower(e.Kind)]
	if len(pairs) == 0 {
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
	for _, field := range RefFieldsOf(e.Kind) {
		pair, ok := pairs[field.Path]
		if !ok {
			continue
		}
		for _, s := range refStrings(e.Spec[strings.TrimPrefix(field.Path, "spec.")]) {
			target, err := ParseRef(s, RefDefaults{Kind: field.DefaultKind, Namespace: self.Namespace})
			if err != nil {
				continue
			}
			targetRef, targetKey := target.String(), target.Key()
			add(RelationRow{SourceKey: selfKey, Type: pair.Forward, TargetRef: targetRef, TargetKey: targetKey})
			add(RelationRow{SourceKey: targetKey, Type: pair.Reverse, TargetRef: selfRef, TargetKey: selfKey})
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

// OwnersOf lists the owner ref keys of a stored entity: the targets of its
// ownedBy relations (spec.owner), lower-cased.
func OwnersOf(e *StoredEntity) []string {
	var owners []string
	for _, rel := range e.Relations {
		if rel.Type != "ownedBy" {
			continue
		}
		if ref, err := ParseRef(rel.TargetRef, RefDefaults{Kind: "group", Namespace: "default"}); err == nil {
			owners = append(owners, ref.Key())
		}
	}
	return owners
}
