package kubernetes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/testutil/benchdoc"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
)

// BenchmarkInventory is issue 5's benchmark, run once (-benchtime 1x) by
// `make bench`: 3 real clusters × BENCH_KUBE_NS namespaces (default 2,000),
// each an environment holding one CloudNativePG Cluster, and in the first
// half of them a Deployment with one Pod of one of 100 components. It
// reports
//
//   - sync-s: from the plugin's start to all databases in its inventory
//     (what GraphQL serves), and catalog-s: to all of them in the catalog;
//   - heap-B/object: live heap growth over the objects the informers keep;
//   - event-p50/p99-ms: from a status write on an API server to the change
//     on a GraphQL subscription over a WebSocket;
//   - workloads-p50/p99-µs: a component's workloads through GraphQL (HTTP
//     on loopback), and the API server reads (lists and gets; not the
//     probe, not watches) made meanwhile.
//
// With PONT_BENCH_REPORT=FILE it also writes the figures as markdown.
func BenchmarkInventory(b *testing.B) {
	loadAvg := benchdoc.LoadAverage()
	perCluster := 2000
	if v := os.Getenv("BENCH_KUBE_NS"); v != "" {
		fmt.Sscan(v, &perCluster)
	}
	const components = 100
	cs := kubetest.StartMany(b, 3, kubetest.Options{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.InstallCRDs(b, "postgresql.cnpg.io_clusters.yaml")
			populate(b, c, perCluster, components)
		}()
	}
	wg.Wait()
	b.Logf("populated 3 clusters × %d namespaces", perCluster)

	env := graphtest.New(b, dbtest.SQLite(b), graphtest.Options{Teams: 1, ComponentsPerTeam: 1})
	addComponent(b, env.Store, "payments", "svc-7")

	// The plugin reaches each cluster through a transport that counts
	// requests, so the workloads queries can show they made none.
	var requests atomic.Int64
	cfg := config.Default().Kubernetes
	cfg.BatchInterval = 100 * time.Millisecond
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := kubernetes.New(kubernetes.Options{Config: cfg, Store: env.Store})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	if err := p.Start(ctx); err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		rc := c.Config()
		rc.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				// Probes and long-running watches are not reads.
				if r.URL.Path != "/version" && r.URL.Query().Get("watch") != "true" {
					requests.Add(1)
				}
				return rt.RoundTrip(r)
			})
		})
		p.AddCluster(c.Name, rc, "config", "group:default/platform")
	}
	want := 3 * perCluster
	for len(p.Databases(plugins.DatabaseFilter{})) < want {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d databases after 5 minutes", len(p.Databases(plugins.DatabaseFilter{})), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	syncTime := time.Since(start)
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Minute)
	if err := p.WaitSynced(wctx); err != nil {
		b.Fatal(err)
	}
	wcancel()
	catalogTime := time.Since(start)
	b.Logf("all %d databases in the inventory after %s, in the catalog after %s", want, syncTime, catalogTime)

	// Heap: what the informers keep (namespaces, databases, deployments,
	// pods, quotas) plus the inventory built from them.
	time.Sleep(2 * time.Second) // let the writer's garbage go
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	objects := 3 * (2*perCluster + 2*(perCluster/2))
	heapPer := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(objects)

	api := newGraphAPI(b, env, p)
	admin := env.Principal("team-0-a")
	admin.Admin = true
	srv := api.server(admin)

	// Event to API: status writes, each timed until the GraphQL
	// subscription delivers the change.
	ws, ok := graphtest.Subscribe(b, srv.URL, nil, `subscription { inventoryChanged(types: [DATABASE]) { database { cluster namespace name phase } } }`, nil)
	if !ok {
		b.Fatal("subscription not acknowledged")
	}
	var eventLat []time.Duration
	for i := range 200 {
		c := cs[i%3]
		ns := fmt.Sprintf("env-%05d", (i*37)%perCluster)
		phase := fmt.Sprintf("Upgrading cluster (round %d)", i)
		t0 := time.Now()
		writeStatus(b, c, ns, "db", phase)
		for {
			m := ws.Next(10 * time.Second)
			if m == nil {
				b.Fatalf("no event for write %d", i)
			}
			if at(m, "payload.data.inventoryChanged.database.phase") == phase {
				break
			}
		}
		eventLat = append(eventLat, time.Since(t0))
	}

	// Workloads: a component with one Deployment in every 100th namespace
	// of the first half, on each cluster.
	query := `{ entity(ref: "component:default/payments") { ... on Component { workloads { cluster namespace kind name desired ready pods { name ready restarts reasons } } } } }`
	data := api.query(admin, query, nil)
	nw := len(at(data, "entity.workloads").([]any))
	client := srv.Client()
	body, _ := json.Marshal(map[string]any{"query": query})
	kinds := map[any]int{}
	for _, w := range at(data, "entity.workloads").([]any) {
		kinds[at(w, "kind")]++
	}
	b.Logf("workloads of the component: %v", kinds)
	defer benchdoc.CPUProfile(b, os.Getenv("PONT_BENCH_CPUPROFILE"))()
	var wlLat []time.Duration
	reqBefore := requests.Load()
	for i := range 2000 {
		t0 := time.Now()
		resp, err := client.Post(srv.URL+"/api/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if i >= 200 { // warm-up
			wlLat = append(wlLat, time.Since(t0))
		}
	}
	apiserverCalls := requests.Load() - reqBefore
	var direct []time.Duration
	for range 10000 {
		t0 := time.Now()
		p.Workloads("svc-7")
		direct = append(direct, time.Since(t0))
	}

	r := kubeReport{
		Clusters: 3, PerCluster: perCluster, Databases: want, Objects: objects,
		Sync: syncTime, Catalog: catalogTime, HeapPerObject: heapPer,
		EventP50: pct(eventLat, 50), EventP99: pct(eventLat, 99),
		WorkloadsP50: pct(wlLat, 50), WorkloadsP99: pct(wlLat, 99), Workloads: nw,
		DirectP50: pct(direct, 50), DirectP99: pct(direct, 99), APICalls: apiserverCalls,
		At: start, Load: loadAvg,
	}
	b.ReportMetric(syncTime.Seconds(), "sync-s")
	b.ReportMetric(catalogTime.Seconds(), "catalog-s")
	b.ReportMetric(heapPer, "heap-B/object")
	b.ReportMetric(ms(r.EventP50), "event-p50-ms")
	b.ReportMetric(ms(r.EventP99), "event-p99-ms")
	b.ReportMetric(float64(r.WorkloadsP50.Microseconds()), "workloads-p50-µs")
	b.ReportMetric(float64(r.WorkloadsP99.Microseconds()), "workloads-p99-µs")
	b.ReportMetric(float64(apiserverCalls), "apiserver-calls")
	if out := os.Getenv("PONT_BENCH_REPORT"); out != "" {
		if err := benchdoc.Splice(out, reportBegin, reportEnd, "## Kubernetes (issue 5)\n\n"+r.markdown()); err != nil {
			b.Fatal(err)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// populate fills a cluster: n environment namespaces with a CloudNativePG
// Cluster "db" each (status written), and in the first n/2 a Deployment of
// component svc-<i % components> with one ready Pod.
func populate(b testing.TB, c *kubetest.Cluster, n, components int) {
	cfg := c.Config()
	cfg.QPS, cfg.Burst = -1, 0
	kc := k8s.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := context.Background()
	const workers = 12
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := populateOne(ctx, kc, dyn, i, n, components); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func populateOne(ctx context.Context, kc k8s.Interface, dyn dynamic.Interface, i, n, components int) error {
	ns := fmt.Sprintf("env-%05d", i)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		"pont.dev/environment": "preview", "pont.dev/owner": fmt.Sprintf("team-%d", i%20),
	}}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": "db", "namespace": ns},
		"spec":     map[string]any{"instances": int64(3), "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4", "storage": map[string]any{"size": "10Gi"}},
	}}
	created, err := dyn.Resource(cnpgGVR).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Object["status"] = map[string]any{"phase": "Cluster in healthy state", "instances": int64(3), "readyInstances": int64(3),
		"writeService": "db-rw", "readService": "db-r", "currentPrimary": "db-1"}
	if _, err := dyn.Resource(cnpgGVR).Namespace(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if i >= n/2 {
		return nil
	}
	id := fmt.Sprintf("svc-%d", i%components)
	labels := map[string]string{"backstage.io/kubernetes-id": id, "app": "web"}
	one := int32(1)
	if _, err := kc.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "example/web:1"}}}}},
	}, metav1.CreateOptions{}); err != nil {
		return err
	}
	ctrl := true
	podLabels := map[string]string{"backstage.io/kubernetes-id": id, "app": "web", "pod-template-hash": "7c9d"}
	_, err = kc.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-7c9d-x1", Labels: podLabels,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7c9d", UID: "00000000-0000-0000-0000-000000000002", Controller: &ctrl}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "example/web:1"}}},
	}, metav1.CreateOptions{})
	return err
}

func writeStatus(b testing.TB, c *kubetest.Cluster, ns, name, phase string) {
	dyn := dynamic.NewForConfigOrDie(c.Config())
	obj, err := dyn.Resource(cnpgGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	obj.Object["status"].(map[string]any)["phase"] = phase
	if _, err := dyn.Resource(cnpgGVR).Namespace(ns).UpdateStatus(context.Background(), obj, metav1.UpdateOptions{}); err != nil {
		b.Fatal(err)
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type kubeReport struct {
	Clusters, PerCluster, Databases, Objects, Workloads int
	Sync, Catalog                                       time.Duration
	HeapPerObject                                       float64
	EventP50, EventP99                                  time.Duration
	WorkloadsP50, WorkloadsP99, DirectP50, DirectP99    time.Duration
	APICalls                                            int64
	At                                                  time.Time // when the plugin started
	Load                                                string    // load average before
}

// The Kubernetes section of docs/benchmarks.md lies between these markers;
// the catalog benchmark rewrites the rest of the file.
const (
	reportBegin = "<!-- kubernetes-benchmark: written by BenchmarkInventory -->"
	reportEnd   = "<!-- /kubernetes-benchmark -->"
)

func (r kubeReport) markdown() string {
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d clusters × %d namespaces, one CloudNativePG Cluster in each (%d databases), and a Deployment with one Pod in half of them (%d objects cached in all). Written by `make bench` (`BenchmarkInventory` in plugins/kubernetes; `BENCH_ONLY=kubernetes make bench` runs only it). Run on %s, %d cores, %s, load average %s before.\n\n",
		r.Clusters, r.PerCluster, r.Databases, r.Objects, r.At.UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.Version(), r.Load)
	b.WriteString("| Measure | Pont | Target | |\n|---|---:|---:|---|\n")
	fmt.Fprintf(&b, "| start to all %d databases in the inventory (GraphQL) | %.2f s | ≤ 15 s | %s |\n", r.Databases, r.Sync.Seconds(), met(r.Sync <= 15*time.Second))
	fmt.Fprintf(&b, "| start to all of them in the catalog (REST, search) | %.2f s | — | |\n", r.Catalog.Seconds())
	fmt.Fprintf(&b, "| live heap per cached object | %.0f B | ≤ 2048 B | %s |\n", r.HeapPerObject, met(r.HeapPerObject <= 2048))
	fmt.Fprintf(&b, "| status write to GraphQL subscription event, p50 | %.1f ms | — | |\n", ms(r.EventP50))
	fmt.Fprintf(&b, "| status write to GraphQL subscription event, p99 | %.1f ms | ≤ 1000 ms | %s |\n", ms(r.EventP99), met(r.EventP99 <= time.Second))
	fmt.Fprintf(&b, "| a component's workloads (%d), GraphQL over HTTP, p50 | %.3f ms | ≤ 1 ms | %s |\n", r.Workloads, ms(r.WorkloadsP50), met(r.WorkloadsP50 <= time.Millisecond))
	fmt.Fprintf(&b, "| the same, p99 | %.3f ms | — | |\n", ms(r.WorkloadsP99))
	fmt.Fprintf(&b, "| the same from the inventory, no HTTP, p50 / p99 | %.3f / %.3f ms | — | |\n", ms(r.DirectP50), ms(r.DirectP99))
	fmt.Fprintf(&b, "| API server requests made by 2,000 workloads queries | %d | 0 | %s |\n", r.APICalls, met(r.APICalls == 0))
	b.WriteString(`
For comparison, measured for the issue: Backstage's Kubernetes plugin answers the same workloads question in 42 ms p50 at
3 × 1,000 namespaces, with 14 LIST calls per cluster per request, and hangs past 60 s when one API server is frozen. Pont
answers from the informers' cache; a frozen API server is shown unreachable after the probe's timeout
(kubernetes.requestTimeout) and blocks neither reads nor the other clusters (TestThreeClusters, "frozen cluster").

Heap per object is the live heap's growth from before the plugin starts to after the sync (a GC on each side), over every
object the informers keep: environment namespaces, databases, Deployments and Pods. It includes the inventory built from
them and the catalog writer's leftovers. Event to API is a status write (UpdateStatus through client-go) until the change
arrives on a GraphQL subscription over a WebSocket, 200 writes spread over the three clusters.
`)
	return b.String()
}
