package kubernetes

import (
	"context"
	"encoding/base64"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/plugins"
)

func TestEntityName(t *testing.T) {
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{[]string{"prod", "team-a-dev", "cluster", "pg"}, "prod.team-a-dev.cluster.pg"},
		{[]string{"Prod EU", "ns"}, "prod-eu.ns"},
		{[]string{"https://10.0.0.1:6443"}, "https-10.0.0.1-6443"},
		{[]string{"---"}, "x"},
	} {
		if got := entityName(c.parts...); got != c.want {
			t.Errorf("entityName(%q) = %q, want %q", c.parts, got, c.want)
		}
	}
	long1 := entityName("cluster", strings.Repeat("a", 63), "cluster", "db1")
	long2 := entityName("cluster", strings.Repeat("a", 63), "cluster", "db2")
	if len(long1) > maxEntityName || long1 == long2 {
		t.Errorf("long names: %q %q", long1, long2)
	}
}

func TestOwnerRefs(t *testing.T) {
	for in, want := range map[string]string{
		"team-a":                 "group:default/team-a",
		"group:platform/dba":     "group:platform/dba",
		"user:default/alice":     "user:default/alice",
		"":                       "",
		"not a ref: with spaces": "",
	} {
		if got := groupRef(in); got != want {
			t.Errorf("groupRef(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPodSummary(t *testing.T) {
	crashing := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
			ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 4,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "OOMKilled"}}}}},
	}
	got := podSummary(crashing)
	if got.Ready || got.Restarts != 4 || strings.Join(got.Reasons, ",") != "CrashLoopBackOff,last: OOMKilled" {
		t.Errorf("crashing pod: %+v", got)
	}
	pending := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable"}}}}
	if got := podSummary(pending); strings.Join(got.Reasons, ",") != "Unschedulable" {
		t.Errorf("unschedulable pod: %+v", got)
	}
}

func TestOwnerKey(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Labels: map[string]string{"pod-template-hash": "5d8f"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-api-5d8f"}}}}
	if got := ownerKey(pod); got != "Deployment/ns/web-api" {
		t.Errorf("ownerKey = %q", got)
	}
	pod.OwnerReferences[0] = metav1.OwnerReference{Kind: "StatefulSet", Name: "db"}
	if got := ownerKey(pod); got != "StatefulSet/ns/db" {
		t.Errorf("ownerKey = %q", got)
	}
}

func TestArgoSecret(t *testing.T) {
	ca := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----"))
	c, err := parseArgoSecret("argocd/prod", map[string][]byte{
		"name": []byte("prod"), "server": []byte("https://prod.example.com:6443"),
		"config": []byte(`{"bearerToken":"s3cret","tlsClientConfig":{"caData":"` + ca + `"}}`),
	})
	if err != nil || c.name != "prod" || c.rc.BearerToken != "s3cret" || len(c.rc.CAData) == 0 {
		t.Fatalf("parse: %+v %v", c, err)
	}
	for _, data := range []map[string][]byte{
		{"server": []byte("ftp://x")},
		{"server": []byte("https://x"), "config": []byte(`{"bearerToken":"s3cret",`)},
		{"server": []byte("https://x"), "config": []byte(`{"bearerToken":"s3cret","execProviderConfig":{"command":"aws"}}`)},
		{"server": []byte("https://x"), "config": []byte(`{"bearerToken":"s3cret","tlsClientConfig":{"keyData":"not base64!"}}`)},
	} {
		_, err := parseArgoSecret("argocd/bad", data)
		if err == nil || !strings.Contains(err.Error(), "argocd/bad") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %v must name the secret and not the token", data, err)
		}
	}
}

func FuzzArgoSecret(f *testing.F) {
	f.Add("prod", "https://prod:6443", `{"bearerToken":"t","tlsClientConfig":{"caData":"AAAA"}}`)
	f.Add("", "http://x", `{}`)
	f.Fuzz(func(t *testing.T, name, server, config string) {
		c, err := parseArgoSecret("ns/s", map[string][]byte{"name": []byte(name), "server": []byte(server), "config": []byte(config)})
		if err == nil && (c.rc.Host != server || c.name == "") {
			t.Fatalf("accepted %q %q with host %q name %q", name, server, c.rc.Host, c.name)
		}
	})
}

// TestTransformsAreIdempotent: client-go may transform an object twice.
func TestTransformsAreIdempotent(t *testing.T) {
	w := &clusterWatch{p: &Plugin{objectLabels: []string{"pont.dev/owner", "backstage.io/kubernetes-id"}, namespaceLabels: []string{"pont.dev/environment"}}}
	ctrl := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-7c9d-x1", Namespace: "ns",
		Labels:          map[string]string{"pod-template-hash": "7c9d", "backstage.io/kubernetes-id": "web", "other": "x"},
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web-7c9d", Controller: &ctrl}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "web", Ready: true}}}}
	once, _ := w.podTransform(pod)
	twice, _ := w.podTransform(once)
	if !reflect.DeepEqual(once, twice) {
		t.Fatalf("pod transform is not idempotent:\n%+v\n%+v", once, twice)
	}
	if ownerKey(twice.(*corev1.Pod)) != "Deployment/ns/web" {
		t.Fatalf("owner lost: %+v", twice)
	}
	two := int32(2)
	labels := map[string]string{"backstage.io/kubernetes-id": "web", "pont.dev/environment": "dev"}
	for name, c := range map[string]struct {
		transform func(any) (any, error)
		obj       any
	}{
		"deployment":  {w.deploymentTransform, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels}, Spec: appsv1.DeploymentSpec{Replicas: &two}}},
		"statefulset": {w.statefulSetTransform, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Labels: labels}, Spec: appsv1.StatefulSetSpec{Replicas: &two}}},
		"namespace":   {w.namespaceTransform, &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "dev", Labels: labels}}},
		"crd":         {crdTransform, &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "clusters.postgresql.cnpg.io"}}},
		"quota": {quotaTransform, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}}},
	} {
		once, _ := c.transform(c.obj)
		twice, _ := c.transform(once)
		if !reflect.DeepEqual(once, twice) {
			t.Errorf("%s transform is not idempotent:\n%+v\n%+v", name, once, twice)
		}
	}
}

// TestComponentResolver: a kubernetes id links the components annotated
// with it; without one, the component of that name.
func TestComponentResolver(t *testing.T) {
	store := entstore.New(dbtest.Open(t, dbtest.SQLite(t)))
	t.Cleanup(func() { store.Close() })
	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
		Metadata: catalog.Metadata{Name: "payments-api", Annotations: map[string]string{"backstage.io/kubernetes-id": "pay"}},
		Spec:     map[string]any{"type": "service", "lifecycle": "production", "owner": "team-a"}}
	pr, err := catalog.Prepare(e, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(context.Background(), &catalog.Mutation{Provider: "test", Full: true, Replayable: true,
		Entities: func(yield func(*catalog.Prepared) bool) { yield(pr) }}); err != nil {
		t.Fatal(err)
	}
	r := newComponentResolver(store, "backstage.io/kubernetes-id")
	if got := r.components("pay"); len(got) != 1 || !strings.EqualFold(got[0], "component:default/payments-api") {
		t.Errorf("annotated: %v", got)
	}
	if got := r.components("billing"); len(got) != 1 || got[0] != "component:default/billing" {
		t.Errorf("fallback: %v", got)
	}
	if got := newComponentResolver(nil, "x").components("bad id!"); len(got) != 0 {
		t.Errorf("invalid id: %v", got)
	}
}

// TestImpersonated: kubernetes.impersonation turns a requester into the
// names the cluster knows; a format whose placeholder the requester lacks
// is an error, never a fallback.
func TestImpersonated(t *testing.T) {
	jdoe := plugins.Actor{Subject: "https://dex.example|CgRqZG9l", User: "user:default/jdoe", Email: "jdoe@example.com",
		Groups: []string{"group:default/team-a", "group:default/engineering"}}
	token := plugins.Actor{Subject: "token:42", Groups: []string{"group:default/team-a"}}
	for _, tc := range []struct {
		name   string
		f      config.Impersonation
		actor  plugins.Actor
		user   string
		groups []string
		err    string
	}{
		{"defaults", config.Impersonation{}, jdoe, "jdoe", []string{"team-a", "engineering"}, ""},
		{"prefixed email", config.Impersonation{User: "oidc:{email}", Group: "oidc:{group}"}, jdoe, "oidc:jdoe@example.com", []string{"oidc:team-a", "oidc:engineering"}, ""},
		{"subject", config.Impersonation{User: "{subject}"}, jdoe, "CgRqZG9l", []string{"team-a", "engineering"}, ""},
		{"no catalog user", config.Impersonation{}, token, "token:42", []string{"team-a"}, ""},
		{"no email", config.Impersonation{User: "{email}"}, token, "", nil, "needs an email"},
		{"no subject", config.Impersonation{User: "{subject}"}, token, "", nil, "needs an OIDC subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, groups, err := impersonated(tc.f, tc.actor)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || user != tc.user || !slices.Equal(groups, tc.groups) {
				t.Fatalf("= %q %q %v, want %q %q", user, groups, err, tc.user, tc.groups)
			}
		})
	}
}

// TestEnvironmentTemplateFromConfig: kubernetes.environmentTemplate reaches
// the rendered environment, and a bad one stops the plugin at start with
// the field named.
func TestEnvironmentTemplateFromConfig(t *testing.T) {
	cfg := config.Default().Kubernetes
	cfg.EnvironmentTemplate.Quota.CPU = "3"
	cfg.EnvironmentTemplate.OwnerClusterRole = "team-admin"
	cfg.Impersonation.Group = "oidc:{group}"
	p, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := p.environmentTemplate()
	if tmpl.Quota.CPU != "3" || tmpl.Quota.Memory != "4Gi" || tmpl.OwnerClusterRole != "team-admin" || tmpl.KubernetesGroup("team-a") != "oidc:team-a" {
		t.Fatalf("template: %+v", tmpl)
	}
	cfg.EnvironmentTemplate.Quota.MaxMemory = "lots"
	if _, err := New(Options{Config: cfg}); err == nil || !strings.Contains(err.Error(), "template.quota.maxMemory") {
		t.Fatalf("a bad template: %v", err)
	}
}
