package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/catalog/entstore"
	"github.com/pont-dev/pont/catalog/restapi"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/server"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
	"github.com/pont-dev/pont/plugins/runner"
	"github.com/pont-dev/pont/web"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cf := newFlags("serve", stderr)
	if err := cf.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	log.Info("starting pont", "version", version, "database", cfg.Database.Driver, "addr", cfg.Server.Addr)
	app, err := openApp(ctx, cfg, log, cfg.Database.MigrateOnStart == nil || *cfg.Database.MigrateOnStart)
	if err != nil {
		return err
	}
	defer app.close()
	// The audit trail is appended to the log as JSON lines whatever
	// log.format says, so that it can be collected and parsed as such.
	app.audit = audit.New(app.db.Ent, slog.New(slog.NewJSONHandler(stderr, nil)).With("component", "audit"))
	authn, err := auth.New(ctx, auth.Options{
		Config: cfg, DB: app.db, Catalog: app.store, Policy: app.policy, Audit: app.audit,
		Logger: log.With("component", "auth"),
	})
	if err != nil {
		return err
	}
	if !authn.Enabled() && cfg.Server.AllowNonLoopback {
		log.Warn("server.allowNonLoopback is set without sign-in: Pont still answers loopback callers only; set auth.oidc.issuer to serve others")
	}

	ui, err := web.New(web.Options{ExternalURL: cfg.ExternalURL()})
	if err != nil {
		return err
	}
	if !web.Embedded {
		log.Info("this binary has no web UI (built without -tags embedui): / serves a page saying so; make build embeds it")
	}

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("server.addr: %w", err)
	}
	kubeCtx, stopKube := context.WithCancel(ctx)
	defer stopKube()
	if app.inventory, err = app.startKubernetes(kubeCtx); err != nil {
		return err
	}
	queue, runs, err := app.openActions(ctx)
	if err != nil {
		return err
	}
	// The queue starts before the catalog's first ingest: River's start
	// gives up after 10 s, and on SQLite a large first ingest holds the
	// write lock longer than that. Once started, River waits its turn.
	if err := queue.Start(ctx); err != nil {
		return err
	}
	app.actions = runs
	srv := server.New(server.Config{
		Addr: cfg.Server.Addr, ReadTimeout: cfg.Server.ReadTimeout, WriteTimeout: cfg.Server.WriteTimeout,
		RequestTimeout: cfg.Server.RequestTimeout, MaxBodyBytes: cfg.Server.MaxBodyBytes,
		ShutdownTimeout: cfg.Server.ShutdownTimeout,
		Ready:           func(ctx context.Context) error { return app.db.SQL.PingContext(ctx) },
		Authenticate:    authn.Middleware(),
	}, log, app.catalogMount(), app.graphMount(authn), runsMount{runs}, authn, ui)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return app.runner.Run(gctx) })
	g.Go(func() error { return srv.Run(gctx, ln) })
	g.Go(func() error { return app.audit.KeepFor(gctx, cfg.Audit.Retention) })
	g.Go(func() error { return app.runActions(gctx, queue) })
	if cfg.Server.DebugAddr != "" {
		g.Go(func() error { return server.ServeDebug(gctx, cfg.Server.DebugAddr, log) })
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("stopped")
	return nil
}

// app holds what serve and ingest share: the store and the catalog engine.
type app struct {
	cfg       config.Config
	log       *slog.Logger
	db        *database.DB
	store     *entstore.Store
	processor *catalog.Processor
	runner    *catalog.Runner
	locations *catalog.Locations
	policy    *auth.Policy
	audit     *audit.Log
	// inventory is the Kubernetes plugin (nil without clusters).
	inventory plugins.Inventory
	// actions runs self-service actions (serve only).
	actions *runner.Runner
	// kube is the Kubernetes plugin (nil without clusters); its actions
	// are registered with the others.
	kube *kubernetes.Plugin
}

// openApp opens and (optionally) migrates the database, then builds the
// catalog engine and registers the configured locations.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*app, error) {
	db, err := database.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx, log); err != nil {
			db.Close()
			return nil, err
		}
	} else if cur, latest, err := db.MigrationStatus(ctx); err != nil || cur != latest {
		db.Close()
		return nil, fmt.Errorf("database is at schema version %d, this pont needs %d: run pont migrate (or set database.migrateOnStart)", cur, latest)
	}
	roots := append([]string(nil), cfg.Catalog.Files.Roots...)
	for _, l := range cfg.Catalog.Locations {
		if l.Type == "file" {
			abs, err := filepath.Abs(l.Target)
			if err == nil {
				roots = append(roots, filepath.Dir(abs))
			}
		}
	}
	reader, err := catalog.NewReader(catalog.ReaderConfig{
		FileRoots: roots, URLHosts: cfg.Catalog.URLs.AllowedHosts,
		AllowPrivateNetworks: cfg.Catalog.URLs.AllowPrivateNetworks, Timeout: cfg.Catalog.URLs.Timeout,
		MaxBytes: cfg.Catalog.Limits.MaxFileBytes,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	store := entstore.New(db)
	processor := catalog.NewProcessor(store, reader, catalog.ProcessorConfig{
		RefreshInterval: cfg.Catalog.RefreshInterval,
		KeepOrphans:     cfg.Catalog.Orphans == "keep",
		Rules:           cfg.Catalog.Rules,
		Limits:          cfg.CatalogLimits(),
	}, log.With("component", "catalog"))
	runner := catalog.NewRunner(processor)
	a := &app{
		cfg: cfg, log: log, db: db, store: store, processor: processor, runner: runner,
		locations: catalog.NewLocations(store, processor, runner.Trigger, cfg.Catalog.API.AllowedLocationTypes),
		policy:    auth.NewPolicy(cfg.Auth.Policy),
	}
	if err := a.syncConfiguredLocations(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// close releases the store's statements, then the database.
func (a *app) close() {
	if err := a.store.Close(); err != nil {
		a.log.Warn("close store", "err", err)
	}
	if err := a.db.Close(); err != nil {
		a.log.Warn("close database", "err", err)
	}
}

// syncConfiguredLocations makes the stored configured locations match the
// configuration: new ones added, dropped ones removed with their entities.
func (a *app) syncConfiguredLocations(ctx context.Context) error {
	want := map[string]bool{}
	for i, l := range a.cfg.Catalog.Locations {
		target := l.Target
		if l.Type == "file" {
			abs, err := filepath.Abs(target)
			if err != nil {
				return fmt.Errorf("catalog.locations[%d].target: %w", i, err)
			}
			target = abs
		}
		want[l.Type+":"+target] = true
		// No registration check here: configured locations are the
		// operator's, and a host that does not resolve yet or a file not
		// there yet must not stop the server. Every read is still confined,
		// and its failure is a processing error on the location.
		_, err := a.store.LocationByTarget(ctx, l.Type, target)
		if errors.Is(err, catalog.ErrNotFound) {
			_, err = a.store.CreateLocation(ctx, catalog.Location{Type: l.Type, Target: target, Origin: "config"})
		}
		if err != nil && !errors.Is(err, catalog.ErrAlreadyExists) {
			return fmt.Errorf("catalog.locations[%d]: %w", i, err)
		}
	}
	stored, err := a.store.Locations(ctx)
	if err != nil {
		return err
	}
	for _, l := range stored {
		if l.Origin == "config" && !want[l.Type+":"+l.Target] {
			a.log.Info("removing location dropped from configuration", "location", l.ID, "target", l.Target)
			if err := a.store.DeleteLocation(ctx, l.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// catalogMount is the Backstage-compatible API, mounted at /api/catalog.
func (a *app) catalogMount() server.Mount {
	api := restapi.New(restapi.Options{
		Store: a.store, Processor: a.processor, Locations: a.locations, Refresher: a.runner,
		Policy: a.policy, Audit: a.audit,
		Config: restapi.Config{
			AllowedLocationTypes: a.cfg.Catalog.API.AllowedLocationTypes,
			MaxPageSize:          a.cfg.Catalog.API.MaxPageSize,
			DefaultPageSize:      a.cfg.Catalog.API.DefaultPageSize,
		},
		Log: a.log.With("component", "catalog-api"),
	})
	return catalogMount{api}
}

type catalogMount struct{ *restapi.API }

func (catalogMount) Prefix() string { return "/api/catalog" }
