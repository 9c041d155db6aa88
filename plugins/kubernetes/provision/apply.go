package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// FieldManager is Pont's name in managedFields: server-side apply keeps
// what Pont set apart from what users and operators set.
const FieldManager = "pont"

// Action is what a plan would do to one object.
type Action string

const (
	ActionCreate    Action = "create"
	ActionUpdate    Action = "update"
	ActionUnchanged Action = "unchanged"
	ActionDelete    Action = "delete"
)

// Diff is a plan: one entry per object, in the order Apply (or Delete)
// would act.
type Diff struct {
	Objects []ObjectDiff
}

// ObjectDiff is the plan for one object. Text is a unified diff of the
// object as YAML, live → planned, without the fields the server maintains
// (status, managedFields, resourceVersion, uid, creationTimestamp,
// generation); "" when unchanged.
type ObjectDiff struct {
	Kind      string
	Namespace string
	Name      string
	Action    Action
	Text      string
}

// Changed reports whether applying the plan would change anything.
func (d Diff) Changed() bool {
	for _, o := range d.Objects {
		if o.Action != ActionUnchanged {
			return true
		}
	}
	return false
}

// String is the plan for people: one line per object, then its diff.
func (d Diff) String() string {
	var b strings.Builder
	for _, o := range d.Objects {
		name := o.Name
		if o.Namespace != "" {
			name = o.Namespace + "/" + o.Name
		}
		fmt.Fprintf(&b, "%s %s %s\n", o.Action, o.Kind, name)
		b.WriteString(o.Text)
	}
	return b.String()
}

// Plan tells what Apply would do, changing nothing: each object goes
// through a server-side apply with dryRun=All (so admission, schema
// validation, defaulting and RBAC all run, as the user of cfg) and the
// result is compared with the live object.
//
// An object in a namespace that the same plan creates cannot be dry-run
// (the server refuses anything in a namespace that does not exist yet):
// its entry is a create of the object as rendered, with a note that the
// server has not checked it. A Forbidden is a *DeniedError; a kind the
// cluster does not serve is an error naming the object.
func Plan(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) (Diff, error) {
	return PlanAs(ctx, cfg, objs, FieldManager)
}

// PlanAs is Plan for an apply under another field manager (ApplyAs).
func PlanAs(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, manager string) (Diff, error) {
	c, err := newClient(cfg)
	if err != nil {
		return Diff{}, err
	}
	var d Diff
	newNamespaces := map[string]bool{}
	for _, obj := range ordered(objs) {
		od := ObjectDiff{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
		// Mapped first in any case: a kind the cluster does not serve is
		// an error even in a new namespace.
		ri, err := c.resource(ctx, obj)
		if err != nil {
			return Diff{}, err
		}
		if od.Namespace != "" && newNamespaces[od.Namespace] {
			od.Action = ActionCreate
			od.Text = "# not checked by the API server: namespace " + od.Namespace + " does not exist yet\n" +
				unifiedDiff("", toYAML(applied(obj)), "/dev/null", "planned")
			d.Objects = append(d.Objects, od)
			continue
		}
		live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			live = nil
		case err != nil:
			return Diff{}, failed("plan", obj, err)
		}
		planned, err := ri.Apply(ctx, obj.GetName(), applied(obj), metav1.ApplyOptions{
			DryRun: []string{metav1.DryRunAll}, FieldManager: manager, Force: true,
		})
		if err != nil {
			return Diff{}, failed("plan", obj, err)
		}
		after := toYAML(forDiff(planned))
		if live == nil {
			od.Action = ActionCreate
			od.Text = unifiedDiff("", after, "/dev/null", "planned")
			if obj.GetKind() == "Namespace" && obj.GroupVersionKind().Group == "" {
				newNamespaces[obj.GetName()] = true
			}
		} else if before := toYAML(forDiff(live)); before == after {
			od.Action = ActionUnchanged
		} else {
			od.Action = ActionUpdate
			od.Text = unifiedDiff(before, after, "live", "planned")
		}
		d.Objects = append(d.Objects, od)
	}
	return d, nil
}

// PlanDelete tells what Delete would do: each object that exists is a
// "delete", checked by a dry-run deletion (so RBAC runs as the user of
// cfg), with its live YAML as the diff; one that does not is
// "unchanged". Deleting a Namespace deletes everything in it, which the
// plan does not list.
func PlanDelete(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) (Diff, error) {
	c, err := newClient(cfg)
	if err != nil {
		return Diff{}, err
	}
	var d Diff
	for _, obj := range slices.Backward(ordered(objs)) {
		od := ObjectDiff{Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), Action: ActionUnchanged}
		ri, err := c.resource(ctx, obj)
		if meta.IsNoMatchError(err) {
			d.Objects = append(d.Objects, od) // the kind is gone, so is the object
			continue
		}
		if err != nil {
			return Diff{}, err
		}
		live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			d.Objects = append(d.Objects, od)
			continue
		}
		if err != nil {
			return Diff{}, failed("plan deletion of", obj, err)
		}
		err = ri.Delete(ctx, obj.GetName(), deleteOptions(live.GetUID(), true))
		if err != nil && !apierrors.IsNotFound(err) {
			return Diff{}, failed("plan deletion of", obj, err)
		}
		od.Action = ActionDelete
		od.Text = unifiedDiff(toYAML(forDiff(live)), "", "live", "/dev/null")
		d.Objects = append(d.Objects, od)
	}
	return d, nil
}

// Apply creates or updates the objects by server-side apply as the user of
// cfg (field manager "pont", forcing ownership of the fields it sets), in
// dependency order: namespaces first, then quotas, limits, roles and
// bindings, then the rest. It stops at the first error. Applying the same
// objects again changes nothing (server-side apply writes nothing when
// the result is the same, so resourceVersions stay).
//
// A Forbidden is a *DeniedError with the server's message; nothing is
// retried, and never as anyone else. Server-maintained fields (status,
// managedFields, resourceVersion, uid …) of the objects are ignored.
func Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) error {
	return ApplyAs(ctx, cfg, objs, FieldManager)
}

// ApplyAs is Apply under another field manager: for a few fields that
// another step owns apart from the object it belongs to (a TTL extended
// after the environment was created), so that applying those fields alone
// does not remove the rest of what "pont" set.
func ApplyAs(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, manager string) error {
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	for _, obj := range ordered(objs) {
		ri, err := c.resource(ctx, obj)
		if err != nil {
			return err
		}
		_, err = ri.Apply(ctx, obj.GetName(), applied(obj), metav1.ApplyOptions{FieldManager: manager, Force: true})
		if err != nil {
			return failed("apply", obj, err)
		}
	}
	return nil
}

// WaitReady waits until ready holds for the live object (obj names it:
// kind, namespace, name), or ctx ends. It reads the object, then watches
// it, and reads again whenever the watch ends; an object that does not
// exist (yet, or any more) is not ready. Read errors other than Forbidden
// are retried until ctx ends and reported with ctx's error; a Forbidden is
// a *DeniedError at once.
func WaitReady(ctx context.Context, cfg *rest.Config, obj *unstructured.Unstructured, ready func(*unstructured.Unstructured) bool) error {
	if ready == nil {
		return errors.New("wait: no readiness predicate")
	}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface
	var lastErr error
	backoff := 100 * time.Millisecond
	for {
		if ri == nil {
			// The kind may not be served yet (a CRD being installed):
			// keep asking, like for any other transient error.
			if ri, err = c.resource(ctx, obj); err != nil {
				if !meta.IsNoMatchError(err) {
					return err
				}
				ri = nil
				c.mapper = nil
			}
		}
		if ri != nil {
			var done bool
			done, err = waitOnce(ctx, ri, obj, ready)
			if done || (err != nil && errors.As(err, new(*DeniedError))) {
				return err
			}
		}
		if err != nil {
			lastErr = err
		} else {
			// The watch ended as watches do (a server-side timeout):
			// no reason to slow down.
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("wait for %s: %w (last error: %v)", describe(obj), ctx.Err(), lastErr)
			}
			return fmt.Errorf("wait for %s: %w", describe(obj), ctx.Err())
		case <-time.After(backoff):
		}
		if err != nil {
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// waitOnce reads the object and watches it from there until it is ready
// (done), the watch ends (not done, no error) or a request fails.
func waitOnce(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured, ready func(*unstructured.Unstructured) bool) (bool, error) {
	rv := ""
	live, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return false, failed("wait for", obj, err)
	case ready(live):
		return true, nil
	default:
		rv = live.GetResourceVersion()
	}
	w, err := ri.Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", obj.GetName()).String(),
		ResourceVersion: rv,
	})
	if err != nil {
		return false, failed("wait for", obj, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, nil
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				if u, isU := ev.Object.(*unstructured.Unstructured); isU && ready(u) {
					return true, nil
				}
			case watch.Error:
				// Typically 410 Gone: the resourceVersion is too old.
				// Read again.
				return false, apierrors.FromObject(ev.Object)
			}
		}
	}
}

// Delete deletes the objects as the user of cfg, in the reverse of
// Apply's order, with foreground propagation: an object goes once what
// it owns has gone. An object that does not exist, or whose kind is no
// longer served, counts as deleted, so Delete is idempotent. It returns
// once the API server accepted each deletion; finalizers may keep an
// object (with a deletionTimestamp) for a while after. A Forbidden is a
// *DeniedError; Delete stops at the first error.
func Delete(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured) error {
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	for _, obj := range slices.Backward(ordered(objs)) {
		ri, err := c.resource(ctx, obj)
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return err
		}
		err = ri.Delete(ctx, obj.GetName(), deleteOptions("", false))
		if err != nil && !apierrors.IsNotFound(err) {
			return failed("delete", obj, err)
		}
	}
	return nil
}

// DeleteNamespace deletes an environment's namespace, and so everything
// in it, as the user of cfg, with foreground propagation. It deletes only
// a namespace Pont provisioned (annotation pont.dev/managed-by=pont): a
// self-service action must not be a way to remove kube-system or a
// namespace some other tool manages, even for a user RBAC would let. The
// deletion is conditional on the UID read, so a namespace re-created
// meanwhile is not deleted unchecked. A namespace that does not exist or
// is already being deleted is success.
func DeleteNamespace(ctx context.Context, cfg *rest.Config, name string) error {
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	obj := object("v1", "Namespace", "", name, nil)
	ri := c.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	live, err := ri.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return failed("delete", obj, err)
	}
	if live.GetAnnotations()[AnnotationManagedBy] != ManagedByPont {
		return fmt.Errorf("delete Namespace %s: not provisioned by Pont (no annotation %s=%s): refusing to delete it", name, AnnotationManagedBy, ManagedByPont)
	}
	if live.GetDeletionTimestamp() != nil {
		return nil
	}
	err = ri.Delete(ctx, name, deleteOptions(live.GetUID(), false))
	if err != nil && !apierrors.IsNotFound(err) {
		return failed("delete", obj, err)
	}
	return nil
}

func deleteOptions(uid types.UID, dryRun bool) metav1.DeleteOptions {
	fg := metav1.DeletePropagationForeground
	o := metav1.DeleteOptions{PropagationPolicy: &fg}
	if uid != "" {
		o.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	if dryRun {
		o.DryRun = []string{metav1.DryRunAll}
	}
	return o
}

// client is a dynamic client with a discovery-based RESTMapper, both as
// the user of one config. One per call, so discovery is fresh: a CRD
// installed a second ago maps. Discovery is one aggregated request; its
// result is kept for the call and fetched again once when a kind does not
// map.
//
// The mapper is built from restmapper.GetAPIGroupResources rather than
// client-go's memory-cached discovery client: that one swallows the
// server's error (a refused impersonation reads as "unknown"), and the
// user must see the server's words.
type client struct {
	dyn    dynamic.Interface
	disc   discovery.DiscoveryInterfaceWithContext
	hc     *http.Client
	host   string
	mapper meta.RESTMapper // nil: not fetched yet, or to fetch again
	// discoveryErr is a partial discovery failure (an aggregated API
	// that did not answer), told when a kind does not map.
	discoveryErr error
}

func newClient(cfg *rest.Config) (*client, error) {
	if cfg == nil {
		return nil, errors.New("no cluster config")
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	return &client{dyn: dyn, disc: dc, hc: hc, host: cfg.Host}, nil
}

// mapping maps a kind to its resource, fetching discovery when it has
// not yet or when the kind is not in what was fetched.
func (c *client) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	fetched := false
	for {
		if c.mapper == nil {
			groups, err := restmapper.GetAPIGroupResourcesWithContext(ctx, c.disc)
			if groups == nil {
				if err == nil {
					err = errors.New("discovery returned nothing")
				}
				if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
					err = c.explain(ctx, err)
				}
				return nil, err
			}
			c.mapper, c.discoveryErr, fetched = restmapper.NewDiscoveryRESTMapper(groups), err, true
		}
		m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil || !meta.IsNoMatchError(err) {
			return m, err
		}
		if fetched {
			if c.discoveryErr != nil {
				return nil, fmt.Errorf("%w (discovery was incomplete: %v)", err, c.discoveryErr)
			}
			return nil, err
		}
		c.mapper = nil
	}
}

// explain asks the server again for what it refused discovery with: the
// discovery client cannot decode the server's Status in answer to its
// content negotiation and says "unknown", but a refused impersonation
// must reach the user (and the operator) in the server's words.
func (c *client) explain(ctx context.Context, orig error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.host, "/")+"/api", nil)
	if err != nil {
		return orig
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return orig
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var status metav1.Status
	if err != nil || json.Unmarshal(body, &status) != nil || status.Kind != "Status" || status.Message == "" {
		return orig
	}
	return &apierrors.StatusError{ErrStatus: status}
}

// resource maps an object to its REST resource, checking that it has a
// namespace exactly when its kind is namespaced.
func (c *client) resource(ctx context.Context, obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	if obj == nil {
		return nil, errors.New("nil object")
	}
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" || obj.GetName() == "" {
		return nil, fmt.Errorf("object %q: apiVersion, kind and name are required", describe(obj))
	}
	m, err := c.mapping(ctx, gvk)
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil, denied(describe(obj), err)
		}
		return nil, fmt.Errorf("%s: %w", describe(obj), err)
	}
	ns := obj.GetNamespace()
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if ns == "" {
			return nil, fmt.Errorf("%s: a namespaced kind without a namespace", describe(obj))
		}
		return c.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	if ns != "" {
		return nil, fmt.Errorf("%s: %s is not namespaced", describe(obj), gvk.Kind)
	}
	return c.dyn.Resource(m.Resource), nil
}

// failed names the object in an error, keeping a Forbidden a
// *DeniedError with the server's message.
func failed(verb string, obj *unstructured.Unstructured, err error) error {
	if apierrors.IsForbidden(err) {
		return denied(describe(obj), err)
	}
	return fmt.Errorf("%s %s: %w", verb, describe(obj), err)
}

// kindOrder is the apply order: what others depend on first (a namespace
// before its contents, a quota and limits before workloads, roles before
// bindings). Kinds not listed come after, in the order given.
var kindOrder = map[string]int{
	"Namespace":                0,
	"CustomResourceDefinition": 1,
	"ClusterRole":              2,
	"ClusterRoleBinding":       3,
	"ResourceQuota":            4,
	"LimitRange":               5,
	"ServiceAccount":           6,
	"Role":                     7,
	"RoleBinding":              8,
	"NetworkPolicy":            9,
	"Secret":                   10,
	"ConfigMap":                11,
}

func ordered(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := slices.Clone(objs)
	rank := func(o *unstructured.Unstructured) int {
		if r, ok := kindOrder[o.GetKind()]; ok {
			return r
		}
		return len(kindOrder)
	}
	slices.SortStableFunc(out, func(a, b *unstructured.Unstructured) int { return rank(a) - rank(b) })
	return out
}

// applied is the object as sent to server-side apply: without what the
// server maintains. managedFields must not be sent, a resourceVersion
// would make the apply conditional, and status is not written through the
// main resource.
func applied(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := obj.DeepCopy()
	delete(out.Object, "status")
	for _, f := range []string{"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(out.Object, "metadata", f)
	}
	return out
}

// forDiff is the object as a plan shows it: what applied drops, which
// changes with every write without meaning a change.
func forDiff(obj *unstructured.Unstructured) *unstructured.Unstructured {
	return applied(obj)
}

func toYAML(obj *unstructured.Unstructured) string {
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		// Unstructured content from JSON always marshals.
		return fmt.Sprintf("# cannot show %s: %v\n", describe(obj), err)
	}
	return string(b)
}

// Exists tells whether obj (its kind, namespace and name) exists, as the
// user of cfg. A Forbidden is a *DeniedError.
func Exists(ctx context.Context, cfg *rest.Config, obj *unstructured.Unstructured) (bool, error) {
	c, err := newClient(cfg)
	if err != nil {
		return false, err
	}
	ri, err := c.resource(ctx, obj)
	if err != nil {
		return false, err
	}
	_, err = ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	default:
		return false, failed("read", obj, err)
	}
}
