// Package graphtest builds a catalog for GraphQL and authorization tests:
// a database (SQLite or PostgreSQL), a generated catalog of teams,
// people, systems, components and APIs ingested through the real engine,
// and principals to ask as.
package graphtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
)

// Env is a migrated database holding a generated catalog.
type Env struct {
	DB        *database.DB
	Store     *entstore.Store
	Processor *catalog.Processor
	Locations *catalog.Locations
	Policy    *auth.Policy
	Audit     *audit.Log
	// Client reads through a driver that counts statements (Statements).
	Client     *ent.Client
	statements atomic.Int64
	Dir        string
	Location   catalog.Location
}

// Dialects lists the databases every test runs on: SQLite always,
// PostgreSQL unless -short.
func Dialects(t testing.TB) map[string]database.Config { return dbtest.Configs(t) }

// Options shape the generated catalog and policy.
type Options struct {
	// Teams, each with ComponentsPerTeam components (and as many APIs).
	Teams             int
	ComponentsPerTeam int
	Policy            config.Policy
}

// New migrates the database of cfg and ingests a generated catalog.
func New(t testing.TB, cfg database.Config, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	db := dbtest.Open(t, cfg)
	env := &Env{DB: db, Dir: t.TempDir()}
	WriteCatalog(t, env.Dir, o.Teams, o.ComponentsPerTeam)
	reader, err := catalog.NewReader(catalog.ReaderConfig{FileRoots: []string{env.Dir}, MaxBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	env.Store = entstore.New(db)
	t.Cleanup(func() { env.Store.Close() })
	kinds := []string{"Component", "API", "System", "Domain", "Resource", "Group", "User", "Location"}
	env.Processor = catalog.NewProcessor(env.Store, reader, catalog.ProcessorConfig{
		Rules: []catalog.Rule{{Allow: kinds}}, Limits: catalog.DefaultLimits(),
	}, slog.New(slog.DiscardHandler))
	env.Locations = catalog.NewLocations(env.Store, env.Processor, nil, []string{"url", "file"})
	loc, err := env.Store.CreateLocation(ctx, catalog.Location{Type: "file", Target: filepath.Join(env.Dir, "catalog.yaml"), Origin: "config"})
	if err != nil {
		t.Fatal(err)
	}
	env.Location = loc
	res, err := env.Processor.Refresh(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted == 0 {
		t.Fatalf("nothing ingested: %+v", res)
	}
	if errs, _ := env.Store.ProviderErrors(ctx, "location:"+loc.ID); len(errs) > 0 {
		t.Fatalf("catalog has errors: %v", catalog.DescribeError(errs[0]))
	}
	if o.Policy.RegisterLocations == "" {
		o.Policy.RegisterLocations = "signedIn"
	}
	env.Policy = auth.NewPolicy(o.Policy)
	env.Audit = audit.New(db.Ent, slog.New(slog.DiscardHandler))
	drv := entsql.OpenDB(db.Dialect, db.SQL)
	env.Client = ent.NewClient(ent.Driver(dialect.DebugWithContext(drv, func(context.Context, ...any) {
		env.statements.Add(1)
	})))
	return env
}

// Statements counts the statements run through Client so far.
func (e *Env) Statements() int64 { return e.statements.Load() }

// Principal returns a signed-in person with the policy applied: user is a
// name ("alice"), groups are group names ("team-0").
func (e *Env) Principal(user string, groups ...string) *principal.Principal {
	p := &principal.Principal{Kind: principal.Session, Subject: "test|" + user, Name: user, User: "user:default/" + user}
	for _, g := range groups {
		p.Groups = append(p.Groups, "group:default/"+g)
	}
	e.Policy.Apply(p)
	return p
}

// As returns ctx carrying p.
func As(ctx context.Context, p *principal.Principal) context.Context {
	return principal.NewContext(ctx, p)
}

// WriteCatalog writes catalog.yaml into dir: a domain, per team a Group
// (child of "engineering"), two Users, a System, components (each owned
// by the team, part of its system, providing an API and consuming the
// previous component's API, depending on the team's database Resource).
func WriteCatalog(t testing.TB, dir string, teams, perTeam int) {
	t.Helper()
	var b strings.Builder
	doc := func(format string, args ...any) {
		b.WriteString("---\n")
		fmt.Fprintf(&b, format, args...)
	}
	doc("apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: commerce}\nspec: {owner: group:engineering}\n")
	doc("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: engineering}\nspec: {type: department, children: []}\n")
	doc("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: admins}\nspec: {type: team, children: []}\n")
	prevAPI := ""
	for i := range teams {
		team := fmt.Sprintf("team-%d", i)
		doc("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: %s, description: Team number %d}\nspec: {type: team, parent: engineering, children: []}\n", team, i)
		for _, u := range []string{"a", "b"} {
			doc("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: %s-%s}\nspec: {profile: {email: %s-%s@example.com}, memberOf: [%s]}\n", team, u, team, u, team)
		}
		doc("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: system-%d}\nspec: {owner: %s, domain: commerce}\n", i, team)
		doc("apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: db-%d}\nspec: {type: database, owner: %s, system: system-%d}\n", i, team, i)
		for j := range perTeam {
			name := fmt.Sprintf("svc-%d-%d", i, j)
			api := name + "-api"
			consumes := ""
			if prevAPI != "" {
				consumes = ", consumesApis: [" + prevAPI + "]"
			}
			doc("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: %s, title: Service %d of team %d, description: Handles payments and invoices for team %d, tags: [go, team-%d]}\nspec: {type: service, lifecycle: production, owner: %s, system: system-%d, providesApis: [%s]%s, dependsOn: [resource:db-%d]}\n",
				name, j, i, i, i, team, i, api, consumes, i)
			doc("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: %s}\nspec: {type: openapi, lifecycle: production, owner: %s, system: system-%d, definition: \"openapi: 3.0.0\"}\n", api, team, i)
			prevAPI = api
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "catalog.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// EntityUID is the uid of the entity with this ref key, read as Pont
// itself, or "" when there is none.
func (e *Env) EntityUID(t testing.TB, key string) string {
	t.Helper()
	got, err := e.Store.EntityByKey(principal.SystemContext(context.Background()), key)
	if errors.Is(err, catalog.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return got.UID
}

// WriteComponentFile writes a catalog file holding one Component of
// team-0 named name into the catalog's folder and returns its path: a
// location target nobody registered yet.
func (e *Env) WriteComponentFile(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(e.Dir, name+".yaml")
	doc := fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: %s}\nspec: {type: service, lifecycle: experimental, owner: team-0}\n", name)
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
