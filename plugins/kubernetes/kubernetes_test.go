package kubernetes_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
)

var cnpgGVR = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}

// testConfig is the plugin's configuration for clusters, tuned so that
// tests see reachability change within a second or two.
func testConfig(t testing.TB, clusters ...*kubetest.Cluster) config.Kubernetes {
	cfg := config.Default().Kubernetes
	cfg.ProbeInterval = 300 * time.Millisecond
	cfg.RequestTimeout = 2 * time.Second
	cfg.BatchInterval = 50 * time.Millisecond
	for _, c := range clusters {
		cfg.Clusters = append(cfg.Clusters, config.KubernetesCluster{Name: c.Name, Kubeconfig: c.Kubeconfig(t)})
	}
	return cfg
}

// startPlugin runs the plugin over a SQLite catalog until the test ends.
func startPlugin(t testing.TB, cfg config.Kubernetes) (*kubernetes.Plugin, *entstore.Store) {
	t.Helper()
	db := dbtest.Open(t, dbtest.SQLite(t))
	store := entstore.New(db)
	t.Cleanup(func() { store.Close() })
	return startPluginOn(t, cfg, store), store
}

// startPluginOn runs the plugin over a store until the test ends, and
// waits until every cluster's picture is in the catalog.
func startPluginOn(t testing.TB, cfg config.Kubernetes, store catalog.Store) *kubernetes.Plugin {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("PONT_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := kubernetes.New(kubernetes.Options{Config: cfg, Store: store, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 90*time.Second)
	defer wcancel()
	if err := p.WaitSynced(wctx); err != nil {
		t.Fatal(err)
	}
	return p
}

func createNamespace(t testing.TB, c *kubetest.Cluster, name string, labels map[string]string) {
	t.Helper()
	kc := k8s.NewForConfigOrDie(c.Config())
	if _, err := kc.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// cnpgCluster creates a CloudNativePG Cluster and writes the status the
// operator would.
func cnpgCluster(t testing.TB, c *kubetest.Cluster, ns, name string, instances, ready int, phase string, labels map[string]string) {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(c.Config())
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"instances": int64(instances), "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
			"storage": map[string]any{"size": "1Gi"},
		},
	}}
	if labels != nil {
		obj.SetLabels(labels)
	}
	created, err := dyn.Resource(cnpgGVR).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setCNPGStatus(t, dyn, created, instances, ready, phase)
}

func setCNPGStatus(t testing.TB, dyn dynamic.Interface, obj *unstructured.Unstructured, instances, ready int, phase string) {
	t.Helper()
	obj.Object["status"] = map[string]any{
		"phase": phase, "instances": int64(instances), "readyInstances": int64(ready),
		"writeService": obj.GetName() + "-rw", "readService": obj.GetName() + "-r",
	}
	if _, err := dyn.Resource(cnpgGVR).Namespace(obj.GetNamespace()).UpdateStatus(context.Background(), obj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func database(p *kubernetes.Plugin, cluster, ns, name string) *plugins.Database {
	for _, d := range p.Databases(plugins.DatabaseFilter{Cluster: cluster}) {
		if d.Namespace == ns && d.Name == name {
			return &d
		}
	}
	return nil
}

func clusterInfo(p *kubernetes.Plugin, name string) plugins.Cluster {
	for _, c := range p.Clusters() {
		if c.Name == name {
			return c
		}
	}
	return plugins.Cluster{}
}

func entity(t testing.TB, store catalog.Store, ref string) *catalog.StoredEntity {
	t.Helper()
	r, err := catalog.ParseRef(ref, catalog.RefDefaults{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := store.EntityByKey(context.Background(), r.Key())
	if err != nil {
		return nil
	}
	return e
}

func hasRelation(e *catalog.StoredEntity, typ, target string) bool {
	return slices.ContainsFunc(e.Relations, func(r catalog.Relation) bool {
		return r.Type == typ && strings.EqualFold(r.TargetRef, target)
	})
}

// TestThreeClusters runs the plugin against three real API servers and
// goes through what happens to them: objects appear and change, a CRD is
// installed after start, a cluster freezes, one stops and comes back, one
// fills with thousands of namespaces.
func TestThreeClusters(t *testing.T) {
	cs := kubetest.StartMany(t, 3, kubetest.Options{})
	c1, c2, c3 := cs[0], cs[1], cs[2]
	c1.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
	createNamespace(t, c1, "team-a-dev", map[string]string{
		"pont.dev/environment": "dev", "pont.dev/owner": "team-a", "backstage.io/kubernetes-id": "payments",
	})
	createNamespace(t, c1, "kube-stuff", nil) // not an environment
	createNamespace(t, c2, "shop-prod", map[string]string{"pont.dev/environment": "production", "pont.dev/owner": "team-b"})
	kc1 := k8s.NewForConfigOrDie(c1.Config())
	if _, err := kc1.CoreV1().ResourceQuotas("team-a-dev").Create(context.Background(), &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "compute"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("4")}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cnpgCluster(t, c1, "team-a-dev", "pg", 3, 3, "Cluster in healthy state", map[string]string{"backstage.io/kubernetes-id": "payments"})
	cnpgCluster(t, c1, "kube-stuff", "other", 1, 0, "Setting up primary", nil)

	// cluster-1 also holds an Argo CD cluster Secret naming cluster-3
	// again, as "argo-c3".
	createNamespace(t, c1, "argocd", nil)
	argoSecret(t, c1, "argocd", "argo-c3", c3)
	cfg := testConfig(t, c1, c2, c3)
	cfg.ArgoCD = config.ArgoCDClusters{Namespace: "argocd", Cluster: c1.Name}

	env := graphtest.New(t, dbtest.SQLite(t), graphtest.Options{Teams: 1, ComponentsPerTeam: 1, Policy: config.Policy{
		AdminGroups: []string{"group:default/admins"},
		ReadKinds:   []string{"Component", "API", "System", "Domain", "Group", "User", "Location"},
	}})
	store := env.Store
	p := startPluginOn(t, cfg, store)
	api := newGraphAPI(t, env, p)

	t.Run("inventory", func(t *testing.T) {
		envs := p.Environments(plugins.EnvironmentFilter{})
		if len(envs) != 2 {
			t.Fatalf("environments: %+v", envs)
		}
		dev := envs[0]
		if dev.Cluster != c1.Name || dev.Name != "dev" || dev.Owner != "group:default/team-a" || dev.Phase != "Active" ||
			!slices.Equal(dev.Components, []string{"component:default/payments"}) {
			t.Errorf("dev environment: %+v", dev)
		}
		pg := database(p, c1.Name, "team-a-dev", "pg")
		if pg == nil {
			t.Fatal("database pg missing")
		}
		if pg.Health != plugins.HealthReady || pg.Engine != "postgresql" || pg.Owner != "group:default/team-a" ||
			pg.Environment != dev.EntityRef || !slices.Equal(pg.Dependents, []string{"component:default/payments"}) {
			t.Errorf("pg: %+v", pg)
		}
		// A component's environments and databases.
		if got := p.Environments(plugins.EnvironmentFilter{Component: "component:default/payments"}); len(got) != 1 || got[0].EntityRef != dev.EntityRef {
			t.Errorf("payments' environments: %+v", got)
		}
		if got := p.Databases(plugins.DatabaseFilter{Component: "component:default/payments"}); len(got) != 1 || got[0].Name != "pg" {
			t.Errorf("payments' databases: %+v", got)
		}
		if got := p.Databases(plugins.DatabaseFilter{Component: "component:default/nothing"}); len(got) != 0 {
			t.Errorf("nothing's databases: %+v", got)
		}
		other := database(p, c1.Name, "kube-stuff", "other")
		if other == nil || other.Environment != "" || other.Owner != "group:default/platform" || other.Health != plugins.HealthProgressing {
			t.Errorf("database outside an environment: %+v", other)
		}
		for _, k := range cs {
			c := clusterInfo(p, k.Name)
			if !c.Reachable || c.Version != "v1.37.2" || c.LastSyncAt == nil || c.Error != "" {
				t.Errorf("cluster %+v", c)
			}
		}
		if k := clusterInfo(p, c1.Name).Kinds; !slices.Equal(k, []string{"clusters.postgresql.cnpg.io"}) {
			t.Errorf("cluster-1 kinds %v", k)
		}
	})

	t.Run("argo cd cluster secrets", func(t *testing.T) {
		wait.For(t, 20*time.Second, "the cluster of the Argo CD Secret is watched", func() bool {
			c := clusterInfo(p, "argo-c3")
			return c.Reachable && c.Source == "argocd:argocd/argo-c3" && c.Server == c3.URL
		})
		kc := k8s.NewForConfigOrDie(c1.Config())
		if err := kc.CoreV1().Secrets("argocd").Delete(context.Background(), "argo-c3", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		wait.For(t, 20*time.Second, "the cluster of a deleted Secret is forgotten", func() bool {
			return clusterInfo(p, "argo-c3").Name == ""
		})
	})

	t.Run("catalog entities and relations", func(t *testing.T) {
		pg := database(p, c1.Name, "team-a-dev", "pg")
		env := p.Environments(plugins.EnvironmentFilter{Cluster: c1.Name})[0]
		clusterRef := clusterInfo(p, c1.Name).EntityRef
		dbe, enve, cle := entity(t, store, pg.EntityRef), entity(t, store, env.EntityRef), entity(t, store, clusterRef)
		if dbe == nil || enve == nil || cle == nil {
			t.Fatalf("entities missing: %v %v %v", dbe, enve, cle)
		}
		for _, c := range []struct {
			e           *catalog.StoredEntity
			typ, target string
		}{
			{dbe, catalog.RelationDependsOn, env.EntityRef},
			{dbe, catalog.RelationOwnedBy, "group:default/team-a"},
			{dbe, catalog.RelationDependencyOf, "component:default/payments"},
			{enve, catalog.RelationDependsOn, clusterRef},
			{enve, catalog.RelationDependencyOf, pg.EntityRef},
			{cle, catalog.RelationDependencyOf, env.EntityRef},
		} {
			if !hasRelation(c.e, c.typ, c.target) {
				t.Errorf("%s has no %s %s: %+v", c.e.Key, c.typ, c.target, c.e.Relations)
			}
		}
		body := string(dbe.Body)
		for _, want := range []string{`"type":"database"`, `"health":"ready"`, `"engine":"postgresql"`, `"pg-rw"`} {
			if !strings.Contains(body, want) {
				t.Errorf("database entity lacks %s: %s", want, body)
			}
		}
		// The Secret's name may be shown; nothing from its data is read.
		if strings.Contains(body, "password") {
			t.Errorf("database entity mentions a password: %s", body)
		}
	})

	admin, outsider := env.Principal("team-0-a", "admins"), env.Principal("team-0-b", "team-0")

	t.Run("graphql", func(t *testing.T) {
		q := `query($cluster: String) {
			clusters { name reachable version kinds entity { ref } }
			environments(owner: "team-a") { totalCount nodes { cluster namespace name owner phase quota { resource hard } entity { ref } databases { name } } }
			databases(cluster: $cluster, engine: "postgresql", status: READY) { totalCount nodes { name health phase engine desiredInstances readyInstances storage services secrets owner environment dependents entity { ref } } }
		}`
		data := api.query(admin, q, map[string]any{"cluster": c1.Name})
		if n := len(at(data, "clusters").([]any)); n < 3 {
			t.Errorf("clusters: %v", at(data, "clusters"))
		}
		envs := at(data, "environments.nodes").([]any)
		if len(envs) != 1 || at(envs[0], "entity.ref") == nil || len(at(envs[0], "databases").([]any)) != 1 ||
			at(envs[0], "quota").([]any)[0].(map[string]any)["hard"] != "4" {
			t.Errorf("environments of team-a: %v", envs)
		}
		dbs := at(data, "databases.nodes").([]any)
		if len(dbs) != 1 || at(dbs[0], "name") != "pg" || at(dbs[0], "health") != "READY" || at(dbs[0], "readyInstances") != 3.0 ||
			at(dbs[0], "entity.ref") == nil {
			t.Errorf("ready postgresql databases on cluster-1: %v", dbs)
		}
		// Paging: two databases on cluster-1, one per page.
		page := func(after any) map[string]any {
			return api.query(admin, `query($c: String, $after: String) { databases(cluster: $c, first: 1, after: $after) { totalCount endCursor hasNextPage nodes { name } } }`,
				map[string]any{"c": c1.Name, "after": after})
		}
		first := page(nil)
		second := page(at(first, "databases.endCursor"))
		if at(first, "databases.hasNextPage") != true || at(second, "databases.hasNextPage") != false ||
			at(first, "databases.nodes").([]any)[0].(map[string]any)["name"] == at(second, "databases.nodes").([]any)[0].(map[string]any)["name"] {
			t.Errorf("pages: %v then %v", first, second)
		}
		// Whoever may not read kind Resource sees nothing.
		data = api.query(outsider, q, map[string]any{"cluster": c1.Name})
		if len(at(data, "clusters").([]any)) != 0 || at(data, "databases.totalCount") != 0.0 || at(data, "environments.totalCount") != 0.0 {
			t.Errorf("an outsider reads the inventory: %v", data)
		}
	})

	t.Run("status change reaches subscribers and the catalog", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		events := p.Subscribe(ctx, 64)
		sub := `subscription { inventoryChanged(types: [DATABASE]) { type removed database { name health phase } } }`
		ws, ok := graphtest.Subscribe(t, api.server(admin).URL, nil, sub, nil)
		if !ok {
			t.Fatal("subscription not acknowledged")
		}
		wsOut, ok := graphtest.Subscribe(t, api.server(outsider).URL, nil, sub, nil)
		if !ok {
			t.Fatal("outsider's subscription not acknowledged")
		}
		dyn := dynamic.NewForConfigOrDie(c1.Config())
		obj, err := dyn.Resource(cnpgGVR).Namespace("team-a-dev").Get(ctx, "pg", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		setCNPGStatus(t, dyn, obj, 3, 2, "Failing over")
		timeout := time.After(10 * time.Second)
		for got := false; !got; {
			select {
			case e := <-events:
				got = e.Database != nil && e.Database.Name == "pg" && e.Database.Health == plugins.HealthProgressing
			case <-timeout:
				t.Fatal("no event for the status change")
			}
		}
		t.Logf("status write to event: %s", time.Since(start))
		for {
			m := ws.Next(10 * time.Second)
			if m == nil {
				t.Fatal("no GraphQL subscription event for the status change")
			}
			if at(m, "payload.data.inventoryChanged.database.name") == "pg" &&
				at(m, "payload.data.inventoryChanged.database.health") == "PROGRESSING" {
				break
			}
		}
		t.Logf("status write to GraphQL subscription event: %s", time.Since(start))
		if m := wsOut.Next(300 * time.Millisecond); m != nil {
			t.Errorf("an outsider's subscription got %v", m)
		}
		ref := database(p, c1.Name, "team-a-dev", "pg").EntityRef
		wait.For(t, 10*time.Second, "the catalog entity shows the new status", func() bool {
			e := entity(t, store, ref)
			return e != nil && strings.Contains(string(e.Body), `"phase":"Failing over"`)
		})
	})

	t.Run("CRD installed after start", func(t *testing.T) {
		c2.InstallCRDs(t, "acid.zalan.do_postgresqls.yaml")
		wait.For(t, 30*time.Second, "cluster-2 watches postgresqls", func() bool {
			return slices.Contains(clusterInfo(p, c2.Name).Kinds, "postgresqls.acid.zalan.do")
		})
		dyn := dynamic.NewForConfigOrDie(c2.Config())
		gvr := schema.GroupVersionResource{Group: "acid.zalan.do", Version: "v1", Resource: "postgresqls"}
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "acid.zalan.do/v1", "kind": "postgresql",
			"metadata": map[string]any{"name": "shop-db", "namespace": "shop-prod"},
			"spec": map[string]any{
				"teamId": "shop", "numberOfInstances": int64(2), "volume": map[string]any{"size": "5Gi"},
				"postgresql": map[string]any{"version": "16"},
			},
		}}
		if _, err := dyn.Resource(gvr).Namespace("shop-prod").Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		wait.For(t, 10*time.Second, "the zalando database appears", func() bool {
			d := database(p, c2.Name, "shop-prod", "shop-db")
			return d != nil && d.Owner == "group:default/team-b" && d.Engine == "postgresql"
		})
	})

	t.Run("workloads of a component", func(t *testing.T) {
		createWorkload(t, c1, "team-a-dev", "payments", "payments", 2)
		wait.For(t, 10*time.Second, "workloads of payments", func() bool {
			w := p.Workloads("payments")
			return len(w) == 1 && len(w[0].Pods) == 2 && w[0].Pods[0].Phase == "Running" && w[0].Pods[1].Phase == "Running"
		})
		w := p.Workloads("payments")[0]
		if w.Kind != "Deployment" || w.Name != "payments" || w.Desired != 2 || w.Ready != 1 {
			t.Errorf("workload %+v", w)
		}
		if w.Pods[0].Ready == w.Pods[1].Ready {
			t.Errorf("pods %+v", w.Pods)
		}
		for _, pod := range w.Pods {
			if !pod.Ready && !slices.Contains(pod.Reasons, "CrashLoopBackOff") {
				t.Errorf("unready pod without its reason: %+v", pod)
			}
		}
		if len(p.Workloads("nobody")) != 0 {
			t.Error("workloads for an unknown id")
		}
		addComponent(t, store, "payments", "payments")
		data := api.query(admin, `{ entity(ref: "component:default/payments") { ... on Component { workloads { cluster kind name desired ready pods { name ready restarts reasons } } } } }`, nil)
		wls := at(data, "entity.workloads").([]any)
		if len(wls) != 1 || at(wls[0], "kind") != "Deployment" || len(at(wls[0], "pods").([]any)) != 2 {
			t.Errorf("GraphQL workloads: %v", data)
		}
	})

	t.Run("frozen cluster blocks neither reads nor the others", func(t *testing.T) {
		c3.Freeze(t)
		start := time.Now()
		for range 100 {
			p.Clusters()
			p.Databases(plugins.DatabaseFilter{})
			p.Workloads("payments")
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("100 reads took %s with a frozen cluster", d)
		}
		wait.For(t, 15*time.Second, "frozen cluster-3 shown unreachable", func() bool {
			return !clusterInfo(p, c3.Name).Reachable
		})
		cnpgCluster(t, c1, "team-a-dev", "while-frozen", 1, 1, "Cluster in healthy state", nil)
		wait.For(t, 10*time.Second, "a database on cluster-1 appears while cluster-3 is frozen", func() bool {
			return database(p, c1.Name, "team-a-dev", "while-frozen") != nil
		})
		c3.Thaw(t)
		wait.For(t, 30*time.Second, "thawed cluster-3 reachable again", func() bool {
			return clusterInfo(p, c3.Name).Reachable
		})
	})

	t.Run("stopped cluster is stale, then recovers", func(t *testing.T) {
		c2.Stop(t)
		wait.For(t, 15*time.Second, "stopped cluster-2 shown unreachable", func() bool {
			c := clusterInfo(p, c2.Name)
			return !c.Reachable && c.Error != ""
		})
		envs := p.Environments(plugins.EnvironmentFilter{Cluster: c2.Name})
		if len(envs) != 1 || !envs[0].Stale {
			t.Fatalf("environments of a stopped cluster: %+v", envs)
		}
		if d := database(p, c2.Name, "shop-prod", "shop-db"); d == nil || !d.Stale {
			t.Fatalf("database of a stopped cluster: %+v", d)
		}
		wait.For(t, 10*time.Second, "the catalog flags the environment stale, and keeps it", func() bool {
			e := entity(t, store, envs[0].EntityRef)
			return e != nil && strings.Contains(string(e.Body), kubernetes.AnnotationStale)
		})
		c2.Restart(t)
		wait.For(t, 30*time.Second, "restarted cluster-2 reachable and fresh", func() bool {
			envs := p.Environments(plugins.EnvironmentFilter{Cluster: c2.Name})
			return clusterInfo(p, c2.Name).Reachable && len(envs) == 1 && !envs[0].Stale
		})
		createNamespace(t, c2, "shop-staging", map[string]string{"pont.dev/environment": "staging", "pont.dev/owner": "team-b"})
		wait.For(t, 30*time.Second, "a namespace made after the restart appears", func() bool {
			return len(p.Environments(plugins.EnvironmentFilter{Cluster: c2.Name})) == 2
		})
		wait.For(t, 10*time.Second, "the catalog no longer flags it stale", func() bool {
			e := entity(t, store, envs[0].EntityRef)
			return e != nil && !strings.Contains(string(e.Body), kubernetes.AnnotationStale)
		})
	})

	t.Run("thousands of namespaces", func(t *testing.T) {
		const n = 2000
		start := time.Now()
		createNamespaces(t, c3, "env-", n, map[string]string{"pont.dev/environment": "preview", "pont.dev/owner": "team-c"})
		t.Logf("created %d namespaces in %s", n, time.Since(start))
		wait.For(t, 60*time.Second, fmt.Sprintf("%d environments on cluster-3", n), func() bool {
			return len(p.Environments(plugins.EnvironmentFilter{Cluster: c3.Name})) == n
		})
		t.Logf("all %d in the inventory %s after the first create", n, time.Since(start))
		if got := len(p.Environments(plugins.EnvironmentFilter{Owner: "group:default/team-c"})); got != n {
			t.Errorf("owner filter: %d", got)
		}
	})
}

// argoSecret writes an Argo CD cluster Secret for target.
func argoSecret(t testing.TB, c *kubetest.Cluster, ns, name string, target *kubetest.Cluster) {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{
		"bearerToken":     target.AdminToken,
		"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(target.CAData)},
	})
	kc := k8s.NewForConfigOrDie(c.Config())
	if _, err := kc.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
		Data:       map[string][]byte{"name": []byte(name), "server": []byte(target.URL), "config": cfg},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createNamespaces creates n labelled namespaces with a few writers.
func createNamespaces(t testing.TB, c *kubetest.Cluster, prefix string, n int, labels map[string]string) {
	t.Helper()
	cfg := c.Config()
	cfg.QPS, cfg.Burst = -1, 0
	kc := k8s.NewForConfigOrDie(cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				if _, err := kc.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s%05d", prefix, i), Labels: labels},
				}, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// createWorkload makes a Deployment with one ready pod and one crashing,
// as the controllers and kubelet would report them.
func createWorkload(t testing.TB, c *kubetest.Cluster, ns, name, id string, replicas int32) {
	t.Helper()
	ctx := context.Background()
	kc := k8s.NewForConfigOrDie(c.Config())
	labels := map[string]string{"backstage.io/kubernetes-id": id, "app": name}
	d, err := kc.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Status = appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: 1, AvailableReplicas: 1}
	if _, err := kc.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	hash := "5d8f7c9b4"
	ctrl := true
	for i, ready := range []bool{true, false} {
		podLabels := map[string]string{"backstage.io/kubernetes-id": id, "app": name, "pod-template-hash": hash}
		pod, err := kc.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%s-%d", name, hash, i), Labels: podLabels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: name + "-" + hash, UID: "00000000-0000-0000-0000-000000000001", Controller: &ctrl}},
			},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app:1"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		status := corev1.ConditionTrue
		cs := corev1.ContainerStatus{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
		if !ready {
			status = corev1.ConditionFalse
			cs = corev1.ContainerStatus{Name: "app", RestartCount: 7,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}
		}
		pod.Status = corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: status}},
			ContainerStatuses: []corev1.ContainerStatus{cs}}
		if _, err := kc.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadOnlyRoleSuffices runs the plugin as a user holding only the
// ClusterRole of deploy/kubernetes/rbac-read.yaml, on a cluster that
// enforces RBAC: the manifest is what the docs say it is.
func TestReadOnlyRoleSuffices(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{RBAC: true, Users: map[string][]string{"pont": nil}})
	c.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
	c.ApplyClusterRoles(t, "../../deploy/kubernetes/rbac-read.yaml")
	kc := k8s.NewForConfigOrDie(c.Config())
	if _, err := kc.RbacV1().ClusterRoleBindings().Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pont-read"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "pont-read"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "pont"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createNamespace(t, c, "team-a-dev", map[string]string{"pont.dev/environment": "dev", "pont.dev/owner": "team-a"})
	cnpgCluster(t, c, "team-a-dev", "pg", 1, 1, "Cluster in healthy state", nil)

	if _, err := k8s.NewForConfigOrDie(c.UserConfig("pont")).CoreV1().Secrets("team-a-dev").List(context.Background(), metav1.ListOptions{}); err == nil {
		t.Fatal("the read-only role reads Secrets")
	}
	ca := t.TempDir() + "/ca.crt"
	if err := os.WriteFile(ca, c.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Clusters = []config.KubernetesCluster{{Name: c.Name, Server: c.URL, CAFile: ca, Token: "token-pont"}}
	p, _ := startPlugin(t, cfg)
	if d := database(p, c.Name, "team-a-dev", "pg"); d == nil || d.Health != plugins.HealthReady {
		t.Fatalf("database as the read-only user: %+v", d)
	}
	if cl := clusterInfo(p, c.Name); !cl.Reachable || cl.Error != "" {
		t.Fatalf("cluster as the read-only user: %+v", cl)
	}
}
