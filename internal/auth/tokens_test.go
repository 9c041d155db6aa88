package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent/apitoken"
	"github.com/pont-dev/pont/internal/auth/principal"
)

type minted struct {
	Secret string   `json:"secret"`
	ID     string   `json:"id"`
	Scopes []string `json:"scopes"`
	Prefix string   `json:"prefix"`
	Field  string   `json:"field"`
}

func (r *rig) mint(cred http.Header, body string) (int, minted) {
	r.t.Helper()
	status, out := r.do(nil, "POST", "/tokens", cred, body)
	var m minted
	_ = json.Unmarshal([]byte(out), &m)
	return status, m
}

// TestAPITokens: a token minted by a signed-in person acts as them,
// narrowed by its scopes; it is stored as a hash, refused once revoked or
// expired, follows catalog membership changes, and never reaches logs.
func TestAPITokens(t *testing.T) {
	for name, dbConfig := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, rigOptions{db: dbConfig(t)})
			u := r.dex.Users[0]
			owner := bearer(r.dex.PasswordToken(t, u.Email, u.Password))

			status, ro := r.mint(owner, `{"name":"ci read"}`)
			if status != http.StatusOK || !strings.HasPrefix(ro.Secret, TokenPrefix) || len(ro.Secret) != len(TokenPrefix)+43 || ro.Prefix != ro.Secret[:12] || !slices.Equal(ro.Scopes, []string{"read"}) {
				t.Fatalf("mint: %d %+v", status, ro)
			}
			row, err := r.db.Ent.APIToken.Get(sys, ro.ID)
			if err != nil || row.Hash != hashSecret(ro.Secret) || strings.Contains(string(row.Principal), ro.Secret) {
				t.Fatalf("stored token %v %v", row, err)
			}

			status, body := r.do(nil, "GET", "/whoami", bearer(ro.Secret), "")
			w := decodeWhoami(t, body)
			if status != http.StatusOK || w.Kind != principal.Token || w.Subject != "token:"+ro.ID || w.User != "user:default/jdoe" || !slices.Contains(w.Groups, "group:default/dept") || w.CanWrite {
				t.Fatalf("read token: %d %+v", status, w)
			}
			if r.db.Ent.APIToken.GetX(sys, ro.ID).LastUsedAt == nil {
				t.Error("last_used_at not recorded")
			}

			_, rw := r.mint(owner, `{"name":"ci write","scopes":["write","read"],"lifetime":3600000000000}`)
			_, body = r.do(nil, "GET", "/whoami", bearer(rw.Secret), "")
			if w := decodeWhoami(t, body); !w.CanWrite {
				t.Fatalf("write token cannot write: %+v", w)
			}
			if exp := r.db.Ent.APIToken.GetX(sys, rw.ID).ExpiresAt; time.Until(exp) > time.Hour || time.Until(exp) < 59*time.Minute {
				t.Errorf("lifetime 1h expires at %v", exp)
			}

			// Argument errors name the field.
			for in, field := range map[string]string{
				`{"name":""}`:                                 "name",
				`{"name":"x","scopes":["admin"]}`:             "scopes",
				`{"name":"x","lifetime":-1}`:                  "lifetime",
				`{"name":"x","lifetime":999999999999999999}`:  "lifetime",
				`{"name":"line\nbreak"}`:                      "name",
				`{"name":"` + strings.Repeat("n", 101) + `"}`: "name",
			} {
				if status, m := r.mint(owner, in); status != http.StatusBadRequest || m.Field != field {
					t.Errorf("mint %s: %d field %q, want 400 %q", in, status, m.Field, field)
				}
			}
			// A token cannot mint tokens.
			if status, _ := r.mint(bearer(rw.Secret), `{"name":"child"}`); status != http.StatusForbidden {
				t.Errorf("token minting a token: %d", status)
			}

			// Token reads follow ent's privacy policy.
			stranger := principal.NewContext(context.Background(), &principal.Principal{Kind: principal.Bearer, Subject: "x|y"})
			if _, err := r.svc.Token(stranger, ro.ID); !errors.Is(err, ErrTokenNotFound) {
				t.Errorf("someone else's token: %v", err)
			}
			if _, err := r.svc.Token(context.Background(), ro.ID); !errors.Is(err, ErrTokenNotFound) {
				t.Errorf("anonymous reading a token: %v", err)
			}
			admin := principal.NewContext(context.Background(), &principal.Principal{Kind: principal.Bearer, Subject: "a|b", Admin: true})
			if tok, err := r.svc.Token(admin, ro.ID); err != nil || tok.Name != "ci read" {
				t.Errorf("admin reading a token: %v %v", tok, err)
			}

			// Membership changes reach the token without minting again.
			seedCatalog(t, r.store, func(m map[string]*catalog.Entity) {
				m["jdoe"].Spec["memberOf"] = []any{"platform"}
			})
			r.svc.cache.flush()
			_, body = r.do(nil, "GET", "/whoami", bearer(ro.Secret), "")
			if w := decodeWhoami(t, body); slices.Contains(w.Groups, "group:default/team-a") || !slices.Contains(w.Groups, "group:default/platform") || !w.Admin {
				t.Errorf("after the catalog moved jdoe to platform: %+v", w)
			}

			// Revoked and expired tokens are refused.
			if err := r.svc.RevokeToken(admin, ro.ID); err != nil {
				t.Fatal(err)
			}
			if status, body := r.do(nil, "GET", "/whoami", bearer(ro.Secret), ""); status != http.StatusUnauthorized || !strings.Contains(body, "revoked") {
				t.Errorf("revoked token: %d %s", status, body)
			}
			if err := r.svc.RevokeToken(admin, "no-such-token"); !errors.Is(err, ErrTokenNotFound) {
				t.Errorf("revoking a missing token: %v", err)
			}
			r.db.Ent.APIToken.Update().Where(apitoken.ID(rw.ID)).SetExpiresAt(time.Now().Add(-time.Second)).ExecX(sys)
			if status, body := r.do(nil, "GET", "/whoami", bearer(rw.Secret), ""); status != http.StatusUnauthorized || !strings.Contains(body, "expired") {
				t.Errorf("expired token: %d %s", status, body)
			}
			if status, _ := r.do(nil, "GET", "/whoami", bearer(TokenPrefix+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ""); status != http.StatusUnauthorized {
				t.Errorf("unknown token: %d", status)
			}

			got := r.auditActions()
			for _, want := range []string{"token.create success", "token.create denied", "token.revoke success", "token.revoke failure", "auth.denied denied"} {
				if !slices.Contains(got, want) {
					t.Errorf("no %q audit record in %v", want, got)
				}
			}
			r.noSecretsIn(ro.Secret, rw.Secret, owner.Get("Authorization")[len("Bearer "):])
		})
	}
}
