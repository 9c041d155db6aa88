package main

import (
	"context"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"net/http"
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
)

// TestServeWatchesKubernetes runs `pont serve` with a cluster in its
// configuration: the cluster's database appears in the Backstage REST API
// (as a Resource of type database, with its relations) and in GraphQL.
func TestServeWatchesKubernetes(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{})
	c.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
	ctx := context.Background()
	kc := k8s.NewForConfigOrDie(c.Config())
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop-dev",
		Labels: map[string]string{"pont.dev/environment": "dev", "pont.dev/owner": "team-shop"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": "orders", "namespace": "shop-dev"},
		"spec":     map[string]any{"instances": int64(2), "storage": map[string]any{"size": "1Gi"}},
	}}
	if _, err := dynamic.NewForConfigOrDie(c.Config()).Resource(gvr).Namespace("shop-dev").Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	cfg := fmt.Sprintf("%skubernetes:\n  clusters:\n    - name: local\n      kubeconfig: %q\n", databaseConfig(t, "sqlite"), c.Kubeconfig(t))
	base := startServe(t, cfg)

	ref := "resource:kubernetes/local.shop-dev.cluster.orders"
	var page struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec      map[string]any `json:"spec"`
			Relations []struct {
				Type      string `json:"type"`
				TargetRef string `json:"targetRef"`
			} `json:"relations"`
		} `json:"items"`
	}
	query := base + "/api/catalog/entities/by-query?filter=" + url.QueryEscape("kind=resource,spec.type=database")
	wait.For(t, 60*time.Second, "the database in the REST API", func() bool {
		return getJSON(t, query, &page) == http.StatusOK && len(page.Items) == 1
	})
	db := page.Items[0]
	if db.Metadata.Name != "local.shop-dev.cluster.orders" || db.Spec["owner"] != "group:default/team-shop" || db.Spec["health"] != "unknown" {
		t.Errorf("database entity: %+v", db)
	}
	found := false
	for _, r := range db.Relations {
		found = found || (r.Type == "dependsOn" && r.TargetRef == "resource:kubernetes/local.shop-dev")
	}
	if !found {
		t.Errorf("database does not depend on its environment: %+v", db.Relations)
	}
	if code := getJSON(t, base+"/api/catalog/entities/by-name/resource/kubernetes/local.shop-dev.cluster.orders", nil); code != http.StatusOK {
		t.Errorf("by-name %s: %d", ref, code)
	}

	r := graphql(t, http.DefaultClient, base, `{ clusters { name reachable version } databases(cluster: "local") { totalCount nodes { name health entity { ref } } } }`)
	if len(r.Errors) > 0 || r.Data == nil {
		t.Fatalf("graphql: %+v", r)
	}
	if clusters := r.Data["clusters"].([]any); len(clusters) != 1 || clusters[0].(map[string]any)["reachable"] != true {
		t.Errorf("clusters: %v", r.Data["clusters"])
	}
	if n := r.Data["databases"].(map[string]any)["totalCount"]; n != 1.0 {
		t.Errorf("databases: %v", r.Data["databases"])
	}
}
