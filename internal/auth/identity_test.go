package auth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/pont-dev/pont/internal/auth/principal"
)

// TestIdentityFromClaims: which claims link a catalog User and which
// groups a token's groups claim gives, resolved against the catalog.
func TestIdentityFromClaims(t *testing.T) {
	r := newRig(t, rigOptions{noOIDC: true})
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	const iss = "https://idp.example"
	verifier := oidc.NewVerifier(iss, &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{key.Public()}}, &oidc.Config{ClientID: "pont"})
	token := func(claims map[string]any) *oidc.IDToken {
		claims["iss"], claims["aud"], claims["exp"] = iss, "pont", time.Now().Add(time.Hour).Unix()
		tok, err := verifier.Verify(context.Background(), forge(t, jose.RS256, key, "k1", claims))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, tc := range []struct {
		name      string
		userClaim string
		claims    map[string]any
		user      string
		email     string
		groups    []string
	}{
		{
			name: "verified email links, claim groups get their parents", userClaim: "email",
			claims: map[string]any{"sub": "1", "email": "jdoe@EXAMPLE.com", "email_verified": true, "groups": []any{"Team-A", "ops/evil", "group:default/platform", "has space", "other"}},
			user:   "user:default/jdoe", email: "jdoe@EXAMPLE.com",
			groups: []string{"group:default/team-a", "group:default/other", "group:default/dept"},
		},
		{
			name: "unverified email links nothing", userClaim: "email",
			claims: map[string]any{"sub": "2", "email": "admin@example.com", "email_verified": false},
		},
		{
			name: "email_verified missing links nothing", userClaim: "email",
			claims: map[string]any{"sub": "3", "email": "admin@example.com"},
		},
		{
			name: `email_verified "true" (a string) links`, userClaim: "email",
			claims: map[string]any{"sub": "4", "email": "admin@example.com", "email_verified": "true"},
			user:   "user:default/admin", email: "admin@example.com", groups: []string{"group:default/platform"},
		},
		{
			name: "another claim matches metadata.name", userClaim: "preferred_username",
			claims: map[string]any{"sub": "5", "preferred_username": "asmith", "groups": "loop-2"},
			user:   "user:default/asmith", groups: []string{"group:default/loop-2", "group:default/loop-1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.svc.cfg.OIDC.UserClaim, r.svc.cfg.OIDC.GroupsClaim, r.svc.cfg.OIDC.GroupNamespace = tc.userClaim, "groups", "default"
			r.svc.cache.flush()
			id, err := r.svc.identityFrom(token(tc.claims), principal.Session)
			if err != nil {
				t.Fatal(err)
			}
			p := r.svc.principalOf(context.Background(), id)
			if p.Subject != iss+"|"+tc.claims["sub"].(string) || p.User != tc.user || p.Email != tc.email {
				t.Errorf("subject %q user %q email %q", p.Subject, p.User, p.Email)
			}
			got, want := slices.Clone(p.Groups), slices.Clone(tc.groups)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("groups %v, want %v", got, want)
			}
		})
	}
}
