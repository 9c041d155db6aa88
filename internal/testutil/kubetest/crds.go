package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// crdTimeout bounds InstallCRDs' wait for one CRD. Generous: on two busy
// cores (go test ./... -race) establishing 20 large CRDs takes a minute.
const crdTimeout = 2 * time.Minute

const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

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

// crdFile is a CRD of deploy/crds: its JSON and what InstallCRDs waits for.
type crdFile struct {
	file   string
	json   []byte
	name   string
	group  string
	plural string
	served []string
}

// installCRDs talks plain HTTP+JSON rather than through client-go's
// dynamic client: the CRDs are up to 1.5 MB of JSON, and decoding them into
// maps and encoding them again costs seconds under the race detector.
func (c *Cluster) installCRDs(files []string) error {
	hc, err := rest.HTTPClientFor(c.Config())
	if err != nil {
		return err
	}
	crds := make([]*crdFile, len(files))
	for i, file := range files {
		if crds[i], err = loadCRD(file); err != nil {
			return err
		}
	}
	// Create them all before waiting for any: the apiserver establishes
	// the first while later ones are created. One at a time: in parallel
	// was no faster on two cores (the server's schema validation is the
	// work), and a failure is easier to read.
	for _, crd := range crds {
		ctx, cancel := context.WithTimeout(context.Background(), crdTimeout)
		status, body, err := c.do(ctx, hc, http.MethodPost, crdPath, crd.json)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", crd.file, err)
		}
		if status != http.StatusCreated && status != http.StatusConflict { // Conflict: AlreadyExists
			return fmt.Errorf("%s: create: %d: %s", crd.file, status, body)
		}
	}
	errs := make([]error, len(crds))
	var wg sync.WaitGroup
	for i, crd := range crds {
		wg.Go(func() { errs[i] = c.waitCRD(hc, crd) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// waitCRD polls until crd is ready (crdReady).
func (c *Cluster) waitCRD(hc *http.Client, crd *crdFile) error {
	ctx, cancel := context.WithTimeout(context.Background(), crdTimeout)
	defer cancel()
	for {
		last := c.crdReady(ctx, hc, crd)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not ready after %v: %w", crd.file, crdTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// crdReady checks discovery first: it is cheap, and the apiserver lists a
// CRD's resources only once the CRD is Established. The CRD itself is read
// once, at the end, to confirm.
func (c *Cluster) crdReady(ctx context.Context, hc *http.Client, crd *crdFile) error {
	for _, v := range crd.served {
		gv := crd.group + "/" + v
		status, body, err := c.do(ctx, hc, http.MethodGet, "/apis/"+gv, nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("discovery of %s: %d", gv, status)
		}
		var list struct {
			Resources []struct {
				Name string `json:"name"`
			} `json:"resources"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("discovery of %s: %w", gv, err)
		}
		listed := false
		for _, r := range list.Resources {
			listed = listed || r.Name == crd.plural
		}
		if !listed {
			return fmt.Errorf("discovery of %s does not list %s yet", gv, crd.plural)
		}
	}
	status, body, err := c.do(ctx, hc, http.MethodGet, crdPath+"/"+crd.name, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("get CRD %s: %d: %s", crd.name, status, body)
	}
	var got struct {
		Status struct {
			Conditions []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("get CRD %s: %w", crd.name, err)
	}
	for _, cond := range got.Status.Conditions {
		if cond.Type == "Established" && cond.Status == "True" {
			return nil
		}
	}
	return fmt.Errorf("CRD %s is not Established: %+v", crd.name, got.Status.Conditions)
}

// do sends a JSON request to the cluster and returns the response.
func (c *Cluster) do(ctx context.Context, hc *http.Client, method, path string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// parsed caches the CRDs read from deploy/crds: converting their 13 MB of
// YAML to JSON takes a second, ten under the race detector, and tests
// install the same files into many clusters.
var parsed sync.Map // base name → *crdFile

func loadCRD(file string) (*crdFile, error) {
	if v, ok := parsed.Load(file); ok {
		return v.(*crdFile), nil
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
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Plural string `json:"plural"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Served bool   `json:"served"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if m.APIVersion != "apiextensions.k8s.io/v1" || m.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: a %s %s, not an apiextensions.k8s.io/v1 CustomResourceDefinition", file, m.APIVersion, m.Kind)
	}
	crd := &crdFile{file: file, json: js, name: m.Metadata.Name, group: m.Spec.Group, plural: m.Spec.Names.Plural}
	for _, v := range m.Spec.Versions {
		if v.Served {
			crd.served = append(crd.served, v.Name)
		}
	}
	parsed.Store(file, crd)
	return crd, nil
}
