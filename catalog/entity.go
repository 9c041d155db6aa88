// Package catalog holds Pont's service catalog: the Backstage descriptor model,
// its parser and validator, the relation rules, the processing engine that
// providers (locations, the Kubernetes plugin) feed, and the
// Backstage-compatible REST handlers.
package catalog

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// Entity is one catalog entity in Backstage's envelope. Spec and Status stay
// free-form because every kind (and every configured custom kind) shapes them
// differently; Metadata is typed because the catalog reads it everywhere.
type Entity struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   Metadata       `json:"metadata"`
	Spec       map[string]any `json:"spec,omitempty"`
	Relations  []Relation     `json:"relations,omitempty"`
	Status     map[string]any `json:"status,omitempty"`
}

// Metadata is the metadata block of an entity. Extra keeps keys Backstage
// allows but Pont does not interpret, so they round-trip unchanged.
type Metadata struct {
	UID         string            `json:"uid,omitempty"`
	Etag        string            `json:"etag,omitempty"`
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Links       []Link            `json:"links,omitempty"`
	Extra       map[string]any    `json:"-"`
}

// Link is one entry of metadata.links.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
	Icon  string `json:"icon,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Relation is a directed, typed edge from the entity that carries it.
type Relation struct {
	Type      string `json:"type"`
	TargetRef string `json:"targetRef"`
}

// metadataKnownKeys are the metadata keys with a typed field.
var metadataKnownKeys = map[string]bool{
	"uid": true, "etag": true, "name": true, "namespace": true, "title": true,
	"description": true, "labels": true, "annotations": true, "tags": true, "links": true,
}

// MarshalJSON writes the typed fields and Extra side by side.
func (m Metadata) MarshalJSON() ([]byte, error) {
	type plain Metadata
	b, err := json.Marshal(plain(m))
	if err != nil || len(m.Extra) == 0 {
		return b, err
	}
	merged := make(map[string]any, len(m.Extra)+8)
	for k, v := range m.Extra {
		if !metadataKnownKeys[k] {
			merged[k] = v
		}
	}
	if err := json.Unmarshal(b, &merged); err != nil {
		return nil, err
	}
	return json.Marshal(merged)
}

// UnmarshalJSON reads the typed fields and keeps every other key in Extra.
func (m *Metadata) UnmarshalJSON(b []byte) error {
	type plain Metadata
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, raw := range all {
		if metadataKnownKeys[k] {
			continue
		}
		if p.Extra == nil {
			p.Extra = map[string]any{}
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		p.Extra[k] = v
	}
	*m = Metadata(p)
	return nil
}

// NamespaceOrDefault is the entity's namespace, "default" when unset.
func (e *Entity) NamespaceOrDefault() string {
	if e.Metadata.Namespace == "" {
		return DefaultNamespace
	}
	return e.Metadata.Namespace
}

// Ref is the entity's own reference.
func (e *Entity) Ref() Ref {
	return Ref{Kind: e.Kind, Namespace: e.NamespaceOrDefault(), Name: e.Metadata.Name}
}

// Ref names an entity: kind, namespace and name.
type Ref struct {
	Kind      string
	Namespace string
	Name      string
}

// String formats the reference the way Backstage's stringifyEntityRef does:
// kind and namespace lower-cased, the name as written.
func (r Ref) String() string {
	return strings.ToLower(r.Kind) + ":" + strings.ToLower(r.Namespace) + "/" + r.Name
}

// Key is the case-insensitive identity of the reference, used for lookups
// and uniqueness (Backstage compares references case-insensitively).
func (r Ref) Key() string { return strings.ToLower(r.String()) }

// RefDefaults are the kind and namespace a reference field implies when the
// reference leaves them out (for example spec.owner implies kind Group and
// the namespace of the entity that holds it).
type RefDefaults struct {
	Kind      string
	Namespace string
}

// ParseRef parses "[kind:][namespace/]name", filling what is left out from
// the defaults. It fails when the kind is left out and no default is given,
// or when a part is empty.
func ParseRef(s string, d RefDefaults) (Ref, error) {
	var r Ref
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		r.Kind, rest = rest[:i], rest[i+1:]
		if r.Kind == "" {
			return Ref{}, fmt.Errorf("entity reference %q has an empty kind", s)
		}
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		r.Namespace, rest = rest[:i], rest[i+1:]
		if r.Namespace == "" {
			return Ref{}, fmt.Errorf("entity reference %q has an empty namespace", s)
		}
	}
	r.Name = rest
	if r.Name == "" {
		return Ref{}, fmt.Errorf("entity reference %q has an empty name", s)
	}
	if strings.ContainsAny(r.Name, ":/") {
		return Ref{}, fmt.Errorf("entity reference %q is not of the form [kind:][namespace/]name", s)
	}
	if r.Kind == "" {
		if d.Kind == "" {
			return Ref{}, fmt.Errorf("entity reference %q has no kind and the field implies none", s)
		}
		r.Kind = d.Kind
	}
	if r.Namespace == "" {
		r.Namespace = d.Namespace
		if r.Namespace == "" {
			r.Namespace = DefaultNamespace
		}
	}
	return r, nil
}
