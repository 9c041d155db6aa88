package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/ent/apitoken"
	"github.com/pont-dev/pont/ent/privacy"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// Pont API tokens are for CI and scripts: "pont_" and 32 random bytes
// (base64url), shown once when minted; the database keeps their SHA-256.
// A token acts as the person who minted it: it stores their identity
// and, on use, looks up their catalog User and Groups again (so leaving a
// team takes effect on their tokens too), then narrows it by its scopes.

// TokenPrefix starts every Pont API token.
const TokenPrefix = "pont_"

const maxTokenName = 100

// identityKey carries the identity behind the request's principal, so
// MintToken stores what the credential said rather than what the catalog
// added to it.
type identityKey struct{}

// MintToken creates an API token acting as owner and returns its secret,
// which is never shown again. scopes ⊆ {read, write}; none means read
// only (least privilege). lifetime 0 is auth.tokens.defaultLifetime; more
// than auth.tokens.maxLifetime is refused. The caller authorizes
// (Policy.Authorize with CreateToken); MintToken writes the audit record.
// Argument errors are *InputError.
func (s *Service) MintToken(ctx context.Context, owner *principal.Principal, name string, scopes []string, lifetime time.Duration) (string, *ent.APIToken, error) {
	tok, secret, err := s.mintToken(ctx, owner, name, scopes, lifetime)
	ev := audit.Event{Action: "token.create", Outcome: audit.Success, Details: map[string]any{"name": name, "scopes": scopes}}
	if err != nil {
		ev.Outcome, ev.Reason = audit.Failure, err.Error()
		if _, ok := err.(*InputError); ok {
			ev.Outcome = audit.Denied
		}
		s.audit.Record(ctx, ev)
		return "", nil, err
	}
	ev.Target = tok.ID
	ev.Details = map[string]any{"name": tok.Name, "scopes": tok.Scopes, "expiresAt": tok.ExpiresAt.UTC().Format(time.RFC3339), "owner": tok.OwnerName}
	s.audit.Record(ctx, ev)
	return secret, tok, nil
}

func (s *Service) mintToken(ctx context.Context, owner *principal.Principal, name string, scopes []string, lifetime time.Duration) (*ent.APIToken, string, error) {
	if owner == nil {
		return nil, "", &InputError{Field: "owner", Reason: "not signed in"}
	}
	if owner.Kind == principal.Token || owner.Kind == principal.System {
		return nil, "", &InputError{Field: "owner", Reason: fmt.Sprintf("a %s principal cannot own a token", owner.Kind)}
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, "", &InputError{Field: "name", Reason: "must not be empty"}
	case len(name) > maxTokenName:
		return nil, "", &InputError{Field: "name", Reason: fmt.Sprintf("must be at most %d bytes", maxTokenName)}
	case strings.ContainsFunc(name, unicode.IsControl):
		return nil, "", &InputError{Field: "name", Reason: "must not contain control characters"}
	}
	var sc []string
	for _, x := range scopes {
		x = strings.ToLower(strings.TrimSpace(x))
		if x != principal.ScopeRead && x != principal.ScopeWrite {
			return nil, "", &InputError{Field: "scopes", Reason: fmt.Sprintf("unknown scope %q (want %q or %q)", x, principal.ScopeRead, principal.ScopeWrite)}
		}
		if !slices.Contains(sc, x) {
			sc = append(sc, x)
		}
	}
	if len(sc) == 0 {
		sc = []string{principal.ScopeRead}
	}
	if slices.Contains(sc, principal.ScopeWrite) && !slices.Contains(sc, principal.ScopeRead) {
		sc = append([]string{principal.ScopeRead}, sc...) // writing implies reading
	}
	switch {
	case lifetime < 0:
		return nil, "", &InputError{Field: "lifetime", Reason: "must not be negative"}
	case lifetime == 0:
		lifetime = s.cfg.Tokens.DefaultLifetime
	case lifetime > s.cfg.Tokens.MaxLifetime:
		return nil, "", &InputError{Field: "lifetime", Reason: fmt.Sprintf("must be at most %s (auth.tokens.maxLifetime)", s.cfg.Tokens.MaxLifetime)}
	}

	// Store the owner's identity: the credential's own claims when the
	// request's principal is the owner, else the owner as given, its
	// groups taken for claim groups.
	ident, _ := ctx.Value(identityKey{}).(*identity)
	if ident == nil || ident.Subject != owner.Subject {
		ident = &identity{Principal: *owner, ClaimGroups: slices.Clone(owner.Groups)}
	}
	stored := *ident
	stored.SessionID, stored.Scopes, stored.Admin, stored.ReadKinds = "", nil, false, nil
	body, err := json.Marshal(stored)
	if err != nil {
		return nil, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, "", err
	}
	secret := TokenPrefix + randomString(32)
	now := s.now()
	tok, err := s.db.APIToken.Create().
		SetID(id.String()).SetName(name).SetHash(hashSecret(secret)).SetPrefix(secret[:12]).
		SetOwnerSubject(owner.Subject).SetOwnerName(owner.Actor()).SetPrincipal(body).
		SetScopes(sc).SetCreatedAt(now).SetExpiresAt(now.Add(lifetime)).
		Save(principal.SystemContext(ctx))
	if err != nil {
		return nil, "", fmt.Errorf("store API token: %w", err)
	}
	return tok, secret, nil
}

// RevokeToken revokes a token at once (ErrTokenNotFound when there is
// none). Revoking a revoked token is a no-op. The caller authorizes
// (Policy.Authorize with RevokeToken, CreatedBy = the token's
// OwnerSubject); RevokeToken writes the audit record.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	sys := principal.SystemContext(ctx)
	n, err := s.db.APIToken.Update().
		Where(apitoken.ID(id), apitoken.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Save(sys)
	if err == nil && n == 0 {
		var exists bool
		if exists, err = s.db.APIToken.Query().Where(apitoken.ID(id)).Exist(sys); err == nil && !exists {
			err = ErrTokenNotFound
		}
	}
	ev := audit.Event{Action: "token.revoke", Target: id, Outcome: audit.Success}
	if err != nil {
		ev.Outcome, ev.Reason = audit.Failure, err.Error()
		s.audit.Record(ctx, ev)
		if errors.Is(err, ErrTokenNotFound) {
			return err
		}
		return fmt.Errorf("revoke API token: %w", err)
	}
	s.audit.Record(ctx, ev)
	return nil
}

// Token returns one token as the caller may see it: ent's privacy policy
// applies with ctx's principal, so someone else's token is
// ErrTokenNotFound for anyone but an admin.
func (s *Service) Token(ctx context.Context, id string) (*ent.APIToken, error) {
	tok, err := s.db.APIToken.Get(ctx, id)
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		return nil, ErrTokenNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read API token: %w", err)
	}
	return tok, nil
}

// tokenPrincipal authenticates a Pont API token.
func (s *Service) tokenPrincipal(ctx context.Context, secret string) (*principal.Principal, error) {
	sys := principal.SystemContext(ctx)
	tok, err := s.db.APIToken.Query().Where(apitoken.Hash(hashSecret(secret))).Only(sys)
	if ent.IsNotFound(err) {
		return nil, refused("invalid API token", "unknown API token")
	}
	if err != nil {
		return nil, fmt.Errorf("read API token: %w", err)
	}
	now := s.now()
	switch {
	case tok.RevokedAt != nil:
		return nil, refused("API token revoked", "revoked API token "+tok.ID)
	case !now.Before(tok.ExpiresAt):
		return nil, refused("API token expired", "expired API token "+tok.ID)
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= touchEvery {
		if err := s.db.APIToken.UpdateOneID(tok.ID).SetLastUsedAt(now).Exec(sys); err != nil {
			s.log.Warn("API token: cannot record use", "err", err)
		}
	}
	var ident identity
	if err := json.Unmarshal(tok.Principal, &ident); err != nil {
		return nil, fmt.Errorf("decode API token %s: %w", tok.ID, err)
	}
	p := s.principalOf(ctx, &ident)
	p.Kind, p.Subject = principal.Token, "token:"+tok.ID
	p.Scopes = slices.Clone(tok.Scopes)
	if p.Scopes == nil {
		p.Scopes = []string{} // never "unrestricted"
	}
	s.policy.Apply(p)
	return p, nil
}
