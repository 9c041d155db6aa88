package kubernetes_test

import (
	"context"
	"encoding/json"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
	"github.com/pont-dev/pont/plugins/kubernetes/provision"
	"github.com/pont-dev/pont/plugins/runner"
)

// TestEnvironmentExpiry follows an environment's TTL on a real RBAC API
// server: created with a TTL by team-0-a, warned about (a Warning event in
// the namespace, a line in the creating run's log, once however often the
// sweep runs), extended by team-0-b (who then owns the expiry), and torn
// down at expiry by a delete-environment run acting as team-0-b, submitted
// once.
func TestEnvironmentExpiry(t *testing.T) {
	ss := newSelfService(t, config.Policy{AdminGroups: []string{"group:default/admins"}})
	alice, bob := ss.as("team-0-a", "team-0"), ss.as("team-0-b", "team-0")
	bg := context.Background()
	kc := k8s.NewForConfigOrDie(ss.c.Config())
	// bob may extend and delete environments, but not create them.
	grantUser(t, kc, "team-0-b", "pont-expiry-test", []string{"namespaces", "events"})

	created, err := ss.runs.Submit(alice, "kubernetes.create-environment", "component:default/svc-0-0", json.RawMessage(`{"cluster":"dev-eu","environment":"preview","ttlHours":1}`))
	if err != nil {
		t.Fatal(err)
	}
	ss.waitRun(created.ID, "succeeded")
	ns, err := kc.CoreV1().Namespaces().Get(bg, "svc-0-0-preview", metav1.GetOptions{})
	if err != nil || ns.Annotations[provision.AnnotationExpirySetBy] != created.ID || ns.Annotations[provision.AnnotationExpiresAt] == "" {
		t.Fatalf("namespace: %+v %v", ns.Annotations, err)
	}

	var exp plugins.Expiry
	wait.For(t, 20*time.Second, "the environment's expiry in the inventory and the catalog", func() bool {
		for _, e := range ss.p.Expiring() {
			if strings.Contains(e.Target, "svc-0-0-preview") && e.SetBy == created.ID && !e.Pending {
				exp = e
				return entity(t, ss.env.Store, e.Target) != nil
			}
		}
		return false
	})
	if d := time.Until(exp.ExpiresAt); d < 50*time.Minute || d > 61*time.Minute {
		t.Fatalf("expires in %v, not an hour", d)
	}
	envs := ss.p.Environments(plugins.EnvironmentFilter{Cluster: "dev-eu"})
	if len(envs) != 1 || envs[0].ExpiresAt == nil || envs[0].CreatedBy == "" {
		t.Fatalf("environment: %+v", envs)
	}

	// Long before the expiry nothing happens; within the warning hour, one
	// warning, however often the sweep runs.
	sys := principal.SystemContext(bg)
	if err := ss.runs.ExpireItems(sys, exp.ExpiresAt.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if evs := expiryEvents(t, kc, "svc-0-0-preview"); len(evs) != 0 {
		t.Fatalf("warned two hours before: %+v", evs)
	}
	for range 3 {
		if err := ss.runs.ExpireItems(sys, exp.ExpiresAt.Add(-30*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	evs := expiryEvents(t, kc, "svc-0-0-preview")
	if len(evs) != 1 || evs[0].Type != corev1.EventTypeWarning || !strings.Contains(evs[0].Message, "kubernetes.extend-environment") {
		t.Fatalf("warning events: %+v", evs)
	}
	if n := countLog(t, ss, created.ID, "expires at"); n != 1 {
		t.Fatalf("%d expiry notices in the creating run's log", n)
	}

	// bob extends it by two hours: the expiry moves and is now his; the
	// namespace keeps everything the creation set.
	extended, err := ss.runs.Submit(bob, "kubernetes.extend-environment", exp.Target, json.RawMessage(`{"ttlHours":2}`))
	if err != nil {
		t.Fatal(err)
	}
	ss.waitRun(extended.ID, "succeeded")
	ns, err = kc.CoreV1().Namespaces().Get(bg, "svc-0-0-preview", metav1.GetOptions{})
	if err != nil || ns.Annotations[provision.AnnotationExpirySetBy] != extended.ID || ns.Labels["pont.dev/environment"] != "preview" ||
		ns.Annotations[provision.AnnotationCreatedBy] == "" {
		t.Fatalf("extended namespace: %+v %+v %v", ns.Labels, ns.Annotations, err)
	}
	wait.For(t, 20*time.Second, "the new expiry in the inventory", func() bool {
		for _, e := range ss.p.Expiring() {
			if e.Target == exp.Target && e.SetBy == extended.ID {
				exp = e
				return true
			}
		}
		return false
	})
	if d := time.Until(exp.ExpiresAt); d < 110*time.Minute {
		t.Fatalf("extended to %v from now", d)
	}
	if _, err := ss.runs.Submit(alice, "kubernetes.extend-environment", exp.Target, json.RawMessage(`{"ttlHours":0}`)); err == nil || !strings.Contains(err.Error(), "/ttlHours") {
		t.Fatalf("ttlHours 0: %v", err)
	}

	// At expiry: one teardown run, acting as bob, however often the sweep runs.
	for range 3 {
		if err := ss.runs.ExpireItems(sys, exp.ExpiresAt.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	teardowns, err := ss.runs.List(sys, runner.Filter{Action: "kubernetes.delete-environment", Target: exp.Target})
	if err != nil || len(teardowns) != 1 {
		t.Fatalf("teardown runs: %d %v", len(teardowns), err)
	}
	done := ss.waitRun(teardowns[0].ID, "succeeded")
	if done.RequestedBy != extended.RequestedBy || !strings.Contains(done.Requester, extended.ID) {
		t.Errorf("teardown requested by %q (%s), not as the extender %q", done.RequestedBy, done.Requester, extended.RequestedBy)
	}
	wait.For(t, 20*time.Second, "the namespace deleted", func() bool {
		ns, err := kc.CoreV1().Namespaces().Get(bg, "svc-0-0-preview", metav1.GetOptions{})
		return apierrors.IsNotFound(err) || (err == nil && ns.DeletionTimestamp != nil)
	})
	if n := countLog(t, ss, extended.ID, "tears it down"); n != 1 {
		t.Errorf("%d teardown notices in the extending run's log", n)
	}
	// A terminating environment is pending: the sweep leaves it alone.
	wait.For(t, 20*time.Second, "the environment pending or gone", func() bool {
		for _, e := range ss.p.Expiring() {
			if e.Target == exp.Target && !e.Pending {
				return false
			}
		}
		return true
	})
	_ = kubernetes.ReasonExpiring
}

func expiryEvents(t *testing.T, kc k8s.Interface, ns string) []corev1.Event {
	t.Helper()
	list, err := kc.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + kubernetes.ReasonExpiring})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// countLog counts the lines of a run's log that contain s.
func countLog(t *testing.T, ss *selfService, run, s string) int {
	t.Helper()
	evs, err := ss.runs.Events(principal.SystemContext(context.Background()), run, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if strings.Contains(e.Message, s) {
			n++
		}
	}
	return n
}

// grantUser gives a user every verb on some core resources, cluster-wide.
func grantUser(t *testing.T, kc k8s.Interface, user, name string, resources []string) {
	t.Helper()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: resources, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}}}}
	if _, err := kc.RbacV1().ClusterRoles().Create(context.Background(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.RbacV1().ClusterRoleBindings().Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
