package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// authenticatedKey marks a request the middleware has seen, so mounting it
// twice (globally and on the auth routes) authenticates once.
type authenticatedKey struct{}

// credential names how a request authenticated, for records.
type credential string

const (
	credNone    credential = ""
	credToken   credential = "API token"
	credBearer  credential = "bearer JWT"
	credSession credential = "session cookie"
)

// Middleware authenticates every request and puts its principal (nil for
// an anonymous caller: handlers and the store decide what that may do)
// and its origin (for audit records) in the request's context.
//
// With sign-in on, it tries in order: "Authorization: Bearer pont_..." (a
// Pont API token), "Authorization: Bearer <JWT>" (an ID token of the
// provider, for any configured audience), then the session cookie. A
// credential that is presented and refused answers 401 and is audited as
// auth.denied; it never falls back to anonymous. A state-changing request
// authenticated by the cookie must come from Pont's own origin (403
// otherwise).
//
// With sign-in off, loopback callers are a local admin and everyone else
// gets 401. Loopback is the TCP peer's address; a request carrying
// forwarding headers came through a proxy, so it is not local.
func (s *Service) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Context().Value(authenticatedKey{}) != nil {
				return next(c)
			}
			ctx := context.WithValue(req.Context(), authenticatedKey{}, true)
			ctx = audit.WithRequest(ctx, audit.Request{RemoteAddr: req.RemoteAddr, RequestID: requestID(c)})
			s.maybeCleanup(ctx)

			if !s.Enabled() {
				if reason := notLocal(req); reason != "" {
					s.deny(ctx, req, credNone, reason)
					return unauthorized(c, "sign-in is not configured, so Pont serves loopback callers only")
				}
				p := &principal.Principal{Kind: principal.Local, Subject: "local", Name: "local"}
				s.policy.Apply(p)
				// A page on another site in the same browser could otherwise
				// drive the local admin, or rebind a name of its own to
				// 127.0.0.1.
				if reason := s.crossSite(req, true); reason != "" {
					s.deny(principal.NewContext(ctx, p), req, credNone, reason)
					return forbidden(c, "cross-site request refused")
				}
				c.SetRequest(req.WithContext(principal.NewContext(ctx, p)))
				return next(c)
			}

			p, ident, cred, err := s.authenticate(ctx, req)
			if err != nil {
				var ce *credentialError
				if !errors.As(err, &ce) {
					s.log.Error("authentication failed", "err", err, "credential", string(cred))
					return writeError(c, http.StatusServiceUnavailable, "Error", "authentication is unavailable; try again")
				}
				s.deny(ctx, req, cred, ce.reason)
				if cred == credSession {
					// The browser drops a dead cookie, so the next request is
					// simply anonymous and may sign in again.
					c.SetCookie(s.sessionCookie(""))
					if isSignInRoute(req.URL.Path) {
						c.SetRequest(req.WithContext(ctx))
						return next(c)
					}
				}
				return unauthorized(c, ce.message)
			}
			if p != nil {
				ctx = principal.NewContext(ctx, p)
			}
			if ident != nil {
				ctx = context.WithValue(ctx, identityKey{}, ident)
			}
			if cred == credSession {
				if reason := s.crossSite(req, false); reason != "" {
					s.deny(ctx, req, cred, reason)
					return forbidden(c, "cross-site request refused")
				}
			}
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// authenticate finds and checks the request's credential. A nil principal
// and nil error is an anonymous caller; a *credentialError is a refused
// credential; any other error is Pont's own trouble.
func (s *Service) authenticate(ctx context.Context, req *http.Request) (*principal.Principal, *identity, credential, error) {
	if h := req.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, cred, _ := strings.Cut(h, " ")
		cred = strings.TrimSpace(cred)
		if !strings.EqualFold(scheme, "Bearer") || cred == "" {
			return nil, nil, credBearer, refused("unsupported Authorization header: use Bearer", "malformed Authorization header")
		}
		if strings.HasPrefix(cred, TokenPrefix) {
			p, err := s.tokenPrincipal(ctx, cred)
			return p, nil, credToken, err
		}
		ident, err := s.verifyBearer(ctx, cred)
		if err != nil {
			return nil, nil, credBearer, err
		}
		return s.principalOf(ctx, ident), ident, credBearer, nil
	}
	if ck, err := req.Cookie(s.cookieName); err == nil && ck.Value != "" {
		p, ident, err := s.sessionPrincipal(ctx, ck.Value)
		return p, ident, credSession, err
	}
	return nil, nil, credNone, nil
}

// verifyBearer checks a JWT from the provider: issuer, signature (with an
// algorithm the provider announces; never none or HMAC), expiry, and an
// audience among auth.oidc.clientID and auth.oidc.audiences.
func (s *Service) verifyBearer(ctx context.Context, raw string) (*identity, error) {
	tok, err := s.bearer.Verify(oidc.ClientContext(ctx, s.client), raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, refused("bearer token expired", "expired bearer token")
		}
		return nil, refused("invalid bearer token", "bearer token: "+err.Error())
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(s.audiences, a) }) {
		return nil, refused("invalid bearer token", "bearer token audience not accepted")
	}
	ident, err := s.identityFrom(tok, principal.Bearer)
	if err != nil {
		return nil, refused("invalid bearer token", "bearer token: "+err.Error())
	}
	return ident, nil
}

// deny records a refused request.
func (s *Service) deny(ctx context.Context, req *http.Request, cred credential, reason string) {
	details := map[string]any{"method": req.Method, "path": req.URL.Path}
	if cred != credNone {
		details["credential"] = string(cred)
	}
	s.audit.Record(ctx, audit.Event{Action: "auth.denied", Target: req.URL.Path, Outcome: audit.Denied, Reason: reason, Details: details})
}

// crossSite returns why a request must be refused as cross-site, or "".
// It applies to requests a browser sends with ambient authority: a
// session cookie, or (local) mere access to loopback. Reads are safe
// (they change nothing and the browser keeps the answer from the other
// site); state-changing methods need Sec-Fetch-Site same-origin or none
// (or no such header, from an older browser or a script) and, when
// present, an Origin equal to Pont's. local also checks Host against
// loopback names (DNS rebinding) on every method.
func (s *Service) crossSite(req *http.Request, local bool) string {
	if local && !s.isOwnHost(req.Host) {
		return "Host " + req.Host + " is neither loopback nor the external URL's (DNS rebinding?)"
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	switch site := req.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site is " + site
	}
	if o := req.Header.Get(echo.HeaderOrigin); o != "" && !strings.EqualFold(o, s.origin) {
		return "Origin " + o + " is not " + s.origin
	}
	return ""
}

func (s *Service) isOwnHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(host), "[]")
	if host == "localhost" || strings.EqualFold(host, s.external.Hostname()) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// notLocal returns why a request is not from this machine, or "".
func notLocal(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return "unparsable remote address"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "not a loopback caller (sign-in is off)"
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if req.Header.Get(h) != "" {
			return "request came through a proxy (" + h + "); sign-in is off"
		}
	}
	return ""
}

func isSignInRoute(path string) bool {
	switch path {
	case "/auth/login", "/auth/callback", "/auth/logout", "/auth/me":
		return true
	}
	return false
}

func requestID(c echo.Context) string {
	if id := c.Response().Header().Get(echo.HeaderXRequestID); id != "" {
		return id
	}
	return c.Request().Header.Get(echo.HeaderXRequestID)
}
