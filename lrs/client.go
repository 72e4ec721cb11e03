package lrs

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pbkdf2Iterations makes a stolen hash expensive to attack even for operator-chosen secrets;
// verified credentials are cached (see Authenticator) so requests do not pay it each time.
const pbkdf2Iterations = 120_000

// HashSecret returns a salted PBKDF2-SHA256 hash of secret in the form
// "pbkdf2-sha256$<iterations>$<salt>$<hash>".
func HashSecret(secret string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash secret: %w", err)
	}
	return hashWith(secret, salt, pbkdf2Iterations)
}

func hashWith(secret string, salt []byte, iterations int) (string, error) {
	dk, err := pbkdf2.Key(sha256.New, secret, salt, iterations, 32)
	if err != nil {
		return "", fmt.Errorf("hash secret: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iterations, enc.EncodeToString(salt), enc.EncodeToString(dk)), nil
}

// VerifySecret reports whether secret matches a hash made by HashSecret.
func VerifySecret(hash, secret string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iterations, err := strconv.Atoi(parts[1])
	if err != nil || iterations < 1 {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	again, err := hashWith(secret, salt, iterations)
	return err == nil && subtle.ConstantTimeCompare([]byte(again), []byte(hash)) == 1
}

// NewCredentials returns a random key and secret for a new client.
func NewCredentials() (key, secret string, err error) {
	b := make([]byte, 12+32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new credentials: %w", err)
	}
	return hex.EncodeToString(b[:12]), base64.RawURLEncoding.EncodeToString(b[12:]), nil
}

// Allows reports whether the client's scopes grant scope. "all" grants everything; "all/read"
// grants every read scope; "statements/read" includes "statements/read/mine".
func (c Client) Allows(scope Scope) bool {
	for _, s := range c.Scopes {
		switch {
		case s == scope, s == ScopeAll:
			return true
		case s == ScopeAllRead && (scope == ScopeStatementsRead || scope == ScopeStatementsReadMine):
			return true
		case s == ScopeStatementsRead && scope == ScopeStatementsReadMine:
			return true
		}
	}
	return false
}

// Authority returns the agent the LRS records as the authority of statements this client sends:
// an account on the LRS's home page named by the client key.
func (c Client) Authority(homePage string) map[string]any {
	agent := map[string]any{
		"objectType": "Agent",
		"account":    map[string]any{"homePage": homePage, "name": c.Key},
	}
	if c.Name != "" {
		agent["name"] = c.Name
	}
	return agent
}

// authCacheTTL bounds how long a revoked client can still be served after the revocation.
const authCacheTTL = 30 * time.Second

// Authenticator checks credentials against the ClientStore. A successful check is cached for a
// short time by a SHA-256 of the secret, so the slow hash runs once per client and TTL.
type Authenticator struct {
	store ClientStore
	now   func() time.Time
	// slow bounds concurrent PBKDF2 checks: client keys are public (they name statement
	// authorities), so anyone can send wrong secrets, and each costs ~20 ms of CPU.
	slow  chan struct{}
	dummy string // checked for unknown keys, so they take as long as known ones

	mu    sync.Mutex
	cache map[string]cachedClient
}

type cachedClient struct {
	client  Client
	digest  [32]byte
	expires time.Time
}

// NewAuthenticator returns an Authenticator over store.
func NewAuthenticator(store ClientStore) (*Authenticator, error) {
	dummy, err := HashSecret("")
	if err != nil {
		return nil, err
	}
	return &Authenticator{
		store: store,
		now:   time.Now,
		slow:  make(chan struct{}, max(1, runtime.NumCPU()/2)),
		dummy: dummy,
		cache: make(map[string]cachedClient),
	}, nil
}

// Authenticate returns the client for key and secret, or an error wrapping ErrUnauthorized.
func (a *Authenticator) Authenticate(ctx context.Context, key, secret string) (Client, error) {
	digest := sha256.Sum256([]byte(secret))
	a.mu.Lock()
	cached, ok := a.cache[key]
	a.mu.Unlock()
	if ok && a.now().Before(cached.expires) && subtle.ConstantTimeCompare(cached.digest[:], digest[:]) == 1 {
		return cached.client, nil
	}
	c, err := a.store.Client(ctx, key)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Client{}, fmt.Errorf("authenticate: %w", err)
	}
	hash := c.SecretHash
	if !known {
		hash = a.dummy
	}
	match, err := a.verify(ctx, hash, secret)
	if err != nil {
		return Client{}, fmt.Errorf("authenticate: %w", err)
	}
	if !known || c.Revoked || !match {
		return Client{}, fmt.Errorf("%w: unknown key or wrong secret", ErrUnauthorized)
	}
	a.mu.Lock()
	a.cache[key] = cachedClient{client: c, digest: digest, expires: a.now().Add(authCacheTTL)}
	a.mu.Unlock()
	return c, nil
}

// verify runs VerifySecret when a slot is free, or gives up with ctx.
func (a *Authenticator) verify(ctx context.Context, hash, secret string) (bool, error) {
	select {
	case a.slow <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.slow }()
	return VerifySecret(hash, secret), nil
}

// EnsureClient creates an all-scope client with the given key and secret, or keeps the existing
// one, updating its secret and re-enabling it if needed. It backs LRS_API_KEY_DEFAULT.
func EnsureClient(ctx context.Context, store ClientStore, key, secret, name string) error {
	c, err := store.Client(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		c = Client{Key: key, Name: name, Scopes: []Scope{ScopeAll}, Created: time.Now().UTC()}
	case err != nil:
		return fmt.Errorf("ensure client: %w", err)
	case !c.Revoked && VerifySecret(c.SecretHash, secret) && slices.Contains(c.Scopes, ScopeAll):
		return nil
	}
	hash, err := HashSecret(secret)
	if err != nil {
		return err
	}
	c.SecretHash, c.Revoked = hash, false
	if !slices.Contains(c.Scopes, ScopeAll) {
		c.Scopes = append(c.Scopes, ScopeAll)
	}
	if err := store.PutClient(ctx, c); err != nil {
		return fmt.Errorf("ensure client: %w", err)
	}
	return nil
}
