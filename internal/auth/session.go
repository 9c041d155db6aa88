package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/loginstate"
	"github.com/pont-dev/pont/ent/session"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// Sessions live in the database so that every replica shares them. The
// cookie holds 32 random bytes; the row's id is their SHA-256, so reading
// the table grants nothing. Sessions end after auth.session.idleTimeout
// unused (last_seen_at moves at most once a minute) and
// auth.session.absoluteTimeout after sign-in, and at sign-out.

// createSession stores a new session for id and returns the cookie value.
func (s *Service) createSession(ctx context.Context, id *identity, idToken string) (string, *ent.Session, error) {
	secret := randomString(32)
	body, err := json.Marshal(id)
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	row, err := s.db.Session.Create().
		SetID(hashSecret(secret)).SetSubject(id.Subject).SetPrincipal(body).SetIDToken(idToken).
		SetCreatedAt(now).SetLastSeenAt(now).SetExpiresAt(now.Add(s.cfg.Session.AbsoluteTimeout)).
		Save(principal.SystemContext(ctx))
	if err != nil {
		return "", nil, fmt.Errorf("store session: %w", err)
	}
	return secret, row, nil
}

// sessionPrincipal authenticates a session cookie.
func (s *Service) sessionPrincipal(ctx context.Context, cookie string) (*principal.Principal, *identity, error) {
	sys := principal.SystemContext(ctx)
	id := hashSecret(cookie)
	row, err := s.db.Session.Get(sys, id)
	if ent.IsNotFound(err) {
		return nil, nil, refused("session unknown or ended; sign in again", "unknown session")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read session: %w", err)
	}
	now := s.now()
	switch {
	case !now.Before(row.ExpiresAt):
		s.deleteSession(ctx, id)
		return nil, nil, refused("session expired; sign in again", "session reached its absolute timeout")
	case now.Sub(row.LastSeenAt) >= s.cfg.Session.IdleTimeout:
		s.deleteSession(ctx, id)
		return nil, nil, refused("session expired; sign in again", "session idle too long")
	case now.Sub(row.LastSeenAt) >= touchEvery:
		if err := s.db.Session.UpdateOneID(id).SetLastSeenAt(now).Exec(sys); err != nil && !ent.IsNotFound(err) {
			s.log.Warn("session: cannot record use", "err", err)
		}
	}
	var ident identity
	if err := json.Unmarshal(row.Principal, &ident); err != nil {
		return nil, nil, fmt.Errorf("decode session: %w", err)
	}
	ident.Kind = principal.Session
	p := s.principalOf(ctx, &ident)
	p.SessionID = id
	return p, &ident, nil
}

func (s *Service) deleteSession(ctx context.Context, id string) {
	if err := s.db.Session.DeleteOneID(id).Exec(principal.SystemContext(ctx)); err != nil && !ent.IsNotFound(err) {
		s.log.Warn("session: cannot delete", "err", err)
	}
}

// sessionCookie is the cookie carrying secret; an empty secret clears it.
func (s *Service) sessionCookie(secret string) *http.Cookie {
	c := &http.Cookie{
		Name: s.cookieName, Value: secret, Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
	if secret == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(s.cfg.Session.AbsoluteTimeout / time.Second)
	}
	return c
}

// loginCookieFor binds a sign-in in flight to the browser that started it:
// the callback must come with the same state in this cookie, so a victim
// cannot be made to finish an attacker's sign-in (login CSRF).
func (s *Service) loginCookieFor(state string) *http.Cookie {
	c := &http.Cookie{
		Name: s.loginCookie, Value: state, Path: "/",
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int(loginStateTTL / time.Second),
	}
	if state == "" {
		c.MaxAge = -1
	}
	return c
}

// maybeCleanup deletes expired sessions and login states, at most once per
// cleanupEvery, on the request that finds the time has come (in the
// background, so that request does not wait). Doing it lazily needs no
// goroutine to start or stop, and every replica may do it: the deletes
// are idempotent.
func (s *Service) maybeCleanup(ctx context.Context) {
	now := s.now()
	next := s.nextCleanup.Load()
	if now.UnixNano() < next || !s.nextCleanup.CompareAndSwap(next, now.Add(cleanupEvery).UnixNano()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(principal.SystemContext(context.WithoutCancel(ctx)), time.Minute)
		defer cancel()
		if err := s.Cleanup(ctx); err != nil {
			s.log.Warn("auth cleanup failed", "err", err)
		}
	}()
}

// Cleanup deletes expired sessions (past either timeout) and login states
// now. The middleware calls it every few minutes by itself.
func (s *Service) Cleanup(ctx context.Context) error {
	ctx = principal.SystemContext(ctx)
	now := s.now()
	n, err := s.db.Session.Delete().Where(session.Or(
		session.ExpiresAtLTE(now),
		session.LastSeenAtLTE(now.Add(-s.cfg.Session.IdleTimeout)),
	)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	m, err := s.db.LoginState.Delete().Where(loginstate.ExpiresAtLTE(now)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete expired login states: %w", err)
	}
	if n+m > 0 {
		s.log.Debug("auth cleanup", "sessions", n, "loginStates", m)
	}
	return nil
}
