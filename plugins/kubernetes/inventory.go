package kubernetes

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
	"github.com/pont-dev/pont/plugins/kubernetes/provision"
)

// inventory is the live picture: what the informers hold, joined
// (a database's owner comes from its environment, whose owner comes from
// its namespace's labels) and normalized. Informer handlers write it; API
// reads copy out of it.
type inventory struct {
	p *Plugin

	mu    sync.RWMutex
	state map[string]*clusterState // by cluster name

	subMu sync.Mutex
	subs  map[*subscriber]struct{}
}

// clusterState is what the inventory holds of one cluster.
type clusterState struct {
	info  plugins.Cluster
	owner string // group ref

	namespaces map[string]*metav1.PartialObjectMetadata    // environment namespaces, by name
	quotas     map[string]map[string]*corev1.ResourceQuota // by namespace, then name
	raw        map[string]*cachedDatabase                  // by databaseKey
	rawKind    map[string]operators.Kind                   // by databaseKey
	byNS       map[string]map[string]struct{}              // database keys by namespace
	envs       map[string]*plugins.Environment             // by namespace
	dbs        map[string]*plugins.Database                // by databaseKey
}

type subscriber struct {
	ch       chan plugins.InventoryEvent
	overflow bool
}

func newInventory(p *Plugin) *inventory {
	return &inventory{p: p, state: map[string]*clusterState{}, subs: map[*subscriber]struct{}{}}
}

func databaseKey(group, kind, namespace, name string) string {
	return namespace + "/" + group + "/" + kind + "/" + name
}

func (inv *inventory) addCluster(w *clusterWatch) {
	inv.mu.Lock()
	cs := &clusterState{
		info: plugins.Cluster{
			Name: w.name, Server: w.rc.Host, Source: w.source,
			EntityRef: inv.p.clusterRef(w.name).String(), Error: "connecting",
		},
		owner:      w.owner,
		namespaces: map[string]*metav1.PartialObjectMetadata{},
		quotas:     map[string]map[string]*corev1.ResourceQuota{},
		raw:        map[string]*cachedDatabase{},
		rawKind:    map[string]operators.Kind{},
		byNS:       map[string]map[string]struct{}{},
		envs:       map[string]*plugins.Environment{},
		dbs:        map[string]*plugins.Database{},
	}
	inv.state[w.name] = cs
	info := cs.info
	inv.mu.Unlock()
	inv.p.writer.markCluster(w.name)
	inv.publish(plugins.InventoryEvent{Type: plugins.EventCluster, Cluster: &info})
}

func (inv *inventory) removeCluster(name string) {
	inv.mu.Lock()
	cs := inv.state[name]
	delete(inv.state, name)
	inv.mu.Unlock()
	if cs == nil {
		return
	}
	inv.p.writer.forget(name)
	info := cs.info
	inv.publish(plugins.InventoryEvent{Type: plugins.EventCluster, Cluster: &info, Removed: true})
}

// updateCluster changes a cluster's state; a change of reachability
// re-derives (and so re-flags as stale or not) everything on it.
func (inv *inventory) updateCluster(name string, change func(c *plugins.Cluster)) {
	inv.mu.Lock()
	cs := inv.state[name]
	if cs == nil {
		inv.mu.Unlock()
		return
	}
	before := cs.info
	change(&cs.info)
	after := cs.info
	var events []plugins.InventoryEvent
	if !reflect.DeepEqual(before, after) {
		events = append(events, plugins.InventoryEvent{Type: plugins.EventCluster, Cluster: &after})
		inv.p.writer.markCluster(name)
	}
	if before.Reachable != after.Reachable {
		events = append(events, inv.deriveAll(name, cs)...)
	}
	inv.mu.Unlock()
	inv.publish(events...)
}

// synced says whether the cluster is known, and has synced once.
func (inv *inventory) synced(cluster string) (known, synced bool) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	cs := inv.state[cluster]
	return cs != nil, cs != nil && cs.info.LastSyncAt != nil
}

// rederive recomputes every environment and database of a cluster.
func (inv *inventory) rederive(cluster string) {
	inv.mu.Lock()
	cs := inv.state[cluster]
	if cs == nil {
		inv.mu.Unlock()
		return
	}
	events := inv.deriveAll(cluster, cs)
	inv.mu.Unlock()
	inv.publish(events...)
}

// deriveAll recomputes every environment, then every database (which
// read their environment). Call with mu held.
func (inv *inventory) deriveAll(cluster string, cs *clusterState) []plugins.InventoryEvent {
	var events []plugins.InventoryEvent
	for ns := range cs.namespaces {
		events = append(events, inv.deriveEnv(cluster, cs, ns)...)
	}
	for key := range cs.raw {
		events = append(events, inv.deriveDB(cluster, cs, key)...)
	}
	return events
}

// Handlers of informer events. Each updates the raw state, re-derives what
// depends on it and publishes what changed.

func (inv *inventory) setNamespace(cluster string, ns *metav1.PartialObjectMetadata, deleted bool) {
	inv.mu.Lock()
	cs := inv.state[cluster]
	if cs == nil {
		inv.mu.Unlock()
		return
	}
	if deleted {
		delete(cs.namespaces, ns.Name)
	} else {
		cs.namespaces[ns.Name] = ns
	}
	events := inv.deriveEnv(cluster, cs, ns.Name)
	for key := range cs.byNS[ns.Name] {
		events = append(events, inv.deriveDB(cluster, cs, key)...)
	}
	inv.mu.Unlock()
	inv.publish(events...)
}

func (inv *inventory) setQuota(cluster string, q *corev1.ResourceQuota, deleted bool) {
	inv.mu.Lock()
	cs := inv.state[cluster]
	if cs == nil {
		inv.mu.Unlock()
		return
	}
	if deleted {
		delete(cs.quotas[q.Namespace], q.Name)
	} else {
		if cs.quotas[q.Namespace] == nil {
			cs.quotas[q.Namespace] = map[string]*corev1.ResourceQuota{}
		}
		cs.quotas[q.Namespace][q.Name] = q
	}
	events := inv.deriveEnv(cluster, cs, q.Namespace)
	inv.mu.Unlock()
	inv.publish(events...)
}

func (inv *inventory) setDatabase(cluster string, k operators.Kind, db *cachedDatabase, deleted bool) {
	key := databaseKey(k.Group, k.Kind, db.Namespace, db.Name)
	inv.mu.Lock()
	cs := inv.state[cluster]
	if cs == nil {
		inv.mu.Unlock()
		return
	}
	if deleted {
		delete(cs.raw, key)
		delete(cs.rawKind, key)
		if set := cs.byNS[db.Namespace]; set != nil {
			delete(set, key)
			if len(set) == 0 {
				delete(cs.byNS, db.Namespace)
			}
		}
	} else {
		cs.raw[key] = db
		cs.rawKind[key] = k
		if cs.byNS[db.Namespace] == nil {
			cs.byNS[db.Namespace] = map[string]struct{}{}
		}
		cs.byNS[db.Namespace][key] = struct{}{}
	}
	events := inv.deriveDB(cluster, cs, key)
	inv.mu.Unlock()
	inv.publish(events...)
}

// dropKind forgets every database of a kind whose CRD went away.
func (inv *inventory) dropKind(cluster string, k operators.Kind) {
	inv.mu.Lock()
	cs := inv.state[cluster]
	if cs == nil {
		inv.mu.Unlock()
		return
	}
	var events []plugins.InventoryEvent
	for key, kk := range cs.rawKind {
		if kk.Group == k.Group && kk.Kind == k.Kind {
			ns := cs.raw[key].Namespace
			delete(cs.raw, key)
			delete(cs.rawKind, key)
			delete(cs.byNS[ns], key)
			events = append(events, inv.deriveDB(cluster, cs, key)...)
		}
	}
	inv.mu.Unlock()
	inv.publish(events...)
}

// deriveEnv recomputes the environment of a namespace. Call with mu held.
func (inv *inventory) deriveEnv(cluster string, cs *clusterState, ns string) []plugins.InventoryEvent {
	p := inv.p
	old := cs.envs[ns]
	var env *plugins.Environment
	if m := cs.namespaces[ns]; m != nil && m.Labels[p.cfg.Labels.Environment] != "" {
		env = &plugins.Environment{
			Cluster: cluster, Namespace: ns, Name: m.Labels[p.cfg.Labels.Environment],
			Owner:     firstNonEmpty(groupRef(m.Annotations[p.cfg.Labels.Owner]), groupRef(m.Labels[p.cfg.Labels.Owner]), cs.owner),
			System:    systemRef(firstNonEmpty(m.Annotations[p.cfg.Labels.System], m.Labels[p.cfg.Labels.System])),
			Phase:     "Active",
			Labels:    m.Labels,
			CreatedAt: m.CreationTimestamp.Time,
			CreatedBy: m.Annotations[provision.AnnotationCreatedBy],
			ExpiresAt: expiresAt(m.Annotations),
			Stale:     !cs.info.Reachable,
			EntityRef: p.environmentRef(cluster, ns).String(),
		}
		if m.DeletionTimestamp != nil {
			env.Phase = "Terminating"
		}
		if id := m.Labels[p.cfg.Labels.Component]; id != "" {
			env.Components = p.resolver.components(id)
		}
		env.Quota = quotaItems(cs.quotas[ns])
	}
	switch {
	case env == nil && old == nil:
		return nil
	case env == nil:
		delete(cs.envs, ns)
		p.writer.mark(cluster, old.EntityRef)
		return []plugins.InventoryEvent{{Type: plugins.EventEnvironment, Environment: old, Removed: true}}
	case old != nil && reflect.DeepEqual(*old, *env):
		return nil
	}
	cs.envs[ns] = env
	p.writer.mark(cluster, env.EntityRef)
	cp := *env
	return []plugins.InventoryEvent{{Type: plugins.EventEnvironment, Environment: &cp}}
}

// deriveDB recomputes a database. Call with mu held.
func (inv *inventory) deriveDB(cluster string, cs *clusterState, key string) []plugins.InventoryEvent {
	p := inv.p
	old := cs.dbs[key]
	raw := cs.raw[key]
	if raw == nil {
		if old == nil {
			return nil
		}
		delete(cs.dbs, key)
		p.writer.mark(cluster, old.EntityRef)
		return []plugins.InventoryEvent{{Type: plugins.EventDatabase, Database: old, Removed: true}}
	}
	k := cs.rawKind[key]
	db := &plugins.Database{
		Cluster: cluster, Namespace: raw.Namespace, Name: raw.Name,
		Operator: k.Operator, Kind: k.Kind, Group: k.Group,
		DatabaseState: raw.State,
		Stale:         !cs.info.Reachable,
		CreatedAt:     raw.CreationTimestamp.Time,
		EntityRef:     p.databaseRef(cluster, raw.Namespace, k.Kind, raw.Name).String(),
	}
	env := cs.envs[raw.Namespace]
	if env != nil {
		db.Environment = env.EntityRef
	}
	envOwner := cs.owner
	if env != nil {
		envOwner = env.Owner
	}
	db.Owner = firstNonEmpty(groupRef(raw.Annotations[p.cfg.Labels.Owner]), groupRef(raw.Labels[p.cfg.Labels.Owner]), envOwner)
	var deps []string
	if id := raw.Labels[p.cfg.Labels.Component]; id != "" {
		deps = append(deps, p.resolver.components(id)...)
	}
	for _, s := range strings.Split(raw.Annotations[AnnotationDependencyOf], ",") {
		if r := componentRef(strings.TrimSpace(s)); r != "" {
			deps = append(deps, r)
		}
	}
	slices.Sort(deps)
	db.Dependents = slices.Compact(deps)
	if old != nil {
		db.UpdatedAt = old.UpdatedAt
		if sameDatabase(old, db) {
			return nil
		}
	}
	db.UpdatedAt = time.Now()
	cs.dbs[key] = db
	p.writer.mark(cluster, db.EntityRef)
	cp := *db
	return []plugins.InventoryEvent{{Type: plugins.EventDatabase, Database: &cp}}
}

func sameDatabase(a, b *plugins.Database) bool {
	x, y := *a, *b
	x.UpdatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

func quotaItems(qs map[string]*corev1.ResourceQuota) []plugins.QuotaItem {
	var out []plugins.QuotaItem
	for _, q := range qs {
		hards := q.Status.Hard
		if len(hards) == 0 {
			hards = q.Spec.Hard
		}
		for res, hard := range hards {
			item := plugins.QuotaItem{Resource: string(res), Hard: hard.String()}
			if used, ok := q.Status.Used[res]; ok {
				item.Used = used.String()
			}
			out = append(out, item)
		}
	}
	slices.SortFunc(out, func(a, b plugins.QuotaItem) int { return cmp.Compare(a.Resource, b.Resource) })
	return out
}

// Reads.

func (inv *inventory) clusters() []plugins.Cluster {
	inv.mu.RLock()
	out := make([]plugins.Cluster, 0, len(inv.state))
	for _, cs := range inv.state {
		c := cs.info
		c.Kinds = slices.Clone(c.Kinds)
		out = append(out, c)
	}
	inv.mu.RUnlock()
	slices.SortFunc(out, func(a, b plugins.Cluster) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func (inv *inventory) environments(f plugins.EnvironmentFilter) []plugins.Environment {
	inv.mu.RLock()
	var out []plugins.Environment
	for name, cs := range inv.state {
		if f.Cluster != "" && f.Cluster != name {
			continue
		}
		for _, e := range cs.envs {
			if (f.Owner != "" && !strings.EqualFold(f.Owner, e.Owner)) ||
				(f.Component != "" && !containsFold(e.Components, f.Component)) {
				continue
			}
			out = append(out, *e)
		}
	}
	inv.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cluster != out[j].Cluster {
			return out[i].Cluster < out[j].Cluster
		}
		return out[i].Namespace < out[j].Namespace
	})
	return out
}

func (inv *inventory) databases(f plugins.DatabaseFilter) []plugins.Database {
	inv.mu.RLock()
	var out []plugins.Database
	for name, cs := range inv.state {
		if f.Cluster != "" && f.Cluster != name {
			continue
		}
		for _, d := range cs.dbs {
			if (f.Owner != "" && !strings.EqualFold(f.Owner, d.Owner)) ||
				(f.Engine != "" && !strings.EqualFold(f.Engine, d.Engine)) ||
				(f.Health != "" && f.Health != d.Health) ||
				(f.Environment != "" && !strings.EqualFold(f.Environment, d.Environment)) ||
				(f.Component != "" && !usedBy(cs, d, f.Component)) {
				continue
			}
			out = append(out, *d)
		}
	}
	inv.mu.RUnlock()
	slices.SortFunc(out, func(a, b plugins.Database) int { return cmp.Compare(a.Key(), b.Key()) })
	return out
}

// Subscriptions.

func (inv *inventory) subscribe(ctx context.Context, buffer int) <-chan plugins.InventoryEvent {
	if buffer < 1 {
		buffer = 1
	}
	s := &subscriber{ch: make(chan plugins.InventoryEvent, buffer)}
	inv.subMu.Lock()
	inv.subs[s] = struct{}{}
	inv.subMu.Unlock()
	go func() {
		<-ctx.Done()
		inv.subMu.Lock()
		delete(inv.subs, s)
		close(s.ch)
		inv.subMu.Unlock()
	}()
	return s.ch
}

// publish hands events to every subscriber without ever blocking: one that
// is full loses them and is told so by an Overflow event once there is room.
func (inv *inventory) publish(events ...plugins.InventoryEvent) {
	if len(events) == 0 {
		return
	}
	inv.subMu.Lock()
	defer inv.subMu.Unlock()
	for s := range inv.subs {
		for _, e := range events {
			if s.overflow {
				select {
				case s.ch <- plugins.InventoryEvent{Overflow: true}:
					s.overflow = false
				default:
					continue
				}
			}
			select {
			case s.ch <- e:
			default:
				s.overflow = true
			}
		}
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// entities builds the catalog entities of a cluster whose refs pass want.
func (inv *inventory) entities(cluster string, want func(ref string) bool) []*catalog.Entity {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	cs := inv.state[cluster]
	if cs == nil {
		return nil
	}
	p := inv.p
	clusterRef := cs.info.EntityRef
	var out []*catalog.Entity
	if want(clusterRef) {
		out = append(out, p.clusterEntity(cs.info, cs.owner))
	}
	for _, env := range cs.envs {
		if want(env.EntityRef) {
			out = append(out, p.environmentEntity(env, clusterRef))
		}
	}
	for _, db := range cs.dbs {
		if want(db.EntityRef) {
			system := ""
			if env := cs.envs[db.Namespace]; env != nil {
				system = env.System
			}
			out = append(out, p.databaseEntity(db, clusterRef, system))
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// usedBy tells whether a component (ref) depends on a database, or is
// linked to its environment. Call with mu held.
func usedBy(cs *clusterState, d *plugins.Database, component string) bool {
	if containsFold(d.Dependents, component) {
		return true
	}
	env := cs.envs[d.Namespace]
	return env != nil && containsFold(env.Components, component)
}
