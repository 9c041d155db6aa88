// Package server is Pont's HTTP server: Echo with request IDs, structured
// request logs, body limits, timeouts, health endpoints and graceful
// shutdown, serving the APIs the binary wires into it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Config configures the server. Zero values take the defaults noted.
type Config struct {
	Addr            string        // listen address; default 127.0.0.1:7007
	ReadTimeout     time.Duration // default 30s
	WriteTimeout    time.Duration // default 120s
	RequestTimeout  time.Duration // default 60s
	MaxBodyBytes    int64         // default 1 MiB
	ShutdownTimeout time.Duration // default 15s
	// Ready reports whether the server can take traffic (database
	// reachable); /readyz answers 503 with its error otherwise.
	Ready func(ctx context.Context) error
	// Authenticate runs on every request after the built-in middleware
	// (internal/auth's: it puts the principal in the request context).
	Authenticate echo.MiddlewareFunc
}

// Mount adds routes to the server; APIs implement it.
type Mount interface {
	// Prefix is the path the mount owns ("/api/catalog").
	Prefix() string
	Register(g *echo.Group)
	HandleError(err error, c echo.Context)
}

// Server is the HTTP server.
type Server struct {
	cfg    Config
	echo   *echo.Echo
	log    *slog.Logger
	mounts []Mount
}

// New builds the server with its middleware, health routes and mounts.
func New(cfg Config, log *slog.Logger, mounts ...Mount) *Server {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:7007"
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 120 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{cfg: cfg, echo: e, log: log, mounts: mounts}
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestID())
	e.Use(s.logRequests)
	e.Use(s.recoverPanics)
	e.Use(s.limitBody)
	e.Use(s.timeout)
	e.Use(securityHeaders)
	if cfg.Authenticate != nil {
		e.Use(cfg.Authenticate)
	}

	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	for _, m := range mounts {
		m.Register(e.Group(m.Prefix()))
	}
	return s
}

// Run listens and serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadTimeout:       s.cfg.ReadTimeout,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) readyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleError gives each mount its own error shape; elsewhere a small JSON.
func (s *Server) handleError(err error, c echo.Context) {
	path := c.Request().URL.Path
	for _, m := range s.mounts {
		if path == m.Prefix() || strings.HasPrefix(path, m.Prefix()+"/") {
			m.HandleError(err, c)
			return
		}
	}
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		msg = http.StatusText(code)
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	} else {
		s.log.Error("request failed", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err)
	}
	_ = c.JSON(code, map[string]any{"error": map[string]any{"message": msg}})
}

// logRequests writes one line per request. The query string is left out:
// it may carry tokens one day, and logs must never hold them. The remote
// address is the connection's: X-Forwarded-For is not trusted, since no
// proxy is configured.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		if req.URL.Path == "/healthz" || req.URL.Path == "/readyz" {
			level = slog.LevelDebug
		}
		s.log.Log(req.Context(), level, "request",
			"request_id", res.Header().Get(echo.HeaderXRequestID),
			"method", req.Method, "path", req.URL.Path, "status", res.Status,
			"bytes", res.Size, "duration", time.Since(start).Round(time.Microsecond), "remote", req.RemoteAddr)
		return nil
	}
}

// recoverPanics turns a handler panic into a 500 that says nothing; the
// stack goes to the log only.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = errors.New("internal error")
			}
		}()
		return next(c)
	}
}

// limitBody caps every request body; a longer one fails with 413.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.cfg.MaxBodyBytes {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", s.cfg.MaxBodyBytes))
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// timeout bounds the work of a handler through its context. A WebSocket
// upgrade (GraphQL subscriptions) and a Server-Sent Events stream (a run's
// log) live as long as the client stays, so their connection drops the
// server's read and write deadlines instead.
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if strings.EqualFold(req.Header.Get("Upgrade"), "websocket") ||
			(req.Method == http.MethodGet && strings.Contains(req.Header.Get("Accept"), "text/event-stream")) {
			rc := http.NewResponseController(c.Response().Writer)
			_ = rc.SetReadDeadline(time.Time{})
			_ = rc.SetWriteDeadline(time.Time{})
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}
