package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pont-dev/pont/internal/testutil/dextest"
	"github.com/pont-dev/pont/internal/testutil/logbuf"
)

// signinCatalog: the people of dextest.DefaultUsers as catalog Users in
// teams, and a component each team owns.
const signinCatalog = `---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: engineering}
spec: {type: department, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, parent: engineering, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform-admins}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec: {profile: {email: jdoe@example.com}, memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: asmith}
spec: {profile: {email: asmith@example.com}, memberOf: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: admin}
spec: {profile: {email: admin@example.com}, memberOf: [platform-admins]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout, description: Takes the money}
spec: {type: service, lifecycle: production, owner: team-a}
`

// signedInServer is pont serve with sign-in through a real Dex.
type signedInServer struct {
	base string
	dex  *dextest.Dex
	logs *logbuf.Buffer
}

func startSignedIn(t *testing.T) *signedInServer { return startSignedInWith(t, "") }

// startSignedInWith is startSignedIn with more configuration (YAML keys
// other than database, catalog and auth).
func startSignedInWith(t *testing.T, extraConfig string) *signedInServer {
	t.Helper()
	addr := freeAddr(t)
	base := "http://" + addr
	dex := dextest.Start(t, dextest.Options{RedirectURIs: []string{base + "/auth/callback"}})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), []byte(signinCatalog), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
database: {driver: sqlite, dsn: %q}
catalog:
  locations: [{type: file, target: %q}]
  rules: [{allow: [Component, API, System, Group, User, Location]}]
auth:
  externalURL: %s
  oidc: {issuer: %s, clientID: %s, clientSecret: %s}
  policy: {adminGroups: [group:default/platform-admins]}
%s`, filepath.Join(dir, "pont.db"), filepath.Join(dir, "catalog.yaml"), base, dex.Issuer, dex.ClientID, dex.ClientSecret, extraConfig)
	base, logs := startServeLogged(t, addr, cfg)
	s := &signedInServer{base: base, dex: dex, logs: logs}
	// The configured location is read in the background.
	wait.For(t, 30e9, "catalog ingested", func() bool {
		return entityCountAs(t, base, s.bearer(t, "admin@example.com")) >= 7
	})
	return s
}

func entityCountAs(t *testing.T, base, token string) int {
	req, _ := http.NewRequest(http.MethodGet, base+"/api/catalog/entities", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0
	}
	defer resp.Body.Close()
	var items []any
	_ = json.NewDecoder(resp.Body).Decode(&items)
	return len(items)
}

func (s *signedInServer) password(email string) string {
	for _, u := range s.dex.Users {
		if u.Email == email {
			return u.Password
		}
	}
	panic("no user " + email)
}

// bearer is an ID token from Dex (password grant) for email.
func (s *signedInServer) bearer(t *testing.T, email string) string {
	return s.dex.PasswordToken(t, email, s.password(email), "openid", "email", "profile")
}

// browser signs email in through Dex's login form and returns the
// browser (a client with the session cookie in its jar).
func (s *signedInServer) browser(t *testing.T, email string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	s.dex.BrowserLogin(t, c, s.base+"/auth/login?returnTo=/catalog", email, s.password(email))
	return c
}

type gqlResult struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

// graphql posts a query with client, adding headers (k, v pairs).
func graphql(t *testing.T, c *http.Client, base, query string, headers ...string) gqlResult {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := gqlResult{Status: resp.StatusCode}
	_ = json.Unmarshal(raw, &out)
	if out.Data == nil && out.Errors == nil && resp.StatusCode == http.StatusOK {
		t.Fatalf("not a GraphQL answer: %s", raw)
	}
	return out
}

func code(r gqlResult) string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// TestSignInThroughDexReachesGraphQL: a person signs in through Dex's
// login form, and the session cookie (and, for tools, a Dex token as a
// bearer) reaches the GraphQL API as them, with their catalog groups and
// the ownership rules; nothing secret reaches the log.
func TestSignInThroughDexReachesGraphQL(t *testing.T) {
	s := startSignedIn(t)
	anon := &http.Client{}

	// Anonymous callers get nothing, in GraphQL and REST alike.
	if r := graphql(t, anon, s.base, `{ viewer { kind } }`); code(r) != "UNAUTHENTICATED" {
		t.Fatalf("anonymous viewer: %+v", r)
	}
	if resp, err := anon.Get(s.base + "/api/catalog/entities"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous REST: %v %v", resp.StatusCode, err)
	}

	// jdoe signs in with the browser flow.
	jdoe := s.browser(t, "jdoe@example.com")
	r := graphql(t, jdoe, s.base, `{ viewer { kind user email groups admin } entity(ref: "checkout") { ref owner { ref } } }`)
	if len(r.Errors) > 0 {
		t.Fatalf("viewer: %+v", r.Errors)
	}
	v := r.Data["viewer"].(map[string]any)
	groups := fmt.Sprint(v["groups"])
	if v["kind"] != "session" || v["user"] != "user:default/jdoe" || !strings.Contains(groups, "group:default/team-a") || !strings.Contains(groups, "group:default/engineering") || v["admin"] != false {
		t.Fatalf("viewer = %v", v)
	}
	// jdoe's team owns checkout: jdoe may refresh it.
	if r := graphql(t, jdoe, s.base, `mutation { refreshEntity(ref: "checkout") { ref } }`); len(r.Errors) > 0 {
		t.Fatalf("owner refresh: %+v", r.Errors)
	}
	// A cookie-authenticated mutation from another site is refused.
	if r := graphql(t, jdoe, s.base, `mutation { refreshEntity(ref: "checkout") { ref } }`, "Origin", "https://evil.example"); r.Status != http.StatusForbidden {
		t.Fatalf("cross-site mutation: %+v", r)
	}

	// asmith, with a Dex token as a bearer, reads but may not change it.
	asmith := s.bearer(t, "asmith@example.com")
	r = graphql(t, anon, s.base, `mutation { refreshEntity(ref: "checkout") { ref } }`, "Authorization", "Bearer "+asmith)
	if code(r) != "FORBIDDEN" || r.Errors[0].Extensions["permission"] != "catalog.entity.refresh" {
		t.Fatalf("stranger refresh: %+v", r)
	}
	r = graphql(t, anon, s.base, `{ viewer { user } entity(ref: "checkout") { ref } }`, "Authorization", "Bearer "+asmith)
	if len(r.Errors) > 0 || fmt.Sprint(r.Data["viewer"]) != "map[user:user:default/asmith]" {
		t.Fatalf("bearer viewer: %+v", r)
	}
	// A token that is not Dex's is refused outright.
	if r := graphql(t, anon, s.base, `{ viewer { user } }`, "Authorization", "Bearer "+asmith[:len(asmith)-4]+"AAAA"); r.Status != http.StatusUnauthorized {
		t.Fatalf("forged bearer: %+v", r)
	}

	// The admin sees the audit trail: the sign-in and the denial.
	admin := s.bearer(t, "admin@example.com")
	r = graphql(t, anon, s.base, `{ auditEvents(first: 50) { edges { node { action outcome actor } } } }`, "Authorization", "Bearer "+admin)
	if len(r.Errors) > 0 {
		t.Fatalf("audit: %+v", r.Errors)
	}
	var trail []string
	for _, e := range r.Data["auditEvents"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		trail = append(trail, fmt.Sprintf("%s %s %s", n["action"], n["outcome"], n["actor"]))
	}
	for _, want := range []string{"auth.signin success user:default/jdoe", "catalog.entity.refresh denied user:default/asmith", "catalog.entity.refresh success user:default/jdoe"} {
		if !slices.Contains(trail, want) {
			t.Errorf("audit trail lacks %q: %v", want, trail)
		}
	}
	// ... and jdoe does not.
	if r := graphql(t, jdoe, s.base, `{ auditEvents(first: 5) { totalCount } }`); code(r) != "FORBIDDEN" {
		t.Errorf("jdoe reads the audit trail: %+v", r)
	}

	// Sign-out ends the session on the server: the old cookie is refused.
	var u *http.Cookie
	for _, c := range jdoe.Jar.Cookies(mustURL(s.base)) {
		if c.Name == "pont_session" {
			u = c
		}
	}
	if u == nil {
		t.Fatal("no pont_session cookie after sign-in")
	}
	req, _ := http.NewRequest(http.MethodPost, s.base+"/auth/logout", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := jdoe.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: %v %v", resp, err)
	}
	stale := &http.Client{}
	if r := graphql(t, stale, s.base, `{ viewer { user } }`, "Cookie", u.Name+"="+u.Value); r.Status != http.StatusUnauthorized {
		t.Fatalf("cookie after logout: %+v", r)
	}

	// The trail is also in the log, as JSON lines.
	logs := s.logs.String()
	found := false
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "audit" && rec["action"] == "auth.signin" && rec["outcome"] == "success" {
			found = true
		}
	}
	if !found {
		t.Error("no JSON audit line for the sign-in in the log")
	}

	// Nothing secret reached the log.
	for name, secret := range map[string]string{"session cookie": u.Value, "bearer token": asmith, "admin token": admin, "client secret": s.dex.ClientSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log holds the %s", name)
		}
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
