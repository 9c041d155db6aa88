package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/loginstate"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// Prefix is where the sign-in routes live.
func (s *Service) Prefix() string { return "/auth" }

// Register mounts the browser sign-in routes on g (mounted at Prefix):
// GET login, GET callback, GET and POST logout, GET me. It adds the
// middleware to them (a no-op when it already runs globally).
func (s *Service) Register(g *echo.Group) {
	g.Use(s.Middleware())
	g.GET("/login", s.login)
	g.GET("/callback", s.callback)
	g.GET("/logout", s.logoutPage)
	g.POST("/logout", s.logout)
	g.GET("/me", s.me)
}

// HandleError answers an error a sign-in handler returned.
func (s *Service) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		_ = writeError(c, he.Code, "Error", http.StatusText(he.Code))
		return
	}
	s.log.Error("sign-in handler failed", "err", err)
	_ = writeError(c, http.StatusInternalServerError, "Error", "internal error")
}

// login starts the authorization code flow with PKCE (S256), a state and
// a nonce, all random and single-use.
func (s *Service) login(c echo.Context) error {
	if !s.Enabled() {
		return writeError(c, http.StatusNotFound, "NotFoundError", "sign-in is not configured")
	}
	ctx := c.Request().Context()
	state, nonce, verifier := randomString(32), randomString(32), oauth2.GenerateVerifier()
	now := s.now()
	err := s.db.LoginState.Create().
		SetID(hashSecret(state)).SetVerifier(verifier).SetNonce(nonce).
		SetReturnTo(safeReturnTo(c.QueryParam("returnTo"))).
		SetCreatedAt(now).SetExpiresAt(now.Add(loginStateTTL)).
		Exec(principal.SystemContext(ctx))
	if err != nil {
		return err
	}
	c.SetCookie(s.loginCookieFor(state))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, s.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
}

// callback finishes sign-in: the state must be one this browser started
// (single use, 10 minutes), the code is exchanged with its PKCE verifier,
// the ID token verified and its nonce compared (go-oidc does not), and a
// session with a new random id is created.
func (s *Service) callback(c echo.Context) error {
	if !s.Enabled() {
		return writeError(c, http.StatusNotFound, "NotFoundError", "sign-in is not configured")
	}
	req := c.Request()
	ctx := req.Context()
	sys := principal.SystemContext(ctx)
	q := req.URL.Query()
	c.SetCookie(s.loginCookieFor(""))
	fail := func(status int, message, reason string) error {
		s.audit.Record(ctx, audit.Event{Action: "auth.signin", Outcome: audit.Failure, Reason: reason})
		if status == http.StatusBadRequest {
			return badRequest(c, message)
		}
		return unauthorized(c, message)
	}

	state := q.Get("state")
	if state == "" {
		return fail(http.StatusBadRequest, "sign-in state missing; start again", "callback without state")
	}
	id := hashSecret(state)
	ls, err := s.db.LoginState.Get(sys, id)
	if ent.IsNotFound(err) {
		return fail(http.StatusBadRequest, "sign-in state unknown or already used; start again", "unknown or used state")
	}
	if err != nil {
		return err
	}
	// Delete first, whatever follows: a state works once. Two callbacks
	// racing with one state: only the one that deletes the row goes on.
	if n, err := s.db.LoginState.Delete().Where(loginstate.ID(id)).Exec(sys); err != nil {
		return err
	} else if n == 0 {
		return fail(http.StatusBadRequest, "sign-in state unknown or already used; start again", "state used concurrently")
	}
	if !s.now().Before(ls.ExpiresAt) {
		return fail(http.StatusBadRequest, "sign-in took too long; start again", "expired state")
	}
	if ck, err := req.Cookie(s.loginCookie); err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		return fail(http.StatusBadRequest, "sign-in was started in another browser or tab; start again", "state not bound to this browser")
	}
	if e := q.Get("error"); e != "" {
		return fail(http.StatusUnauthorized, "the identity provider refused sign-in ("+errorCode(e)+")", "provider error "+errorCode(e))
	}
	code := q.Get("code")
	if code == "" {
		return fail(http.StatusBadRequest, "authorization code missing", "callback without code")
	}

	xctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.client), exchangeTimeout)
	defer cancel()
	tok, err := s.oauth.Exchange(xctx, code, oauth2.VerifierOption(ls.Verifier))
	if err != nil {
		return fail(http.StatusUnauthorized, "sign-in failed: the identity provider did not accept the code", exchangeFailure(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fail(http.StatusUnauthorized, "sign-in failed: no ID token", "token response without id_token")
	}
	idt, err := s.idVerifier.Verify(xctx, raw)
	if err != nil {
		return fail(http.StatusUnauthorized, "sign-in failed: invalid ID token", "ID token: "+err.Error())
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(ls.Nonce)) != 1 {
		return fail(http.StatusUnauthorized, "sign-in failed: invalid ID token", "ID token nonce mismatch")
	}
	ident, err := s.identityFrom(idt, principal.Session)
	if err != nil {
		return fail(http.StatusUnauthorized, "sign-in failed: invalid ID token", "ID token: "+err.Error())
	}

	// A session this browser had is ended: every sign-in gets a new id.
	if old := principal.FromContext(ctx); old != nil && old.SessionID != "" {
		s.deleteSession(ctx, old.SessionID)
	}
	p := s.principalOf(ctx, ident)
	secret, row, err := s.createSession(ctx, ident, raw)
	if err != nil {
		return err
	}
	p.SessionID = row.ID
	c.SetCookie(s.sessionCookie(secret))
	s.audit.Record(principal.NewContext(ctx, p), audit.Event{
		Action: "auth.signin", Target: p.Subject, Outcome: audit.Success,
		Details: map[string]any{"user": p.User, "groups": len(p.Groups), "admin": p.Admin},
	})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, ls.ReturnTo)
}

var logoutPage = template.Must(template.New("logout").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sign out of Pont</title></head>
<body><form method="post" action="/auth/logout"><button type="submit">Sign out of Pont</button></form></body></html>
`))

// logoutPage is what a GET shows: a button, since signing out changes
// state and only a POST (with the cookie's CSRF check) does it.
func (s *Service) logoutPage(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return logoutPage.Execute(c.Response(), nil)
}

// logout ends the session server-side, clears the cookie and sends the
// browser to the provider's end_session_endpoint when it has one
// (RP-initiated logout), else to "/". A client asking for JSON gets
// {"redirect": URL} instead of a redirect.
func (s *Service) logout(c echo.Context) error {
	ctx := c.Request().Context()
	target := "/"
	p := principal.FromContext(ctx)
	if p != nil && p.Kind == principal.Session && p.SessionID != "" {
		sys := principal.SystemContext(ctx)
		if row, err := s.db.Session.Get(sys, p.SessionID); err == nil && s.endSession != "" {
			target = s.endSessionURL(row.IDToken)
		}
		s.deleteSession(ctx, p.SessionID)
		s.audit.Record(ctx, audit.Event{Action: "auth.signout", Target: p.Subject, Outcome: audit.Success})
	}
	c.SetCookie(s.sessionCookie(""))
	c.Response().Header().Set("Cache-Control", "no-store")
	if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON) {
		return c.JSON(http.StatusOK, map[string]string{"redirect": target})
	}
	return c.Redirect(http.StatusSeeOther, target)
}

func (s *Service) endSessionURL(idToken string) string {
	u, err := url.Parse(s.endSession)
	if err != nil {
		return "/"
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", s.cfg.OIDC.ClientID)
	q.Set("post_logout_redirect_uri", s.externalURL("/"))
	u.RawQuery = q.Encode()
	return u.String()
}

// Me is what GET /auth/me answers: who the caller is, never how it
// authenticated (no session id, no token).
type Me struct {
	Kind   principal.Kind `json:"kind"`
	Name   string         `json:"name"`
	Email  string         `json:"email,omitempty"`
	User   string         `json:"user,omitempty"`
	Groups []string       `json:"groups"`
	Admin  bool           `json:"admin"`
	Scopes []string       `json:"scopes,omitempty"`
	// SignInEnabled tells the UI whether to offer signing in and out.
	SignInEnabled bool `json:"signInEnabled"`
}

func (s *Service) me(c echo.Context) error {
	p := principal.FromContext(c.Request().Context())
	if p == nil {
		return unauthorized(c, "not signed in")
	}
	groups := p.Groups
	if groups == nil {
		groups = []string{}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, Me{Kind: p.Kind, Name: p.Name, Email: p.Email, User: p.User, Groups: groups, Admin: p.Admin, Scopes: p.Scopes, SignInEnabled: s.Enabled()})
}

// safeReturnTo keeps a post-sign-in destination only when it is a path on
// Pont itself: one leading slash, not "//" or "/\" (both leave the site in
// browsers), no scheme or host, no backslash or control characters.
// Anything else is "/".
func safeReturnTo(raw string) string {
	if raw == "" || len(raw) > 2048 || raw[0] != '/' || strings.HasPrefix(raw, "//") {
		return "/"
	}
	if strings.ContainsRune(raw, '\\') || strings.ContainsFunc(raw, unicode.IsControl) {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return raw
}

// errorCode keeps an OAuth error code to its defined alphabet, since it
// came from the query string.
func errorCode(e string) string {
	if len(e) > 64 {
		e = e[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, e)
}

// exchangeFailure describes a failed code exchange without the provider's
// response body or anything from the request.
func exchangeFailure(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := errorCode(re.ErrorCode)
		if code == "" && re.Response != nil {
			code = re.Response.Status
		}
		return "code exchange refused: " + code
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "code exchange failed: " + ue.Err.Error()
	}
	return "code exchange failed"
}
