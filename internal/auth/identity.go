package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// identity is what a credential says about a person, kept apart from
// what the catalog says: a session or API token stores it, and the
// catalog half (User, memberOf, parent groups) is looked up again on use,
// so membership changes take effect without signing in again.
type identity struct {
	principal.Principal
	// ClaimGroups are the group ref keys of the token's groups claim.
	ClaimGroups []string `json:"claimGroups,omitempty"`
	// UserClaim is the value matched against catalog Users ("" when the
	// claim is missing, or is an unverified email: nothing links). When
	// it is "", Principal.User is kept as stored (a token minted for a
	// principal given without its claims).
	UserClaim string `json:"userClaim,omitempty"`
}

// claims are the ID token claims Pont reads.
type claims struct {
	Issuer            string          `json:"iss"`
	Subject           string          `json:"sub"`
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	Name              string          `json:"name"`
	PreferredUsername string          `json:"preferred_username"`
}

// identityFrom reads a verified token's claims.
func (s *Service) identityFrom(tok *oidc.IDToken, kind principal.Kind) (*identity, error) {
	var c claims
	var all map[string]json.RawMessage
	if err := tok.Claims(&c); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if err := tok.Claims(&all); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if c.Subject == "" {
		return nil, errors.New("the token has no sub claim")
	}
	id := &identity{Principal: principal.Principal{
		Kind:    kind,
		Subject: tok.Issuer + "|" + c.Subject,
		Name:    firstNonEmpty(c.Name, c.PreferredUsername, c.Email, c.Subject),
		Email:   c.Email,
	}}
	verified := isTrue(c.EmailVerified)
	if !verified {
		// An unverified address is anyone's to type in: never show it as
		// the person's, never match it.
		id.Email = ""
	}
	switch claim := s.cfg.OIDC.UserClaim; claim {
	case "email":
		if verified {
			id.UserClaim = strings.ToLower(c.Email)
		}
	default:
		id.UserClaim = stringClaim(all[claim])
	}
	ns := s.cfg.OIDC.GroupNamespace
	if ns == "" {
		ns = "default"
	}
	for _, g := range stringsClaim(all[s.cfg.OIDC.GroupsClaim]) {
		// A claimed name is a name in the configured namespace, nothing
		// more: "other-ns/x" or "group:x/y" would reach outside it.
		if g == "" || len(g) > 253 || strings.ContainsAny(g, ":/\\") || strings.ContainsFunc(g, unicode.IsSpace) || strings.ContainsFunc(g, unicode.IsControl) {
			continue
		}
		key := strings.ToLower(catalog.Ref{Kind: "group", Namespace: ns, Name: g}.Key())
		if !slices.Contains(id.ClaimGroups, key) && len(id.ClaimGroups) < maxGroups {
			id.ClaimGroups = append(id.ClaimGroups, key)
		}
	}
	return id, nil
}

// principalOf completes an identity with what the catalog says now and
// the policy's decisions. The result is a fresh principal.
func (s *Service) principalOf(ctx context.Context, id *identity) *principal.Principal {
	p := id.Principal
	p.Groups, p.Admin, p.ReadKinds = nil, false, nil
	p.Scopes = slices.Clone(id.Scopes)
	ctx = principal.SystemContext(ctx)
	if id.UserClaim != "" {
		// Looked up again each time (cached briefly): a User added to the
		// catalog after sign-in links without signing in again.
		p.User = s.userFor(ctx, id.UserClaim)
	}
	var direct []string
	direct = append(direct, id.ClaimGroups...)
	if p.User != "" {
		direct = append(direct, s.memberOf(ctx, p.User)...)
	}
	p.Groups = s.withAncestors(ctx, direct)
	s.policy.Apply(&p)
	return &p
}

// userFor finds the catalog User a claim value names: by
// spec.profile.email when auth.oidc.userClaim is "email", else by
// metadata.name. Several matches link none.
func (s *Service) userFor(ctx context.Context, value string) string {
	found := s.cache.get("user\x00"+value, func() []string {
		key := "metadata.name"
		if s.cfg.OIDC.UserClaim == "email" {
			key = "spec.profile.email"
		}
		page, err := s.catalog.QueryEntities(ctx, catalog.EntityQuery{
			Filter: catalog.And(catalog.Filter{Key: "kind", Values: []string{"user"}}, catalog.Filter{Key: key, Values: []string{value}}),
			Limit:  2,
		})
		if err != nil {
			s.log.Warn("catalog user lookup failed", "err", err)
			return nil
		}
		if len(page.Items) != 1 {
			if len(page.Items) > 1 {
				s.log.Warn("several catalog Users match a signed-in person; linking none", "field", key)
			}
			return []string{""}
		}
		return []string{strings.ToLower(page.Items[0].Key)}
	})
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// memberOf is a User's memberOf targets.
func (s *Service) memberOf(ctx context.Context, userKey string) []string {
	return s.cache.get("member\x00"+userKey, func() []string {
		return s.relationTargets(ctx, userKey, catalog.RelationMemberOf)
	})
}

// parents is a Group's childOf targets.
func (s *Service) parents(ctx context.Context, groupKey string) []string {
	return s.cache.get("parent\x00"+groupKey, func() []string {
		return s.relationTargets(ctx, groupKey, catalog.RelationChildOf)
	})
}

func (s *Service) relationTargets(ctx context.Context, key, relType string) []string {
	e, err := s.catalog.EntityByKey(ctx, key)
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return []string{}
		}
		s.log.Warn("catalog lookup failed", "entity", key, "err", err)
		return nil
	}
	out := []string{}
	for _, r := range e.Relations {
		if r.Type == relType {
			if t := strings.ToLower(r.TargetRef); strings.HasPrefix(t, "group:") && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// withAncestors is groups and every group above them through childOf,
// breadth first, cycle-safe and capped at maxGroups.
func (s *Service) withAncestors(ctx context.Context, groups []string) []string {
	out := make([]string, 0, len(groups))
	seen := map[string]bool{}
	queue := slices.Clone(groups)
	for len(queue) > 0 && len(out) < maxGroups {
		g := queue[0]
		queue = queue[1:]
		if seen[g] {
			continue
		}
		seen[g] = true
		out = append(out, g)
		queue = append(queue, s.parents(ctx, g)...)
	}
	if len(queue) > 0 {
		s.log.Warn("a principal's groups were capped", "max", maxGroups)
	}
	return out
}

// ttlCache remembers catalog answers for a short time.
type ttlCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cacheEntry
}

type cacheEntry struct {
	v       []string
	expires time.Time
}

func newTTLCache(ttl time.Duration) *ttlCache {
	return &ttlCache{ttl: ttl, m: map[string]cacheEntry{}}
}

func (c *ttlCache) get(key string, load func() []string) []string {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v
	}
	v := load()
	if v == nil { // a failed lookup is not remembered
		return nil
	}
	c.mu.Lock()
	if len(c.m) > 10000 { // bounded: drop the lot rather than track age
		clear(c.m)
	}
	c.m[key] = cacheEntry{v: v, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v
}

// flush forgets everything (tests).
func (c *ttlCache) flush() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

func isTrue(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var str string // some providers send "true"
	return json.Unmarshal(raw, &str) == nil && strings.EqualFold(str, "true")
}

func stringClaim(raw json.RawMessage) string {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	return ""
}

// stringsClaim reads a claim that is a list of strings or one string.
func stringsClaim(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	if str := stringClaim(raw); str != "" {
		return []string{str}
	}
	return nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
