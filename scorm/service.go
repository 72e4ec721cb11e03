package scorm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// The document kinds SCORM keeps in the LRS's DocumentStore. Records are JSON; every write is a
// compare-and-swap on the ETag, so concurrent writers never lose an update and a retried request
// does not write twice.
//
//	scorm_package          ID = package id                          {id, identifier, courseIri, created}
//	scorm_package_version  Activity = package id, ID = %010d version the manifest, file map, ...
//	scorm_registration     ID = registration (UUID)                 learner, package, version
//	scorm_attempt          Registration = registration, ID = item   the SCO's runtime data
//	scorm_key              ID = "launch-hmac"                       the key that signs launch tokens
const (
	DocPackage      lrs.DocumentKind = "scorm_package"
	DocVersion      lrs.DocumentKind = "scorm_package_version"
	DocRegistration lrs.DocumentKind = "scorm_registration"
	DocAttempt      lrs.DocumentKind = "scorm_attempt"
	DocKey          lrs.DocumentKind = "scorm_key"
)

// Config is what the SCORM service needs to know about its deployment.
type Config struct {
	// BaseURL is the public URL of the LRS; course IRIs and the admin API live below it.
	BaseURL string
	// ContentURL is the public URL of the origin that serves the player and package content
	// (launch links point there). Empty: the same as BaseURL.
	ContentURL string
	// SpoolDir holds uploads while they are checked; on the data disk, not a RAM-backed /tmp.
	SpoolDir string
	Limits   Limits
	Log      *slog.Logger
	Now      func() time.Time
}

// Limits bound what an import accepts; zero values take the defaults.
type Limits struct {
	MaxUploadBytes int64 // the zip itself (default 1 GiB)
	MaxFiles       int   // entries in the zip (default 20,000)
	MaxFileBytes   int64 // one file, uncompressed (default 1 GiB)
	MaxTotalBytes  int64 // all files, uncompressed (default 4 GiB)
	MaxRatio       int64 // uncompressed:compressed of a file larger than 1 MiB (default 200)
}

func (l Limits) withDefaults() Limits {
	if l.MaxUploadBytes <= 0 {
		l.MaxUploadBytes = 1 << 30
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 20_000
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 1 << 30
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 4 << 30
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 200
	}
	return l
}

// Service is SCORM hosting over an LRS store. It is safe for concurrent use.
type Service struct {
	cfg   Config
	store lrs.Store
	lrs   *lrs.Service
	key   []byte // signs launch and session tokens
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	versions map[string]*PackageVersion // immutable once stored; bounded (see versionCacheSize)
}

// versionCacheSize bounds the package versions kept decoded in memory for content serving.
const versionCacheSize = 64

// New returns the SCORM service over store, writing statements through svc. It loads the token
// signing key, creating it on first use.
func New(ctx context.Context, store lrs.Store, svc *lrs.Service, cfg Config) (*Service, error) {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.ContentURL = strings.TrimRight(cfg.ContentURL, "/")
	if cfg.ContentURL == "" {
		cfg.ContentURL = cfg.BaseURL
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, store: store, lrs: svc, log: cfg.Log, now: cfg.Now, versions: map[string]*PackageVersion{}}
	key, err := s.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	s.key = key
	return s, nil
}

// Config returns the service's configuration, defaults applied.
func (s *Service) Config() Config { return s.cfg }

// getJSON reads a record; it returns its ETag, or an error wrapping lrs.ErrNotFound.
func (s *Service) getJSON(ctx context.Context, key lrs.DocumentKey, v any) (string, error) {
	doc, err := s.store.Document(ctx, key)
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(doc.Content, v); err != nil {
		return "", fmt.Errorf("decode %s %s: %w", key.Kind, key.ID, err)
	}
	return doc.ETag, nil
}

// putJSON writes a record if the stored one still has ETag prev ("" to create); lrs.ErrStale
// otherwise.
func (s *Service) putJSON(ctx context.Context, key lrs.DocumentKey, v any, prev string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key.Kind, err)
	}
	return s.store.PutDocument(ctx, lrs.NewDocument(key, "application/json", b, s.now()), prev)
}

// maxSwaps bounds the retries of a compare-and-swap that keeps losing to other writers.
const maxSwaps = 20

// notFound says a record a client refers to does not exist (404).
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", lrs.ErrNotFound, fmt.Sprintf(format, args...))
}

func isNotFound(err error) bool { return errors.Is(err, lrs.ErrNotFound) }
