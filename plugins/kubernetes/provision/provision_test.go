package provision_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/plugins/kubernetes/provision"
)

// The CRDs of the three database templates, from deploy/crds.
var databaseCRDs = []string{
	"postgresql.cnpg.io_clusters.yaml",
	"acid.zalan.do_postgresqls.yaml",
	"mongodbcommunity.mongodb.com_mongodbcommunity.yaml",
}

var (
	namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrByKind     = map[string]schema.GroupVersionResource{
		"Namespace":        namespacesGVR,
		"ResourceQuota":    {Version: "v1", Resource: "resourcequotas"},
		"LimitRange":       {Version: "v1", Resource: "limitranges"},
		"NetworkPolicy":    {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
		"RoleBinding":      {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
		"Cluster":          {Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"},
		"postgresql":       {Group: "acid.zalan.do", Version: "v1", Resource: "postgresqls"},
		"MongoDBCommunity": {Group: "mongodbcommunity.mongodb.com", Version: "v1", Resource: "mongodbcommunity"},
	}
)

// env is the shared cluster: RBAC enforced, alice in team-a (allowed to
// self-provision), bob in team-b (allowed nothing), pont (allowed only to
// impersonate).
type env struct {
	c     *kubetest.Cluster
	admin *rest.Config
	pont  *rest.Config
	alice *rest.Config
	bob   *rest.Config
	dyn   dynamic.Interface // admin's, to look at what was made
}

// TestProvisioning runs every flow against one real API server enforcing
// RBAC, with the three operators' CRDs installed. Subtests share it, each
// in namespaces of its own.
func TestProvisioning(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{
		RBAC:  true,
		Users: map[string][]string{"alice": {"team-a"}, "bob": {"team-b"}, "pont": nil},
		CRDs:  databaseCRDs,
	})
	e := &env{c: c, admin: c.Config(), pont: c.UserConfig("pont")}
	e.dyn = dynamic.NewForConfigOrDie(e.admin)
	setupRBAC(t, e.admin)
	e.alice = forUser(t, e.pont, "alice", "team-a")
	e.bob = forUser(t, e.pont, "bob", "team-b")

	t.Run("ImpersonationStripsSystemGroups", e.testImpersonation)
	t.Run("Environment", e.testEnvironment)
	t.Run("Denied", e.testDenied)
	t.Run("Databases", e.testDatabases)
	t.Run("WaitReady", e.testWaitReady)
	t.Run("Delete", e.testDelete)
	t.Run("PasswordSecret", e.testPasswordSecret)
}

// testPasswordSecret: the generated password of a MongoDB database is
// made once, as the user, and kept on a second call; a user without the
// right to create Secrets gets the cluster's refusal.
func (e *env) testPasswordSecret(t *testing.T) {
	kc := kubernetes.NewForConfigOrDie(e.admin)
	if _, err := kc.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pw-test"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.RbacV1().RoleBindings("pw-test").Create(t.Context(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a-edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "team-a"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	name := provision.MongoDBPasswordSecretName("users")
	created, err := provision.EnsurePasswordSecret(t.Context(), e.alice, "pw-test", name)
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	first, err := kc.CoreV1().Secrets("pw-test").Get(t.Context(), name, metav1.GetOptions{})
	if err != nil || len(first.Data["password"]) < 20 {
		t.Fatalf("secret: %v, %d bytes of password", err, len(first.Data["password"]))
	}
	created, err = provision.EnsurePasswordSecret(t.Context(), e.alice, "pw-test", name)
	if err != nil || created {
		t.Fatalf("second: %v %v", created, err)
	}
	again, _ := kc.CoreV1().Secrets("pw-test").Get(t.Context(), name, metav1.GetOptions{})
	if string(again.Data["password"]) != string(first.Data["password"]) {
		t.Error("the second call changed the password")
	}
	var denied *provision.DeniedError
	if _, err := provision.EnsurePasswordSecret(t.Context(), e.bob, "pw-test", "other"); !errors.As(err, &denied) || !strings.Contains(denied.Message, `"bob"`) {
		t.Errorf("bob: %v", err)
	}
	secret := func(name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": name, "namespace": "pw-test"}}}
	}
	if ok, err := provision.Exists(t.Context(), e.alice, secret(name)); !ok || err != nil {
		t.Errorf("Exists(%s) = %v, %v", name, ok, err)
	}
	if ok, err := provision.Exists(t.Context(), e.alice, secret("other")); ok || err != nil {
		t.Errorf("Exists(other) = %v, %v", ok, err)
	}
	if _, err := provision.Exists(t.Context(), e.bob, secret(name)); !errors.As(err, &denied) {
		t.Errorf("Exists as bob: %v", err)
	}
}

// setupRBAC creates what a platform team would: stand-ins for the
// aggregated "edit" role (empty without kube-controller-manager), a
// self-service role for team-a, and Pont's impersonation role.
func setupRBAC(t *testing.T, admin *rest.Config) {
	t.Helper()
	kc := kubernetes.NewForConfigOrDie(admin)
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	roles := []*rbacv1.ClusterRole{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "edit"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "services", "pods"}, Verbs: all},
				{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: all},
			},
		},
		{
			// What lets a team provision by itself: the kinds the
			// templates make, and bind on "edit" (it does not hold edit's
			// permissions, so without bind the RoleBinding is refused).
			ObjectMeta: metav1.ObjectMeta{Name: "pont-self-service"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"namespaces", "resourcequotas", "limitranges"}, Verbs: all},
				{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: all},
				{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: all},
				{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"bind"}, ResourceNames: []string{"edit"}},
				{APIGroups: []string{"postgresql.cnpg.io"}, Resources: []string{"clusters"}, Verbs: all},
				{APIGroups: []string{"acid.zalan.do"}, Resources: []string{"postgresqls"}, Verbs: all},
				{APIGroups: []string{"mongodbcommunity.mongodb.com"}, Resources: []string{"mongodbcommunity"}, Verbs: all},
			},
		},
		{
			// All Pont needs besides its read role.
			ObjectMeta: metav1.ObjectMeta{Name: "pont-impersonator"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"users", "groups"}, Verbs: []string{"impersonate"}},
			},
		},
	}
	for _, r := range roles {
		_, err := kc.RbacV1().ClusterRoles().Create(t.Context(), r, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			// The bootstrap "edit": an aggregated role whose rules
			// kube-controller-manager would fill in. Give it rules of
			// its own instead.
			var old *rbacv1.ClusterRole
			if old, err = kc.RbacV1().ClusterRoles().Get(t.Context(), r.Name, metav1.GetOptions{}); err == nil {
				old.AggregationRule, old.Rules = nil, r.Rules
				_, err = kc.RbacV1().ClusterRoles().Update(t.Context(), old, metav1.UpdateOptions{})
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	bindings := []*rbacv1.ClusterRoleBinding{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "team-a-self-service"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pont-self-service"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "team-a"}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "pont-impersonator"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "pont-impersonator"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "pont"}},
		},
	}
	for _, b := range bindings {
		if _, err := kc.RbacV1().ClusterRoleBindings().Create(t.Context(), b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func forUser(t *testing.T, base *rest.Config, user string, groups ...string) *rest.Config {
	t.Helper()
	cfg, err := provision.ForUser(base, user, groups)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (e *env) testImpersonation(t *testing.T) {
	whoami := func(cfg *rest.Config) authnv1.UserInfo {
		t.Helper()
		r, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status.UserInfo
	}

	// Pont is allowed to impersonate any group, so the API server would
	// honour system:masters: that is what ForUser must never pass on.
	raw := rest.CopyConfig(e.pont)
	raw.Impersonate = rest.ImpersonationConfig{UserName: "alice", Groups: []string{"team-a", "system:masters"}}
	if got := whoami(raw); !slices.Contains(got.Groups, "system:masters") {
		t.Fatalf("control: raw impersonation of system:masters gives groups %v; the test shows nothing", got.Groups)
	}

	cfg := forUser(t, e.pont, "alice", "team-a", "system:masters", "system:nodes", "team-a", "")
	got := whoami(cfg)
	if got.Username != "alice" {
		t.Errorf("server sees user %q, want alice", got.Username)
	}
	// The server adds system:authenticated itself.
	if want := []string{"team-a", "system:authenticated"}; !slices.Equal(got.Groups, want) {
		t.Errorf("server sees groups %v, want %v", got.Groups, want)
	}
	// And the groups are not just hidden from the review: alice as
	// impersonated has no admin rights.
	_, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Secrets("kube-system").List(t.Context(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("alice listing Secrets in kube-system: %v, want Forbidden", err)
	}
	// Pont's own identity is not what answers.
	if me := whoami(e.pont); me.Username != "pont" {
		t.Errorf("pont is %q", me.Username)
	}
}

// TestForUser checks ForUser without a cluster: refusals give no config,
// the base is not changed, reserved groups are dropped.
func TestForUser(t *testing.T) {
	base := &rest.Config{Host: "https://example.invalid", BearerToken: "pont-token",
		Impersonate: rest.ImpersonationConfig{UID: "u-1", Extra: map[string][]string{"scopes": {"all"}}}}
	for _, user := range []string{"", "  ", "system:admin", "system:serviceaccount:kube-system:default", "System:Admin"} {
		cfg, err := provision.ForUser(base, user, []string{"team-a"})
		if err == nil || cfg != nil {
			t.Errorf("ForUser(%q) = %v, %v; want an error and no config", user, cfg, err)
		}
	}
	if cfg, err := provision.ForUser(nil, "alice", nil); err == nil || cfg != nil {
		t.Errorf("ForUser(nil base) = %v, %v", cfg, err)
	}
	cfg, err := provision.ForUser(base, "alice", []string{"team-a", "system:masters", " system:masters", "System:Masters", "", "team-b", "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	want := rest.ImpersonationConfig{UserName: "alice", Groups: []string{"team-a", "team-b"}}
	if cfg.Impersonate.UserName != want.UserName || !slices.Equal(cfg.Impersonate.Groups, want.Groups) ||
		cfg.Impersonate.UID != "" || cfg.Impersonate.Extra != nil {
		t.Errorf("Impersonate = %+v, want %+v", cfg.Impersonate, want)
	}
	if cfg.Host != base.Host || cfg.BearerToken != base.BearerToken {
		t.Error("the copy lost the base's connection")
	}
	if base.Impersonate.UserName != "" || base.Impersonate.UID != "u-1" {
		t.Errorf("the base was changed: %+v", base.Impersonate)
	}
}

func (e *env) testEnvironment(t *testing.T) {
	ctx := t.Context()
	in := provision.EnvironmentInput{
		Namespace: "team-a-dev", Environment: "dev", Owner: "team-a",
		Component: "payments", System: "shop", CPU: "4", Memory: "4Gi",
		TTL: 72 * time.Hour, CreatedBy: "alice",
	}
	before := time.Now().Truncate(time.Second)
	objs, err := provision.EnvironmentObjects(in, provision.DefaultEnvironmentTemplate())
	if err != nil {
		t.Fatal(err)
	}

	// Plan before anything exists: all creates. The namespace is checked
	// by the server (a dry-run as alice); what goes into it cannot be yet.
	d, err := provision.Plan(ctx, e.alice, objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Objects) != len(objs) || !d.Changed() {
		t.Fatalf("plan: %d objects, changed %v:\n%s", len(d.Objects), d.Changed(), d)
	}
	for i, o := range d.Objects {
		if o.Action != provision.ActionCreate {
			t.Errorf("plan: %s %s: %s, want create", o.Kind, o.Name, o.Action)
		}
		if i == 0 && (o.Kind != "Namespace" || !strings.Contains(o.Text, "+    pont.dev/environment: dev")) {
			t.Errorf("plan: first entry %s, text:\n%s", o.Kind, o.Text)
		}
		if i > 0 && !strings.Contains(o.Text, "not checked by the API server") {
			t.Errorf("plan: %s in a new namespace should say it was not checked:\n%s", o.Kind, o.Text)
		}
	}
	t.Logf("plan:\n%s", d)
	if _, err := e.dyn.Resource(namespacesGVR).Get(ctx, in.Namespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the plan created the namespace (or: %v)", err)
	}

	if err := provision.Apply(ctx, e.alice, objs); err != nil {
		t.Fatal(err)
	}
	after := time.Now()

	ns := e.get(t, "Namespace", "", in.Namespace)
	wantLabels := map[string]string{
		"pont.dev/environment": "dev", "pont.dev/owner": "team-a",
		"pont.dev/system": "shop", "backstage.io/kubernetes-id": "payments",
	}
	for k, v := range wantLabels {
		if got := ns.GetLabels()[k]; got != v {
			t.Errorf("namespace label %s = %q, want %q", k, got, v)
		}
	}
	ann := ns.GetAnnotations()
	if ann[provision.AnnotationCreatedBy] != "alice" || ann[provision.AnnotationManagedBy] != "pont" {
		t.Errorf("namespace annotations %v", ann)
	}
	exp, err := time.Parse(time.RFC3339, ann[provision.AnnotationExpiresAt])
	if err != nil || exp.Before(before.Add(in.TTL)) || exp.After(after.Add(in.TTL)) {
		t.Errorf("expires-at %q (%v), want within [%v, %v]", ann[provision.AnnotationExpiresAt], err, before.Add(in.TTL), after.Add(in.TTL))
	}
	for _, o := range objs[1:] {
		got := e.get(t, o.GetKind(), o.GetNamespace(), o.GetName())
		if got.GetAnnotations()[provision.AnnotationManagedBy] != "pont" {
			t.Errorf("%s %s: no managed-by annotation", o.GetKind(), o.GetName())
		}
	}
	quota := e.get(t, "ResourceQuota", in.Namespace, provision.QuotaName)
	if hard, _, _ := unstructured.NestedStringMap(quota.Object, "spec", "hard"); hard["limits.cpu"] != "4" || hard["requests.memory"] != "4Gi" || hard["pods"] != "50" {
		t.Errorf("quota hard = %v", hard)
	}
	deny := e.get(t, "NetworkPolicy", in.Namespace, provision.DenyAllPolicyName)
	if types, _, _ := unstructured.NestedStringSlice(deny.Object, "spec", "policyTypes"); !slices.Equal(types, []string{"Ingress", "Egress"}) {
		t.Errorf("default-deny policyTypes = %v", types)
	}
	dns := e.get(t, "NetworkPolicy", in.Namespace, provision.AllowDNSPolicy)
	if egress, _, _ := unstructured.NestedSlice(dns.Object, "spec", "egress"); len(egress) != 1 {
		t.Errorf("allow-dns egress = %v", egress)
	}

	// The RoleBinding gives team-a (anyone in it) the edit role there,
	// and nowhere else.
	e.expectAccess(t, "carol", []string{"team-a"}, in.Namespace, true)
	e.expectAccess(t, "carol", []string{"team-a"}, "default", false)
	e.expectAccess(t, "dave", []string{"team-b"}, in.Namespace, false)

	// Everything is as planned now.
	d, err = provision.Plan(ctx, e.alice, objs)
	if err != nil {
		t.Fatal(err)
	}
	if d.Changed() {
		t.Errorf("plan after apply changes something:\n%s", d)
	}
	for _, o := range d.Objects {
		if o.Action != provision.ActionUnchanged || o.Text != "" {
			t.Errorf("plan after apply: %s %s: %s %q", o.Kind, o.Name, o.Action, o.Text)
		}
	}

	// Applying again writes nothing: no resourceVersion moves.
	rvs := e.resourceVersions(t, objs)
	if err := provision.Apply(ctx, e.alice, objs); err != nil {
		t.Fatal(err)
	}
	if again := e.resourceVersions(t, objs); !slices.Equal(rvs, again) {
		t.Errorf("second apply changed resourceVersions: %v → %v", rvs, again)
	}

	// A changed request: only the quota changes, and the plan says how.
	in2 := in
	in2.Memory = "8Gi"
	objs2, err := provision.EnvironmentObjects(in2, provision.DefaultEnvironmentTemplate())
	if err != nil {
		t.Fatal(err)
	}
	// Rendering again moves the expiry (that renews a TTL); keep it.
	objs2[0].SetAnnotations(objs[0].GetAnnotations())
	d, err = provision.Plan(ctx, e.alice, objs2)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range d.Objects {
		want := provision.ActionUnchanged
		if o.Kind == "ResourceQuota" {
			want = provision.ActionUpdate
			for _, line := range []string{"-    limits.memory: 4Gi", "+    limits.memory: 8Gi", "-    requests.memory: 4Gi", "+    requests.memory: 8Gi", "--- live", "+++ planned", "@@ "} {
				if !strings.Contains(o.Text, line) {
					t.Errorf("quota diff lacks %q:\n%s", line, o.Text)
				}
			}
		}
		if o.Action != want {
			t.Errorf("plan of the change: %s %s: %s, want %s\n%s", o.Kind, o.Name, o.Action, want, o.Text)
		}
	}
	t.Logf("plan of the change:\n%s", d)
	if err := provision.Apply(ctx, e.alice, objs2); err != nil {
		t.Fatal(err)
	}
	quota = e.get(t, "ResourceQuota", in.Namespace, provision.QuotaName)
	if hard, _, _ := unstructured.NestedStringMap(quota.Object, "spec", "hard"); hard["limits.memory"] != "8Gi" {
		t.Errorf("quota after the change: %v", hard)
	}
}

// expectAccess asks the API server whether user in groups may create
// ConfigMaps in ns (the stand-in edit role allows it).
func (e *env) expectAccess(t *testing.T, user string, groups []string, ns string, want bool) {
	t.Helper()
	r, err := kubernetes.NewForConfigOrDie(e.admin).AuthorizationV1().SubjectAccessReviews().Create(t.Context(), &authzv1.SubjectAccessReview{
		Spec: authzv1.SubjectAccessReviewSpec{
			User: user, Groups: groups,
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: "create", Resource: "configmaps"},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.Allowed != want {
		t.Errorf("%s in %v may create configmaps in %s: %v, want %v (%s)", user, groups, ns, r.Status.Allowed, want, r.Status.Reason)
	}
}

func (e *env) testDenied(t *testing.T) {
	ctx := t.Context()
	objs, err := provision.EnvironmentObjects(provision.EnvironmentInput{
		Namespace: "team-b-dev", Environment: "dev", Owner: "team-b",
	}, provision.DefaultEnvironmentTemplate())
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*rest.Config{"bob": e.bob, "pont": e.pont} {
		for _, step := range []struct {
			name string
			run  func() error
		}{
			{"plan", func() error { _, err := provision.Plan(ctx, cfg, objs); return err }},
			{"apply", func() error { return provision.Apply(ctx, cfg, objs) }},
		} {
			err := step.run()
			var de *provision.DeniedError
			if !errors.As(err, &de) {
				t.Fatalf("%s as %s: %v (%T), want a *DeniedError", step.name, name, err, err)
			}
			// The cluster's own words, naming who was refused what
			// (the plan's first request is a get, an apply is a patch).
			want := `"team-b-dev" is forbidden: User "` + name + `" cannot `
			if !strings.Contains(de.Message, want) || !strings.Contains(de.Message, `resource "namespaces"`) || err.Error() != de.Message {
				t.Errorf("%s as %s: message %q, want it to contain %q", step.name, name, de.Message, want)
			}
			t.Logf("%s as %s: %v", step.name, name, err)
			if !apierrors.IsForbidden(err) || de.Object != "Namespace team-b-dev" {
				t.Errorf("%s as %s: IsForbidden %v, Object %q", step.name, name, apierrors.IsForbidden(err), de.Object)
			}
		}
	}
	// Nothing was created, by anyone.
	if _, err := e.dyn.Resource(namespacesGVR).Get(ctx, "team-b-dev", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace team-b-dev after denied applies: %v, want NotFound", err)
	}
	// A Pont that may not impersonate (here: bob's credentials as Pont's)
	// is refused as a whole; it does not go on as itself.
	noImpersonate := forUser(t, e.c.UserConfig("bob"), "alice", "team-a")
	for _, step := range []struct {
		name string
		run  func() error
	}{
		{"plan", func() error { _, err := provision.Plan(ctx, noImpersonate, objs); return err }},
		{"apply", func() error { return provision.Apply(ctx, noImpersonate, objs) }},
	} {
		err := step.run()
		var de *provision.DeniedError
		if !errors.As(err, &de) || !strings.Contains(de.Message, `User "bob" cannot impersonate`) {
			t.Errorf("%s without the right to impersonate: %v (%T), want a *DeniedError", step.name, err, err)
		}
	}

	// Bob may not even create a database in alice's environment.
	e.environment(t, "team-a-shared")
	db, err := provision.DatabaseObject(provision.DatabaseInput{Namespace: "team-a-shared", Name: "pg", Owner: "team-b"})
	if err != nil {
		t.Fatal(err)
	}
	err = provision.Apply(ctx, e.bob, []*unstructured.Unstructured{db})
	var de *provision.DeniedError
	if !errors.As(err, &de) || !strings.Contains(de.Message, `User "bob" cannot`) {
		t.Errorf("bob creating a database: %v", err)
	}
	if _, err := e.dyn.Resource(gvrByKind["Cluster"]).Namespace("team-a-shared").Get(ctx, "pg", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("database after bob's denied apply: %v, want NotFound", err)
	}
}

// environment provisions a default environment as alice.
func (e *env) environment(t *testing.T, ns string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := provision.EnvironmentObjects(provision.EnvironmentInput{Namespace: ns, Environment: "dev", Owner: "team-a"}, provision.DefaultEnvironmentTemplate())
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Apply(t.Context(), e.alice, objs); err != nil {
		t.Fatal(err)
	}
	return objs
}

func (e *env) testDatabases(t *testing.T) {
	ns := "team-a-data"
	e.environment(t, ns)
	for _, tc := range []struct {
		operator string
		kind     string
		path     []string // the instance count
		check    func(t *testing.T, got *unstructured.Unstructured)
	}{
		{provision.OperatorCNPG, "Cluster", []string{"spec", "instances"}, func(t *testing.T, got *unstructured.Unstructured) {
			expectField(t, got, "ghcr.io/cloudnative-pg/postgresql:16", "spec", "imageName")
			expectField(t, got, "20Gi", "spec", "storage", "size")
		}},
		{provision.OperatorZalando, "postgresql", []string{"spec", "numberOfInstances"}, func(t *testing.T, got *unstructured.Unstructured) {
			expectField(t, got, "16", "spec", "postgresql", "version")
			expectField(t, got, "team-a", "spec", "teamId")
			expectField(t, got, "20Gi", "spec", "volume", "size")
			expectField(t, got, "app", "spec", "databases", "app")
		}},
		{provision.OperatorMongoDBCommunity, "MongoDBCommunity", []string{"spec", "members"}, func(t *testing.T, got *unstructured.Unstructured) {
			expectField(t, got, "7.0.12", "spec", "version")
			expectField(t, got, "ReplicaSet", "spec", "type")
			users, _, _ := unstructured.NestedSlice(got.Object, "spec", "users")
			if len(users) != 1 || users[0].(map[string]any)["passwordSecretRef"].(map[string]any)["name"] != provision.MongoDBPasswordSecretName("mongo") {
				t.Errorf("users = %v", users)
			}
		}},
	} {
		t.Run(tc.operator, func(t *testing.T) {
			ctx := t.Context()
			version := map[string]string{provision.OperatorCNPG: "16", provision.OperatorZalando: "16", provision.OperatorMongoDBCommunity: "7.0.12"}[tc.operator]
			name := map[string]string{provision.OperatorCNPG: "pg", provision.OperatorZalando: "zalando-pg", provision.OperatorMongoDBCommunity: "mongo"}[tc.operator]
			obj, err := provision.DatabaseObject(provision.DatabaseInput{
				Namespace: ns, Name: name, Operator: tc.operator, Version: version,
				Instances: 1, Storage: "20Gi", Owner: "team-a", Component: "payments",
			})
			if err != nil {
				t.Fatal(err)
			}
			objs := []*unstructured.Unstructured{obj}

			// The dry run is the API server validating the object
			// against the operator's published schema.
			d, err := provision.Plan(ctx, e.alice, objs)
			if err != nil {
				t.Fatalf("dry-run refused: %v", err)
			}
			if len(d.Objects) != 1 || d.Objects[0].Action != provision.ActionCreate || d.Objects[0].Kind != tc.kind ||
				strings.Contains(d.Objects[0].Text, "not checked") || !strings.Contains(d.Objects[0].Text, "+  name: "+name) {
				t.Fatalf("plan:\n%s", d)
			}
			if _, err := e.dyn.Resource(gvrByKind[tc.kind]).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("the plan created the object (or: %v)", err)
			}

			if err := provision.Apply(ctx, e.alice, objs); err != nil {
				t.Fatalf("apply refused: %v", err)
			}
			got := e.get(t, tc.kind, ns, name)
			if got.GetLabels()["pont.dev/owner"] != "team-a" || got.GetLabels()["backstage.io/kubernetes-id"] != "payments" ||
				got.GetAnnotations()["pont.dev/managed-by"] != "pont" {
				t.Errorf("labels %v, annotations %v", got.GetLabels(), got.GetAnnotations())
			}
			tc.check(t, got)
			expectInt(t, got, 1, tc.path...)

			if d, err := provision.Plan(ctx, e.alice, objs); err != nil || d.Changed() {
				t.Errorf("plan after apply: %v\n%s", err, d)
			}

			scaled, err := provision.ScaleDatabase(obj, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n, _, _ := unstructured.NestedInt64(obj.Object, tc.path...); n != 1 {
				t.Errorf("ScaleDatabase changed its argument: %d", n)
			}
			d, err = provision.Plan(ctx, e.alice, []*unstructured.Unstructured{scaled})
			if err != nil {
				t.Fatal(err)
			}
			last := tc.path[len(tc.path)-1]
			if len(d.Objects) != 1 || d.Objects[0].Action != provision.ActionUpdate ||
				!strings.Contains(d.Objects[0].Text, "-  "+last+": 1") || !strings.Contains(d.Objects[0].Text, "+  "+last+": 3") {
				t.Errorf("plan of the scale:\n%s", d)
			}
			if err := provision.Apply(ctx, e.alice, []*unstructured.Unstructured{scaled}); err != nil {
				t.Fatal(err)
			}
			expectInt(t, e.get(t, tc.kind, ns, name), 3, tc.path...)
		})
	}

	// What the schema refuses, the plan refuses, before anything is
	// written: Zalando's CRD allows PostgreSQL 14 to 18 only.
	obj, err := provision.DatabaseObject(provision.DatabaseInput{Namespace: ns, Name: "old", Operator: provision.OperatorZalando, Owner: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(obj.Object, "12", "spec", "postgresql", "version"); err != nil {
		t.Fatal(err)
	}
	_, err = provision.Plan(t.Context(), e.alice, []*unstructured.Unstructured{obj})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.postgresql.version") {
		t.Errorf("plan of an invalid object: %v, want Invalid naming spec.postgresql.version", err)
	}
	// A kind the cluster does not serve is an error naming the object.
	odd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Nothing", "metadata": map[string]any{"name": "x", "namespace": ns}}}
	if _, err := provision.Plan(t.Context(), e.alice, []*unstructured.Unstructured{odd}); err == nil || !strings.Contains(err.Error(), "Nothing "+ns+"/x") {
		t.Errorf("plan of an unknown kind: %v", err)
	}
}

func (e *env) testWaitReady(t *testing.T) {
	ns := "team-a-wait"
	e.environment(t, ns)
	obj, err := provision.DatabaseObject(provision.DatabaseInput{Namespace: ns, Name: "pg", Instances: 2, Owner: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Apply(t.Context(), e.alice, []*unstructured.Unstructured{obj}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- provision.WaitReady(ctx, e.alice, obj, provision.DatabaseReady) }()

	// The operator at work: not ready yet.
	e.writeStatus(t, "Cluster", ns, "pg", map[string]any{"phase": "Setting up primary", "instances": int64(2), "readyInstances": int64(0)})
	e.writeStatus(t, "Cluster", ns, "pg", map[string]any{"phase": "Cluster in healthy state", "instances": int64(2), "readyInstances": int64(1)})
	select {
	case err := <-done:
		t.Fatalf("WaitReady returned before the cluster was ready: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	e.writeStatus(t, "Cluster", ns, "pg", map[string]any{"phase": "Cluster in healthy state", "instances": int64(2), "readyInstances": int64(2)})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("WaitReady: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("WaitReady did not return after the status became ready")
	}
	// Ready already: at once.
	if err := provision.WaitReady(ctx, e.alice, obj, provision.DatabaseReady); err != nil {
		t.Errorf("WaitReady on a ready cluster: %v", err)
	}

	// A database that never gets ready: the deadline's error.
	short, cancel2 := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel2()
	missing, _ := provision.DatabaseObject(provision.DatabaseInput{Namespace: ns, Name: "never", Owner: "team-a"})
	if err := provision.WaitReady(short, e.alice, missing, provision.DatabaseReady); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady on a missing object: %v, want DeadlineExceeded", err)
	}
	// Bob may not read it: denied at once, not at the deadline.
	start := time.Now()
	err = provision.WaitReady(ctx, e.bob, obj, provision.DatabaseReady)
	var de *provision.DeniedError
	if !errors.As(err, &de) || time.Since(start) > 5*time.Second {
		t.Errorf("WaitReady as bob: %v after %v, want a *DeniedError at once", err, time.Since(start))
	}
}

// writeStatus writes a status as the operator would (admin, status
// subresource).
func (e *env) writeStatus(t *testing.T, kind, ns, name string, status map[string]any) {
	t.Helper()
	ri := e.dyn.Resource(gvrByKind[kind]).Namespace(ns)
	obj, err := ri.Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj.Object["status"] = status
	if _, err := ri.UpdateStatus(t.Context(), obj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) testDelete(t *testing.T) {
	ctx := t.Context()
	ns := "team-a-gone"
	envObjs := e.environment(t, ns)
	db, err := provision.DatabaseObject(provision.DatabaseInput{Namespace: ns, Name: "pg", Owner: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Apply(ctx, e.alice, []*unstructured.Unstructured{db}); err != nil {
		t.Fatal(err)
	}
	all := append([]*unstructured.Unstructured{db}, envObjs...)

	// The plan of a deletion: every object, contents before namespace,
	// checked by a dry run; and bob's is denied.
	d, err := provision.PlanDelete(ctx, e.alice, all)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Objects) != len(all) || d.Objects[len(d.Objects)-1].Kind != "Namespace" {
		t.Fatalf("delete plan:\n%s", d)
	}
	for _, o := range d.Objects {
		if o.Action != provision.ActionDelete || !strings.Contains(o.Text, "-  name: "+o.Name) {
			t.Errorf("delete plan: %s %s: %s\n%s", o.Kind, o.Name, o.Action, o.Text)
		}
	}
	if _, err := provision.PlanDelete(ctx, e.bob, all); !errors.As(err, new(*provision.DeniedError)) {
		t.Errorf("PlanDelete as bob: %v, want a *DeniedError", err)
	}
	e.get(t, "Cluster", ns, "pg") // the dry run deleted nothing

	// Delete the database and the policies, twice.
	objs := []*unstructured.Unstructured{db, envObjs[3], envObjs[4]}
	for i := range 2 {
		if err := provision.Delete(ctx, e.alice, objs); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	for _, o := range objs {
		e.expectGone(t, o.GetKind(), o.GetNamespace(), o.GetName())
	}
	if err := provision.Delete(ctx, e.bob, envObjs); !errors.As(err, new(*provision.DeniedError)) {
		t.Errorf("Delete as bob: %v, want a *DeniedError", err)
	}
	e.get(t, "ResourceQuota", ns, provision.QuotaName)

	// A kind no longer served counts as deleted.
	odd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Nothing", "metadata": map[string]any{"name": "x", "namespace": ns}}}
	if err := provision.Delete(ctx, e.alice, []*unstructured.Unstructured{odd}); err != nil {
		t.Errorf("Delete of an unserved kind: %v", err)
	}

	// Bob cannot even read alice's environment.
	if err := provision.DeleteNamespace(ctx, e.bob, ns); !errors.As(err, new(*provision.DeniedError)) {
		t.Errorf("DeleteNamespace as bob: %v, want a *DeniedError", err)
	}
	if got := e.get(t, "Namespace", "", ns); got.GetDeletionTimestamp() != nil {
		t.Error("bob's denied deletion deleted the namespace")
	}

	// The namespace, twice; then one that never existed.
	for i := range 2 {
		if err := provision.DeleteNamespace(ctx, e.alice, ns); err != nil {
			t.Fatalf("DeleteNamespace #%d: %v", i+1, err)
		}
	}
	e.expectGone(t, "Namespace", "", ns)
	if err := provision.DeleteNamespace(ctx, e.alice, "never-was"); err != nil {
		t.Errorf("DeleteNamespace of a missing namespace: %v", err)
	}
	// Not Pont's: refused though alice's RBAC would allow it.
	if err := provision.DeleteNamespace(ctx, e.alice, "default"); err == nil || !strings.Contains(err.Error(), "not provisioned by Pont") {
		t.Errorf("DeleteNamespace(default): %v", err)
	}
	e.get(t, "Namespace", "", "default")
}

// expectGone: deleted, or being deleted. No garbage collector or namespace
// controller runs here, so a foreground deletion stays at "being deleted"
// (deletionTimestamp and the foregroundDeletion finalizer set).
func (e *env) expectGone(t *testing.T, kind, ns, name string) {
	t.Helper()
	ri := e.dyn.Resource(gvrByKind[kind])
	var got *unstructured.Unstructured
	var err error
	if ns != "" {
		got, err = ri.Namespace(ns).Get(t.Context(), name, metav1.GetOptions{})
	} else {
		got, err = ri.Get(t.Context(), name, metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		t.Fatal(err)
	case got.GetDeletionTimestamp() == nil:
		t.Errorf("%s %s/%s is not being deleted", kind, ns, name)
	case kind != "Namespace" && !slices.Contains(got.GetFinalizers(), metav1.FinalizerDeleteDependents):
		t.Errorf("%s %s/%s: finalizers %v: not a foreground deletion", kind, ns, name, got.GetFinalizers())
	}
}

func (e *env) get(t *testing.T, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	ri := e.dyn.Resource(gvrByKind[kind])
	var got *unstructured.Unstructured
	var err error
	if ns != "" {
		got, err = ri.Namespace(ns).Get(t.Context(), name, metav1.GetOptions{})
	} else {
		got, err = ri.Get(t.Context(), name, metav1.GetOptions{})
	}
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", kind, ns, name, err)
	}
	return got
}

func (e *env) resourceVersions(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	var rvs []string
	for _, o := range objs {
		rvs = append(rvs, o.GetKind()+"="+e.get(t, o.GetKind(), o.GetNamespace(), o.GetName()).GetResourceVersion())
	}
	return rvs
}

func expectField(t *testing.T, obj *unstructured.Unstructured, want string, path ...string) {
	t.Helper()
	if got, _, _ := unstructured.NestedString(obj.Object, path...); got != want {
		t.Errorf("%s = %q, want %q", strings.Join(path, "."), got, want)
	}
}

func expectInt(t *testing.T, obj *unstructured.Unstructured, want int64, path ...string) {
	t.Helper()
	if got, _, _ := unstructured.NestedInt64(obj.Object, path...); got != want {
		t.Errorf("%s = %d, want %d", strings.Join(path, "."), got, want)
	}
}

// TestEnvironmentInputErrors: every field of EnvironmentInput, when bad,
// gives an *InvalidInput naming that field (and only that one).
func TestEnvironmentInputErrors(t *testing.T) {
	valid := provision.EnvironmentInput{Namespace: "team-a-dev", Environment: "dev", Owner: "team-a"}
	for _, tc := range []struct {
		field  string
		change func(*provision.EnvironmentInput)
		want   string // in the message
	}{
		{"namespace", func(in *provision.EnvironmentInput) { in.Namespace = "Foo" }, `namespace: "Foo" is not a DNS label`},
		{"namespace", func(in *provision.EnvironmentInput) { in.Namespace = "" }, "namespace: required"},
		{"namespace", func(in *provision.EnvironmentInput) { in.Namespace = "a_b" }, "not a DNS label"},
		{"namespace", func(in *provision.EnvironmentInput) { in.Namespace = strings.Repeat("a", 64) }, "not a DNS label"},
		{"namespace", func(in *provision.EnvironmentInput) { in.Namespace = "kube-system" }, "reserved"},
		{"namespace", func(in *provision.EnvironmentInput) { in.Namespace = "default" }, "reserved"},
		{"environment", func(in *provision.EnvironmentInput) { in.Environment = "" }, "environment: required"},
		{"environment", func(in *provision.EnvironmentInput) { in.Environment = "dev env" }, "not a valid label value"},
		{"owner", func(in *provision.EnvironmentInput) { in.Owner = "" }, "owner: required"},
		{"owner", func(in *provision.EnvironmentInput) { in.Owner = "group:default/team-a" }, "not a valid label value"},
		{"component", func(in *provision.EnvironmentInput) { in.Component = "-payments" }, "not a valid label value"},
		{"system", func(in *provision.EnvironmentInput) { in.System = strings.Repeat("s", 64) }, "not a valid label value"},
		{"cpu", func(in *provision.EnvironmentInput) { in.CPU = "lots" }, `cpu: "lots" is not a quantity`},
		{"cpu", func(in *provision.EnvironmentInput) { in.CPU = "-1" }, "not positive"},
		{"cpu", func(in *provision.EnvironmentInput) { in.CPU = "100" }, "more than the allowed 16"},
		{"cpu", func(in *provision.EnvironmentInput) { in.CPU = "100m" }, "less than one container's default limit 500m"},
		{"memory", func(in *provision.EnvironmentInput) { in.Memory = "4 GB" }, "not a quantity"},
		{"memory", func(in *provision.EnvironmentInput) { in.Memory = "1Ti" }, "more than the allowed 64Gi"},
		{"memory", func(in *provision.EnvironmentInput) { in.Memory = "64Mi" }, "less than one container's default limit 512Mi"},
		{"ttl", func(in *provision.EnvironmentInput) { in.TTL = -time.Hour }, "ttl: -1h0m0s is negative"},
		{"ttl", func(in *provision.EnvironmentInput) { in.TTL = time.Second }, "less than a minute"},
		{"ttl", func(in *provision.EnvironmentInput) { in.TTL = 31 * 24 * time.Hour }, "longer than the allowed 720h0m0s"},
	} {
		in := valid
		tc.change(&in)
		objs, err := provision.EnvironmentObjects(in, provision.EnvironmentTemplate{})
		expectFieldError(t, err, tc.field, tc.want)
		if objs != nil {
			t.Errorf("%s: objects with an error", tc.field)
		}
	}

	// All at once: each field named, in order.
	_, err := provision.EnvironmentObjects(provision.EnvironmentInput{Namespace: "Foo", CPU: "x", TTL: -1}, provision.EnvironmentTemplate{})
	var ii *provision.InvalidInput
	if !errors.As(err, &ii) {
		t.Fatalf("%v", err)
	}
	var fields []string
	for _, f := range ii.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"namespace", "environment", "owner", "cpu", "ttl"}; !slices.Equal(fields, want) {
		t.Errorf("fields %v, want %v (%v)", fields, want, err)
	}

	// The template is checked too, and a group format cannot reach
	// Kubernetes' system: groups.
	for _, tc := range []struct {
		tmpl provision.EnvironmentTemplate
		want string
	}{
		{provision.EnvironmentTemplate{GroupFormat: "system:{group}"}, "template.groupFormat"},
		{provision.EnvironmentTemplate{GroupFormat: "oidc:"}, "template.groupFormat"},
		{provision.EnvironmentTemplate{Quota: provision.QuotaTemplate{MaxCPU: "many"}}, "template.quota.maxCPU"},
		{provision.EnvironmentTemplate{Quota: provision.QuotaTemplate{Extra: map[string]string{"pods": "x"}}}, "template.quota.extra.pods"},
		{provision.EnvironmentTemplate{OwnerClusterRole: "Edit Role"}, "template.ownerClusterRole"},
	} {
		_, err := provision.EnvironmentObjects(valid, tc.tmpl)
		if err == nil || !strings.Contains(err.Error(), tc.want+":") {
			t.Errorf("template %+v: %v, want an error naming %s", tc.tmpl, err, tc.want)
		}
	}
}

// TestEnvironmentTemplate: what a template changes shows in the objects.
func TestEnvironmentTemplate(t *testing.T) {
	tmpl := provision.EnvironmentTemplate{
		GroupFormat:      "oidc:{group}",
		OwnerClusterRole: "admin",
		Quota:            provision.QuotaTemplate{CPU: "3", Extra: map[string]string{}},
		DNS:              provision.DNSTemplate{AnyDestination: true},
	}
	tmpl.Labels.Environment = "example.com/env"
	objs, err := provision.EnvironmentObjects(provision.EnvironmentInput{Namespace: "x", Environment: "dev", Owner: "team-a"}, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		byName[o.GetKind()+"/"+o.GetName()] = o
	}
	ns := byName["Namespace/x"]
	if l := ns.GetLabels(); l["example.com/env"] != "dev" || l["pont.dev/owner"] != "team-a" || len(l) != 2 {
		t.Errorf("namespace labels %v", l)
	}
	if a := ns.GetAnnotations(); a[provision.AnnotationCreatedBy] != "pont" || a[provision.AnnotationExpiresAt] != "" {
		t.Errorf("namespace annotations %v", a)
	}
	rb := byName["RoleBinding/"+provision.OwnerBindingName]
	expectField(t, rb, "admin", "roleRef", "name")
	if subjects, _, _ := unstructured.NestedSlice(rb.Object, "subjects"); len(subjects) != 1 || subjects[0].(map[string]any)["name"] != "oidc:team-a" {
		t.Errorf("subjects %v", subjects)
	}
	if g := tmpl.KubernetesGroup("team-b"); g != "oidc:team-b" {
		t.Errorf("KubernetesGroup = %q", g)
	}
	hard, _, _ := unstructured.NestedStringMap(byName["ResourceQuota/"+provision.QuotaName].Object, "spec", "hard")
	if hard["requests.cpu"] != "3" || hard["limits.memory"] != "4Gi" || len(hard) != 4 {
		t.Errorf("quota %v", hard)
	}
	egress, _, _ := unstructured.NestedSlice(byName["NetworkPolicy/"+provision.AllowDNSPolicy].Object, "spec", "egress")
	if len(egress) != 1 || egress[0].(map[string]any)["to"] != nil {
		t.Errorf("DNS to any destination: egress %v", egress)
	}
	// DeepCopy panics on values JSON could not hold (int, not int64).
	for _, o := range objs {
		o.DeepCopy()
	}
}

// TestDatabaseInputErrors: every field of DatabaseInput, when bad, gives
// an *InvalidInput naming it.
func TestDatabaseInputErrors(t *testing.T) {
	valid := provision.DatabaseInput{Namespace: "team-a-dev", Name: "pg", Owner: "team-a"}
	for _, tc := range []struct {
		field  string
		change func(*provision.DatabaseInput)
		want   string
	}{
		{"namespace", func(in *provision.DatabaseInput) { in.Namespace = "" }, "namespace: required"},
		{"namespace", func(in *provision.DatabaseInput) { in.Namespace = "Team_A" }, `namespace: "Team_A" is not a DNS label`},
		{"name", func(in *provision.DatabaseInput) { in.Name = "" }, "name: required"},
		{"name", func(in *provision.DatabaseInput) { in.Name = "1pg" }, "not a DNS-1035 label"},
		{"name", func(in *provision.DatabaseInput) { in.Name = "Orders" }, "not a DNS-1035 label"},
		{"name", func(in *provision.DatabaseInput) { in.Name = strings.Repeat("p", 41) }, "longer than 40"},
		{"operator", func(in *provision.DatabaseInput) { in.Operator = "mysql" }, `operator: "mysql" is not one of cnpg, mongodb-community, zalando`},
		{"version", func(in *provision.DatabaseInput) { in.Version = "13" }, `version: "13" is not supported by cnpg`},
		{"version", func(in *provision.DatabaseInput) { in.Version = "latest" }, "not supported by cnpg"},
		{"version", func(in *provision.DatabaseInput) { in.Operator, in.Version = "zalando", "16.4" }, "not supported by zalando"},
		{"version", func(in *provision.DatabaseInput) { in.Operator, in.Version = "mongodb-community", "8.0" }, "not supported by mongodb-community"},
		{"version", func(in *provision.DatabaseInput) { in.Operator, in.Version = "mongodb-community", "5.0.30" }, "not supported by mongodb-community"},
		{"instances", func(in *provision.DatabaseInput) { in.Instances = 10 }, "instances: 10 is not between 1 and 9"},
		{"instances", func(in *provision.DatabaseInput) { in.Instances = -1 }, "not between 1 and 9"},
		{"storage", func(in *provision.DatabaseInput) { in.Storage = "big" }, `storage: "big" is not a quantity`},
		{"storage", func(in *provision.DatabaseInput) { in.Storage = "512Mi" }, "not between 1Gi and 1Ti"},
		{"storage", func(in *provision.DatabaseInput) { in.Storage = "2Ti" }, "not between 1Gi and 1Ti"},
		{"owner", func(in *provision.DatabaseInput) { in.Owner = "" }, "owner: required"},
		{"owner", func(in *provision.DatabaseInput) { in.Owner = "team a" }, "not a valid label value"},
		{"component", func(in *provision.DatabaseInput) { in.Component = "pay/ments" }, "not a valid label value"},
	} {
		in := valid
		tc.change(&in)
		obj, err := provision.DatabaseObject(in)
		expectFieldError(t, err, tc.field, tc.want)
		if obj != nil {
			t.Errorf("%s: an object with an error", tc.field)
		}
	}

	// Defaults: CloudNativePG, PostgreSQL 17, one instance, 10Gi; a
	// fractional size in canonical form.
	obj, err := provision.DatabaseObject(valid)
	if err != nil {
		t.Fatal(err)
	}
	expectField(t, obj, "postgresql.cnpg.io/v1", "apiVersion")
	expectField(t, obj, "ghcr.io/cloudnative-pg/postgresql:17", "spec", "imageName")
	expectField(t, obj, "10Gi", "spec", "storage", "size")
	expectInt(t, obj, 1, "spec", "instances")
	if _, ok := obj.GetLabels()["backstage.io/kubernetes-id"]; ok {
		t.Error("a component label without a component")
	}
	in := valid
	in.Operator, in.Storage = provision.OperatorZalando, "1.5Gi"
	if obj, err = provision.DatabaseObject(in); err != nil {
		t.Fatal(err)
	}
	expectField(t, obj, "1536Mi", "spec", "volume", "size")
	expectField(t, obj, "17", "spec", "postgresql", "version")
	if provision.DatabaseReady(obj) || provision.DatabaseReady(nil) {
		t.Error("DatabaseReady without status")
	}

	// ScaleDatabase checks its count and its kind.
	for _, n := range []int{0, 10} {
		_, err := provision.ScaleDatabase(obj, n)
		expectFieldError(t, err, "instances", "not between 1 and 9")
	}
	odd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "x"}}}
	if _, err := provision.ScaleDatabase(odd, 2); err == nil {
		t.Error("ScaleDatabase of a Deployment")
	}
}

func expectFieldError(t *testing.T, err error, field, want string) {
	t.Helper()
	var ii *provision.InvalidInput
	if !errors.As(err, &ii) {
		t.Errorf("%s: %v (%T), want an *InvalidInput", field, err, err)
		return
	}
	if len(ii.Fields) != 1 || ii.Fields[0].Field != field {
		t.Errorf("%s: %v: want exactly one error, for %s", field, err, field)
	}
	if !strings.HasPrefix(err.Error(), field+": ") || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %q, want it to contain %q", field, err, want)
	}
}
