package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
)

// clusterWatch watches one cluster: a probe that tells whether it answers,
// informers for namespaces, quotas, workloads and CRDs, and one informer per
// operator kind whose CRD the cluster serves, started and stopped as CRDs
// come and go.
type clusterWatch struct {
	p      *Plugin
	name   string
	source string
	owner  string
	rc     *rest.Config

	cancel  context.CancelFunc
	written chan struct{} // closed once the cluster's picture is in the catalog
	wonce   sync.Once
	probeCh chan struct{} // asks for a probe now (a watch failed)

	kube  kubernetes.Interface
	dyn   dynamic.Interface
	meta  metadata.Interface
	disco discovery.DiscoveryInterface

	mu        sync.Mutex
	crs       map[string]*crInformer // running operator informers, by resource.group
	wanted    map[string]bool        // operator CRDs present, by resource.group
	workloadI map[string]cache.SharedIndexInformer
	kindsCh   chan struct{}
}

// crInformer is the informer of one operator kind.
type crInformer struct {
	kind   operators.Kind
	cancel context.CancelFunc
	reg    cache.ResourceEventHandlerRegistration
}

const byComponent = "component"

func newClusterWatch(p *Plugin, name string, rc *rest.Config, source, owner string) *clusterWatch {
	return &clusterWatch{
		p: p, name: name, rc: rc, source: source, owner: owner,
		written: make(chan struct{}), probeCh: make(chan struct{}, 1), kindsCh: make(chan struct{}, 1),
		crs: map[string]*crInformer{}, wanted: map[string]bool{},
	}
}

func (w *clusterWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil {
		w.cancel()
	}
}

// clients builds the clients. Lists, gets and discovery carry the request
// timeout (a frozen API server must not hold them); watches cannot (they
// last minutes), so a silent watch is caught by the probe and by HTTP/2
// pings instead.
func (w *clusterWatch) clients() error {
	rc := rest.CopyConfig(w.rc)
	rc.UserAgent = "pont"
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100
	}
	var err error
	if w.kube, err = kubernetes.NewForConfig(rc); err != nil {
		return err
	}
	if w.dyn, err = dynamic.NewForConfig(rc); err != nil {
		return err
	}
	if w.meta, err = metadata.NewForConfig(rc); err != nil {
		return err
	}
	timed := rest.CopyConfig(rc)
	timed.Timeout = w.p.cfg.RequestTimeout
	w.disco, err = discovery.NewDiscoveryClientForConfig(timed)
	return err
}

// run watches until ctx ends.
func (w *clusterWatch) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	defer cancel()
	if err := w.clients(); err != nil {
		w.p.inv.updateCluster(w.name, func(c *plugins.Cluster) { c.Error = "client: " + err.Error() })
		w.p.log.Error("kubernetes cluster unusable", "cluster", w.name, "err", err)
		return
	}
	go w.probeLoop(ctx)

	regs := w.startBase(ctx)
	if !w.waitSynced(ctx, regs) {
		return
	}
	w.reconcileKinds(ctx)
	go w.kindsLoop(ctx)
	if !w.waitSynced(ctx, w.crRegs()) {
		return
	}
	w.synced()

	tick := time.NewTicker(w.p.cfg.ResyncInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// Links to components may have changed in the catalog
			// (a component newly annotated): look them up again.
			w.p.resolver.forget()
			w.p.inv.rederive(w.name)
			w.p.writer.requestFull(w.name)
		}
	}
}

// synced records a complete picture and asks for a full write.
func (w *clusterWatch) synced() {
	now := time.Now()
	w.p.inv.updateCluster(w.name, func(c *plugins.Cluster) { c.LastSyncAt = &now })
	w.p.writer.requestFull(w.name)
	w.p.log.Info("kubernetes cluster synced", "cluster", w.name)
}

func (w *clusterWatch) markWritten() { w.wonce.Do(func() { close(w.written) }) }

// waitSynced waits until every registration has its initial objects.
func (w *clusterWatch) waitSynced(ctx context.Context, regs []cache.ResourceEventHandlerRegistration) bool {
	for {
		done := true
		for _, r := range regs {
			if !r.HasSynced() {
				done = false
				break
			}
		}
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// listWatch lists with the request timeout and watches without one.
func (w *clusterWatch) listWatch(list func(context.Context, metav1.ListOptions) (runtime.Object, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error)) *cache.ListWatch {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			ctx, cancel := context.WithTimeout(ctx, w.p.cfg.RequestTimeout)
			defer cancel()
			return list(ctx, o)
		},
		WatchFuncWithContext: watchFn,
	}
}

// informer runs one informer with a transform and handlers.
func (w *clusterWatch) informer(ctx context.Context, lw *cache.ListWatch, example runtime.Object, indexers cache.Indexers,
	transform cache.TransformFunc, onSet func(obj any), onDelete func(obj any)) (cache.SharedIndexInformer, cache.ResourceEventHandlerRegistration) {
	inf := cache.NewSharedIndexInformerWithOptions(lw, example, cache.SharedIndexInformerOptions{Indexers: indexers})
	_ = inf.SetTransform(transform)
	_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
		w.p.log.Debug("kubernetes watch failed", "cluster", w.name, "err", err)
		select {
		case w.probeCh <- struct{}{}:
		default:
		}
	})
	var reg cache.ResourceEventHandlerRegistration
	if onSet != nil {
		reg, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onSet(obj) },
			UpdateFunc: func(_, obj any) { onSet(obj) },
			DeleteFunc: func(obj any) {
				if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = t.Obj
				}
				onDelete(obj)
			},
		})
	} else {
		reg, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{})
	}
	go inf.RunWithContext(ctx)
	return inf, reg
}

// startBase starts the informers every cluster has.
func (w *clusterWatch) startBase(ctx context.Context) []cache.ResourceEventHandlerRegistration {
	labels := w.p.cfg.Labels
	envSelector := func(o *metav1.ListOptions) { o.LabelSelector = labels.Environment }
	compSelector := func(o *metav1.ListOptions) { o.LabelSelector = labels.Component }
	var regs []cache.ResourceEventHandlerRegistration

	// Namespaces: only environments, and only their metadata.
	nsGVR := corev1.SchemeGroupVersion.WithResource("namespaces")
	_, reg := w.informer(ctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			envSelector(&o)
			return w.meta.Resource(nsGVR).List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			envSelector(&o)
			return w.meta.Resource(nsGVR).Watch(ctx, o)
		}), &metav1.PartialObjectMetadata{}, nil, w.namespaceTransform,
		func(obj any) {
			if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
				w.p.inv.setNamespace(w.name, m, false)
			}
		},
		func(obj any) {
			if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
				w.p.inv.setNamespace(w.name, m, true)
			}
		})
	regs = append(regs, reg)

	// ResourceQuotas, for the environments' quota.
	_, reg = w.informer(ctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return w.kube.CoreV1().ResourceQuotas("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return w.kube.CoreV1().ResourceQuotas("").Watch(ctx, o)
		}), &corev1.ResourceQuota{}, nil, quotaTransform,
		func(obj any) {
			if q, ok := obj.(*corev1.ResourceQuota); ok {
				w.p.inv.setQuota(w.name, q, false)
			}
		},
		func(obj any) {
			if q, ok := obj.(*corev1.ResourceQuota); ok {
				w.p.inv.setQuota(w.name, q, true)
			}
		})
	regs = append(regs, reg)

	// Workloads of catalog components: only those labelled with a
	// kubernetes id, indexed by it, read on request.
	idx := cache.Indexers{byComponent: func(obj any) ([]string, error) {
		if m, ok := obj.(metav1.Object); ok {
			if id := m.GetLabels()[labels.Component]; id != "" {
				return []string{id}, nil
			}
		}
		return nil, nil
	}}
	workloads := map[string]cache.SharedIndexInformer{}
	inf, reg := w.informer(ctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			compSelector(&o)
			return w.kube.AppsV1().Deployments("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			compSelector(&o)
			return w.kube.AppsV1().Deployments("").Watch(ctx, o)
		}), &appsv1.Deployment{}, idx, w.deploymentTransform, nil, nil)
	workloads["Deployment"] = inf
	regs = append(regs, reg)
	inf, reg = w.informer(ctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			compSelector(&o)
			return w.kube.AppsV1().StatefulSets("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			compSelector(&o)
			return w.kube.AppsV1().StatefulSets("").Watch(ctx, o)
		}), &appsv1.StatefulSet{}, idx, w.statefulSetTransform, nil, nil)
	workloads["StatefulSet"] = inf
	regs = append(regs, reg)
	inf, reg = w.informer(ctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			compSelector(&o)
			return w.kube.CoreV1().Pods("").List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			compSelector(&o)
			return w.kube.CoreV1().Pods("").Watch(ctx, o)
		}), &corev1.Pod{}, idx, w.podTransform, nil, nil)
	workloads["Pod"] = inf
	regs = append(regs, reg)
	w.mu.Lock()
	w.workloadI = workloads
	w.mu.Unlock()

	// CRDs: their names say which operator kinds the cluster has.
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	_, reg = w.informer(ctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return w.meta.Resource(crdGVR).List(ctx, o)
		},
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return w.meta.Resource(crdGVR).Watch(ctx, o)
		}), &metav1.PartialObjectMetadata{}, nil, crdTransform,
		func(obj any) { w.crdSeen(obj, false) },
		func(obj any) { w.crdSeen(obj, true) })
	regs = append(regs, reg)
	return regs
}

// crdSeen notes that an operator's CRD appeared or went, and wakes the
// loop that starts and stops informers (it calls the API server, which a
// handler must not).
func (w *clusterWatch) crdSeen(obj any, deleted bool) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return
	}
	for _, k := range w.p.kinds {
		if m.Name == k.Resource+"."+k.Group {
			w.mu.Lock()
			w.wanted[m.Name] = !deleted && m.DeletionTimestamp == nil
			w.mu.Unlock()
			select {
			case w.kindsCh <- struct{}{}:
			default:
			}
		}
	}
}

func (w *clusterWatch) kindsLoop(ctx context.Context) {
	retry := time.NewTicker(5 * time.Second)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kindsCh:
		case <-retry.C:
		}
		w.reconcileKinds(ctx)
	}
}

// reconcileKinds starts an informer for each operator kind whose CRD is
// present and served, and stops those whose CRD is gone.
func (w *clusterWatch) reconcileKinds(ctx context.Context) {
	w.mu.Lock()
	wanted := map[string]bool{}
	for name, ok := range w.wanted {
		if ok && w.crs[name] == nil {
			wanted[name] = true
		}
	}
	var gone []*crInformer
	for name, cr := range w.crs {
		if !w.wanted[name] {
			gone = append(gone, cr)
			delete(w.crs, name)
		}
	}
	w.mu.Unlock()
	changed := len(gone) > 0
	for _, cr := range gone {
		cr.cancel()
		w.p.inv.dropKind(w.name, cr.kind)
		w.p.log.Info("kubernetes kind gone", "cluster", w.name, "kind", cr.kind.Kind, "group", cr.kind.Group)
	}
	for _, k := range w.p.kinds {
		name := k.Resource + "." + k.Group
		if !wanted[name] {
			continue
		}
		v, err := w.servedVersion(k)
		if err != nil {
			// Not established yet, or the server is away: the next
			// round retries.
			w.p.log.Debug("kubernetes kind not served yet", "cluster", w.name, "kind", name, "err", err)
			continue
		}
		w.startKind(ctx, k, v)
		changed = true
	}
	if changed {
		w.mu.Lock()
		kinds := make([]string, 0, len(w.crs))
		for name := range w.crs {
			kinds = append(kinds, name)
		}
		w.mu.Unlock()
		slices.Sort(kinds)
		w.p.inv.updateCluster(w.name, func(c *plugins.Cluster) { c.Kinds = kinds })
	}
}

// servedVersion asks discovery which of the kind's versions the cluster
// serves (fresh each time: a CRD's versions change).
func (w *clusterWatch) servedVersion(k operators.Kind) (string, error) {
	var errs []error
	for _, v := range k.Versions {
		list, err := w.disco.ServerResourcesForGroupVersion(k.Group + "/" + v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range list.APIResources {
			if r.Name == k.Resource {
				return v, nil
			}
		}
	}
	return "", fmt.Errorf("%s.%s served in none of %v: %w", k.Resource, k.Group, k.Versions, errors.Join(errs...))
}

func (w *clusterWatch) startKind(ctx context.Context, k operators.Kind, version string) {
	gvr := schema.GroupVersionResource{Group: k.Group, Version: version, Resource: k.Resource}
	kctx, cancel := context.WithCancel(ctx)
	res := w.dyn.Resource(gvr)
	_, reg := w.informer(kctx, w.listWatch(
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return res.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return res.Watch(ctx, o) },
	), &unstructured.Unstructured{}, nil, w.databaseTransform(k),
		func(obj any) {
			if db, ok := obj.(*cachedDatabase); ok {
				w.p.inv.setDatabase(w.name, k, db, false)
			}
		},
		func(obj any) {
			if db, ok := obj.(*cachedDatabase); ok {
				w.p.inv.setDatabase(w.name, k, db, true)
			}
		})
	w.mu.Lock()
	w.crs[k.Resource+"."+k.Group] = &crInformer{kind: k, cancel: cancel, reg: reg}
	w.mu.Unlock()
	w.p.log.Info("kubernetes kind watched", "cluster", w.name, "kind", k.Kind, "group", k.Group, "version", version)
}

func (w *clusterWatch) crRegs() []cache.ResourceEventHandlerRegistration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var regs []cache.ResourceEventHandlerRegistration
	for _, cr := range w.crs {
		regs = append(regs, cr.reg)
	}
	return regs
}

// probeLoop asks the API server for its version every probe interval (and
// at once when a watch fails): the answer, or its absence within the
// request timeout, is the cluster's reachability.
func (w *clusterWatch) probeLoop(ctx context.Context) {
	tick := time.NewTicker(w.p.cfg.ProbeInterval)
	defer tick.Stop()
	wasReachable := false
	for {
		info, err := w.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		reachable := err == nil
		w.p.inv.updateCluster(w.name, func(c *plugins.Cluster) {
			c.Reachable = reachable
			if reachable {
				c.Version = info.GitVersion
				c.Error = ""
			} else {
				c.Error = err.Error()
			}
		})
		if reachable != wasReachable {
			if reachable {
				w.p.log.Info("kubernetes cluster reachable", "cluster", w.name, "version", info.GitVersion)
				// Deletions missed while away arrive through the
				// informers' relist; a full write settles the rest.
				w.p.writer.requestFull(w.name)
			} else {
				w.p.log.Warn("kubernetes cluster unreachable: its entities are kept, flagged stale", "cluster", w.name, "err", err)
			}
			wasReachable = reachable
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.probeCh:
			// Let a failing watch settle before probing again.
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

func (w *clusterWatch) probe(ctx context.Context) (version.Info, error) {
	ctx, cancel := context.WithTimeout(ctx, w.p.cfg.RequestTimeout)
	defer cancel()
	var info version.Info
	body, err := w.kube.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return info, fmt.Errorf("version: %w", err)
	}
	return info, nil
}
