package kubetest_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
)

var cnpgClusters = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}

func clientset(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func createNamespace(t *testing.T, c *kubetest.Cluster, name string) {
	t.Helper()
	_, err := clientset(t, c.Config()).CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("%s: create namespace %s: %v", c.Name, name, err)
	}
}

// TestClusters starts three clusters at once and takes them through what
// Pont's watchers must survive: a custom resource whose status an operator
// writes, an apiserver that goes away and comes back, one that hangs.
func TestClusters(t *testing.T) {
	t0 := time.Now()
	cs := kubetest.StartMany(t, 3, kubetest.Options{})
	t.Logf("timing: StartMany of 3 clusters: %v", time.Since(t0).Round(time.Millisecond))

	seen := map[string]bool{}
	for i, c := range cs {
		if want := "cluster-" + strconv.Itoa(i+1); c.Name != want {
			t.Errorf("cluster %d is named %q, want %q", i, c.Name, want)
		}
		if !strings.HasPrefix(c.URL, "https://127.0.0.1:") || seen[c.URL] {
			t.Errorf("%s: URL %q: not loopback, or shared", c.Name, c.URL)
		}
		seen[c.URL] = true
		createNamespace(t, c, "team-a")
	}

	t.Run("CustomResourceWithStatus", func(t *testing.T) {
		c := cs[0]
		t0 := time.Now()
		c.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
		t.Logf("timing: InstallCRDs of CNPG Cluster: %v", time.Since(t0).Round(time.Millisecond))

		dyn, err := dynamic.NewForConfig(c.Config())
		if err != nil {
			t.Fatal(err)
		}
		pg := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "postgresql.cnpg.io/v1",
			"kind":       "Cluster",
			"metadata":   map[string]any{"name": "orders-db", "namespace": "team-a"},
			"spec": map[string]any{
				"instances": int64(3),
				"storage":   map[string]any{"size": "1Gi"},
			},
		}}
		ri := dyn.Resource(cnpgClusters).Namespace("team-a")
		created, err := ri.Create(t.Context(), pg, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The schema is enforced: a real server, not a fake.
		bad := pg.DeepCopy()
		bad.SetName("bad")
		_ = unstructured.SetNestedField(bad.Object, "three", "spec", "instances")
		if _, err := ri.Create(t.Context(), bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
			t.Errorf("create with spec.instances a string: %v, want Invalid", err)
		}

		// As CloudNativePG would: the status through the status subresource.
		status := map[string]any{
			"phase":          "Cluster in healthy state",
			"instances":      int64(3),
			"readyInstances": int64(3),
			"currentPrimary": "orders-db-1",
			"conditions": []any{map[string]any{
				"type":               "Ready",
				"status":             "True",
				"reason":             "ClusterIsReady",
				"message":            "Cluster is Ready",
				"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
			}},
		}
		if err := unstructured.SetNestedField(created.Object, status, "status"); err != nil {
			t.Fatal(err)
		}
		if _, err := ri.UpdateStatus(t.Context(), created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := ri.Get(t.Context(), "orders-db", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if phase, _, _ := unstructured.NestedString(got.Object, "status", "phase"); phase != "Cluster in healthy state" {
			t.Errorf("status.phase = %q after UpdateStatus", phase)
		}
		// And the main resource ignores status, as on a real cluster.
		_ = unstructured.SetNestedField(got.Object, "Failing", "status", "phase")
		upd, err := ri.Update(t.Context(), got, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if phase, _, _ := unstructured.NestedString(upd.Object, "status", "phase"); phase != "Cluster in healthy state" {
			t.Errorf("status.phase = %q after a plain Update, want it unchanged", phase)
		}
	})

	t.Run("StopRestart", func(t *testing.T) {
		c := cs[1]
		cfg := c.Config()
		cfg.Timeout = 5 * time.Second
		client := clientset(t, cfg)

		t0 := time.Now()
		c.Stop(t)
		t.Logf("timing: Stop: %v", time.Since(t0).Round(time.Millisecond))

		t0 = time.Now()
		_, err := client.CoreV1().Namespaces().Get(t.Context(), "team-a", metav1.GetOptions{})
		took := time.Since(t0)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("request to a stopped server: %v, want connection refused", err)
		}
		if took > time.Second {
			t.Errorf("request to a stopped server took %v, want it to fail fast", took)
		}

		t0 = time.Now()
		c.Restart(t)
		t.Logf("timing: Restart: %v", time.Since(t0).Round(time.Millisecond))
		// The same client (same URL, same CA) sees the same data.
		if _, err := client.CoreV1().Namespaces().Get(t.Context(), "team-a", metav1.GetOptions{}); err != nil {
			t.Fatalf("namespace after Restart: %v", err)
		}
	})

	t.Run("FreezeThaw", func(t *testing.T) {
		c := cs[2]
		cfg := c.Config()
		cfg.Timeout = 2 * time.Second
		client := clientset(t, cfg)
		// A connection opened before the freeze, as a watcher's would be.
		if _, err := client.CoreV1().Namespaces().Get(t.Context(), "team-a", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}

		c.Freeze(t)
		t0 := time.Now()
		_, err := client.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
		took := time.Since(t0)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("request to a frozen server: %v, want a timeout", err)
		}
		if took < 2*time.Second || took > 5*time.Second {
			t.Errorf("request to a frozen server failed after %v, want the client's 2s timeout", took)
		}
		// A new connection: TCP is accepted into the backlog, TLS never
		// answered.
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(c.URL, "https://"), time.Second)
		if err != nil {
			t.Fatalf("TCP connect to a frozen server: %v, want it accepted", err)
		}
		_ = conn.Close()

		c.Thaw(t)
		if _, err := client.CoreV1().Namespaces().Get(t.Context(), "team-a", metav1.GetOptions{}); err != nil {
			t.Fatalf("request after Thaw: %v", err)
		}
	})

	t.Run("Kubeconfig", func(t *testing.T) {
		c := cs[0]
		path := c.Kubeconfig(t)
		raw, err := clientcmd.LoadFromFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if raw.CurrentContext != c.Name || len(raw.Contexts) != 1 {
			t.Errorf("kubeconfig contexts %v, current %q; want only %q", raw.Contexts, raw.CurrentContext, c.Name)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := clientset(t, cfg).CoreV1().Namespaces().Get(t.Context(), "team-a", metav1.GetOptions{}); err != nil {
			t.Fatalf("through the kubeconfig: %v", err)
		}
	})
}

// TestRBAC: with Options.RBAC a static-token user has only what bindings
// give it.
func TestRBAC(t *testing.T) {
	t0 := time.Now()
	c := kubetest.Start(t, kubetest.Options{Name: "rbac", RBAC: true, Users: map[string][]string{"alice": {"team-a"}}})
	t.Logf("timing: Start of 1 cluster: %v", time.Since(t0).Round(time.Millisecond))

	alice := clientset(t, c.UserConfig("alice"))
	_, err := alice.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice lists namespaces without a binding: %v, want Forbidden", err)
	}

	// A role of our own: the aggregated ones (view, edit, admin) have no
	// rules here, since aggregating them is kube-controller-manager's job.
	admin := clientset(t, c.Config())
	_, err = admin.RbacV1().ClusterRoles().Create(t.Context(), &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "namespace-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.RbacV1().ClusterRoleBindings().Create(t.Context(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a-namespace-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "namespace-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "team-a"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The authorizer reads bindings from an informer: allow it a moment.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		_, err = alice.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsForbidden(err) || ctx.Err() != nil {
			t.Fatalf("alice lists namespaces with a binding: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Reading is all it allows.
	_, err = alice.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mine"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("alice creates a namespace with namespace-reader: %v, want Forbidden", err)
	}
}

// TestInstallAllCRDs installs every CRD of deploy/crds into one cluster:
// they must all be accepted by a real apiserver (two are 2-3 MB).
func TestInstallAllCRDs(t *testing.T) {
	if testing.Short() {
		t.Skip("installs 13 MB of CRDs: 20-40 s of two cores")
	}
	entries, err := os.ReadDir(kubetest.CRDDir())
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".yaml" {
			files = append(files, e.Name())
		}
	}
	if len(files) != 20 {
		t.Fatalf("%d CRD files in deploy/crds, want 20", len(files))
	}
	c := kubetest.Start(t, kubetest.Options{})
	t0 := time.Now()
	c.InstallCRDs(t, files...)
	t.Logf("timing: InstallCRDs of all %d CRDs: %v", len(files), time.Since(t0).Round(time.Millisecond))
	// Installing again is a no-op.
	c.InstallCRDs(t, "postgres-operator.crunchydata.com_postgresclusters.yaml")
}
