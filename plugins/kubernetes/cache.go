package kubernetes

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
)

// What the informers keep. Every transform must give the same result when
// applied to its own output: client-go applies it again to objects of an
// initial list streamed as watch events (watch-list).
//
// A cluster with thousands of objects must not
// cost Pont a copy of each: every informer has a transform that keeps only
// what the inventory reads, before the object reaches the cache. Nothing
// keeps managedFields, Secret data is never asked for, and a database
// custom resource is normalized on arrival and the object dropped (some
// operators embed whole copies of the resource in their status).

// cachedDatabase is what the informer of an operator kind keeps of one
// custom resource: its identity, Pont's labels, and its normalized state.
type cachedDatabase struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	State plugins.DatabaseState
}

// DeepCopyObject makes cachedDatabase a runtime.Object. The inventory
// never changes a cached object, so copying the top level is enough.
func (c *cachedDatabase) DeepCopyObject() runtime.Object {
	cp := *c
	return &cp
}

// keepMeta is the part of an object's metadata the inventory reads.
func keepMeta(m metav1.Object, labels, annotations []string) metav1.ObjectMeta {
	out := metav1.ObjectMeta{
		Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
		ResourceVersion: m.GetResourceVersion(), Generation: m.GetGeneration(),
		CreationTimestamp: m.GetCreationTimestamp(), DeletionTimestamp: m.GetDeletionTimestamp(),
	}
	out.Labels = pick(m.GetLabels(), labels)
	out.Annotations = pick(m.GetAnnotations(), annotations)
	return out
}

func pick(m map[string]string, keys []string) map[string]string {
	var out map[string]string
	for _, k := range keys {
		if v, ok := m[k]; ok {
			if out == nil {
				out = make(map[string]string, len(keys))
			}
			out[k] = v
		}
	}
	return out
}

// databaseTransform normalizes a custom resource of kind k as it arrives.
func (w *clusterWatch) databaseTransform(k operators.Kind) func(any) (any, error) {
	return func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil // already transformed, or a tombstone
		}
		return &cachedDatabase{
			TypeMeta:   metav1.TypeMeta{APIVersion: u.GetAPIVersion(), Kind: u.GetKind()},
			ObjectMeta: keepMeta(u, w.p.objectLabels, w.p.objectAnnotations),
			State:      k.Normalize(u.Object),
		}, nil
	}
}

// namespaceTransform keeps a namespace's name, Pont's labels and whether it
// is being deleted (metadata is all a namespace's phase needs).
func (w *clusterWatch) namespaceTransform(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	return &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: keepMeta(m, w.p.namespaceLabels, w.p.namespaceAnnotations)}, nil
}

// crdTransform keeps a CRD's name: it says which operator kinds are there.
func crdTransform(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	return &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: m.Name, ResourceVersion: m.ResourceVersion, UID: m.UID, DeletionTimestamp: m.DeletionTimestamp,
	}}, nil
}

// quotaTransform keeps a ResourceQuota's hard and used amounts (the spec's
// hard amounts too: the status is the quota controller's, and lags).
func quotaTransform(obj any) (any, error) {
	q, ok := obj.(*corev1.ResourceQuota)
	if !ok {
		return obj, nil
	}
	return &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: q.Name, Namespace: q.Namespace, ResourceVersion: q.ResourceVersion, UID: q.UID},
		Spec:       corev1.ResourceQuotaSpec{Hard: q.Spec.Hard},
		Status:     corev1.ResourceQuotaStatus{Hard: q.Status.Hard, Used: q.Status.Used},
	}, nil
}

// workload transforms keep counts, not pod templates.
func (w *clusterWatch) deploymentTransform(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	return &appsv1.Deployment{
		ObjectMeta: keepMeta(d, w.p.objectLabels, nil),
		Spec:       appsv1.DeploymentSpec{Replicas: d.Spec.Replicas},
		Status: appsv1.DeploymentStatus{
			Replicas: d.Status.Replicas, ReadyReplicas: d.Status.ReadyReplicas,
			AvailableReplicas: d.Status.AvailableReplicas, UpdatedReplicas: d.Status.UpdatedReplicas,
		},
	}, nil
}

func (w *clusterWatch) statefulSetTransform(obj any) (any, error) {
	s, ok := obj.(*appsv1.StatefulSet)
	if !ok {
		return obj, nil
	}
	return &appsv1.StatefulSet{
		ObjectMeta: keepMeta(s, w.p.objectLabels, nil),
		Spec:       appsv1.StatefulSetSpec{Replicas: s.Spec.Replicas},
		Status:     appsv1.StatefulSetStatus{Replicas: s.Status.Replicas, ReadyReplicas: s.Status.ReadyReplicas},
	}, nil
}

// podTransform keeps what says whether a pod is healthy and, if not, why.
func (w *clusterWatch) podTransform(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	meta := keepMeta(p, append([]string{"pod-template-hash"}, w.p.objectLabels...), nil)
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			meta.OwnerReferences = []metav1.OwnerReference{{Kind: o.Kind, Name: o.Name, APIVersion: o.APIVersion, UID: o.UID, Controller: o.Controller}}
		}
	}
	st := corev1.PodStatus{Phase: p.Status.Phase, Reason: p.Status.Reason}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady || (c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue) {
			st.Conditions = append(st.Conditions, corev1.PodCondition{Type: c.Type, Status: c.Status, Reason: c.Reason})
		}
	}
	for _, c := range p.Status.ContainerStatuses {
		cs := corev1.ContainerStatus{Name: c.Name, Ready: c.Ready, RestartCount: c.RestartCount}
		if c.State.Waiting != nil {
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.State.Waiting.Reason}
		}
		if c.State.Terminated != nil {
			cs.State.Terminated = &corev1.ContainerStateTerminated{Reason: c.State.Terminated.Reason, ExitCode: c.State.Terminated.ExitCode}
		}
		if c.LastTerminationState.Terminated != nil {
			cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{Reason: c.LastTerminationState.Terminated.Reason}
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}
	return &corev1.Pod{ObjectMeta: meta, Status: st}, nil
}
