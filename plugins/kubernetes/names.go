package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/pont-dev/pont/catalog"
)

// Entity names must be 1-63 characters of [a-zA-Z0-9] separated by [-_.].
// Kubernetes names are DNS labels or subdomains already, so joining them
// with dots keeps them valid; only the length needs care.
const maxEntityName = 63

// entityName joins the parts with dots ("prod.team-a-dev.cluster.app"). A
// name longer than an entity name may be keeps its start and ends with a
// hash of the whole, so two long names never collide.
func entityName(parts ...string) string {
	for i, p := range parts {
		parts[i] = sanitizeName(p)
	}
	name := strings.Join(parts, ".")
	if len(name) <= maxEntityName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:5])
	head := strings.TrimRight(name[:maxEntityName-len(suffix)-1], "-_.")
	return head + "-" + suffix
}

// sanitizeName turns a cluster name from configuration or an Argo CD
// Secret (which may be anything: "in-cluster", "https://10.0.0.1",
// "Prod EU") into name characters.
func sanitizeName(s string) string {
	var b strings.Builder
	lastSep := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			lastSep = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
			lastSep = false
		case r == '-' || r == '.' || r == '_':
			if !lastSep {
				b.WriteRune(r)
				lastSep = true
			}
		default:
			if !lastSep {
				b.WriteByte('-')
				lastSep = true
			}
		}
	}
	out := strings.Trim(b.String(), "-_.")
	if out == "" {
		return "x"
	}
	return out
}

// refs of the entities the plugin makes.
func (p *Plugin) clusterRef(cluster string) catalog.Ref {
	return catalog.Ref{Kind: "Resource", Namespace: p.cfg.EntityNamespace, Name: entityName(cluster)}
}

func (p *Plugin) environmentRef(cluster, namespace string) catalog.Ref {
	return catalog.Ref{Kind: "Resource", Namespace: p.cfg.EntityNamespace, Name: entityName(cluster, namespace)}
}

func (p *Plugin) databaseRef(cluster, namespace, kind, name string) catalog.Ref {
	return catalog.Ref{Kind: "Resource", Namespace: p.cfg.EntityNamespace, Name: entityName(cluster, namespace, strings.ToLower(kind), name)}
}

// refOf reads a reference from a label, an annotation or the
// configuration, defaulting its kind; "" when it is not a valid reference.
// A label value cannot hold ':' or '/', so there it is a name in the
// default catalog namespace; an annotation may give a full ref
// (group:platform/dba).
func refOf(v, defaultKind string) string {
	if v == "" {
		return ""
	}
	r, err := catalog.ParseRef(v, catalog.RefDefaults{Kind: defaultKind, Namespace: catalog.DefaultNamespace})
	if err != nil || r.Check() != nil {
		return ""
	}
	return r.String()
}

func groupRef(v string) string     { return refOf(v, "group") }
func componentRef(v string) string { return refOf(v, "component") }
func systemRef(v string) string    { return refOf(v, "system") }
