package kubetest

import (
	"context"
	"os"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// ApplyClusterRoles creates the ClusterRoles of a manifest file (the ones
// in deploy/kubernetes), skipping its other documents: bindings in the
// manifests name a ServiceAccount, tests bind users with BindClusterRole.
func (c *Cluster) ApplyClusterRoles(t testing.TB, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kc := k8s.NewForConfigOrDie(c.Config())
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var role rbacv1.ClusterRole
		if err := yaml.Unmarshal([]byte(doc), &role); err != nil {
			t.Fatalf("kubetest: %s: %v", path, err)
		}
		if role.Kind != "ClusterRole" {
			continue
		}
		if _, err := kc.RbacV1().ClusterRoles().Create(context.Background(), &role, metav1.CreateOptions{}); err != nil {
			t.Fatalf("kubetest: ClusterRole %s: %v", role.Name, err)
		}
	}
}

// BindClusterRole binds a ClusterRole cluster-wide to a user (kind
// rbacv1.UserKind) or group (rbacv1.GroupKind).
func (c *Cluster) BindClusterRole(t testing.TB, role, kind, name string) {
	t.Helper()
	kc := k8s.NewForConfigOrDie(c.Config())
	b := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role + "-" + strings.ToLower(kind) + "-" + name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}},
	}
	if _, err := kc.RbacV1().ClusterRoleBindings().Create(context.Background(), b, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kubetest: bind %s to %s %s: %v", role, kind, name, err)
	}
}
