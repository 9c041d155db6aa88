package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/dextest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// dialects are the stores session storage is tested on.
func dialects(t *testing.T) map[string]func(t *testing.T) database.Config {
	return map[string]func(t *testing.T) database.Config{
		"sqlite":   func(t *testing.T) database.Config { return sqliteConfig(t) },
		"postgres": func(t *testing.T) database.Config { return database.Config{Driver: "postgres", DSN: pgtest.DSN(t)} },
	}
}

func sqliteConfig(t *testing.T) database.Config {
	return database.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "pont.db")}
}

// logBuffer collects everything logged, to search it for secrets.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type rigOptions struct {
	db       database.Config // default: SQLite
	noOIDC   bool
	https    bool
	tokenTTL time.Duration // Dex's ID token lifetime
}

// rig is Pont's sign-in against a real Dex and a real database: an echo
// server with the middleware, the /auth routes and a protected /whoami.
type rig struct {
	t     *testing.T
	svc   *Service
	dex   *dextest.Dex
	db    *database.DB
	store *entstore.Store
	srv   *httptest.Server
	url   string
	cfg   config.Config
	logs  *logBuffer
	log   *slog.Logger
	audit *audit.Log
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	ctx := context.Background()
	if o.db.Driver == "" {
		o.db = sqliteConfig(t)
	}
	db, err := database.Open(ctx, o.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db, store: entstore.New(db), logs: &logBuffer{}}
	r.log = slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.audit = audit.New(db.Ent, r.log)
	seedCatalog(t, r.store, nil)

	var e *echo.Echo
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { e.ServeHTTP(w, req) }))
	scheme := "http"
	if o.https {
		scheme = "https"
	}
	r.url = scheme + "://" + r.srv.Listener.Addr().String()

	r.cfg = config.Default()
	r.cfg.Auth.ExternalURL = r.url
	r.cfg.Auth.Policy.AdminGroups = []string{"group:default/platform"}
	if !o.noOIDC {
		r.dex = dextest.Start(t, dextest.Options{RedirectURIs: []string{r.url + "/auth/callback"}, IDTokenTTL: o.tokenTTL})
		r.cfg.Auth.OIDC.Issuer, r.cfg.Auth.OIDC.ClientID, r.cfg.Auth.OIDC.ClientSecret = r.dex.Issuer, r.dex.ClientID, r.dex.ClientSecret
	}
	r.svc = r.newService(r.cfg)
	e = r.echo(r.svc)
	if o.https {
		r.srv.StartTLS()
	} else {
		r.srv.Start()
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) newService(cfg config.Config) *Service {
	r.t.Helper()
	svc, err := New(context.Background(), Options{
		Config: cfg, DB: r.db, Catalog: r.store, Policy: NewPolicy(cfg.Auth.Policy),
		Audit: r.audit, Logger: r.log, DiscoveryTimeout: 10 * time.Second,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return svc
}

// whoami is what the protected test route answers.
type whoami struct {
	Kind     principal.Kind `json:"kind"`
	Subject  string         `json:"subject"`
	Email    string         `json:"email"`
	User     string         `json:"user"`
	Groups   []string       `json:"groups"`
	Admin    bool           `json:"admin"`
	CanWrite bool           `json:"canWrite"`
}

func (r *rig) echo(svc *Service) *echo.Echo {
	e := echo.New()
	e.Use(svc.Middleware())
	svc.Register(e.Group(svc.Prefix()))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "home") })
	me := func(c echo.Context) error {
		p := principal.FromContext(c.Request().Context())
		if p == nil {
			return c.JSON(http.StatusUnauthorized, map[string]string{"error": "anonymous"})
		}
		return c.JSON(http.StatusOK, whoami{Kind: p.Kind, Subject: p.Subject, Email: p.Email, User: p.User, Groups: p.Groups, Admin: p.Admin, CanWrite: p.CanWrite()})
	}
	e.GET("/whoami", me)
	e.POST("/whoami", me)
	// /tokens mints a token for the caller, as the GraphQL API will.
	e.POST("/tokens", func(c echo.Context) error {
		ctx := c.Request().Context()
		var in struct {
			Name     string        `json:"name"`
			Scopes   []string      `json:"scopes"`
			Lifetime time.Duration `json:"lifetime"`
		}
		if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
			return err
		}
		p := principal.FromContext(ctx)
		if err := svc.policy.Authorize(p, CreateToken, Resource{}); err != nil {
			return c.JSON(http.StatusForbidden, map[string]string{"error": err.Error()})
		}
		secret, tok, err := svc.MintToken(ctx, p, in.Name, in.Scopes, in.Lifetime)
		if ie, ok := err.(*InputError); ok {
			return c.JSON(http.StatusBadRequest, map[string]string{"field": ie.Field, "reason": ie.Reason})
		}
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"secret": secret, "id": tok.ID, "scopes": tok.Scopes, "prefix": tok.Prefix})
	})
	return e
}

// browser is an HTTP client with a cookie jar that trusts the test server.
func (r *rig) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if r.srv.TLS != nil {
		c.Transport = r.srv.Client().Transport
	}
	return c
}

// do sends a request and returns the status and body.
func (r *rig) do(c *http.Client, method, path string, header http.Header, body string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c == nil {
		c = r.browser()
	}
	resp, err := c.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func decodeWhoami(t *testing.T, body string) whoami {
	t.Helper()
	var w whoami
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatalf("whoami %q: %v", body, err)
	}
	return w
}

// noSecretsIn fails when any secret occurs in Pont's logs or audit table.
func (r *rig) noSecretsIn(secrets ...string) {
	r.t.Helper()
	var stored strings.Builder
	events, err := r.db.Ent.AuditEvent.Query().All(principal.SystemContext(context.Background()))
	if err != nil {
		r.t.Fatal(err)
	}
	for _, ev := range events {
		stored.WriteString(ev.Action + " " + ev.Target + " " + ev.Reason + " " + ev.Details + "\n")
	}
	logs := r.logs.String()
	for _, s := range secrets {
		if s == "" {
			r.t.Fatal("an empty secret to look for")
		}
		if strings.Contains(logs, s) {
			r.t.Errorf("a secret (%.8s...) is in the logs", s)
		}
		if strings.Contains(stored.String(), s) {
			r.t.Errorf("a secret (%.8s...) is in the audit table", s)
		}
	}
}

// auditActions lists the stored audit records as "action outcome".
func (r *rig) auditActions() []string {
	events, err := r.db.Ent.AuditEvent.Query().All(principal.SystemContext(context.Background()))
	if err != nil {
		r.t.Fatal(err)
	}
	var out []string
	for _, ev := range events {
		out = append(out, ev.Action+" "+string(ev.Outcome))
	}
	return out
}

// seedCatalog stores the people and groups of the tests: jdoe in team-a
// (under dept), asmith in loop-1 (loop-1 and loop-2 are each other's
// parent), admin in platform (the admin group). change edits entities
// before they are stored.
func seedCatalog(t *testing.T, s catalog.Store, change func(map[string]*catalog.Entity)) {
	t.Helper()
	ents := map[string]*catalog.Entity{
		"jdoe":     entity("User", "jdoe", map[string]any{"profile": map[string]any{"email": "JDoe@Example.com"}, "memberOf": []any{"team-a"}}),
		"asmith":   entity("User", "asmith", map[string]any{"profile": map[string]any{"email": "asmith@example.com"}, "memberOf": []any{"loop-1"}}),
		"admin":    entity("User", "admin", map[string]any{"profile": map[string]any{"email": "admin@example.com"}, "memberOf": []any{"platform"}}),
		"team-a":   entity("Group", "team-a", map[string]any{"type": "team", "parent": "dept", "children": []any{}}),
		"dept":     entity("Group", "dept", map[string]any{"type": "department", "children": []any{"team-a"}}),
		"platform": entity("Group", "platform", map[string]any{"type": "team", "children": []any{}}),
		"loop-1":   entity("Group", "loop-1", map[string]any{"type": "team", "parent": "loop-2", "children": []any{}}),
		"loop-2":   entity("Group", "loop-2", map[string]any{"type": "team", "parent": "loop-1", "children": []any{}}),
	}
	if change != nil {
		change(ents)
	}
	var prepared []*catalog.Prepared
	for _, e := range ents {
		p, err := catalog.Prepare(e, "file:/people.yaml", "file:/people.yaml")
		if err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, p)
	}
	_, err := s.Apply(context.Background(), &catalog.Mutation{
		Provider: "test", Full: true, ErrorKey: "location:default/people",
		Entities: func(yield func(*catalog.Prepared) bool) {
			for _, p := range prepared {
				if !yield(p) {
					return
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func entity(kind, name string, spec map[string]any) *catalog.Entity {
	return &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: kind,
		Metadata: catalog.Metadata{Name: name, Namespace: "default"},
		Spec:     spec,
	}
}
