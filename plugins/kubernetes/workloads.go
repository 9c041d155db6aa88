package kubernetes

import (
	"cmp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/pont-dev/pont/plugins"
)

// workloads assembles a component's Deployments, StatefulSets and Pods on
// this cluster from the informers' index: no API server call.
func (w *clusterWatch) workloads(id string) []plugins.Workload {
	w.mu.Lock()
	infs := w.workloadI
	w.mu.Unlock()
	if infs == nil {
		return nil
	}
	byKey := map[string]*plugins.Workload{}
	var order []string
	add := func(kind, ns, name string, desired, ready int) {
		key := kind + "/" + ns + "/" + name
		byKey[key] = &plugins.Workload{Cluster: w.name, Namespace: ns, Kind: kind, Name: name, Desired: desired, Ready: ready}
		order = append(order, key)
	}
	deps, _ := infs["Deployment"].GetIndexer().ByIndex(byComponent, id)
	for _, o := range deps {
		if d, ok := o.(*appsv1.Deployment); ok {
			add("Deployment", d.Namespace, d.Name, replicas(d.Spec.Replicas), int(d.Status.ReadyReplicas))
		}
	}
	sets, _ := infs["StatefulSet"].GetIndexer().ByIndex(byComponent, id)
	for _, o := range sets {
		if s, ok := o.(*appsv1.StatefulSet); ok {
			add("StatefulSet", s.Namespace, s.Name, replicas(s.Spec.Replicas), int(s.Status.ReadyReplicas))
		}
	}
	pods, _ := infs["Pod"].GetIndexer().ByIndex(byComponent, id)
	for _, o := range pods {
		pod, ok := o.(*corev1.Pod)
		if !ok {
			continue
		}
		summary := podSummary(pod)
		if owner := byKey[ownerKey(pod)]; owner != nil {
			owner.Pods = append(owner.Pods, summary)
			continue
		}
		ready := 0
		if summary.Ready {
			ready = 1
		}
		add("Pod", pod.Namespace, pod.Name, 1, ready)
		byKey["Pod/"+pod.Namespace+"/"+pod.Name].Pods = []plugins.Pod{summary}
	}
	out := make([]plugins.Workload, 0, len(order))
	for _, k := range order {
		wl := byKey[k]
		slices.SortFunc(wl.Pods, func(a, b plugins.Pod) int { return cmp.Compare(a.Name, b.Name) })
		out = append(out, *wl)
	}
	return out
}

func replicas(r *int32) int {
	if r == nil {
		return 1 // the API server's default
	}
	return int(*r)
}

// ownerKey names the workload that controls a pod: a StatefulSet directly,
// a Deployment through its ReplicaSet, named <deployment>-<pod-template-hash>
// (so ReplicaSets need not be cached).
func ownerKey(pod *corev1.Pod) string {
	if len(pod.OwnerReferences) == 0 {
		return ""
	}
	o := pod.OwnerReferences[0]
	switch o.Kind {
	case "StatefulSet":
		return "StatefulSet/" + pod.Namespace + "/" + o.Name
	case "ReplicaSet":
		if hash := pod.Labels["pod-template-hash"]; hash != "" {
			if name, ok := strings.CutSuffix(o.Name, "-"+hash); ok {
				return "Deployment/" + pod.Namespace + "/" + name
			}
		}
	}
	return ""
}

// podSummary says whether a pod is ready and, if not, why, in the words
// kubectl shows: a container's waiting or terminated reason, a failed
// scheduling, or the pod's own reason.
func podSummary(pod *corev1.Pod) plugins.Pod {
	out := plugins.Pod{Name: pod.Name, Phase: string(pod.Status.Phase)}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			out.Ready = true
		}
		if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue && c.Reason != "" {
			out.Reasons = append(out.Reasons, c.Reason)
		}
	}
	for _, c := range pod.Status.ContainerStatuses {
		out.Restarts += int(c.RestartCount)
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			out.Reasons = append(out.Reasons, c.State.Waiting.Reason)
		case c.State.Terminated != nil && c.State.Terminated.Reason != "" && c.State.Terminated.Reason != "Completed":
			out.Reasons = append(out.Reasons, c.State.Terminated.Reason)
		}
		if !c.Ready && c.LastTerminationState.Terminated != nil && c.LastTerminationState.Terminated.Reason != "" {
			out.Reasons = append(out.Reasons, "last: "+c.LastTerminationState.Terminated.Reason)
		}
	}
	if pod.Status.Reason != "" {
		out.Reasons = append(out.Reasons, pod.Status.Reason)
	}
	if out.Ready {
		out.Reasons = nil
	}
	slices.Sort(out.Reasons)
	out.Reasons = slices.Compact(out.Reasons)
	return out
}

func sortWorkloads(ws []plugins.Workload) {
	slices.SortFunc(ws, func(a, b plugins.Workload) int {
		return cmp.Or(cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
}
