package scorm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// Package is a package's identity, the same for all its versions.
type Package struct {
	ID         string    `json:"id"`
	Identifier string    `json:"identifier"` // the manifest identifier
	CourseIRI  string    `json:"courseIri"`  // fixed at the first import; see CourseIRI
	Created    time.Time `json:"created"`
}

// PackageVersion is one imported zip of a package. Versions never change once stored.
type PackageVersion struct {
	Package   string          `json:"package"`
	Version   int             `json:"version"`
	CourseIRI string          `json:"courseIri"`
	Created   time.Time       `json:"created"`
	ZipSHA256 string          `json:"zipSha256"`
	ZipSize   int64           `json:"zipSize"`
	Manifest  Manifest        `json:"manifest"`
	Files     map[string]File `json:"files"` // by path in the package
}

// File is a package file: its blob and how it is served.
type File struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
}

// Item returns the item with the identifier.
func (v *PackageVersion) Item(id string) (Item, bool) {
	for _, it := range v.Manifest.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// SCOIRI is the activity IRI of an item: <course IRI>/sco/<item identifier>, as the xAPI SCORM
// Profile recommends (<courseIRI>/<sco path>). Stable across versions while the item keeps its
// identifier.
func (v *PackageVersion) SCOIRI(itemID string) string {
	return v.CourseIRI + "/sco/" + url.PathEscape(itemID)
}

// courseIRI is the activity IRI of a package's course: <base URL>/scorm/courses/<package id>.
func courseIRI(baseURL, id string) string { return baseURL + "/scorm/courses/" + id }

func versionKey(pkg string, v int) lrs.DocumentKey {
	return lrs.DocumentKey{Kind: DocVersion, Activity: pkg, ID: fmt.Sprintf("%010d", v)}
}

func packageKey(id string) lrs.DocumentKey { return lrs.DocumentKey{Kind: DocPackage, ID: id} }

// Packages lists the ids of the stored packages.
func (s *Service) Packages(ctx context.Context) ([]string, error) {
	return s.store.DocumentIDs(ctx, lrs.DocumentKey{Kind: DocPackage}, time.Time{})
}

// Package returns a package and its latest version (or the version asked for, when v > 0).
func (s *Service) Package(ctx context.Context, id string, v int) (Package, *PackageVersion, error) {
	var p Package
	if _, err := s.getJSON(ctx, packageKey(id), &p); err != nil {
		if isNotFound(err) {
			return Package{}, nil, notFound("no package %q", id)
		}
		return Package{}, nil, err
	}
	if v <= 0 {
		latest, err := s.latestVersion(ctx, id)
		if err != nil {
			return Package{}, nil, err
		}
		if latest == 0 {
			return Package{}, nil, notFound("package %q has no version", id)
		}
		v = latest
	}
	pv, err := s.Version(ctx, id, v)
	return p, pv, err
}

// latestVersion is the highest stored version number of a package, 0 when it has none. It is
// derived from the version records rather than kept in the package record, so an import that
// stopped half-way never leaves a pointer to a version that does not exist.
func (s *Service) latestVersion(ctx context.Context, id string) (int, error) {
	ids, err := s.store.DocumentIDs(ctx, lrs.DocumentKey{Kind: DocVersion, Activity: id}, time.Time{})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	var n int
	if _, err := fmt.Sscanf(ids[len(ids)-1], "%d", &n); err != nil {
		return 0, fmt.Errorf("version record %q: %w", ids[len(ids)-1], err)
	}
	return n, nil
}

// Version returns a stored package version, from memory when it was read lately.
func (s *Service) Version(ctx context.Context, pkg string, v int) (*PackageVersion, error) {
	cacheKey := fmt.Sprintf("%s/%d", pkg, v)
	s.mu.Lock()
	pv, ok := s.versions[cacheKey]
	s.mu.Unlock()
	if ok {
		return pv, nil
	}
	pv = &PackageVersion{}
	if _, err := s.getJSON(ctx, versionKey(pkg, v), pv); err != nil {
		if isNotFound(err) {
			return nil, notFound("package %q has no version %d", pkg, v)
		}
		return nil, err
	}
	s.mu.Lock()
	if len(s.versions) >= versionCacheSize {
		for k := range s.versions { // evict one at random: versions are cheap to read again
			delete(s.versions, k)
			break
		}
	}
	s.versions[cacheKey] = pv
	s.mu.Unlock()
	return pv, nil
}

// packageID derives a URL-safe package id from a manifest identifier: its slug, or, when another
// identifier already holds that slug, the slug with a hash of the identifier.
func (s *Service) packageID(ctx context.Context, identifier string) (string, error) {
	id := slug(identifier)
	var p Package
	_, err := s.getJSON(ctx, packageKey(id), &p)
	switch {
	case isNotFound(err):
		return id, nil
	case err != nil:
		return "", err
	case p.Identifier == identifier:
		return id, nil
	}
	sum := sha256.Sum256([]byte(identifier))
	return fmt.Sprintf("%.91s-%s", id, hex.EncodeToString(sum[:4])), nil
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 100 {
			break
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" {
		return "package"
	}
	return out
}

// ensurePackage creates the package record unless it exists.
func (s *Service) ensurePackage(ctx context.Context, id, identifier string) (Package, error) {
	for range maxSwaps {
		var p Package
		_, err := s.getJSON(ctx, packageKey(id), &p)
		if err == nil {
			return p, nil
		}
		if !isNotFound(err) {
			return Package{}, err
		}
		p = Package{ID: id, Identifier: identifier, CourseIRI: courseIRI(s.cfg.BaseURL, id), Created: s.now().UTC()}
		err = s.putJSON(ctx, packageKey(id), p, "")
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, lrs.ErrStale) {
			return Package{}, err
		}
	}
	return Package{}, fmt.Errorf("%w: package %s keeps being written concurrently; retry", lrs.ErrConflict, id)
}

// contentTypes covers what e-learning packages hold beyond Go's built-in table (which has the
// web basics: html, css, js, json, xml, svg, png, jpeg, gif, webp, pdf, wasm); the host's
// mime.types is not consulted, so a type does not depend on the machine serving it.
var contentTypes = map[string]string{
	".htm": "text/html; charset=utf-8", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
	".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
	".xml": "application/xml", ".xsd": "application/xml", ".json": "application/json", ".csv": "text/csv; charset=utf-8",
	".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mov": "video/quicktime",
	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".wav": "audio/wav", ".ogg": "audio/ogg", ".oga": "audio/ogg",
	".vtt": "text/vtt; charset=utf-8", ".srt": "text/plain; charset=utf-8",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf", ".eot": "application/vnd.ms-fontobject",
	".ico": "image/vnd.microsoft.icon", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".avif": "image/avif",
	".swf": "application/x-shockwave-flash", ".zip": "application/zip",
	".doc": "application/msword", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".ppt": "application/vnd.ms-powerpoint", ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".xls": "application/vnd.ms-excel", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

func contentType(p string) string {
	ext := strings.ToLower(path.Ext(p))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Blob opens a package file's bytes by their SHA-256.
func (s *Service) Blob(ctx context.Context, sum string) (io.ReadCloser, error) {
	return s.store.Blob(ctx, sum)
}
