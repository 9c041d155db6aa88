package auth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pont-dev/pont/ent/loginstate"
	"github.com/pont-dev/pont/ent/session"
	"github.com/pont-dev/pont/internal/auth/principal"
)

var sys = principal.SystemContext(context.Background())

// signIn runs the browser flow for a user and returns the session
// cookie's value and the authorization code that was used.
func (r *rig) signIn(c *http.Client, email, password, returnTo string) (cookie, code string, final *http.Response) {
	r.t.Helper()
	start := r.url + "/auth/login"
	if returnTo != "" {
		start += "?returnTo=" + url.QueryEscape(returnTo)
	}
	cb := r.dex.LoginUntilCallback(r.t, c, start, email, password, r.url+"/auth/callback")
	code = cb.Query().Get("code")
	resp, err := c.Get(cb.String())
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(r.url)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == r.svc.cookieName {
			cookie = ck.Value
		}
	}
	if cookie == "" {
		r.t.Fatalf("no session cookie after sign-in (%s %s)", resp.Status, resp.Request.URL)
	}
	return cookie, code, resp
}

func withCookie(name, value string) http.Header {
	return http.Header{"Cookie": {name + "=" + value}}
}

// TestBrowserSignIn: a person signs in through Dex's login form, reaches a
// protected route with the cookie, as their catalog User with their
// groups and every ancestor; the session is in the database under the
// cookie's hash; signing out ends it; idle and absolute timeouts end it;
// no secret of the flow reaches logs or audit records.
func TestBrowserSignIn(t *testing.T) {
	for name, dbConfig := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, rigOptions{db: dbConfig(t)})
			u := r.dex.Users[0]
			c := r.browser()
			cookie, code, final := r.signIn(c, u.Email, u.Password, "/whoami")
			if final.StatusCode != http.StatusOK || final.Request.URL.Path != "/whoami" {
				t.Fatalf("after sign-in: %s at %s", final.Status, final.Request.URL)
			}
			status, body := r.do(c, "GET", "/whoami", nil, "")
			if status != http.StatusOK {
				t.Fatalf("whoami: %d %s", status, body)
			}
			w := decodeWhoami(t, body)
			if w.Kind != principal.Session || w.User != "user:default/jdoe" || w.Admin || !strings.HasPrefix(w.Subject, r.dex.Issuer+"|") {
				t.Fatalf("principal %+v", w)
			}
			if !slices.Contains(w.Groups, "group:default/team-a") || !slices.Contains(w.Groups, "group:default/dept") {
				t.Fatalf("groups %v: want team-a and its parent dept", w.Groups)
			}

			rows, err := r.db.Ent.Session.Query().All(sys)
			if err != nil || len(rows) != 1 {
				t.Fatalf("sessions %d %v", len(rows), err)
			}
			if rows[0].ID != hashSecret(cookie) || rows[0].ID == cookie {
				t.Fatal("the session id is not the cookie's hash")
			}
			idToken := rows[0].IDToken
			if n, _ := r.db.Ent.LoginState.Query().Count(sys); n != 0 {
				t.Fatalf("%d login states left after sign-in", n)
			}

			// /auth/me says who, never how.
			status, body = r.do(c, "GET", "/auth/me", nil, "")
			if status != http.StatusOK || !strings.Contains(body, `"user":"user:default/jdoe"`) || strings.Contains(body, rows[0].ID) || strings.Contains(body, cookie) {
				t.Fatalf("me: %d %s", status, body)
			}

			// Sign out: the session is gone server-side, the old cookie is refused.
			status, _ = r.do(noRedirect(c), "POST", "/auth/logout", http.Header{"Origin": {r.url}}, "")
			if status != http.StatusSeeOther {
				t.Fatalf("logout: %d", status)
			}
			if n, _ := r.db.Ent.Session.Query().Count(sys); n != 0 {
				t.Fatal("the session survived sign-out")
			}
			if status, body := r.do(nil, "GET", "/whoami", withCookie(r.svc.cookieName, cookie), ""); status != http.StatusUnauthorized || !strings.Contains(body, "AuthenticationError") {
				t.Fatalf("old cookie after sign-out: %d %s", status, body)
			}

			// Idle timeout.
			c = r.browser()
			cookie2, code2, _ := r.signIn(c, u.Email, u.Password, "")
			if cookie2 == cookie {
				t.Fatal("a second sign-in reused the session id")
			}
			r.db.Ent.Session.Update().Where(session.ID(hashSecret(cookie2))).SetLastSeenAt(time.Now().Add(-r.cfg.Auth.Session.IdleTimeout - time.Minute)).ExecX(sys)
			if status, _ := r.do(c, "GET", "/whoami", nil, ""); status != http.StatusUnauthorized {
				t.Fatalf("idle session: %d", status)
			}
			if n, _ := r.db.Ent.Session.Query().Count(sys); n != 0 {
				t.Fatal("the idle session was not deleted")
			}

			// Absolute timeout, however recently used.
			c = r.browser()
			cookie3, code3, _ := r.signIn(c, u.Email, u.Password, "")
			if status, _ := r.do(c, "GET", "/whoami", nil, ""); status != http.StatusOK {
				t.Fatalf("fresh session: %d", status)
			}
			r.db.Ent.Session.Update().Where(session.ID(hashSecret(cookie3))).SetExpiresAt(time.Now().Add(-time.Second)).SetLastSeenAt(time.Now()).ExecX(sys)
			if status, _ := r.do(c, "GET", "/whoami", nil, ""); status != http.StatusUnauthorized {
				t.Fatalf("expired session: %d", status)
			}

			got := r.auditActions()
			for _, want := range []string{"auth.signin success", "auth.signout success", "auth.denied denied"} {
				if !slices.Contains(got, want) {
					t.Errorf("no %q audit record in %v", want, got)
				}
			}
			r.noSecretsIn(cookie, cookie2, cookie3, code, code2, code3, idToken)
		})
	}
}

func noRedirect(c *http.Client) *http.Client {
	n := *c
	n.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &n
}

// TestCallbackRefusesBadState: missing, unknown, replayed and
// other-browser states answer 400 and create no session; a nonce that
// differs from the one sent answers 401.
func TestCallbackRefusesBadState(t *testing.T) {
	r := newRig(t, rigOptions{})
	u := r.dex.Users[0]
	sessions := func() int { n, _ := r.db.Ent.Session.Query().Count(sys); return n }

	if status, _ := r.do(nil, "GET", "/auth/callback?code=abc", nil, ""); status != http.StatusBadRequest {
		t.Fatalf("missing state: %d", status)
	}
	if status, _ := r.do(nil, "GET", "/auth/callback?code=abc&state=forged", nil, ""); status != http.StatusBadRequest {
		t.Fatalf("unknown state: %d", status)
	}

	// Replay: a completed callback URL used again.
	c := r.browser()
	cb := r.dex.LoginUntilCallback(t, c, r.url+"/auth/login", u.Email, u.Password, r.url+"/auth/callback")
	if status, _ := r.do(noRedirect(c), "GET", cb.RequestURI(), nil, ""); status != http.StatusFound {
		t.Fatalf("first callback: %d", status)
	}
	if status, _ := r.do(noRedirect(c), "GET", cb.RequestURI(), nil, ""); status != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d", status)
	}
	if sessions() != 1 {
		t.Fatalf("%d sessions, want the one good sign-in", sessions())
	}

	// A callback from another browser (an attacker's code and state sent to
	// a victim) is refused, and the state is spent.
	cb = r.dex.LoginUntilCallback(t, r.browser(), r.url+"/auth/login", u.Email, u.Password, r.url+"/auth/callback")
	if status, _ := r.do(noRedirect(r.browser()), "GET", cb.RequestURI(), nil, ""); status != http.StatusBadRequest {
		t.Fatalf("callback in another browser: %d", status)
	}

	// An expired state.
	c = r.browser()
	cb = r.dex.LoginUntilCallback(t, c, r.url+"/auth/login", u.Email, u.Password, r.url+"/auth/callback")
	r.db.Ent.LoginState.Update().Where(loginstate.ID(hashSecret(cb.Query().Get("state")))).SetExpiresAt(time.Now().Add(-time.Second)).ExecX(sys)
	if status, _ := r.do(noRedirect(c), "GET", cb.RequestURI(), nil, ""); status != http.StatusBadRequest {
		t.Fatalf("expired state: %d", status)
	}

	// Nonce mismatch: the ID token carries the nonce sent, the stored one
	// was changed.
	c = r.browser()
	cb = r.dex.LoginUntilCallback(t, c, r.url+"/auth/login", u.Email, u.Password, r.url+"/auth/callback")
	r.db.Ent.LoginState.Update().Where(loginstate.ID(hashSecret(cb.Query().Get("state")))).SetNonce("tampered").ExecX(sys)
	if status, body := r.do(noRedirect(c), "GET", cb.RequestURI(), nil, ""); status != http.StatusUnauthorized {
		t.Fatalf("nonce mismatch: %d %s", status, body)
	}
	if sessions() != 1 {
		t.Fatalf("%d sessions after refused callbacks, want 1", sessions())
	}
	if got := r.auditActions(); !slices.Contains(got, "auth.signin failure") {
		t.Fatalf("no failed sign-in recorded: %v", got)
	}
}

// TestReturnTo: after sign-in the browser goes back where it was, unless
// that is somewhere else than Pont.
func TestReturnTo(t *testing.T) {
	r := newRig(t, rigOptions{})
	u := r.dex.Users[0]
	for returnTo, want := range map[string]string{
		"/whoami?x=1":          "/whoami",
		"//evil.com":           "/",
		`/\evil.com`:           "/",
		"https://evil.com":     "/",
		"javascript:alert(1)":  "/",
		"/\t/evil.com":         "/",
		"":                     "/",
		"http:/evil.com":       "/",
		"/%2F%2Fevil.com/path": "/%2F%2Fevil.com/path",
	} {
		_, _, final := r.signIn(r.browser(), u.Email, u.Password, returnTo)
		if final.Request.URL.Host != strings.TrimPrefix(r.url, "http://") || final.Request.URL.EscapedPath() != want {
			t.Errorf("returnTo %q landed on %s, want %s", returnTo, final.Request.URL, want)
		}
	}
}

func TestSafeReturnTo(t *testing.T) {
	for in, want := range map[string]string{
		"/catalog/default/component/x?tab=api#top": "/catalog/default/component/x?tab=api#top",
		"/":                             "/",
		"":                              "/",
		"//evil.com":                    "/",
		"///evil.com":                   "/",
		`/\evil.com`:                    "/",
		`/a\b`:                          "/",
		"https://evil.com":              "/",
		"javascript:alert(1)":           "/",
		"evil.com":                      "/",
		"/\x00x":                        "/",
		"/a\nSet-Cookie: x=1":           "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := safeReturnTo(in); got != want {
			t.Errorf("safeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCookieAttributes: HttpOnly and SameSite=Lax always; over https the
// cookie is __Host- prefixed and Secure, with Path=/ and no Domain.
func TestCookieAttributes(t *testing.T) {
	for _, https := range []bool{false, true} {
		r := newRig(t, rigOptions{https: https})
		u := r.dex.Users[0]
		c := r.browser()
		cb := r.dex.LoginUntilCallback(t, c, r.url+"/auth/login", u.Email, u.Password, r.url+"/auth/callback")
		resp, err := noRedirect(c).Get(cb.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var got *http.Cookie
		for _, ck := range resp.Cookies() {
			if strings.HasSuffix(ck.Name, "pont_session") {
				got = ck
			}
		}
		if got == nil {
			t.Fatalf("https=%v: no session cookie in %v", https, resp.Header["Set-Cookie"])
		}
		wantName := "pont_session"
		if https {
			wantName = "__Host-pont_session"
		}
		if got.Name != wantName || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure != https || got.Path != "/" || got.Domain != "" || got.MaxAge != int(r.cfg.Auth.Session.AbsoluteTimeout/time.Second) {
			t.Errorf("https=%v: cookie %+v", https, got)
		}
		if status, _ := r.do(c, "GET", "/whoami", nil, ""); status != http.StatusOK {
			t.Errorf("https=%v: whoami with the cookie: %d", https, status)
		}
	}
}

// TestCSRF: a state-changing request authenticated by the cookie must come
// from Pont's origin; bearer requests carry no ambient authority.
func TestCSRF(t *testing.T) {
	r := newRig(t, rigOptions{})
	u := r.dex.Users[0]
	c := r.browser()
	r.signIn(c, u.Email, u.Password, "")
	for _, tc := range []struct {
		header http.Header
		want   int
	}{
		{http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{http.Header{"Sec-Fetch-Site": {"same-site"}}, http.StatusForbidden},
		{http.Header{"Origin": {r.url}, "Sec-Fetch-Site": {"same-origin"}}, http.StatusOK},
		{http.Header{}, http.StatusOK},
	} {
		if status, body := r.do(c, "POST", "/whoami", tc.header, ""); status != tc.want {
			t.Errorf("POST with %v: %d %s, want %d", tc.header, status, body, tc.want)
		}
	}
	if status, _ := r.do(c, "GET", "/whoami", http.Header{"Sec-Fetch-Site": {"cross-site"}}, ""); status != http.StatusOK {
		t.Errorf("a cross-site GET was refused: %d", status)
	}
	// Signing out is state-changing too.
	if status, _ := r.do(noRedirect(c), "POST", "/auth/logout", http.Header{"Origin": {"https://evil.example"}}, ""); status != http.StatusForbidden {
		t.Errorf("cross-site logout: %d", status)
	}
	tok := r.dex.PasswordToken(t, u.Email, u.Password)
	h := bearer(tok)
	h.Set("Origin", "https://evil.example")
	if status, body := r.do(nil, "POST", "/whoami", h, ""); status != http.StatusOK {
		t.Errorf("bearer POST with a foreign Origin: %d %s", status, body)
	}
}

func TestEndSessionURL(t *testing.T) {
	s := &Service{endSession: "https://idp.example/logout?x=1"}
	s.cfg.OIDC.ClientID = "pont"
	s.external, _ = url.Parse("https://pont.example")
	got, _ := url.Parse(s.endSessionURL("ID.TOKEN.X"))
	q := got.Query()
	if got.Host != "idp.example" || q.Get("x") != "1" || q.Get("id_token_hint") != "ID.TOKEN.X" || q.Get("post_logout_redirect_uri") != "https://pont.example/" || q.Get("client_id") != "pont" {
		t.Fatal(got)
	}
}
