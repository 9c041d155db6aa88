// Package auth signs people in and decides what they may do. Service
// authenticates every request (OIDC session cookie, OIDC bearer JWT or
// Pont API token; loopback callers when sign-in is off) and builds its
// principal: the catalog User and Groups it maps to, with the standing
// permissions Policy gives them. docs/authentication.md and
// docs/authorization.md describe both halves.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/database"
)

// Options are what New needs. Config, DB, Catalog and Policy are required.
type Options struct {
	// Config is Pont's configuration: auth.* and the external URL.
	Config config.Config
	DB     *database.DB
	// Catalog is read (as Pont itself) to map people to Users and Groups.
	Catalog catalog.Store
	Policy  *Policy
	// Audit receives sign-ins, sign-outs, refused credentials and token
	// changes. Nil records nothing.
	Audit  *audit.Log
	Logger *slog.Logger
	// HTTPClient talks to the OIDC provider (discovery, JWKS, code
	// exchange). Default: a client with a 15 s timeout.
	HTTPClient *http.Client
	// DiscoveryTimeout bounds how long New keeps retrying the provider's
	// discovery document. Default 30 s.
	DiscoveryTimeout time.Duration
}

// Timings that are not configuration.
const (
	loginStateTTL = 10 * time.Minute
	// touchEvery spares writes: last_seen_at and last_used_at move at
	// most this often, so the idle timeout is exact to within it.
	touchEvery = time.Minute
	// groupsTTL is how long catalog lookups (User by claim, memberOf,
	// parents) are reused: membership changes take effect within it,
	// without signing in again.
	groupsTTL = 30 * time.Second
	// maxGroups bounds a principal's groups (and the ancestor walk).
	maxGroups = 100
	// keysRefreshMin is the least time between two JWKS fetches caused
	// by an unknown kid.
	keysRefreshMin = time.Minute
	// cleanupEvery is how often expired sessions and login states are
	// deleted (lazily, by the request that finds the time has come).
	cleanupEvery    = 10 * time.Minute
	exchangeTimeout = 15 * time.Second
)

// Service authenticates requests and runs the browser sign-in.
type Service struct {
	cfg      config.Auth
	external *url.URL
	origin   string // scheme://host of the external URL, as browsers send Origin
	secure   bool   // the external URL is https: cookies are Secure and __Host-
	db       *ent.Client
	catalog  catalog.Store
	policy   *Policy
	audit    *audit.Log
	log      *slog.Logger
	client   *http.Client

	// OIDC: nil when sign-in is off.
	provider    *oidc.Provider
	oauth       *oauth2.Config
	idVerifier  *oidc.IDTokenVerifier // ID tokens of the browser flow: aud must hold the client ID
	bearer      *oidc.IDTokenVerifier // bearer JWTs: aud checked against audiences by hand
	audiences   []string
	keys        *keySet
	endSession  string // the provider's end_session_endpoint, if any
	cache       *ttlCache
	nextCleanup atomic.Int64 // unix nanoseconds
	now         func() time.Time
	cookieName  string
	loginCookie string
}

// New builds the Service. With auth.oidc.issuer set it discovers the
// provider, retrying for up to Options.DiscoveryTimeout; without it,
// sign-in is off and only loopback callers are served (logged as a
// warning).
func New(ctx context.Context, o Options) (*Service, error) {
	if o.DB == nil || o.Catalog == nil || o.Policy == nil {
		return nil, errors.New("auth.New: DB, Catalog and Policy are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.DiscoveryTimeout <= 0 {
		o.DiscoveryTimeout = 30 * time.Second
	}
	cfg := o.Config.Auth
	ext, err := url.Parse(o.Config.ExternalURL())
	if err != nil || ext.Host == "" {
		return nil, fmt.Errorf("auth.externalURL: %q is not a URL", o.Config.ExternalURL())
	}
	s := &Service{
		cfg: cfg, external: ext, db: o.DB.Ent, catalog: o.Catalog, policy: o.Policy,
		audit: o.Audit, log: o.Logger, client: o.HTTPClient,
		cache: newTTLCache(groupsTTL), now: time.Now,
	}
	s.secure = ext.Scheme == "https"
	s.origin = originOf(ext)
	s.cookieName, s.loginCookie = "pont_session", "pont_login"
	if s.secure {
		// __Host-: the browser accepts it only Secure, with Path=/ and
		// no Domain, so a sibling subdomain cannot plant or shadow it.
		s.cookieName, s.loginCookie = "__Host-pont_session", "__Host-pont_login"
	}
	if cfg.OIDC.Issuer == "" {
		s.log.Warn("sign-in is off (auth.oidc.issuer is empty): only loopback callers are served, each as a local admin")
		return s, nil
	}
	if err := s.discover(ctx, o.DiscoveryTimeout); err != nil {
		return nil, err
	}
	return s, nil
}

// Enabled reports whether OIDC sign-in is configured.
func (s *Service) Enabled() bool { return s.provider != nil }

// discover fetches the provider's discovery document, retrying with
// back-off until timeout: Pont and its provider often start together.
func (s *Service) discover(ctx context.Context, timeout time.Duration) error {
	o := s.cfg.OIDC
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var provider *oidc.Provider
	delay := 250 * time.Millisecond
	for {
		var err error
		provider, err = oidc.NewProvider(oidc.ClientContext(ctx, s.client), o.Issuer)
		if err == nil {
			break
		}
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return fmt.Errorf("auth.oidc.issuer: %w", err)
		}
		s.log.Warn("OIDC discovery failed; retrying", "issuer", o.Issuer, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("auth.oidc.issuer: discovery of %s: %w", o.Issuer, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
	var meta struct {
		JWKSURI            string   `json:"jwks_uri"`
		EndSessionEndpoint string   `json:"end_session_endpoint"`
		Algs               []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return fmt.Errorf("auth.oidc.issuer: discovery document: %w", err)
	}
	if meta.JWKSURI == "" {
		return fmt.Errorf("auth.oidc.issuer: discovery document of %s has no jwks_uri", o.Issuer)
	}
	algs := signingAlgs(meta.Algs)
	s.provider = provider
	s.endSession = meta.EndSessionEndpoint
	s.keys = newKeySet(meta.JWKSURI, s.client, algs, keysRefreshMin)
	s.idVerifier = oidc.NewVerifier(o.Issuer, s.keys, &oidc.Config{ClientID: o.ClientID, SupportedSigningAlgs: algs})
	// go-oidc checks one audience; bearer tokens may carry any of the
	// configured ones, so verifyBearer checks aud itself right after.
	// Issuer, signature, algorithm and expiry are still checked here.
	s.bearer = oidc.NewVerifier(o.Issuer, s.keys, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: algs})
	s.audiences = append([]string{o.ClientID}, o.Audiences...)
	scopes := slices.Clone(o.Scopes)
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	s.oauth = &oauth2.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		Endpoint: provider.Endpoint(), RedirectURL: s.externalURL("/auth/callback"), Scopes: scopes,
	}
	s.log.Info("OIDC sign-in on", "issuer", o.Issuer, "clientID", o.ClientID, "redirectURL", s.oauth.RedirectURL)
	return nil
}

// signingAlgs keeps the asymmetric algorithms the provider announces
// (RS256 when it announces none): a symmetric or "none" token is refused
// before any key is looked at.
func signingAlgs(announced []string) []string {
	allowed := []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}
	var out []string
	for _, a := range announced {
		if slices.Contains(allowed, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{oidc.RS256}
	}
	return out
}

// externalURL is path on Pont's external URL.
func (s *Service) externalURL(path string) string {
	return strings.TrimRight(s.external.String(), "/") + path
}

func originOf(u *url.URL) string {
	host := strings.ToLower(u.Host)
	if (u.Scheme == "https" && strings.HasSuffix(host, ":443")) || (u.Scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// randomString is n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how cookies, states and token secrets are stored: hex
// SHA-256. They are 256 random bits, so no salt or slow hash is needed.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
