package dextest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestPasswordGrant: Dex starts, and the password grant gives an ID token
// for the client with the user's verified email.
func TestPasswordGrant(t *testing.T) {
	d := Start(t, Options{RedirectURIs: []string{"http://127.0.0.1:1/auth/callback"}})
	u := d.Users[0]
	raw := d.PasswordToken(t, u.Email, u.Password)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Iss           string `json:"iss"`
		Aud           any    `json:"aud"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Iss != d.Issuer || claims.Email != u.Email || !claims.EmailVerified {
		t.Fatalf("claims %+v", claims)
	}
	if _, err := d.PasswordTokens(u.Email, "wrong"); err == nil {
		t.Fatal("a wrong password got a token")
	}
}
