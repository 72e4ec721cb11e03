package scorm

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// Tokens are what a learner's browser holds instead of credentials: a launch token in the link an
// LMS hands out, and a session token in the path of the player, its content and its commit URL
// (sendBeacon cannot set headers, and the content's relative links must carry it). A token is
// base64url(JSON claims) "." base64url(HMAC-SHA256(key, kind "." claims)); the key is random,
// generated on first start and kept in the store, so every server of a deployment shares it.

// Token kinds: a token of one kind is never accepted as the other.
const (
	tokenLaunch  = "launch"
	tokenSession = "session"
)

// Claims are what a token asserts.
type Claims struct {
	Registration string `json:"r"`
	Session      string `json:"s,omitempty"` // session tokens: a random id for the player session
	Expires      int64  `json:"e"`           // Unix seconds
}

// Token lifetimes. A session outlives a long course sitting; commits after it fail, and the
// learner relaunches.
const (
	DefaultLaunchTTL = time.Hour
	MaxLaunchTTL     = 30 * 24 * time.Hour
	sessionTTL       = 12 * time.Hour
)

var keyDoc = lrs.DocumentKey{Kind: DocKey, ID: "launch-hmac"}

// signingKey loads the key, creating it if no server has yet; when two create it at once, the
// compare-and-swap lets one win and the other reads it.
func (s *Service) signingKey(ctx context.Context) ([]byte, error) {
	for range maxSwaps {
		var k struct {
			Key []byte `json:"key"`
		}
		_, err := s.getJSON(ctx, keyDoc, &k)
		if err == nil && len(k.Key) >= 32 {
			return k.Key, nil
		}
		if err != nil && !isNotFound(err) {
			return nil, fmt.Errorf("load launch signing key: %w", err)
		}
		k.Key = make([]byte, 32)
		if _, err := rand.Read(k.Key); err != nil {
			return nil, err
		}
		err = s.putJSON(ctx, keyDoc, k, "")
		if err == nil {
			return k.Key, nil
		}
		if !errors.Is(err, lrs.ErrStale) {
			return nil, fmt.Errorf("store launch signing key: %w", err)
		}
	}
	return nil, errors.New("launch signing key keeps changing")
}

func (s *Service) sign(kind string, c Claims) string {
	payload, _ := json.Marshal(c) // Claims always encodes
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(kind, p))
}

func (s *Service) mac(kind, payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(kind + "." + payload))
	return m.Sum(nil)
}

// verify checks a token of the kind and returns its claims; a forged, malformed or expired token
// is an error wrapping lrs.ErrForbidden.
func (s *Service) verify(kind, tok string) (Claims, error) {
	p, sig, ok := strings.Cut(tok, ".")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || !hmac.Equal(got, s.mac(kind, p)) {
		return Claims{}, fmt.Errorf("%w: the %s link is not valid", lrs.ErrForbidden, kind)
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	var c Claims
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return Claims{}, fmt.Errorf("%w: the %s link is not valid", lrs.ErrForbidden, kind)
	}
	if s.now().Unix() > c.Expires {
		if kind == tokenLaunch {
			return Claims{}, fmt.Errorf("%w: the launch link has expired; open the course again from where you got the link", lrs.ErrForbidden)
		}
		return Claims{}, fmt.Errorf("%w: the session has expired; launch the course again", lrs.ErrForbidden)
	}
	return c, nil
}

// VerifySession checks a player session token.
func (s *Service) VerifySession(tok string) (Claims, error) { return s.verify(tokenSession, tok) }

// LaunchURL returns a signed launch link for the registration, valid for ttl (DefaultLaunchTTL
// when 0).
func (s *Service) LaunchURL(reg string, ttl time.Duration) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultLaunchTTL
	}
	if ttl < 0 || ttl > MaxLaunchTTL {
		return "", time.Time{}, fmt.Errorf("%w: a launch link may be valid for 1 s to %d days", lrs.ErrBadRequest, int(MaxLaunchTTL.Hours()/24))
	}
	exp := s.now().Add(ttl).Truncate(time.Second)
	tok := s.sign(tokenLaunch, Claims{Registration: reg, Expires: exp.Unix()})
	return s.cfg.ContentURL + "/scorm/launch/" + tok, exp.UTC(), nil
}

// StartSession turns a launch token into a player session; it returns the session token.
func (s *Service) StartSession(ctx context.Context, launchToken string) (string, error) {
	c, err := s.verify(tokenLaunch, launchToken)
	if err != nil {
		return "", err
	}
	if _, err := s.Registration(ctx, c.Registration); err != nil {
		return "", err
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	return s.sign(tokenSession, Claims{Registration: c.Registration, Session: base64.RawURLEncoding.EncodeToString(id),
		Expires: s.now().Add(sessionTTL).Unix()}), nil
}
