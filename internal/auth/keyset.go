package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keySet is the provider's JWKS. It plays go-oidc's RemoteKeySet part,
// with one difference: a token with an unknown kid refetches the set at
// most once per minRefresh, so a stream of forged tokens cannot make Pont
// hammer the provider (GHSA-826h-28h9-65hg). A rotated key is picked up
// by the first token that uses it once the interval has passed.
type keySet struct {
	url        string
	client     *http.Client
	algs       []jose.SignatureAlgorithm
	minRefresh time.Duration

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // last fetch attempt
	fetches int       // how many fetches, for tests
}

func newKeySet(url string, client *http.Client, algs []string, minRefresh time.Duration) *keySet {
	k := &keySet{url: url, client: client, minRefresh: minRefresh}
	for _, a := range algs {
		k.algs = append(k.algs, jose.SignatureAlgorithm(a))
	}
	return k
}

// VerifySignature implements oidc.KeySet. The verifier has already
// refused algorithms outside the provider's; parsing again with the same
// list keeps this true if it is ever called on its own.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, k.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	k.mu.Lock()
	keys, gen := k.keys, k.fetches
	k.mu.Unlock()
	if payload, ok := verifyWith(jws, keys, kid); ok {
		return payload, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fetches != gen { // refreshed meanwhile
		if payload, ok := verifyWith(jws, k.keys, kid); ok {
			return payload, nil
		}
	}
	if !k.fetched.IsZero() && time.Since(k.fetched) < k.minRefresh {
		return nil, errors.New("no key verifies the signature")
	}
	// Holding the lock while fetching makes concurrent unknown-kid
	// tokens wait for one fetch instead of starting their own.
	k.fetched = time.Now()
	k.fetches++
	fresh, err := k.fetch(ctx)
	if err != nil {
		return nil, err
	}
	k.keys = fresh
	if payload, ok := verifyWith(jws, k.keys, kid); ok {
		return payload, nil
	}
	return nil, errors.New("no key verifies the signature")
}

func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string) ([]byte, bool) {
	for _, key := range keys {
		if kid != "" && key.KeyID != kid {
			continue
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if payload, err := jws.Verify(&key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: %s", resp.Status)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		// Keys of types go-jose does not know are skipped (RFC 7517
		// section 5), as go-oidc does.
		if err := json.Unmarshal(r, &key); err != nil || !key.Valid() || !key.IsPublic() {
			continue
		}
		keys = append(keys, key)
	}
	return keys, nil
}
