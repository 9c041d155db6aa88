package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/testutil/browsertest"
)

// checkPage waits until the page has loaded what it shows (no loading
// state left), fails the test if it shows an error state, and runs
// axe-core on it.
func checkPage(t *testing.T, p *browsertest.Page, what string) {
	t.Helper()
	p.WaitJS(`!document.querySelector('main .state[role=status]')`, what+" loaded")
	if msg := p.Text("main .state.error"); msg != "" {
		t.Errorf("%s shows an error: %s", what, msg)
	}
	p.Axe(what)
}

// h1Is is a JavaScript test of the page's main heading.
func h1Is(text string) string {
	return fmt.Sprintf(`document.querySelector('main h1')?.textContent.trim() === %s`, js(text))
}

func h1StartsWith(text string) string {
	return fmt.Sprintf(`document.querySelector('main h1')?.textContent.trim().startsWith(%s)`, js(text))
}

// testSignIn: an anonymous visitor of a deep link gets the sign-in page,
// signs in through Dex's form and lands back on that link, signed in
// with their name and no admin rights; the home page shows their groups
// and the catalog's kinds. An admin sees the Admin section.
func testSignIn(t *testing.T, e *portal) {
	const deep = "/catalog/default/component/shipment-tracker"
	p := e.browser.NewPage(t)
	p.Navigate(e.base + deep)
	p.WaitJS(h1Is("Sign in to Pont"), "the sign-in page")
	if n := p.Count(".facts, table.data, a[data-hit]"); n != 0 {
		t.Errorf("the anonymous page shows catalog content (%d elements)", n)
	}
	href := browsertest.Eval[string](p, `document.querySelector('main a.button.primary').getAttribute('href')`)
	if want := "/auth/login?returnTo=" + strings.ReplaceAll(deep, "/", "%2F"); href != want {
		t.Errorf("sign-in link = %q, want %q", href, want)
	}
	checkPage(t, p, "the sign-in page")

	p.Do(chromedp.Click(chromedp.CSS(`main a.button.primary`)))
	e.dexLogin(p, priya)
	p.WaitJS(h1StartsWith("Shipment Tracker"), "the page asked for, after sign-in")
	if got := strings.TrimPrefix(p.URL(), e.base); got != deep {
		t.Errorf("after sign-in at %s, want %s", got, deep)
	}
	if name := p.Text(".user-name"); !strings.Contains(name, "Priya Sharma") || strings.Contains(name, "admin") {
		t.Errorf("header user = %q, want Priya Sharma without the admin badge", name)
	}
	if p.Count(`.user button[type=submit]`) != 1 || !strings.Contains(p.Text(`.user button[type=submit]`), "Sign out") {
		t.Error("no Sign out button in the header")
	}
	if l := p.Text(`nav[aria-label="Main"] a[href="/admin"]`); l == "Admin" {
		t.Error("a member of team-tracking sees the Admin section")
	}

	// Home: their groups (team-tracking and its parents) and the kinds.
	p.Do(chromedp.Click(chromedp.CSS(`a.brand`)))
	p.WaitJS(h1Is("Pont")+` && document.querySelectorAll('.cards a.card').length >= 5`, "the home page with the catalog's kinds")
	if main := p.Text("main"); !strings.Contains(main, "group:default/team-tracking") {
		t.Errorf("home does not list the user's team: %q", main)
	}
	cards := browsertest.Eval[[]string](p, `[...document.querySelectorAll('.cards a.card')].map((a) => a.textContent)`)
	if !strings.Contains(strings.Join(cards, " "), "Components") {
		t.Errorf("home cards = %v", cards)
	}
	checkPage(t, p, "the home page")
	p.Screenshot("home")

	// An admin (team-platform) has the admin badge and section.
	a := e.signIn(t, kenji, "/")
	if !strings.Contains(a.Text(".user-name"), "admin") {
		t.Errorf("admin header = %q, want the admin badge", a.Text(".user-name"))
	}
	nav(a, "Admin", "")
	checkPage(t, a, "the admin page")
}

// testSearch: "/" focuses the header's box, Enter opens the search page;
// results follow the page's box as you type, the kind facet filters on
// the server, and the keyboard moves through the results (Down, Up, Home,
// End, Escape) and opens one with Enter.
func testSearch(t *testing.T, e *portal) {
	p := e.signIn(t, priya, "/")
	p.Do(chromedp.WaitVisible(chromedp.CSS("#header-q")))
	p.Key("/")
	if a := p.Active(); !strings.HasPrefix(a, "input#header-q") {
		t.Fatalf(`"/" focused %q, want the header's search box`, a)
	}
	p.Key("shipment\r")
	waitResults(p, "shipment", "")
	if hits := hitTitles(p); !contains(hits, "Shipment Tracker") {
		t.Errorf("results for shipment: %v", hits)
	}

	// The page's own box: results follow what is typed.
	p.Do(chromedp.Focus(chromedp.CSS("#q")))
	p.Exec(`document.querySelector('#q').select()`)
	p.Key(kb.Backspace + "tracking")
	waitResults(p, "tracking", "")
	all := p.Count("a[data-hit]")

	// The kind facet narrows the results on the server.
	clickKindFacet(p, "Component")
	waitResults(p, "tracking", "component")
	kinds := browsertest.Eval[[]string](p, `[...document.querySelectorAll('.hits .hit-link .kind')].map((k) => k.className)`)
	for _, k := range kinds {
		if k != "kind kind-component" {
			t.Errorf("with the Component facet on, a hit is %q", k)
		}
	}
	if len(kinds) == 0 || len(kinds) >= all {
		t.Errorf("component hits: %d of %d", len(kinds), all)
	}
	checkPage(t, p, "the search results")
	p.Screenshot("search")

	// The keyboard, from the box.
	hits := browsertest.Eval[[]string](p, `[...document.querySelectorAll('a[data-hit]')].map((a) => a.id)`)
	if len(hits) < 2 {
		t.Fatalf("need two results or more for the keyboard, have %v", hits)
	}
	first, second, last := "a#"+hits[0], "a#"+hits[1], "a#"+hits[len(hits)-1]
	p.Do(chromedp.Focus(chromedp.CSS("#q")))
	for _, step := range []struct{ key, want string }{
		{kb.ArrowDown, first}, {kb.ArrowDown, second}, {kb.ArrowUp, first}, {kb.ArrowUp, "input#q"},
		{kb.ArrowDown, first}, {kb.End, last}, {kb.Home, first}, {kb.Escape, "input#q"}, {kb.ArrowDown, first}, {kb.ArrowDown, second},
	} {
		p.Key(step.key)
		if a := p.Active(); !strings.HasPrefix(a, step.want) {
			t.Fatalf("after %q the focus is on %q, want %s", step.key, a, step.want)
		}
	}
	href := browsertest.Eval[string](p, `document.activeElement.getAttribute('href')`)
	title := browsertest.Eval[string](p, `document.activeElement.querySelector('.hit-title').textContent`)
	p.Key(kb.Enter)
	p.WaitJS(fmt.Sprintf(`location.pathname === %s && %s`, js(href), h1StartsWith(title)), "the result opened with Enter")
}

// waitResults waits until the search page shows results for q (and the
// kind filter), in the address and in the list: every hit holds the word
// and is of the kind (the list keeps the previous answer until the new
// one arrives).
func waitResults(p *browsertest.Page, q, kind string) {
	p.WaitJS(fmt.Sprintf(`(() => {
  const u = new URLSearchParams(location.search);
  const hits = [...document.querySelectorAll('.hits li.hit')];
  return location.pathname === '/search' && u.get('q') === %[1]s && (u.get('kind') || '') === %[2]s &&
    /result/.test(document.querySelector('#search-status')?.textContent || '') && hits.length > 0 &&
    hits.every((h) => h.textContent.toLowerCase().includes(%[1]s) && (%[2]s === '' || h.querySelector('.kind.kind-' + %[2]s)));
})()`, js(q), js(kind)), "results for "+q)
}

func clickKindFacet(p *browsertest.Page, label string) {
	p.Exec(fmt.Sprintf(`[...document.querySelectorAll('.facets fieldset label')].find((l) => l.textContent.trim().startsWith(%s)).querySelector('input').click()`, js(label)))
}

func hitTitles(p *browsertest.Page) []string {
	return browsertest.Eval[[]string](p, `[...document.querySelectorAll('a[data-hit] .hit-title')].map((e) => e.textContent)`)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// testEntity: from the catalog table to an entity; its overview, its
// relations and its relation graph, which draws the neighbours as nodes
// and opens one on a double click.
func testEntity(t *testing.T, e *portal) {
	p := e.signIn(t, priya, "/")
	nav(p, "Catalog", "Catalog: Components")
	p.WaitJS(`document.querySelectorAll('table.data tbody tr').length >= 5`, "the components table")
	checkPage(t, p, "the catalog")
	p.Screenshot("catalog")

	p.Do(chromedp.Click(chromedp.CSS(`table.data a[href="/catalog/default/component/shipment-tracker"]`)))
	p.WaitJS(h1StartsWith("Shipment Tracker"), "the entity page")
	for what, sel := range map[string]string{
		"owner link":        `.facts a[href="/catalog/default/group/team-tracking"]`,
		"system link":       `.facts a[href="/catalog/default/system/shipment-tracking"]`,
		"provided API link": `a[href="/catalog/default/api/shipment-tracking-api"]`,
		"dashboard link":    `.links a[href="https://grafana.acme-freight.example/d/shipment-tracker"]`,
	} {
		if p.Count(sel) == 0 {
			t.Errorf("the overview lacks the %s (%s)", what, sel)
		}
	}
	if !strings.Contains(p.Text(".facts"), "production") {
		t.Errorf("the overview lacks the lifecycle: %q", p.Text(".facts"))
	}
	checkPage(t, p, "the entity overview")
	p.Screenshot("entity")

	tab := func(name string) {
		p.Exec(fmt.Sprintf(`[...document.querySelectorAll('nav[aria-label="Entity sections"] a')].find((a) => a.textContent.startsWith(%s)).click()`, js(name)))
	}
	tab("Relations")
	p.WaitJS(`new URLSearchParams(location.search).get('tab') === 'relations' && document.querySelectorAll('table.data tbody tr').length >= 4`, "the relations table")
	rel := p.Text("table.data")
	for _, want := range []string{"ownedBy", "partOf", "providesApi", "consumesApi"} {
		if !strings.Contains(rel, want) {
			t.Errorf("the relations table lacks %s", want)
		}
	}
	checkPage(t, p, "the entity's relations")

	tab("Graph")
	p.WaitJS(`document.querySelectorAll('.react-flow__node').length >= 4 && document.querySelectorAll('.react-flow__edge').length >= 3`, "the relation graph's nodes and edges")
	nodes := p.Count(".react-flow__node")
	if status := p.Text(".graph .toolbar [role=status]"); !strings.HasPrefix(status, fmt.Sprintf("%d entities", nodes)) {
		t.Errorf("graph status %q, with %d nodes drawn", status, nodes)
	}
	if root := p.Text(".react-flow__node.root"); !strings.Contains(root, "Shipment Tracker") {
		t.Errorf("root node = %q", root)
	}
	checkPage(t, p, "the relation graph")
	p.Screenshot("entity-graph")
	p.ColorScheme("dark")
	checkPage(t, p, "the relation graph (dark theme)")
	p.Screenshot("entity-graph-dark")
	p.ColorScheme("light")

	// Two hops draw more of the neighbourhood.
	p.Do(chromedp.Focus(chromedp.CSS("#depth")))
	p.Exec(`(() => { const s = document.querySelector('#depth'); const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set; set.call(s, '2'); s.dispatchEvent(new Event('change', { bubbles: true })); })()`)
	p.WaitJS(fmt.Sprintf(`document.querySelectorAll('.react-flow__node').length > %d`, nodes), "more nodes at two hops")

	// A double click on a neighbour opens it.
	target := browsertest.Eval[string](p, `[...document.querySelectorAll('.react-flow__node:not(.root) a')].find((a) => a.getAttribute('href').includes('/group/team-tracking'))?.getAttribute('href') || ''`)
	if target == "" {
		t.Fatal("no team-tracking node in the graph")
	}
	// On the node's kind badge: a click on its link would open it too.
	p.Do(chromedp.DoubleClick(chromedp.CSS(fmt.Sprintf(`.react-flow__node:not(.root):has(a[href=%s]) .kind`, js(target)))))
	p.WaitJS(fmt.Sprintf(`location.pathname === %s && document.querySelector('main h1')`, js(target)), "the double-clicked node's page")
}

// testKubernetes: the Kubernetes page shows the cluster (reachable, its
// version), the labelled namespace as an environment and the
// CloudNativePG database in it, with a link to its catalog entity.
func testKubernetes(t *testing.T, e *portal) {
	p := e.signIn(t, priya, "/")
	nav(p, "Kubernetes", "Kubernetes")
	row := fmt.Sprintf(`[...document.querySelectorAll('tbody tr')].find((r) => r.textContent.includes(%s))`, js(dbName))
	p.WaitJS(`document.querySelector('.badge.ok')?.textContent === 'reachable' && `+row, "the cluster and the database")
	clusters := p.Text("table.data tbody")
	if !strings.Contains(clusters, "local") || !strings.Contains(clusters, "v1.37") {
		t.Errorf("clusters table: %q", clusters)
	}
	envRow := browsertest.Eval[string](p, fmt.Sprintf(`[...document.querySelectorAll('tbody tr')].find((r) => r.textContent.includes('local/%s'))?.textContent || ''`, envNamespace))
	if !strings.Contains(envRow, "team-tracking") {
		t.Errorf("environment row: %q", envRow)
	}
	db := browsertest.Eval[string](p, row+`.textContent`)
	for _, want := range []string{"postgresql 16.4", "/2", "team-tracking"} {
		if !strings.Contains(db, want) {
			t.Errorf("database row %q lacks %q", db, want)
		}
	}
	checkPage(t, p, "the Kubernetes page")
	p.Screenshot("kubernetes")

	p.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[title=%s]`, js(dbRef)))))
	p.WaitJS(fmt.Sprintf(`location.pathname.endsWith(%s) && document.querySelector('.facts')`, js("/resource/local."+envNamespace+".cluster."+dbName)), "the database's entity page")
}

// testDatabaseStatusLive: with the Kubernetes page open, the database's
// status changes on the cluster (written as CloudNativePG would) and the
// page shows each change without a reload.
func testDatabaseStatusLive(t *testing.T, e *portal) {
	p := e.signIn(t, priya, "/kubernetes")
	row := fmt.Sprintf(`[...document.querySelectorAll('tbody tr')].find((r) => r.textContent.includes(%s))`, js(dbName))
	p.WaitJS(row, "the database row")
	p.Exec(`window.__e2eSameDocument = true`)
	if s := p.Text("main [role=status]"); s != "Updates live as clusters change." {
		t.Errorf("status line %q", s)
	}

	for _, st := range []struct {
		phase  string
		ready  int64
		health string
	}{
		{"Creating a new replica", 1, "progressing"},
		{"Cluster in healthy state", 2, "ready"},
	} {
		t0 := time.Now()
		writeDBStatus(t, e.kube, st.phase, st.ready)
		p.WaitJSFor(30*time.Second, fmt.Sprintf(`(() => { const r = %s; return r && r.querySelector('.badge[class*="health-"]')?.textContent === %s && r.textContent.includes(%s) && r.textContent.includes(%s); })()`,
			row, js(st.health), js(fmt.Sprintf("%d/2", st.ready)), js(st.phase)), "the page to show "+st.phase)
		t.Logf("%q shown %s after the status write", st.phase, time.Since(t0).Round(time.Millisecond))
	}
	if !browsertest.Eval[bool](p, `window.__e2eSameDocument === true && performance.getEntriesByType('navigation').length === 1`) {
		t.Error("the page was reloaded")
	}
}

// testSignOut: Sign out ends the session on the server: the page shows
// the sign-in page, and the API refuses the browser afterwards.
func testSignOut(t *testing.T, e *portal) {
	p := e.signIn(t, priya, "/catalog")
	// The viewer as the page's session sees it: the user, or the error.
	viewer := `fetch('/api/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: '{ viewer { user } }' }) })
  .then((r) => r.json()).then((b) => b.data?.viewer?.user || b.errors?.[0]?.extensions?.code || JSON.stringify(b))`
	if v := browsertest.Eval[string](p, viewer); v != "user:default/priya-sharma" {
		t.Fatalf("signed-in viewer: %q", v)
	}
	p.Do(chromedp.Click(chromedp.CSS(`.user button[type=submit]`)))
	p.WaitJS(fmt.Sprintf(`location.origin === %s && %s`, js(e.base), h1Is("Sign in to Pont")), "the sign-in page after sign-out")
	if v := browsertest.Eval[string](p, viewer); v != "UNAUTHENTICATED" {
		t.Errorf("viewer after sign-out: %q, want UNAUTHENTICATED", v)
	}
	p.Navigate(e.base + "/catalog")
	p.WaitJS(h1Is("Sign in to Pont"), "the sign-in page for a signed-out browser")
}

// testActionWithApproval: Priya (team-tracking, which owns
// shipment-tracker) fills create-environment's form for production on the
// component's Actions tab, reads the plan, and runs it; the run waits for
// approval, which she may not give herself. Kenji (an admin) finds it in
// his approvals inbox, reads the plan and approves it with a comment.
// Priya's run page, open all along, follows the run to its end and shows
// its log, without a reload; the namespace is on the cluster.
func testActionWithApproval(t *testing.T, e *portal) {
	const ns = "shipment-tracker-production"
	p := e.signIn(t, priya, "/catalog/default/component/shipment-tracker")
	p.Exec(`[...document.querySelectorAll('nav[aria-label="Entity sections"] a')].find((a) => a.textContent.startsWith('Actions')).click()`)
	p.WaitJS(`document.querySelector('a[data-action="kubernetes.create-environment"]')`, "the Actions tab")
	p.Do(chromedp.Click(chromedp.CSS(`a[data-action="kubernetes.create-environment"]`)))
	p.WaitJS(`document.querySelector('#root_cluster') && document.querySelector('#root_environment')`, "the action's form")
	p.Do(
		chromedp.SendKeys(chromedp.CSS("#root_cluster"), "local"),
		chromedp.SendKeys(chromedp.CSS("#root_environment"), "production"),
	)
	p.Exec(`[...document.querySelectorAll('.action-form button')].find((b) => b.textContent.trim() === 'Plan').click()`)
	p.WaitJS(`document.querySelector('.plan-box') && [...document.querySelectorAll('.plan-box button')].some((b) => b.textContent.trim() === 'Run')`, "the plan")
	plan := p.Text(".plan-box")
	for _, want := range []string{"namespace " + ns + " on local", "Namespace", "ResourceQuota", "NetworkPolicy", "RoleBinding"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan lacks %q:\n%s", want, plan)
		}
	}
	checkPage(t, p, "the action's form and plan")

	p.Exec(`[...document.querySelectorAll('.plan-box button')].find((b) => b.textContent.trim() === 'Run').click()`)
	p.WaitJS(`location.pathname.startsWith('/runs/') && document.querySelector('main h1 .badge')?.textContent === 'pending approval'`, "the run page, waiting for approval")
	runPath := browsertest.Eval[string](p, "location.pathname")
	if notice := p.Text(".notice.warn"); !strings.Contains(notice, "you cannot approve your own run") {
		t.Errorf("the requester's run page does not say she cannot approve: %q", notice)
	}
	p.Exec(`window.__e2eSameDocument = true`)
	checkPage(t, p, "the run page, waiting for approval")

	// Kenji's inbox, in a browser of his own.
	k := e.signIn(t, kenji, "/approvals")
	review := fmt.Sprintf(`a[href=%s][aria-label^="Review"]`, js(runPath))
	k.WaitJS(fmt.Sprintf(`document.querySelector(%s)`, js(review)), "the run in the approvals inbox")
	checkPage(t, k, "the approvals inbox")
	k.Do(chromedp.Click(chromedp.CSS(review)))
	k.WaitJS(`document.querySelector('#comment') && document.querySelector('.plan, .diff, section')`, "the run page with the plan")
	if !strings.Contains(k.Text("main"), "namespace "+ns+" on local") {
		t.Error("the approver's run page does not show the plan")
	}
	k.Do(chromedp.SendKeys(chromedp.CSS("#comment"), "Fine for production."))
	k.Exec(`[...document.querySelectorAll('main button')].find((b) => b.textContent.trim() === 'Approve').click()`)
	k.WaitJS(`document.querySelector('main').textContent.includes('You approved the run.')`, "the approval to be recorded")

	// Priya's page follows the run: approved, then its log, then done.
	t0 := time.Now()
	p.WaitJSFor(60*time.Second, fmt.Sprintf(`document.querySelector('main h1 .badge')?.textContent === 'succeeded' && document.querySelector('.log')?.textContent.includes(%s)`, js(ns)), "the run to succeed, with its log, on the requester's page")
	t.Logf("run succeeded on the requester's page %s after the approval", time.Since(t0).Round(time.Millisecond))
	if !browsertest.Eval[bool](p, `window.__e2eSameDocument === true`) {
		t.Error("the requester's run page was reloaded")
	}
	if a := p.Text(".approvals"); !strings.Contains(a, "approve") || !strings.Contains(a, "Fine for production.") {
		t.Errorf("approvals shown: %q", a)
	} else if !strings.Contains(a, "kenji-tanaka") {
		t.Errorf("the approval does not name its approver as the catalog does: %q", a)
	}
	lines := browsertest.Eval[[]string](p, `[...document.querySelectorAll('.log li')].map((l) => l.textContent)`)
	t.Logf("log: %q", lines)
	checkPage(t, p, "the finished run page")
	p.Screenshot("run")

	nsObj, err := k8s.NewForConfigOrDie(e.kube.Config()).CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the run's namespace: %v", err)
	}
	if nsObj.Labels["pont.dev/environment"] != "production" || nsObj.Labels["pont.dev/owner"] != "team-tracking" {
		t.Errorf("namespace labels: %v", nsObj.Labels)
	}
}
