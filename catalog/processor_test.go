package catalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/internal/database"
)

// rig is a processor on a real SQLite store with one file root.
type rig struct {
	t     *testing.T
	root  string
	store catalog.Store
	proc  *catalog.Processor
}

func newRig(t *testing.T, cfg catalog.ReaderConfig, rules []catalog.Rule) *rig {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, database.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "pont.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	cfg.FileRoots = append(cfg.FileRoots, root)
	reader, err := catalog.NewReader(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := entstore.New(db)
	proc := catalog.NewProcessor(store, reader, catalog.ProcessorConfig{Rules: rules, RefreshInterval: time.Hour}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	return &rig{t: t, root: root, store: store, proc: proc}
}

func (r *rig) write(name, content string) string {
	r.t.Helper()
	p := filepath.Join(r.root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *rig) location(typ, target string) catalog.Location {
	r.t.Helper()
	l, err := r.store.CreateLocation(context.Background(), catalog.Location{Type: typ, Target: target})
	if err != nil {
		r.t.Fatal(err)
	}
	return l
}

func (r *rig) refresh(l catalog.Location) catalog.ApplyResult {
	r.t.Helper()
	res, err := r.proc.Refresh(context.Background(), l)
	if err != nil {
		r.t.Fatalf("refresh: %v", err)
	}
	return res
}

func (r *rig) get(key string) *catalog.StoredEntity {
	r.t.Helper()
	e, err := r.store.EntityByKey(context.Background(), key)
	if err != nil {
		r.t.Fatalf("get %s: %v", key, err)
	}
	return e
}

func (r *rig) absent(key string) {
	r.t.Helper()
	if _, err := r.store.EntityByKey(context.Background(), key); err == nil {
		r.t.Fatalf("%s is stored, want absent", key)
	}
}

func (r *rig) errorsOf(l catalog.Location) []catalog.ProcessingError {
	r.t.Helper()
	errs, err := r.store.ProviderErrors(context.Background(), catalog.LocationProvider(l.ID))
	if err != nil {
		r.t.Fatal(err)
	}
	return errs
}

// wantError asserts that one of the location's errors names field and
// contains the words.
func (r *rig) wantError(l catalog.Location, field, words string) {
	r.t.Helper()
	errs := r.errorsOf(l)
	for _, e := range errs {
		if e.Field == field && strings.Contains(e.Message, words) {
			return
		}
	}
	r.t.Fatalf("no error on %s containing %q; errors: %+v", field, words, errs)
}

func body(t *testing.T, e *catalog.StoredEntity) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(e.Body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const component = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  description: %s
spec:
  type: service
  lifecycle: production
  owner: team-a
`

var allKinds = []catalog.Rule{{Allow: []string{"Component", "API", "Resource", "System", "Domain", "Location", "Template", "User", "Group"}}}

func TestFileLocationTree(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	r.write("apis/petstore.yaml", "openapi: 3.0.0\n")
	r.write("services/a.yaml", fmt.Sprintf(component, "svc-a", "first")+`---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: petstore}
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  definition:
    $text: ../apis/petstore.yaml
`)
	r.write("org.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\nspec: {type: team, children: []}\n")
	root := r.write("all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec:\n  targets: [./services/a.yaml, ./org.yaml]\n")
	l := r.location("file", root)
	res := r.refresh(l)
	if res.Inserted != 5 { // generated location, all, svc-a, petstore, team-a
		t.Fatalf("inserted %d, want 5 (errors %+v)", res.Inserted, r.errorsOf(l))
	}
	api := body(t, r.get("api:default/petstore"))
	if def := api["spec"].(map[string]any)["definition"]; def != "openapi: 3.0.0\n" {
		t.Fatalf("$text not resolved: %v", def)
	}
	ann := body(t, r.get("component:default/svc-a"))["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann[catalog.AnnotationManagedByLocation] != "file:"+filepath.Join(r.root, "services/a.yaml") || ann[catalog.AnnotationManagedByOriginLocation] != "file:"+root {
		t.Fatalf("annotations = %v", ann)
	}
	if got := r.get("component:default/svc-a").Parent; got != "location:default/all" {
		t.Fatalf("parent = %q", got)
	}
	// A second refresh with nothing changed writes nothing.
	if res := r.refresh(l); res.Unchanged != 5 || res.Inserted+res.Updated+res.Removed != 0 {
		t.Fatalf("second refresh = %+v", res)
	}
	// A target dropped from the tree takes its entities with it.
	r.write("all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec:\n  targets: [./org.yaml]\n")
	if res := r.refresh(l); res.Removed != 2 {
		t.Fatalf("after dropping a target = %+v", res)
	}
	r.absent("component:default/svc-a")
}

func TestFileChangeShowsWithoutRestart(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	file := r.write("a.yaml", fmt.Sprintf(component, "svc-a", "before"))
	r.write("b.yaml", fmt.Sprintf(component, "svc-b", "untouched"))
	root := r.write("all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec:\n  targets: [./a.yaml, ./b.yaml]\n")
	l := r.location("file", root)
	runner := catalog.NewRunner(r.proc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- runner.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, 10*time.Second, func() bool {
		_, err := r.store.EntityByKey(context.Background(), "component:default/svc-b")
		return err == nil
	})
	description := func(key string) string {
		e, err := r.store.EntityByKey(context.Background(), key)
		if err != nil {
			return ""
		}
		return body(t, e)["metadata"].(map[string]any)["description"].(string)
	}
	etagB := r.get("component:default/svc-b").Etag
	start := time.Now()
	if err := os.WriteFile(file, []byte(fmt.Sprintf(component, "svc-a", "after")), 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool { return description("component:default/svc-a") == "after" })
	t.Logf("change visible after %s", time.Since(start))
	if r.get("component:default/svc-b").Etag != etagB {
		t.Fatal("an untouched file's entity was rewritten")
	}
	// Deleting the file removes its entity.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, func() bool {
		_, err := r.store.EntityByKey(context.Background(), "component:default/svc-a")
		return err != nil
	})
	_ = l
}

func waitUntil(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestInvalidRefreshKeepsStoredEntity(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	file := r.write("a.yaml", fmt.Sprintf(component, "svc-a", "good")+"---\n"+fmt.Sprintf(component, "svc-b", "good"))
	l := r.location("file", file)
	r.refresh(l)
	before := r.get("component:default/svc-b")
	// svc-b loses its owner: its stored version stays, with the error on it.
	broken := fmt.Sprintf(component, "svc-a", "good") + "---\n" + strings.Replace(fmt.Sprintf(component, "svc-b", "bad"), "  owner: team-a\n", "", 1)
	r.write("a.yaml", broken)
	r.refresh(l)
	after := r.get("component:default/svc-b")
	if after.Etag != before.Etag {
		t.Fatal("the stored entity changed although its new version is invalid")
	}
	if len(after.Errors) == 0 || after.Errors[0].Field != "spec.owner" || after.Errors[0].Document != 1 {
		t.Fatalf("errors on svc-b = %+v, want spec.owner in document 1", after.Errors)
	}
}

func TestLocationSecurityCases(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.yaml")
	if err := os.WriteFile(secret, []byte(fmt.Sprintf(component, "stolen", "x")), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		files map[string]string
		field string
		words string
	}{
		{"text placeholder escapes the root", map[string]string{"all.yaml": strings.Replace(fmt.Sprintf(component, "a", "x"), "description: x", "description:\n    $text: ../../../../etc/passwd", 1)}, "metadata.description", "outside"},
		{"text placeholder with a file URL", map[string]string{"all.yaml": strings.Replace(fmt.Sprintf(component, "a", "x"), "description: x", "description:\n    $text: file:///etc/passwd", 1)}, "metadata.description", "paths"},
		{"json placeholder to a URL from a file location", map[string]string{"all.yaml": strings.Replace(fmt.Sprintf(component, "a", "x"), "description: x", "description:\n    $json: http://169.254.169.254/latest", 1)}, "metadata.description", "paths"},
		{"yaml placeholder that includes itself", map[string]string{"all.yaml": strings.Replace(fmt.Sprintf(component, "a", "x"), "description: x", "description:\n    $yaml: ./all.yaml", 1)}, "metadata.description", "file that holds it"},
		{"unknown placeholder is data", map[string]string{"all.yaml": strings.Replace(fmt.Sprintf(component, "a", "x"), "description: x", "description:\n    $exec: ls", 1)}, "metadata.description", "must be a string"},
		{"target outside the roots", map[string]string{"all.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec: {target: " + secret + "}\n"}, "spec.target", "outside"},
		{"target with dot-dot", map[string]string{"all.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec: {targets: [../../../etc/passwd]}\n"}, "spec.targets[0]", "outside"},
		{"url target from a file location", map[string]string{"all.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec: {type: url, target: 'http://127.0.0.1/'}\n"}, "spec.type", "may only point"},
		{"alias bomb", map[string]string{"all.yaml": aliasBomb()}, "", "alias"},
		{"deep nesting", map[string]string{"all.yaml": strings.Repeat("[", 100000)}, "", "depth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, catalog.ReaderConfig{}, allKinds)
			var root string
			for name, content := range tc.files {
				p := r.write(name, content)
				if name == "all.yaml" {
					root = p
				}
			}
			l := r.location("file", root)
			r.refresh(l)
			errs := r.errorsOf(l)
			found := false
			for _, e := range errs {
				if (tc.field == "" || e.Field == tc.field) && strings.Contains(strings.ToLower(e.Message), strings.ToLower(tc.words)) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no error on %q containing %q; errors: %+v", tc.field, tc.words, errs)
			}
			r.absent("component:default/stolen")
			r.absent("component:default/a")
		})
	}
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt.Fprintf(&b, "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", n, n, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = n
	}
	return b.String()
}

func TestSymlinksCannotLeadOut(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "x.yaml"), []byte(fmt.Sprintf(component, "stolen", "x")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "x.yaml"), filepath.Join(r.root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(r.root, "link.yaml"), filepath.Join(r.root, "chain.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(r.root, "nowhere.yaml"), filepath.Join(r.root, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"link.yaml", "chain.yaml", "dangling.yaml"} {
		if err := r.proc.Reader().CheckTarget("file", filepath.Join(r.root, name)); err == nil {
			t.Errorf("%s: target accepted", name)
		}
	}
	root := r.write("all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec: {targets: [./link.yaml, ./chain.yaml]}\n")
	r.refresh(r.location("file", root))
	r.absent("component:default/stolen")
}

func TestUsersAndGroupsNeedARule(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, nil) // default rules
	file := r.write("org.yaml", "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: mallory}\nspec: {memberOf: [admins]}\n---\n"+fmt.Sprintf(component, "ok", "x"))
	l := r.location("file", file)
	r.refresh(l)
	r.absent("user:default/mallory")
	r.get("component:default/ok")
	r.wantError(l, "kind", "User")
}

func TestSecondLocationCannotClaimAnEntity(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	first := r.location("file", r.write("one.yaml", fmt.Sprintf(component, "shared", "mine")))
	r.refresh(first)
	second := r.location("file", r.write("two.yaml", fmt.Sprintf(component, "shared", "theirs")))
	r.refresh(second)
	if d := body(t, r.get("component:default/shared"))["metadata"].(map[string]any)["description"]; d != "mine" {
		t.Fatalf("description = %v, the first location's entity was overwritten", d)
	}
	r.wantError(second, "metadata.name", "already provided")
	gen := catalog.GeneratedLocationEntity(second).Ref().Key()
	if e := r.get(gen); len(e.Errors) == 0 {
		t.Fatal("the conflict is not shown on the second location's entity")
	}
}

func TestTooManyDocumentsRefusesTheFile(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	var b strings.Builder
	for i := range catalog.DefaultLimits().MaxDocuments + 1 {
		fmt.Fprintf(&b, component+"---\n", fmt.Sprintf("c%d", i), "x")
	}
	l := r.location("file", r.write("many.yaml", b.String()))
	r.refresh(l)
	r.absent("component:default/c0")
	if len(r.errorsOf(l)) == 0 {
		t.Fatal("no error for a file with too many documents")
	}
}

// loopbackCounter is an HTTP server on loopback that counts its hits.
func loopbackCounter(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, component, "internal", "from loopback")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestURLLocationsRefuseInternalAddresses(t *testing.T) {
	srv, hits := loopbackCounter(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	hosts := []string{"127.0.0.1", "localhost", "[::1]", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.1.1", "[fc00::1]", "0.0.0.0"}
	allowed := []string{"127.0.0.1", "localhost", "::1", "0x7f000001", "2130706433", "::ffff:127.0.0.1", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.1.1", "fc00::1", "0.0.0.0"}
	r := newRig(t, catalog.ReaderConfig{URLHosts: allowed, Timeout: 2 * time.Second}, allKinds)
	for _, h := range hosts {
		target := "http://" + h + ":" + port + "/catalog-info.yaml"
		ctx := context.Background()
		if _, _, err := r.proc.Reader().Read(ctx, "url", target); err == nil {
			t.Errorf("%s: read succeeded", target)
		}
	}
	for _, target := range []string{"file:///etc/passwd", "gopher://127.0.0.1:" + port + "/", "ftp://127.0.0.1/x", "http://user:pw@127.0.0.1:" + port + "/"} {
		if err := r.proc.Reader().CheckTarget("url", target); err == nil {
			t.Errorf("%s: accepted", target)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback listener was hit %d times", n)
	}
}

func TestURLLocationReading(t *testing.T) {
	var slowHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/catalog-info.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, fmt.Sprintf(component, "remote", "x")+"---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: remote-api}\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition: {$text: ./api.yaml}\n")
	})
	mux.HandleFunc("/api.yaml", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "openapi: 3.1.0\n") })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		slowHits.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("#", 2<<20)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// Loopback must be allowed explicitly for the test server.
	r := newRig(t, catalog.ReaderConfig{URLHosts: []string{"127.0.0.1"}, AllowPrivateNetworks: true, Timeout: 500 * time.Millisecond, MaxBytes: 1 << 20}, allKinds)
	l := r.location("url", srv.URL+"/catalog-info.yaml")
	r.refresh(l)
	if def := body(t, r.get("api:default/remote-api"))["spec"].(map[string]any)["definition"]; def != "openapi: 3.1.0\n" {
		t.Fatalf("definition = %v", def)
	}
	ctx := context.Background()
	for path, words := range map[string]string{"/redirect": "redirect", "/slow": "", "/huge": "too large"} {
		_, _, err := r.proc.Reader().Read(ctx, "url", srv.URL+path)
		if err == nil || !strings.Contains(err.Error(), words) {
			t.Errorf("%s: err = %v, want %q", path, err, words)
		}
	}
	// A slow read does not hold up the next one.
	start := time.Now()
	if _, _, err := r.proc.Reader().Read(ctx, "url", srv.URL+"/api.yaml"); err != nil || time.Since(start) > 400*time.Millisecond {
		t.Fatalf("read after a slow one: %v in %s", err, time.Since(start))
	}
}

func TestOptionalTargets(t *testing.T) {
	r := newRig(t, catalog.ReaderConfig{}, allKinds)
	r.write("a.yaml", fmt.Sprintf(component, "svc-a", "x"))
	root := r.write("all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec:\n  presence: optional\n  targets: [./a.yaml, ./not-yet.yaml]\n")
	l := r.location("file", root)
	r.refresh(l)
	r.get("component:default/svc-a")
	if errs := r.errorsOf(l); len(errs) != 0 {
		t.Fatalf("an optional missing target gave errors: %+v", errs)
	}
	// Required (the default): the same missing target is an error.
	r.write("all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec:\n  targets: [./a.yaml, ./not-yet.yaml]\n")
	r.refresh(l)
	r.wantError(l, "spec.targets[1]", "does not exist")
}
