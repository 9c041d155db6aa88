package kubernetes

import (
	"strconv"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/plugins"
)

// The catalog entities of the inventory. All are kind Resource, so the
// Backstage catalog client, Backstage's own UI and every filter already
// know them; spec.type tells them apart: kubernetes-cluster, environment,
// database. The relations are Backstage's: a database dependsOn its
// environment, which dependsOn its cluster; each is ownedBy its owner;
// components that use a database or environment are dependencyOf it (so
// the component dependsOn it).
const (
	TypeCluster     = "kubernetes-cluster"
	TypeEnvironment = "environment"
	TypeDatabase    = "database"
)

func (p *Plugin) newEntity(ref string, title, description string) *catalog.Entity {
	r, _ := catalog.ParseRef(ref, catalog.RefDefaults{})
	return &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       "Resource",
		Metadata: catalog.Metadata{
			Name: r.Name, Namespace: r.Namespace, Title: title, Description: description,
			Labels: map[string]string{}, Annotations: map[string]string{},
		},
		Spec: map[string]any{},
	}
}

func markStale(e *catalog.Entity, stale bool) {
	if stale {
		e.Metadata.Annotations[AnnotationStale] = "true"
	}
}

func (p *Plugin) clusterEntity(c plugins.Cluster, owner string) *catalog.Entity {
	e := p.newEntity(c.EntityRef, c.Name, "Kubernetes cluster "+c.Name+" at "+c.Server)
	e.Metadata.Annotations[AnnotationCluster] = c.Name
	e.Metadata.Labels["pont.dev/reachable"] = strconv.FormatBool(c.Reachable)
	e.Metadata.Tags = []string{"kubernetes"}
	markStale(e, !c.Reachable)
	spec := e.Spec
	spec["type"] = TypeCluster
	spec["owner"] = owner
	spec["server"] = c.Server
	spec["source"] = c.Source
	spec["reachable"] = c.Reachable
	if c.Version != "" {
		spec["version"] = c.Version
	}
	if c.LastSyncAt != nil {
		spec["lastSyncAt"] = c.LastSyncAt.UTC().Format(time.RFC3339)
	}
	if c.Error != "" {
		spec["error"] = c.Error
	}
	if len(c.Kinds) > 0 {
		spec["databaseKinds"] = c.Kinds
	}
	return e
}

func (p *Plugin) environmentEntity(env *plugins.Environment, clusterRef string) *catalog.Entity {
	e := p.newEntity(env.EntityRef, env.Name+" ("+env.Namespace+" on "+env.Cluster+")",
		"Environment "+env.Name+": namespace "+env.Namespace+" on cluster "+env.Cluster)
	e.Metadata.Annotations[AnnotationCluster] = env.Cluster
	e.Metadata.Annotations[AnnotationNamespace] = env.Namespace
	e.Metadata.Labels["pont.dev/environment"] = env.Name
	e.Metadata.Tags = []string{"kubernetes", "environment"}
	markStale(e, env.Stale)
	spec := e.Spec
	spec["type"] = TypeEnvironment
	spec["owner"] = env.Owner
	if env.System != "" {
		spec["system"] = env.System
	}
	spec["dependsOn"] = []any{clusterRef}
	if len(env.Components) > 0 {
		spec["dependencyOf"] = toAny(env.Components)
	}
	spec["cluster"] = env.Cluster
	spec["namespace"] = env.Namespace
	spec["environment"] = env.Name
	spec["phase"] = env.Phase
	if env.ExpiresAt != nil {
		spec["expiresAt"] = env.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if len(env.Quota) > 0 {
		q := make([]any, len(env.Quota))
		for i, item := range env.Quota {
			q[i] = map[string]any{"resource": item.Resource, "hard": item.Hard, "used": item.Used}
		}
		spec["quota"] = q
	}
	return e
}

func (p *Plugin) databaseEntity(db *plugins.Database, clusterRef, system string) *catalog.Entity {
	e := p.newEntity(db.EntityRef, db.Name, db.Operator+" "+db.Kind+" "+db.Namespace+"/"+db.Name+" on cluster "+db.Cluster)
	e.Metadata.Annotations[AnnotationCluster] = db.Cluster
	e.Metadata.Annotations[AnnotationNamespace] = db.Namespace
	e.Metadata.Annotations[AnnotationObject] = db.Kind + "." + db.Group + "/" + db.Name
	e.Metadata.Labels["pont.dev/health"] = string(db.Health)
	e.Metadata.Tags = []string{"database"}
	if t := sanitizeTag(db.Engine); t != "" && t != "database" {
		e.Metadata.Tags = append(e.Metadata.Tags, t)
	}
	markStale(e, db.Stale)
	spec := e.Spec
	spec["type"] = TypeDatabase
	spec["owner"] = db.Owner
	if system != "" {
		spec["system"] = system
	}
	if db.Environment != "" {
		spec["dependsOn"] = []any{db.Environment}
	} else {
		spec["dependsOn"] = []any{clusterRef}
	}
	if len(db.Dependents) > 0 {
		spec["dependencyOf"] = toAny(db.Dependents)
	}
	spec["cluster"] = db.Cluster
	spec["namespace"] = db.Namespace
	spec["operator"] = db.Operator
	spec["kubernetesKind"] = db.Kind + "." + db.Group
	spec["engine"] = db.Engine
	spec["health"] = string(db.Health)
	setNonEmpty(spec, "version", db.Version)
	setNonEmpty(spec, "storage", db.Storage)
	setNonEmpty(spec, "phase", db.Phase)
	setNonEmpty(spec, "message", db.Message)
	setNonEmpty(spec, "endpoint", db.Endpoint)
	setNonEmpty(spec, "parent", db.Parent)
	inst := map[string]any{}
	if db.DesiredInstances != nil {
		inst["desired"] = *db.DesiredInstances
	}
	if db.ReadyInstances != nil {
		inst["ready"] = *db.ReadyInstances
	}
	if len(inst) > 0 {
		spec["instances"] = inst
	}
	if len(db.Services) > 0 {
		spec["services"] = toAny(db.Services)
	}
	if len(db.Secrets) > 0 {
		spec["secretNames"] = toAny(db.Secrets)
	}
	return e
}

func setNonEmpty(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sanitizeTag makes a tag of an engine name: [a-z0-9+#] separated by '-'.
func sanitizeTag(s string) string {
	var b []byte
	for i := 0; i < len(s) && len(b) < 63; i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '#':
			b = append(b, c)
		default:
			if len(b) > 0 && b[len(b)-1] != '-' {
				b = append(b, '-')
			}
		}
	}
	for len(b) > 0 && b[len(b)-1] == '-' {
		b = b[:len(b)-1]
	}
	return string(b)
}
