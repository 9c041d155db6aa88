package kubernetes_test

import (
	"context"
	"encoding/json"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
	"github.com/pont-dev/pont/plugins/runner"
)

// TestActionsOnARealCluster runs the plugin's actions through the runner
// on an API server enforcing RBAC. Pont watches as "pont" (the read role of
// deploy/kubernetes plus impersonate) and acts as the requester: team-0-a
// may provision, team-0-b owns the component in the catalog but the
// cluster refuses them, and the run fails with the cluster's words.
func TestActionsOnARealCluster(t *testing.T) {
	ss := newSelfService(t, config.Policy{AdminGroups: []string{"group:default/admins"}})
	c, env, p, runs := ss.c, ss.env, ss.p, ss.runs
	alice, bob := ss.as("team-0-a", "team-0"), ss.as("team-0-b", "team-0")
	waitRun := func(id, state string) *runner.Run { return ss.waitRun(id, state) }
	const component = "component:default/svc-0-0"

	specs, err := runs.Actions(alice, component)
	if err != nil || len(specs) != 1 || specs[0].ID != "kubernetes.create-environment" {
		t.Fatalf("actions on a component: %v %v", specs, err)
	}
	plan, err := runs.Plan(alice, "kubernetes.create-environment", component, json.RawMessage(`{"cluster":"dev-eu","environment":"dev","ttlHours":24}`))
	if err != nil || len(plan.Changes) < 5 || plan.Changes[0].Action != "create" {
		t.Fatalf("plan: %+v %v", plan, err)
	}

	run, err := runs.Submit(alice, "kubernetes.create-environment", component, json.RawMessage(`{"cluster":"dev-eu","environment":"dev","ttlHours":24}`))
	if err != nil {
		t.Fatal(err)
	}
	waitRun(run.ID, "succeeded")
	kc := k8s.NewForConfigOrDie(c.Config())
	ns, err := kc.CoreV1().Namespaces().Get(context.Background(), "svc-0-0-dev", metav1.GetOptions{})
	if err != nil || ns.Labels["pont.dev/environment"] != "dev" || ns.Labels["pont.dev/owner"] != "team-0" {
		t.Fatalf("namespace: %+v %v", ns, err)
	}
	var envRef string
	wait.For(t, 20*time.Second, "the environment in the inventory and the catalog", func() bool {
		envs := p.Environments(plugins.EnvironmentFilter{Cluster: "dev-eu"})
		if len(envs) != 1 {
			return false
		}
		envRef = envs[0].EntityRef
		return entity(t, env.Store, envRef) != nil
	})

	// The cluster refuses bob, whom Pont lets ask.
	run, err = runs.Submit(bob, "kubernetes.create-environment", component, json.RawMessage(`{"cluster":"dev-eu","environment":"qa"}`))
	if err == nil {
		t.Fatalf("bob's plan passed the cluster: %+v", run)
	}
	if !strings.Contains(err.Error(), `"team-0-b"`) || !strings.Contains(err.Error(), "cannot") {
		t.Errorf("bob's refusal does not carry the cluster's message: %v", err)
	}

	// Production waits for someone else; the run then acts as alice.
	run, err = runs.Submit(alice, "kubernetes.create-environment", component, json.RawMessage(`{"cluster":"dev-eu","environment":"production"}`))
	if err != nil || run.State != "pending_approval" {
		t.Fatalf("production: %+v %v", run, err)
	}
	if _, err := runs.Approve(bob, run.ID, "ok for prod"); err != nil {
		t.Fatal(err)
	}
	waitRun(run.ID, "succeeded")

	// A database in the dev environment, ready once the operator says so.
	run, err = runs.Submit(alice, "kubernetes.create-database", envRef, json.RawMessage(`{"name":"orders","instances":2,"storage":"1Gi"}`))
	if err != nil {
		t.Fatal(err)
	}
	waitRun(run.ID, "running")
	dyn := dynamic.NewForConfigOrDie(c.Config())
	wait.For(t, 20*time.Second, "the CloudNativePG Cluster is applied", func() bool {
		_, err := dyn.Resource(cnpgGVR).Namespace("svc-0-0-dev").Get(context.Background(), "orders", metav1.GetOptions{})
		return err == nil
	})
	o, err := dyn.Resource(cnpgGVR).Namespace("svc-0-0-dev").Get(context.Background(), "orders", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setCNPGStatus(t, dyn, o, 2, 2, "Cluster in healthy state")
	done := waitRun(run.ID, "succeeded")
	if done.Result == nil || len(done.Result.Entities) != 1 {
		t.Fatalf("database run: %+v", done)
	}

	// Deleting a database always waits for approval.
	var dbRef string
	wait.For(t, 20*time.Second, "the database in the catalog", func() bool {
		d := database(p, "dev-eu", "svc-0-0-dev", "orders")
		if d == nil {
			return false
		}
		dbRef = d.EntityRef
		return entity(t, env.Store, dbRef) != nil
	})
	run, err = runs.Submit(alice, "kubernetes.delete-database", dbRef, json.RawMessage(`{}`))
	if err != nil || run.State != "pending_approval" {
		t.Fatalf("delete database: %+v %v", run, err)
	}
}

// selfServiceRBAC: the roles of deploy/kubernetes/rbac-actions.yaml (Pont
// may impersonate, nothing more; the example self-service role, for
// team-0-a only), and a stand-in for the aggregated "edit" role the
// environments grant their owners (empty without kube-controller-manager).
func selfServiceRBAC(t *testing.T, c *kubetest.Cluster) {
	t.Helper()
	c.ApplyClusterRoles(t, "../../deploy/kubernetes/rbac-actions.yaml")
	kc := k8s.NewForConfigOrDie(c.Config())
	edit, err := kc.RbacV1().ClusterRoles().Get(context.Background(), "edit", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	edit.AggregationRule, edit.Rules = nil, []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps", "pods"},
		Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}}
	if _, err := kc.RbacV1().ClusterRoles().Update(context.Background(), edit, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.BindClusterRole(t, "pont-self-service", rbacv1.UserKind, "team-0-a")
	c.BindClusterRole(t, "pont-impersonator", rbacv1.UserKind, "pont")
	c.BindClusterRole(t, "pont-read", rbacv1.UserKind, "pont")
}

// selfService is a real RBAC API server with the CloudNativePG CRD, the
// plugin watching it as "pont", and the runner with a started queue: the
// ground of the tests of the plugin's actions.
type selfService struct {
	t    *testing.T
	c    *kubetest.Cluster
	env  *graphtest.Env
	p    *kubernetes.Plugin
	runs *runner.Runner
}

func newSelfService(t *testing.T, policy config.Policy) *selfService {
	c := kubetest.Start(t, kubetest.Options{RBAC: true, Users: map[string][]string{"pont": nil}})
	c.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
	c.ApplyClusterRoles(t, "../../deploy/kubernetes/rbac-read.yaml")
	selfServiceRBAC(t, c)

	env := graphtest.New(t, dbtest.SQLite(t), graphtest.Options{Teams: 1, ComponentsPerTeam: 1, Policy: policy})
	ca := t.TempDir() + "/ca.crt"
	if err := os.WriteFile(ca, c.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Clusters = []config.KubernetesCluster{{Name: "dev-eu", Server: c.URL, CAFile: ca, Token: "token-pont"}}
	p := startPluginOn(t, cfg, env.Store)

	q, err := jobs.Open(context.Background(), jobs.Options{DB: env.DB, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	reg := plugins.NewRegistry()
	if err := p.RegisterActions(reg); err != nil {
		t.Fatal(err)
	}
	runs := runner.New(runner.Options{Registry: reg, Client: env.DB.Ent, Queue: q, Store: env.Store, Policy: env.Policy, Audit: env.Audit, Log: slog.New(slog.NewTextHandler(t.Output(), nil)),
		Expirers: []plugins.Expirer{p}, SweepInterval: time.Hour})
	qctx, stop := context.WithCancel(context.Background())
	if err := q.Start(qctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = q.Stop(sctx)
		stop()
	})
	return &selfService{t: t, c: c, env: env, p: p, runs: runs}
}

// as is the context of a signed-in catalog user.
func (ss *selfService) as(user string, groups ...string) context.Context {
	return principal.NewContext(context.Background(), ss.env.Principal(user, groups...))
}

// wait waits until a run is in state, failing the test when it fails.
func (ss *selfService) waitRun(id, state string) *runner.Run {
	t := ss.t
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		run, err := ss.runs.Get(principal.SystemContext(context.Background()), id)
		if err != nil {
			t.Fatal(err)
		}
		if run.State == state {
			return run
		}
		if time.Now().After(deadline) || (run.State == "failed" && state != "failed") {
			t.Fatalf("run %s (%s) is %s, not %s: %s", id, run.Action, run.State, state, run.Error)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
