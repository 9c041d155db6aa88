package kubetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

const (
	// crdTimeout bounds InstallCRDs' wait for one CRD.
	crdTimeout = 60 * time.Second
	// createParallel CRDs are created at a time.
	createParallel = 2
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs creates the CRDs of the given files of deploy/crds (base
// names, e.g. "postgresql.cnpg.io_clusters.yaml") and waits until each is
// Established and every served version lists it in discovery, which is
// when clients (and Pont's watchers) can use it. A CRD that exists already
// is left as it is.
func (c *Cluster) InstallCRDs(t testing.TB, files ...string) {
	t.Helper()
	if err := c.installCRDs(files); err != nil {
		t.Fatalf("kubetest: InstallCRDs on %s: %v", c.Name, err)
	}
}

func (c *Cluster) installCRDs(files []string) error {
	cfg := c.Config()
	cfg.Timeout = crdTimeout // discovery calls take no context
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	crds := make([]*unstructured.Unstructured, len(files))
	for i, file := range files {
		if crds[i], err = loadCRD(file); err != nil {
			return err
		}
	}
	// Create them all before waiting for any: the apiserver establishes
	// the first while later ones are created. One at a time: in parallel
	// was no faster on two cores (the server's schema validation is the
	// work), and a failure is easier to read.
	for i, crd := range crds {
		cctx, cancel := context.WithTimeout(ctx, crdTimeout)
		// Create only reads crd, which the cache shares.
		_, err := dyn.Resource(crdResource).Create(cctx, crd, metav1.CreateOptions{})
		cancel()
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s: %w", files[i], err)
		}
	}
	errs := make([]error, len(crds))
	var wg sync.WaitGroup
	for i, crd := range crds {
		wg.Go(func() {
			if err := waitCRD(ctx, dyn, disc, crd); err != nil {
				errs[i] = fmt.Errorf("%s: %w", files[i], err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// parsed caches the CRDs read from deploy/crds: converting a few MB of
// YAML takes a second, ten under the race detector, and tests install the
// same files into many clusters.
var parsed sync.Map // base name → *unstructured.Unstructured

func loadCRD(file string) (*unstructured.Unstructured, error) {
	if v, ok := parsed.Load(file); ok {
		return v.(*unstructured.Unstructured), nil
	}
	dir := CRDDir()
	if filepath.Base(file) != file {
		return nil, fmt.Errorf("%s: give a base name in %s", file, dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	crd := &unstructured.Unstructured{}
	if err := crd.UnmarshalJSON(js); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if crd.GetKind() != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: a %s, not a CustomResourceDefinition", file, crd.GetKind())
	}
	parsed.Store(file, crd)
	return crd, nil
}

// waitCRD polls until the CRD is Established and discovery lists its
// plural in every served version.
func waitCRD(ctx context.Context, dyn dynamic.Interface, disc discovery.DiscoveryInterface, crd *unstructured.Unstructured) error {
	ctx, cancel := context.WithTimeout(ctx, crdTimeout)
	defer cancel()
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	var served []string
	for _, v := range versions {
		m, _ := v.(map[string]any)
		if ok, _ := m["served"].(bool); ok {
			name, _ := m["name"].(string)
			served = append(served, name)
		}
	}
	var last error
	for {
		if last = crdReady(ctx, dyn, disc, crd.GetName(), group, plural, served); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %v: %w", crdTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// crdReady checks discovery first: it is cheap, and the apiserver lists a
// CRD's resources only once the CRD is Established. The CRD itself (up to
// 3 MB) is read once, at the end, to confirm.
func crdReady(ctx context.Context, dyn dynamic.Interface, disc discovery.DiscoveryInterface, name, group, plural string, served []string) error {
	for _, v := range served {
		list, err := disc.ServerResourcesForGroupVersion(group + "/" + v)
		if err != nil {
			return fmt.Errorf("discovery of %s/%s: %w", group, v, err)
		}
		if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == plural }) {
			return fmt.Errorf("discovery of %s/%s does not list %s yet", group, v, plural)
		}
	}
	got, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
	for _, cond := range conds {
		m, _ := cond.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return nil
		}
	}
	return fmt.Errorf("CRD %s is not Established: %v", name, conds)
}
