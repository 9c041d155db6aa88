package auth

import (
	"net/http"
	"testing"
)

// TestNoOIDC: without an issuer, loopback callers are a local admin and
// everyone else (or a request through a proxy) gets 401; a page on another
// site cannot drive the local admin.
func TestNoOIDC(t *testing.T) {
	r := newRig(t, rigOptions{noOIDC: true})
	if r.svc.Enabled() {
		t.Fatal("sign-in on without an issuer")
	}
	status, body := r.do(nil, "GET", "/whoami", nil, "")
	if w := decodeWhoami(t, body); status != http.StatusOK || w.Kind != "local" || !w.Admin {
		t.Fatalf("loopback caller: %d %s", status, body)
	}
	for _, tc := range []struct {
		name, method, remote string
		header               http.Header
		want                 int
	}{
		{"IPv4 loopback", "GET", "127.0.0.1:5555", nil, http.StatusOK},
		{"IPv6 loopback", "GET", "[::1]:5555", nil, http.StatusOK},
		{"LAN", "GET", "10.0.0.5:5555", nil, http.StatusUnauthorized},
		{"LAN claiming loopback", "GET", "10.0.0.5:5555", http.Header{"X-Forwarded-For": {"127.0.0.1"}}, http.StatusUnauthorized},
		{"local proxy", "GET", "127.0.0.1:5555", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, http.StatusUnauthorized},
		{"local proxy, Forwarded", "GET", "127.0.0.1:5555", http.Header{"Forwarded": {"for=203.0.113.9"}}, http.StatusUnauthorized},
		{"a bearer token changes nothing", "GET", "10.0.0.5:5555", bearer("pont_x"), http.StatusUnauthorized},
		{"cross-site POST", "POST", "127.0.0.1:5555", http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"cross-site fetch", "POST", "127.0.0.1:5555", http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"same-origin POST", "POST", "127.0.0.1:5555", http.Header{"Origin": {r.url}}, http.StatusOK},
		{"DNS rebinding", "GET", "127.0.0.1:5555", http.Header{"Host": {"evil.example:7007"}}, http.StatusForbidden},
	} {
		if got := serve(r, r.svc, tc.method, "/whoami", tc.header, tc.remote); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if status, _ := r.do(nil, "GET", "/auth/login", nil, ""); status != http.StatusNotFound {
		t.Errorf("login without OIDC: %d", status)
	}
}
