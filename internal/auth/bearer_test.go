package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/pont-dev/pont/internal/auth/principal"
)

// forge signs claims with key under alg and kid, as an attacker would.
func forge(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// jwtPart decodes one part of a JWT.
func jwtPart(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBearerJWT: an ID token from the provider works as a bearer token;
// forged, tampered and unsuitable ones are refused with 401 and audited,
// and never logged.
func TestBearerJWT(t *testing.T) {
	r := newRig(t, rigOptions{})
	u := r.dex.Users[0]
	good := r.dex.PasswordToken(t, u.Email, u.Password)

	status, body := r.do(nil, "GET", "/whoami", bearer(good), "")
	if status != http.StatusOK {
		t.Fatalf("Dex token: %d %s", status, body)
	}
	w := decodeWhoami(t, body)
	if w.Kind != principal.Bearer || w.User != "user:default/jdoe" || !slices.Contains(w.Groups, "group:default/dept") || !w.CanWrite {
		t.Fatalf("principal %+v", w)
	}

	header, claims := jwtPart(t, good, 0), jwtPart(t, good, 1)
	dexKid, _ := header["kid"].(string)
	if dexKid == "" {
		t.Fatal("Dex's token has no kid")
	}
	ours, _ := rsa.GenerateKey(rand.Reader, 2048)
	fresh := func(change func(map[string]any)) map[string]any {
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		c["exp"] = time.Now().Add(time.Hour).Unix()
		if change != nil {
			change(c)
		}
		return c
	}
	noneToken := func(c map[string]any) string {
		h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": dexKid})
		p, _ := json.Marshal(c)
		return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
	}
	parts := strings.Split(good, ".")
	tamperedPayload, _ := json.Marshal(fresh(func(c map[string]any) { c["email"] = "admin@example.com" }))
	refusedTokens := map[string]string{
		"our key, Dex's kid":           forge(t, jose.RS256, ours, dexKid, fresh(nil)),
		"our key, unknown kid":         forge(t, jose.RS256, ours, "rotated-key", fresh(nil)),
		"alg none":                     noneToken(fresh(nil)),
		"HS256 with the client secret": forge(t, jose.HS256, []byte(r.dex.ClientSecret), dexKid, fresh(nil)),
		"HS256 with some key":          forge(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "", fresh(nil)),
		"tampered payload":             parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2],
		"garbage":                      "not-a-jwt",
		"empty signature":              parts[0] + "." + parts[1] + ".",
	}
	for name, tok := range refusedTokens {
		status, body := r.do(nil, "GET", "/whoami", bearer(tok), "")
		if status != http.StatusUnauthorized || !strings.Contains(body, `"name":"AuthenticationError"`) {
			t.Errorf("%s: %d %s", name, status, body)
		}
		if strings.Contains(body, tok) {
			t.Errorf("%s: the answer echoes the token", name)
		}
	}
	if status, _ := r.do(nil, "GET", "/whoami", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))}}, ""); status != http.StatusUnauthorized {
		t.Errorf("Basic auth: %d", status)
	}

	// Audience: another client's token is refused, unless that client is
	// among auth.oidc.audiences.
	other := r.cfg
	other.Auth.OIDC.ClientID = "another-client"
	if status := serve(r, r.newService(other), "GET", "/whoami", bearer(good), "127.0.0.1:1"); status != http.StatusUnauthorized {
		t.Errorf("token for another audience: %d", status)
	}
	other.Auth.OIDC.Audiences = []string{"unrelated", r.dex.ClientID}
	if status := serve(r, r.newService(other), "GET", "/whoami", bearer(good), "127.0.0.1:1"); status != http.StatusOK {
		t.Errorf("token for a configured audience: %d", status)
	}

	// An unknown kid refetches the JWKS at most once per interval.
	k := r.svc.keys
	k.mu.Lock()
	before := k.fetches
	k.mu.Unlock()
	for range 5 {
		r.do(nil, "GET", "/whoami", bearer(refusedTokens["our key, unknown kid"]), "")
	}
	k.mu.Lock()
	if k.fetches != before {
		t.Errorf("unknown kids within the interval fetched the JWKS %d times", k.fetches-before)
	}
	k.fetched = time.Now().Add(-2 * keysRefreshMin)
	before = k.fetches
	k.mu.Unlock()
	for range 5 {
		r.do(nil, "GET", "/whoami", bearer(refusedTokens["our key, unknown kid"]), "")
	}
	k.mu.Lock()
	if k.fetches != before+1 {
		t.Errorf("after the interval, 5 unknown kids fetched the JWKS %d times, want 1", k.fetches-before)
	}
	k.mu.Unlock()
	if status, _ := r.do(nil, "GET", "/whoami", bearer(good), ""); status != http.StatusOK {
		t.Errorf("the good token after refetches: %d", status)
	}

	if got := r.auditActions(); !slices.Contains(got, "auth.denied denied") {
		t.Errorf("no auth.denied record: %v", got)
	}
	secrets := []string{good, r.dex.ClientSecret}
	for _, tok := range refusedTokens {
		if len(tok) > 20 {
			secrets = append(secrets, tok)
		}
	}
	r.noSecretsIn(secrets...)
}

// TestBearerExpired: a token past its exp is refused (no leeway).
func TestBearerExpired(t *testing.T) {
	r := newRig(t, rigOptions{tokenTTL: time.Second})
	u := r.dex.Users[0]
	tok := r.dex.PasswordToken(t, u.Email, u.Password)
	time.Sleep(2100 * time.Millisecond)
	status, body := r.do(nil, "GET", "/whoami", bearer(tok), "")
	if status != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Fatalf("expired token: %d %s", status, body)
	}
}

// TestGroups: groups come from the catalog with every ancestor, cycles
// end, and the admin group makes an admin.
func TestGroups(t *testing.T) {
	r := newRig(t, rigOptions{})
	for _, tc := range []struct {
		user   int
		groups []string
		admin  bool
	}{
		{0, []string{"group:default/team-a", "group:default/dept"}, false},
		{1, []string{"group:default/loop-1", "group:default/loop-2"}, false},
		{2, []string{"group:default/platform"}, true},
	} {
		u := r.dex.Users[tc.user]
		_, body := r.do(nil, "GET", "/whoami", bearer(r.dex.PasswordToken(t, u.Email, u.Password)), "")
		w := decodeWhoami(t, body)
		slices.Sort(w.Groups)
		slices.Sort(tc.groups)
		if !slices.Equal(w.Groups, tc.groups) || w.Admin != tc.admin {
			t.Errorf("%s: groups %v admin %v, want %v %v", u.Email, w.Groups, w.Admin, tc.groups, tc.admin)
		}
	}
}

// serve sends one request through svc's middleware and routes, from
// remoteAddr, without a network. A "Host" header sets the request's host
// (default: the rig's).
func serve(r *rig, svc *Service, method, path string, header http.Header, remoteAddr string) int {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remoteAddr
	req.Host = strings.TrimPrefix(strings.TrimPrefix(r.url, "http://"), "https://")
	for k, v := range header {
		if k == "Host" {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	r.echo(svc).ServeHTTP(rec, req)
	return rec.Code
}
