package main

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/internal/jobs"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/example"
	"github.com/pont-dev/pont/plugins/runner"
)

// openActions opens the durable queue in Pont's database, registers the
// plugins' actions and builds the runner. serve starts the queue before the
// catalog's first ingest; runActions stops it.
func (a *app) openActions(ctx context.Context) (*jobs.Queue, *runner.Runner, error) {
	cfg := a.cfg.Actions
	q, err := jobs.Open(ctx, jobs.Options{DB: a.db, Log: a.log.With("component", "jobs"), Workers: cfg.Workers, RescueAfter: cfg.RescueAfter})
	if err != nil {
		return nil, nil, err
	}
	reg := plugins.NewRegistry()
	if cfg.Example {
		if err := example.Register(reg); err != nil {
			return nil, nil, err
		}
	}
	if a.kube != nil {
		if err := a.kube.RegisterActions(reg); err != nil {
			return nil, nil, err
		}
	}
	var expirers []plugins.Expirer
	if a.kube != nil {
		expirers = append(expirers, a.kube)
	}
	r := runner.New(runner.Options{
		Registry: reg, Client: a.db.Ent, Queue: q, Store: a.store, Policy: a.policy, Audit: a.audit,
		Log: a.log.With("component", "actions"), MaxAttempts: cfg.MaxAttempts,
		Expirers: expirers, SweepInterval: cfg.SweepInterval, ExpiryWarning: cfg.ExpiryWarning,
	})
	a.log.Info("actions ready", "actions", len(reg.Specs("", "")), "workers", cfg.Workers)
	return q, r, nil
}

// runActions keeps the started queue working until ctx ends, then lets
// running runs finish for the shutdown timeout.
func (a *app) runActions(ctx context.Context, q *jobs.Queue) error {
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := q.Stop(stop); err != nil {
		a.log.Warn("stopping the action queue", "err", err)
	}
	return ctx.Err()
}

// runsMount serves a run's log as Server-Sent Events at
// /api/runs/{id}/events (runner.ServeEvents).
type runsMount struct{ r *runner.Runner }

func (runsMount) Prefix() string { return "/api/runs" }

func (m runsMount) Register(g *echo.Group) {
	g.GET("/:id/events", func(c echo.Context) error {
		m.r.ServeEvents(c.Response(), c.Request(), c.Param("id"))
		return nil
	})
}

func (runsMount) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	if he, ok := err.(*echo.HTTPError); ok {
		code = he.Code
	}
	_ = c.String(code, http.StatusText(code))
}
