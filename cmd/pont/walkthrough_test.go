package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
)

// TestSelfServiceWalkthrough is issue 6's walk-through, as people do it:
// `pont serve` with sign-in through a real Dex, watching a real API server
// that enforces RBAC, where Pont holds only the roles of deploy/kubernetes
// and team-a holds the example self-service role. jdoe (team-a, which owns
// checkout) lists the actions on checkout, plans a production environment
// and asks for it; it waits for approval, which jdoe may not give and the
// admin gives; jdoe follows the log live (Server-Sent Events); the
// namespace is in the cluster, made as jdoe, and the environment in the
// catalog. Then a dev environment with a TTL: when its expiry comes (the
// test moves it closer, as time would), its users are warned and Pont
// deletes it, acting as jdoe.
func TestSelfServiceWalkthrough(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{RBAC: true, Users: map[string][]string{"pont": nil}})
	c.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
	root := repoRoot(t)
	c.ApplyClusterRoles(t, root+"/deploy/kubernetes/rbac-read.yaml")
	c.ApplyClusterRoles(t, root+"/deploy/kubernetes/rbac-actions.yaml")
	c.BindClusterRole(t, "pont-read", rbacv1.UserKind, "pont")
	c.BindClusterRole(t, "pont-impersonator", rbacv1.UserKind, "pont")
	c.BindClusterRole(t, "pont-self-service", rbacv1.GroupKind, "team-a")
	ca := t.TempDir() + "/ca.crt"
	if err := os.WriteFile(ca, c.CAData, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startSignedInWith(t, fmt.Sprintf(`kubernetes:
  clusters: [{name: dev-eu, server: %q, caFile: %q, token: token-pont}]
actions: {sweepInterval: 1s, expiryWarning: 1h}
`, c.URL, ca))
	jdoe, admin := s.browser(t, "jdoe@example.com"), s.browser(t, "admin@example.com")
	ctx := context.Background()
	kc := k8s.NewForConfigOrDie(c.Config())

	// The actions on checkout, and a plan.
	r := graphql(t, jdoe, s.base, `{ actions(target: "checkout") { id approval } }`)
	if len(r.Errors) > 0 || !strings.Contains(fmt.Sprint(r.Data["actions"]), "kubernetes.create-environment") {
		t.Fatalf("actions: %+v", r)
	}
	r = graphql(t, jdoe, s.base, `{ planAction(action: "kubernetes.create-environment", target: "checkout", input: {cluster: "dev-eu", environment: "production"}) { summary changes { action kind name } } }`)
	if len(r.Errors) > 0 || !strings.Contains(fmt.Sprint(r.Data["planAction"]), "action:create kind:Namespace name:checkout-production") {
		t.Fatalf("plan: %+v", r)
	}

	// Production waits for someone else's approval.
	r = graphql(t, jdoe, s.base, `mutation { runAction(action: "kubernetes.create-environment", target: "checkout", input: {cluster: "dev-eu", environment: "production"}) { id state } }`)
	if len(r.Errors) > 0 || r.Data["runAction"].(map[string]any)["state"] != "PENDING_APPROVAL" {
		t.Fatalf("run: %+v", r)
	}
	prod := r.Data["runAction"].(map[string]any)["id"].(string)
	if r := graphql(t, jdoe, s.base, fmt.Sprintf(`mutation { approveRun(id: %q, comment: "mine") { state } }`, prod)); code(r) != "FORBIDDEN" {
		t.Fatalf("self-approval: %+v", r)
	}
	r = graphql(t, admin, s.base, `{ runs(toApprove: true) { id plan { summary } } }`)
	if len(r.Errors) > 0 || !strings.Contains(fmt.Sprint(r.Data["runs"]), prod) || !strings.Contains(fmt.Sprint(r.Data["runs"]), "checkout-production") {
		t.Fatalf("the admin's inbox: %+v", r)
	}
	if r := graphql(t, admin, s.base, fmt.Sprintf(`mutation { approveRun(id: %q, comment: "ok for prod") { state } }`, prod)); len(r.Errors) > 0 {
		t.Fatalf("approve: %+v", r)
	}

	// jdoe follows the log to its end.
	log := followRun(t, jdoe, s.base, prod)
	for _, want := range []string{"approved by", "applied Namespace checkout-production", "applied RoleBinding pont-owner", `"message":"succeeded"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the run's log lacks %q:\n%s", want, log)
		}
	}
	ns, err := kc.CoreV1().Namespaces().Get(ctx, "checkout-production", metav1.GetOptions{})
	if err != nil || ns.Labels["pont.dev/environment"] != "production" || ns.Labels["pont.dev/owner"] != "team-a" || ns.Annotations["pont.dev/created-by"] == "" {
		t.Fatalf("namespace: %+v %v", ns, err)
	}
	if !managedBy(ns.ManagedFields, "pont") {
		t.Errorf("namespace not applied by field manager pont: %+v", ns.ManagedFields)
	}
	wait.For(t, 30*time.Second, "the environment in the catalog", func() bool {
		return environmentEntities(t, jdoe, s.base)["dev-eu.checkout-production"]
	})

	// A dev environment with a TTL needs no approval.
	r = graphql(t, jdoe, s.base, `mutation { runAction(action: "kubernetes.create-environment", target: "checkout", input: {cluster: "dev-eu", environment: "dev", ttlHours: 1}) { id state } }`)
	if len(r.Errors) > 0 || r.Data["runAction"].(map[string]any)["state"] == "PENDING_APPROVAL" {
		t.Fatalf("dev: %+v", r)
	}
	dev := r.Data["runAction"].(map[string]any)["id"].(string)
	followRun(t, jdoe, s.base, dev)
	var expiresAt string
	wait.For(t, 30*time.Second, "the dev environment's expiry in GraphQL", func() bool {
		r := graphql(t, jdoe, s.base, `{ environments(cluster: "dev-eu") { nodes { namespace expiresAt createdBy } } }`)
		for _, n := range nodes(r, "environments") {
			if n["namespace"] == "checkout-dev" && n["expiresAt"] != nil && n["createdBy"] != "" {
				expiresAt = n["expiresAt"].(string)
				return true
			}
		}
		return false
	})
	if at, err := time.Parse(time.RFC3339, expiresAt); err != nil || time.Until(at) < 50*time.Minute {
		t.Fatalf("expiresAt %q: %v", expiresAt, err)
	}
	// Within the hour of warning: a Warning event in the namespace.
	wait.For(t, 30*time.Second, "the expiry warning", func() bool {
		evs, err := kc.CoreV1().Events("checkout-dev").List(ctx, metav1.ListOptions{FieldSelector: "reason=EnvironmentExpiring"})
		return err == nil && len(evs.Items) == 1 && evs.Items[0].Type == corev1.EventTypeWarning
	})
	// Time passes: the expiry is now.
	soon := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"pont.dev/expires-at":%q}}}`, soon)
	if _, err := kc.CoreV1().Namespaces().Patch(ctx, "checkout-dev", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var teardown map[string]any
	wait.For(t, 60*time.Second, "the teardown run to succeed", func() bool {
		r := graphql(t, jdoe, s.base, `{ runs(action: "kubernetes.delete-environment") { id state requester } }`)
		runs, _ := r.Data["runs"].([]any)
		if len(runs) != 1 {
			return false
		}
		teardown = runs[0].(map[string]any)
		return teardown["state"] == "SUCCEEDED"
	})
	if !strings.Contains(teardown["requester"].(string), dev) {
		t.Errorf("teardown requester %q does not name the run that set the expiry", teardown["requester"])
	}
	ns, err = kc.CoreV1().Namespaces().Get(ctx, "checkout-dev", metav1.GetOptions{})
	if err == nil && ns.DeletionTimestamp == nil {
		t.Fatalf("checkout-dev is not being deleted")
	}
	// The production environment has no TTL and stays.
	if ns, err := kc.CoreV1().Namespaces().Get(ctx, "checkout-production", metav1.GetOptions{}); err != nil || ns.DeletionTimestamp != nil {
		t.Fatalf("production: %v", err)
	}
}

// followRun reads a run's log as Server-Sent Events until the stream ends
// (when the run has finished), and returns it.
func followRun(t *testing.T, c *http.Client, base, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/runs/"+id+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events of %s: %d", id, resp.StatusCode)
	}
	var out strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	if ctx.Err() != nil {
		t.Fatalf("the run %s did not finish:\n%s", id, out.String())
	}
	return out.String()
}

// environmentEntities are the names of the catalog's environment entities.
func environmentEntities(t *testing.T, c *http.Client, base string) map[string]bool {
	q := base + "/api/catalog/entities/by-query?filter=" + url.QueryEscape("kind=resource,spec.type=environment")
	resp, err := c.Get(q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
		} `json:"items"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	out := map[string]bool{}
	for _, it := range page.Items {
		out[it.Metadata.Name] = true
	}
	return out
}

func nodes(r gqlResult, field string) []map[string]any {
	conn, _ := r.Data[field].(map[string]any)
	list, _ := conn["nodes"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, n := range list {
		out = append(out, n.(map[string]any))
	}
	return out
}

func managedBy(fields []metav1.ManagedFieldsEntry, manager string) bool {
	for _, f := range fields {
		if f.Manager == manager && f.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}
