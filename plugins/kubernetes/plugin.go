// Package kubernetes is the Kubernetes plugin: it watches clusters and keeps
// a live, normalized inventory of their environments (labelled namespaces),
// databases (the custom resources of the operators in operators.All) and
// the workloads of catalog components, and it feeds that picture into the
// catalog as a provider.
//
// Every cluster gets its own informers (watch.go) whose transforms keep only
// what the inventory reads (cache.go). Event handlers update the inventory
// (inventory.go), which notifies subscribers and marks the catalog entities
// to rewrite; a writer sends them as batched delta mutations, and a full
// mutation after each (re)sync (writer.go). Reads never call an API server.
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
	"github.com/pont-dev/pont/plugins/kubernetes/provision"
)

// Annotations Pont reads on custom resources, and writes on the entities
// it makes.
const (
	// AnnotationDependencyOf on a custom resource lists the entity refs
	// (comma-separated; kind component by default) that depend on it.
	AnnotationDependencyOf = "pont.dev/dependency-of"
	// AnnotationStale marks an entity whose cluster does not answer: what
	// it says is the last thing Pont saw.
	AnnotationStale = "pont.dev/stale"
	// AnnotationCluster and friends say where an entity comes from.
	AnnotationCluster   = "pont.dev/kubernetes-cluster"
	AnnotationNamespace = "pont.dev/kubernetes-namespace"
	AnnotationObject    = "pont.dev/kubernetes-object"
)

// Options configure the plugin.
type Options struct {
	Config config.Kubernetes
	// Store receives the plugin's entities; nil keeps the inventory in
	// memory only.
	Store catalog.Store
	Log   *slog.Logger
	// Kinds overrides the operator kinds watched (default operators.All()).
	Kinds []operators.Kind
}

// Plugin watches the clusters. It implements plugins.Inventory.
type Plugin struct {
	cfg   config.Kubernetes
	store catalog.Store
	log   *slog.Logger
	kinds []operators.Kind

	// the labels and annotations the transforms keep
	namespaceLabels, namespaceAnnotations []string
	objectLabels, objectAnnotations       []string

	inv    *inventory
	writer *writer

	mu       sync.Mutex
	ctx      context.Context
	watches  map[string]*clusterWatch
	resolver *componentResolver
}

var _ plugins.Inventory = (*Plugin)(nil)

// New builds the plugin; Start begins watching.
func New(opts Options) (*Plugin, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Kinds == nil {
		opts.Kinds = operators.All()
	}
	cfg := opts.Config
	def := config.Default().Kubernetes
	if cfg.EntityNamespace == "" {
		cfg.EntityNamespace = def.EntityNamespace
	}
	if cfg.Owner == "" {
		cfg.Owner = def.Owner
	}
	if cfg.Labels == (config.KubernetesLabels{}) {
		cfg.Labels = def.Labels
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = def.RequestTimeout
	}
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = def.ProbeInterval
	}
	if cfg.ResyncInterval <= 0 {
		cfg.ResyncInterval = def.ResyncInterval
	}
	if cfg.BatchInterval <= 0 {
		cfg.BatchInterval = def.BatchInterval
	}
	if groupRef(cfg.Owner) == "" {
		return nil, fmt.Errorf("kubernetes.owner: %q is not a group ref", cfg.Owner)
	}
	if err := provision.TemplateFrom(cfg.EnvironmentTemplate, cfg.Labels, cfg.Impersonation.Group).Check(); err != nil {
		return nil, fmt.Errorf("kubernetes.environmentTemplate: %w", err)
	}
	l := cfg.Labels
	p := &Plugin{
		cfg: cfg, store: opts.Store, log: opts.Log, kinds: opts.Kinds,
		namespaceLabels:      []string{l.Environment, l.Owner, l.System, l.Component},
		namespaceAnnotations: []string{l.Owner, l.System, provision.AnnotationExpiresAt, provision.AnnotationExpirySetBy, provision.AnnotationCreatedBy},
		objectLabels:         []string{l.Owner, l.Component},
		objectAnnotations:    []string{l.Owner, AnnotationDependencyOf},
		watches:              map[string]*clusterWatch{},
	}
	p.resolver = newComponentResolver(opts.Store, l.Component)
	p.inv = newInventory(p)
	p.writer = newWriter(p)
	return p, nil
}

// Start connects the configured clusters (and, when configured, those of
// Argo CD cluster Secrets) and runs until ctx ends. A cluster that cannot
// be reached is retried; only a configuration that cannot be read fails.
func (p *Plugin) Start(ctx context.Context) error {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	var errs []error
	configs := map[string]*rest.Config{}
	for i, cl := range p.cfg.Clusters {
		rc, err := restConfigFor(cl)
		if err != nil {
			errs = append(errs, fmt.Errorf("kubernetes.clusters[%d] (%s): %w", i, cl.Name, err))
			continue
		}
		configs[cl.Name] = rc
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if p.store != nil {
		go p.writer.run(ctx)
	}
	for _, cl := range p.cfg.Clusters {
		owner := cl.Owner
		if owner == "" {
			owner = p.cfg.Owner
		}
		p.AddCluster(cl.Name, configs[cl.Name], "config", owner)
	}
	if p.cfg.ArgoCD.Namespace != "" {
		home := p.cfg.ArgoCD.Cluster
		if home == "" {
			home = p.cfg.Clusters[0].Name
		}
		go p.watchArgoCD(ctx, configs[home])
	}
	return nil
}

// AddCluster starts watching a cluster (replacing a watch of the same name).
func (p *Plugin) AddCluster(name string, rc *rest.Config, source, owner string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx == nil {
		p.ctx = context.Background()
	}
	if old := p.watches[name]; old != nil {
		old.stop()
	}
	w := newClusterWatch(p, name, rc, source, groupRef(owner))
	p.watches[name] = w
	p.inv.addCluster(w)
	go w.run(p.ctx)
}

// RemoveCluster stops watching a cluster and forgets it; its entities leave
// the catalog.
func (p *Plugin) RemoveCluster(name string) {
	p.mu.Lock()
	w := p.watches[name]
	delete(p.watches, name)
	p.mu.Unlock()
	if w == nil {
		return
	}
	w.stop()
	p.inv.removeCluster(name)
}

func (p *Plugin) watch(name string) *clusterWatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.watches[name]
}

func (p *Plugin) allWatches() []*clusterWatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*clusterWatch, 0, len(p.watches))
	for _, w := range p.watches {
		out = append(out, w)
	}
	return out
}

// WaitSynced blocks until every cluster watched has synced its informers
// once and its picture is in the catalog (when there is a store), or ctx
// ends.
func (p *Plugin) WaitSynced(ctx context.Context) error {
	for _, w := range p.allWatches() {
		select {
		case <-w.written:
		case <-ctx.Done():
			return fmt.Errorf("cluster %s not synced: %w", w.name, ctx.Err())
		}
	}
	return nil
}

// Inventory reads, served from memory.

// Clusters lists the clusters, by name.
func (p *Plugin) Clusters() []plugins.Cluster { return p.inv.clusters() }

// Environments lists the environments matching f.
func (p *Plugin) Environments(f plugins.EnvironmentFilter) []plugins.Environment {
	return p.inv.environments(f)
}

// Databases lists the databases matching f.
func (p *Plugin) Databases(f plugins.DatabaseFilter) []plugins.Database { return p.inv.databases(f) }

// Workloads lists the workloads labelled with a component's kubernetes id.
func (p *Plugin) Workloads(id string) []plugins.Workload {
	var out []plugins.Workload
	for _, w := range p.allWatches() {
		out = append(out, w.workloads(id)...)
	}
	sortWorkloads(out)
	return out
}

// Subscribe delivers inventory changes until ctx ends.
func (p *Plugin) Subscribe(ctx context.Context, buffer int) <-chan plugins.InventoryEvent {
	return p.inv.subscribe(ctx, buffer)
}
