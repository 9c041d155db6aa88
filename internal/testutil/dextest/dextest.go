// Package dextest runs a real Dex OIDC provider for a test: built by
// deploy/testenv/dex.sh (cached under ~/.cache/pont), configured with
// in-memory storage, a password database of a few users and one client,
// listening on 127.0.0.1 on a free port, stopped when the test ends.
//
//	dex := dextest.Start(t, dextest.Options{RedirectURIs: []string{srv.URL + "/auth/callback"}})
//	cfg.Auth.OIDC.Issuer, cfg.Auth.OIDC.ClientID, cfg.Auth.OIDC.ClientSecret = dex.Issuer, dex.ClientID, dex.ClientSecret
//	idToken := dex.PasswordToken(t, dex.Users[0].Email, dex.Users[0].Password)
//	dex.BrowserLogin(t, jarClient, srv.URL+"/auth/login", email, password)
//
// Dex's own log goes to a file, printed when the test fails. Static users
// carry no groups claim: tests get groups from the catalog.
//
// When the Dex binary cannot be built, Start skips the test under
// `go test -short` and fails it otherwise.
package dextest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pont-dev/pont/internal/testutil/freeport"
)

// User is a person in Dex's password database.
type User struct {
	Email    string
	Password string
	Username string
	UserID   string
}

// Options configure one Dex.
type Options struct {
	// ClientID and ClientSecret of the one static client. Defaults:
	// "pont" and a fixed test secret.
	ClientID, ClientSecret string
	// RedirectURIs the client may use (the app's /auth/callback).
	RedirectURIs []string
	// Users of the password database. Default: DefaultUsers.
	Users []User
	// IDTokenTTL is how long ID tokens live (Dex's expiry.idTokens).
	// Default: Dex's 24h.
	IDTokenTTL time.Duration
}

// DefaultUsers are the users Start creates unless told otherwise.
var DefaultUsers = []User{
	{Email: "jdoe@example.com", Password: "correct horse battery", Username: "jdoe", UserID: "0a8f4f3c-1111-4c35-9d1b-000000000001"},
	{Email: "asmith@example.com", Password: "tr0ub4dor&3 staple", Username: "asmith", UserID: "0a8f4f3c-2222-4c35-9d1b-000000000002"},
	{Email: "admin@example.com", Password: "admin password 42!", Username: "admin", UserID: "0a8f4f3c-3333-4c35-9d1b-000000000003"},
}

// Dex is a running provider.
type Dex struct {
	// Issuer is http://127.0.0.1:<port>/dex.
	Issuer       string
	ClientID     string
	ClientSecret string
	Users        []User
	// LogFile holds Dex's output.
	LogFile string
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the Dex binary, building it once per test binary (and
// once per machine: deploy/testenv/dex.sh caches it).
func Binary() (string, error) {
	binOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		script := filepath.Join(filepath.Dir(file), "..", "..", "..", "deploy", "testenv", "dex.sh")
		var stderr bytes.Buffer
		cmd := exec.Command("bash", script)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			binErr = fmt.Errorf("dextest: %s: %w\n%s", script, err, stderr.String())
			return
		}
		binPath = strings.TrimSpace(string(out))
	})
	return binPath, binErr
}

// Start runs a Dex for t, ready to serve discovery when it returns.
func Start(t testing.TB, o Options) *Dex {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if testing.Short() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	if o.ClientID == "" {
		o.ClientID = "pont"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "dextest-client-secret-not-for-production"
	}
	if o.Users == nil {
		o.Users = DefaultUsers
	}
	dir := t.TempDir()
	d := &Dex{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Users: o.Users, LogFile: filepath.Join(dir, "dex.log")}

	var lastErr error
	for range 3 { // the free port can be taken before Dex binds it
		port, err := freeport.Loopback()
		if err != nil {
			t.Fatal(err)
		}
		d.Issuer = fmt.Sprintf("http://127.0.0.1:%d/dex", port)
		if lastErr = d.run(t, bin, dir, port, o); lastErr == nil {
			return d
		}
	}
	t.Fatalf("dextest: Dex did not start: %v", lastErr)
	return nil
}

func (d *Dex) run(t testing.TB, bin, dir string, port int, o Options) error {
	type staticPassword struct {
		Email    string `json:"email"`
		Hash     string `json:"hash"`
		Username string `json:"username"`
		UserID   string `json:"userID"`
	}
	var passwords []staticPassword
	for _, u := range o.Users {
		h, err := hashPassword(u.Password)
		if err != nil {
			return err
		}
		passwords = append(passwords, staticPassword{Email: u.Email, Hash: string(h), Username: u.Username, UserID: u.UserID})
	}
	cfg := map[string]any{
		"issuer":           d.Issuer,
		"storage":          map[string]any{"type": "memory"},
		"web":              map[string]any{"http": fmt.Sprintf("127.0.0.1:%d", port)},
		"logger":           map[string]any{"level": "debug"},
		"enablePasswordDB": true,
		"staticPasswords":  passwords,
		"staticClients": []map[string]any{{
			"id": o.ClientID, "secret": o.ClientSecret, "name": "Pont (test)", "redirectURIs": o.RedirectURIs,
		}},
		"oauth2": map[string]any{"skipApprovalScreen": true, "passwordConnector": "local"},
	}
	if o.IDTokenTTL > 0 {
		cfg["expiry"] = map[string]any{"idTokens": o.IDTokenTTL.String()}
	}
	body, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "config.yaml") // JSON is YAML
	if err := os.WriteFile(cfgPath, body, 0o600); err != nil {
		return err
	}
	logf, err := os.OpenFile(d.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("dex exited: %v\n%s", err, d.log())
		default:
		}
		resp, err := http.Get(d.Issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("no discovery after 30s\n%s", d.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("dex log (%s):\n%s", d.LogFile, d.log())
		}
	})
	return nil
}

var hashes sync.Map // password → bcrypt hash, reused across Dex instances

// hashPassword hashes with cost 10, the least Dex accepts.
func hashPassword(pw string) ([]byte, error) {
	if h, ok := hashes.Load(pw); ok {
		return h.([]byte), nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	hashes.Store(pw, h)
	return h, nil
}

func (d *Dex) log() string {
	b, _ := os.ReadFile(d.LogFile)
	return string(b)
}

// Tokens are the token endpoint's answer.
type Tokens struct {
	IDToken     string `json:"id_token"`
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

// PasswordToken signs in with the resource owner password grant and
// returns the ID token (its audience is the client). scopes default to
// openid, email, profile.
func (d *Dex) PasswordToken(t testing.TB, email, password string, scopes ...string) string {
	t.Helper()
	tok, err := d.PasswordTokens(email, password, scopes...)
	if err != nil {
		t.Fatal(err)
	}
	return tok.IDToken
}

// PasswordTokens is PasswordToken returning every token, or an error.
func (d *Dex) PasswordTokens(email, password string, scopes ...string) (*Tokens, error) {
	if len(scopes) == 0 {
		scopes = []string{"openid", "email", "profile"}
	}
	form := url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}, "scope": {strings.Join(scopes, " ")}}
	req, err := http.NewRequest(http.MethodPost, d.Issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(d.ClientID), url.QueryEscape(d.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dextest: password grant: %s: %s", resp.Status, body)
	}
	var tok Tokens
	if err := json.Unmarshal(body, &tok); err != nil {
		return nil, err
	}
	if tok.IDToken == "" {
		return nil, errors.New("dextest: password grant returned no id_token")
	}
	return &tok, nil
}

var formAction = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)

// BrowserLogin does what a person does in a browser: open startURL (the
// app's /auth/login), follow redirects to Dex's password form, submit
// email and password, and follow redirects back through the app's
// callback. client must have a cookie jar. It returns the last response
// (its body read into the returned string), which is wherever the app
// sent the browser after sign-in.
func (d *Dex) BrowserLogin(t testing.TB, client *http.Client, startURL, email, password string) (*http.Response, string) {
	t.Helper()
	resp, body, err := d.browserLogin(client, startURL, email, password)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// LoginUntilCallback is BrowserLogin stopping before the app's callback:
// it returns the callback URL (with code and state) Dex redirected to,
// without visiting it, for tests that tamper with the flow.
func (d *Dex) LoginUntilCallback(t testing.TB, client *http.Client, startURL, email, password, callbackPrefix string) *url.URL {
	t.Helper()
	c := *client
	var callback *url.URL
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callbackPrefix) {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		return nil
	}
	if _, _, err := d.browserLogin(&c, startURL, email, password); err != nil && callback == nil {
		t.Fatal(err)
	}
	if callback == nil {
		t.Fatal("dextest: Dex never redirected to " + callbackPrefix)
	}
	return callback
}

func (d *Dex) browserLogin(client *http.Client, startURL, email, password string) (*http.Response, string, error) {
	resp, body, err := get(client, startURL)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(resp.Request.URL.String(), d.Issuer) {
		return resp, body, fmt.Errorf("dextest: %s did not lead to Dex but to %s (%s)", startURL, resp.Request.URL, resp.Status)
	}
	m := formAction.FindStringSubmatch(body)
	if m == nil {
		return resp, body, fmt.Errorf("dextest: no login form at %s:\n%s", resp.Request.URL, body)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return resp, body, err
	}
	form := url.Values{"login": {email}, "password": {password}}
	resp, err = client.PostForm(action.String(), form)
	if err != nil {
		return resp, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Host == action.Host && strings.HasPrefix(resp.Request.URL.String(), d.Issuer) && resp.StatusCode == http.StatusOK && formAction.Match(b) {
		return resp, string(b), errors.New("dextest: Dex showed the login form again (wrong password?)")
	}
	return resp, string(b), nil
}

func get(client *http.Client, u string) (*http.Response, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), nil
}
