package kubernetes_test

import (
	"context"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
)

// TestAllOperatorKinds installs the published CRDs of the 20 operator kinds
// on a real API server, creates every object of the adapters' table tests
// (so each is valid against its operator's schema), writes its status as
// the operator would, and checks that the plugin's inventory holds each
// with the state the adapter gives the object as written: the API server
// neither refused nor pruned what the adapters read.
func TestAllOperatorKinds(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{})
	var files []string
	for _, k := range operators.All() {
		files = append(files, k.Group+"_"+k.Resource+".yaml")
	}
	start := time.Now()
	c.InstallCRDs(t, files...)
	t.Logf("installed %d CRDs in %s", len(files), time.Since(start))
	createNamespace(t, c, "team-a-dev", map[string]string{"pont.dev/environment": "dev", "pont.dev/owner": "team-a"})

	dyn := dynamic.NewForConfigOrDie(c.Config())
	type expected struct {
		kind  operators.Kind
		state plugins.DatabaseState
	}
	want := map[string]expected{} // by kind/name
	for _, k := range operators.All() {
		objs := kubetest.ReadObjects(t, filepath.Join("operators", "testdata", k.Group+"_"+k.Resource+".yaml"))
		if len(objs) == 0 {
			t.Fatalf("%s/%s: no test objects", k.Group, k.Resource)
		}
		for _, obj := range objs {
			u := &unstructured.Unstructured{Object: obj}
			gv, err := schema.ParseGroupVersion(u.GetAPIVersion())
			if err != nil {
				t.Fatal(err)
			}
			res := dyn.Resource(gv.WithResource(k.Resource)).Namespace(u.GetNamespace())
			status, hasStatus := obj["status"]
			created, err := res.Create(context.Background(), u, metav1.CreateOptions{})
			if err != nil {
				t.Errorf("%s %s refused by the API server: %v", k.Kind, u.GetName(), err)
				continue
			}
			if hasStatus {
				created.Object["status"] = status
				if _, err := res.UpdateStatus(context.Background(), created, metav1.UpdateOptions{}); err != nil {
					t.Errorf("%s %s: status refused: %v", k.Kind, u.GetName(), err)
					continue
				}
			}
			want[k.Kind+"."+k.Group+"/"+u.GetName()] = expected{k, k.Normalize(obj)}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	p := startPluginOn(t, testConfig(t, c), nil)
	wait.For(t, 30*time.Second, "every test object in the inventory", func() bool {
		return len(p.Databases(plugins.DatabaseFilter{})) == len(want)
	})
	kinds := map[string]bool{}
	for _, d := range p.Databases(plugins.DatabaseFilter{}) {
		w, ok := want[d.Kind+"."+d.Group+"/"+d.Name]
		if !ok {
			t.Errorf("unexpected database %s", d.Key())
			continue
		}
		kinds[d.Group+"/"+d.Kind] = true
		if d.Health != w.state.Health || d.Phase != w.state.Phase || d.Engine != w.state.Engine || d.Version != w.state.Version ||
			!samePtr(d.DesiredInstances, w.state.DesiredInstances) || !samePtr(d.ReadyInstances, w.state.ReadyInstances) || d.Storage != w.state.Storage {
			t.Errorf("%s %s as served: %+v\nas written: %+v", d.Kind, d.Name, d.DatabaseState, w.state)
		}
		if d.Owner != "group:default/team-a" || d.Environment == "" {
			t.Errorf("%s %s: owner %q environment %q", d.Kind, d.Name, d.Owner, d.Environment)
		}
	}
	if len(kinds) != len(operators.All()) {
		t.Errorf("kinds in the inventory: %d of %d", len(kinds), len(operators.All()))
	}
}

func samePtr(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
