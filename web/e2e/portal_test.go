package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/testutil/browsertest"
	"github.com/pont-dev/pont/internal/testutil/dextest"
	"github.com/pont-dev/pont/internal/testutil/freeport"
	"github.com/pont-dev/pont/internal/testutil/kubetest"
)

// The people who sign in: catalog Users of deploy/examples/org.yaml, so
// that Pont links them by e-mail to their teams. Priya is in
// team-tracking, which owns shipment-tracker; Kenji is in team-platform,
// Pont's admin group here.
var (
	priya = dextest.User{Email: "priya.sharma@acme-freight.example", Password: "priya's test password", Username: "Priya Sharma", UserID: "e2e-0000-0001"}
	kenji = dextest.User{Email: "kenji.tanaka@acme-freight.example", Password: "kenji's test password", Username: "Kenji Tanaka", UserID: "e2e-0000-0002"}
)

// The cluster's environment and its database, as an operator would have
// them: a namespace with Pont's labels and a CloudNativePG Cluster.
const (
	envNamespace = "tracking-dev"
	dbName       = "shipments-pg"
	dbRef        = "resource:kubernetes/local." + envNamespace + ".cluster." + dbName
)

var cnpgClusters = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}

// portal is everything the scenarios share: one Dex, one API server, one
// pont serve with the UI and one Chromium. Each scenario opens its own
// pages, each in a browser context of its own (no shared cookies).
type portal struct {
	base    string
	dex     *dextest.Dex
	kube    *kubetest.Cluster
	pont    *browsertest.Pont
	browser *browsertest.Browser
}

// TestPortal runs the portal's scenarios in a real browser, one subtest
// each; `go test ./web/e2e -run TestPortal/Search` runs one (the shared
// services start anyway: about 10 s with the build cached).
func TestPortal(t *testing.T) {
	env := startPortal(t)
	for _, s := range []struct {
		name string
		run  func(*testing.T, *portal)
	}{
		{"SignIn", testSignIn},
		{"Search", testSearch},
		{"Entity", testEntity},
		{"Kubernetes", testKubernetes},
		{"DatabaseStatusLive", testDatabaseStatusLive},
		{"ActionWithApproval", testActionWithApproval},
		{"SignOut", testSignOut},
	} {
		t.Run(s.name, func(t *testing.T) { s.run(t, env) })
	}
}

func startPortal(t *testing.T) *portal {
	t.Helper()
	browsertest.Require(t)
	t0 := time.Now()

	// The binary's build is the longest step (a link of about 15 s with a
	// warm build cache): it runs while the rest starts.
	type built struct {
		bin string
		err error
	}
	binCh := make(chan built, 1)
	binDir := t.TempDir()
	go func() {
		bin, err := browsertest.BuildPont(binDir)
		binCh <- built{bin, err}
	}()

	kube := kubetest.Start(t, kubetest.Options{Name: "local", CRDs: []string{"postgresql.cnpg.io_clusters.yaml"}})
	seedCluster(t, kube)

	port, err := freeport.Loopback()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	base := "http://" + addr
	dex := dextest.Start(t, dextest.Options{RedirectURIs: []string{base + "/auth/callback"}, Users: []dextest.User{priya, kenji}})
	browser := browsertest.Start(t)

	b := <-binCh
	if b.err != nil {
		t.Fatal(b.err)
	}
	tBuilt := time.Since(t0)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`
database: {driver: sqlite, dsn: %q}
catalog:
  locations: [{type: file, target: %q}]
  rules: [{allow: [Component, API, Resource, System, Domain, Location, Template, User, Group]}]
auth:
  externalURL: %s
  oidc: {issuer: %s, clientID: %s, clientSecret: %s}
  policy: {adminGroups: [group:default/team-platform]}
kubernetes:
  clusters: [{name: local, kubeconfig: %q}]
log: {level: debug}
`, filepath.Join(dir, "pont.db"), filepath.Join(browsertest.RepoRoot(), "deploy", "examples", "all.yaml"),
		base, dex.Issuer, dex.ClientID, dex.ClientSecret, kube.Kubeconfig(t))
	pont := browsertest.StartPont(t, b.bin, addr, cfg)
	env := &portal{base: base, dex: dex, kube: kube, pont: pont, browser: browser}

	// The demo catalog is read in the background, and the cluster's
	// database becomes a catalog entity once the plugin has synced.
	token := dex.PasswordToken(t, priya.Email, priya.Password)
	for _, ref := range []string{"component/default/shipment-tracker", "user/default/priya-sharma", "template/default/go-service", "resource/kubernetes/local." + envNamespace + ".cluster." + dbName} {
		wait.For(t, 60*time.Second, ref+" in the catalog", func() bool {
			return restStatus(base+"/api/catalog/entities/by-name/"+ref, token) == http.StatusOK
		})
	}
	t.Logf("portal ready in %s (pont built after %s): %s", time.Since(t0).Round(100*time.Millisecond), tBuilt.Round(100*time.Millisecond), base)
	return env
}

// seedCluster makes the environment namespace and its database, with a
// status saying the operator is still setting it up.
func seedCluster(t *testing.T, c *kubetest.Cluster) {
	t.Helper()
	ctx := context.Background()
	_, err := k8s.NewForConfigOrDie(c.Config()).CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   envNamespace,
		Labels: map[string]string{"pont.dev/environment": "dev", "pont.dev/owner": "team-tracking"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": dbName, "namespace": envNamespace},
		"spec": map[string]any{
			"instances": int64(2), "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
			"storage": map[string]any{"size": "1Gi"},
		},
	}}
	if _, err := dynamic.NewForConfigOrDie(c.Config()).Resource(cnpgClusters).Namespace(envNamespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	writeDBStatus(t, c, "Setting up primary", 0)
}

// writeDBStatus writes the database's status as CloudNativePG would.
func writeDBStatus(t *testing.T, c *kubetest.Cluster, phase string, ready int64) {
	t.Helper()
	ctx := context.Background()
	res := dynamic.NewForConfigOrDie(c.Config()).Resource(cnpgClusters).Namespace(envNamespace)
	obj, err := res.Get(ctx, dbName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj.Object["status"] = map[string]any{
		"phase": phase, "instances": int64(2), "readyInstances": ready,
		"image": "ghcr.io/cloudnative-pg/postgresql:16.4",
	}
	if _, err := res.UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// signIn opens a page, signs u in through Dex's login form from the
// sign-in link of the page at path, and waits until Pont shows them
// signed in there.
func (e *portal) signIn(t *testing.T, u dextest.User, path string) *browsertest.Page {
	t.Helper()
	p := e.browser.NewPage(t)
	p.Navigate(e.base + path)
	p.WaitJS(`document.querySelector('main h1')?.textContent === 'Sign in to Pont'`, "the sign-in page")
	p.Do(chromedp.Click(chromedp.CSS(`main a.button.primary`)))
	e.dexLogin(p, u)
	p.WaitJS(fmt.Sprintf(`location.origin === %q && document.querySelector('.user-name')?.textContent.includes(%q)`, e.base, displayName(u)), "Pont showing "+u.Email+" signed in")
	if got := strings.TrimPrefix(p.URL(), e.base); got != path {
		t.Errorf("after sign-in the browser is at %s, not back at %s", got, path)
	}
	return p
}

// dexLogin fills Dex's password form, typing as a person would.
func (e *portal) dexLogin(p *browsertest.Page, u dextest.User) {
	p.WaitJS(fmt.Sprintf(`location.href.startsWith(%s) && document.readyState === 'complete' && document.querySelector('#login')`, js(e.dex.Issuer)), "Dex's login form")
	// chromedp may still hold the node ids of the document before Dex's
	// (a redirect's): a lookup then fails with "Could not find node", and
	// is tried again on a clean form.
	var err error
	for range 3 {
		p.Exec(`document.querySelector('#login').value = ''; document.querySelector('#password').value = ''`)
		err = p.Try(
			chromedp.WaitVisible(chromedp.CSS("#login")),
			chromedp.SendKeys(chromedp.CSS("#login"), u.Email),
			chromedp.SendKeys(chromedp.CSS("#password"), u.Password),
		)
		if err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		p.Fail("fill Dex's login form: %v", err)
	}
	p.Do(chromedp.Click(chromedp.CSS("#submit-login")))
}

// displayName is what the header shows: Dex's name claim, which is its
// user's username.
func displayName(u dextest.User) string { return u.Username }

// nav clicks the header's link to a section and waits for its heading.
func nav(p *browsertest.Page, label, heading string) {
	p.Exec(fmt.Sprintf(`[...document.querySelectorAll('nav[aria-label="Main"] a')].find((a) => a.textContent.trim() === %s).click()`, js(label)))
	p.WaitJS(fmt.Sprintf(`document.querySelector('main h1')?.textContent.startsWith(%q)`, heading), "the "+label+" page")
}

func restStatus(url, token string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getJSON(url, token string, v any) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// js quotes s as a JavaScript string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
