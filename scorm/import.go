package scorm

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// ErrTooLarge: an upload exceeds Limits.MaxUploadBytes (413).
var ErrTooLarge = errors.New("the package is larger than the upload limit")

// Progress reports an import's advance: the stage ("checking" or "storing") and the bytes
// (uncompressed) done of total. It is called from the importing goroutine.
type Progress func(stage string, done, total int64)

// ImportResult is an imported (or already present) package version.
type ImportResult struct {
	Package Package
	Version *PackageVersion
	// Created is false when the latest version already was this very zip (same SHA-256): an
	// import retried after a lost response does not make a version.
	Created bool
}

// Import reads a package zip from r (an upload), spooling it to a temporary file under the
// upload limit, and imports it as ImportFile does.
func (s *Service) Import(ctx context.Context, r io.Reader, progress Progress) (ImportResult, error) {
	if err := os.MkdirAll(s.cfg.SpoolDir, 0o700); err != nil {
		return ImportResult{}, fmt.Errorf("spool directory: %w", err)
	}
	f, err := os.CreateTemp(s.cfg.SpoolDir, "upload-*.zip")
	if err != nil {
		return ImportResult{}, fmt.Errorf("spool upload: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(r, s.cfg.Limits.MaxUploadBytes+1))
	switch {
	case n > s.cfg.Limits.MaxUploadBytes:
		return ImportResult{}, fmt.Errorf("%w (%s)", ErrTooLarge, mb(uint64(s.cfg.Limits.MaxUploadBytes)))
	case err != nil:
		return ImportResult{}, fmt.Errorf("receive upload: %w", err)
	}
	return s.ImportFile(ctx, f, n, progress)
}

// ImportFile checks the package zip in f (size bytes) and stores it as a new version of the
// package its manifest identifier names. Nothing is stored unless every check passes; a refused
// package is a *ProblemsError listing every problem. Memory stays bounded whatever the size: the
// zip is read from the file, and each file streams into the blob store.
func (s *Service) ImportFile(ctx context.Context, f io.ReaderAt, size int64, progress Progress) (ImportResult, error) {
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	if size > s.cfg.Limits.MaxUploadBytes {
		return ImportResult{}, fmt.Errorf("%w (%s)", ErrTooLarge, mb(uint64(s.cfg.Limits.MaxUploadBytes)))
	}
	// Count the entries before archive/zip reads them all into memory.
	if probs := precheckZip(f, size, s.cfg.Limits); len(probs) > 0 {
		return ImportResult{}, &ProblemsError{Problems: probs}
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return ImportResult{}, &ProblemsError{Problems: []Problem{{Reason: fmt.Sprintf("not a readable zip file: %v", err)}}}
	}
	files, probs := checkZip(zr, s.cfg.Limits)
	if files == nil {
		return ImportResult{}, &ProblemsError{Problems: probs}
	}
	m, mprobs := s.readManifest(files)
	probs = append(probs, mprobs...)
	if len(probs) > 0 {
		return ImportResult{}, &ProblemsError{Problems: probs}
	}
	// Decompressing every file once finds corrupt entries before anything is stored, and yields
	// the SHA-256 each blob is stored under.
	sums, total, probs := hashFiles(ctx, files, progress)
	if err := ctx.Err(); err != nil {
		return ImportResult{}, err
	}
	if len(probs) > 0 {
		return ImportResult{}, &ProblemsError{Problems: probs}
	}
	zipSum, err := hashReaderAt(f, size)
	if err != nil {
		return ImportResult{}, err
	}
	id, err := s.packageID(ctx, m.Identifier)
	if err != nil {
		return ImportResult{}, err
	}
	prev, err := s.sameAsLatest(ctx, id, zipSum)
	if err != nil {
		return ImportResult{}, err
	}
	if prev != nil {
		return *prev, nil
	}
	if err := s.storeFiles(ctx, files, sums, total, progress); err != nil {
		return ImportResult{}, err
	}
	pkg, err := s.ensurePackage(ctx, id, m.Identifier)
	if err != nil {
		return ImportResult{}, err
	}
	pv := &PackageVersion{Package: id, CourseIRI: pkg.CourseIRI, ZipSHA256: zipSum, ZipSize: size,
		Manifest: m, Files: make(map[string]File, len(files))}
	for p, zf := range files {
		pv.Files[p] = File{SHA256: sums[p], Size: int64(zf.UncompressedSize64), Type: contentType(p)}
	}
	if err := s.putVersion(ctx, pv); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Package: pkg, Version: pv, Created: true}, nil
}

func (s *Service) readManifest(files zipFiles) (Manifest, []Problem) {
	zf, ok := files[ManifestFile]
	if !ok {
		return Manifest{}, []Problem{{File: ManifestFile, Reason: "missing: " + files.manifestHint()}}
	}
	if zf.UncompressedSize64 > maxManifestSize {
		return Manifest{}, []Problem{{File: ManifestFile, Reason: fmt.Sprintf("larger than %d MiB", maxManifestSize>>20)}}
	}
	rc, err := zf.Open()
	if err != nil {
		return Manifest{}, []Problem{{File: ManifestFile, Reason: fmt.Sprintf("cannot be read: %v", err)}}
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestSize+1))
	if err != nil {
		return Manifest{}, []Problem{{File: ManifestFile, Reason: fmt.Sprintf("cannot be read: %v", err)}}
	}
	return ParseManifest(data, func(p string) bool { _, ok := files[p]; return ok })
}

// hashFiles decompresses every file and returns their SHA-256 sums and total size, or the
// entries that cannot be read.
func hashFiles(ctx context.Context, files zipFiles, progress Progress) (map[string]string, int64, []Problem) {
	var total, done int64
	for _, zf := range files {
		total += int64(zf.UncompressedSize64)
	}
	sums := make(map[string]string, len(files))
	var probs []Problem
	buf := make([]byte, 256<<10)
	for _, p := range files.sortedPaths() {
		if ctx.Err() != nil {
			return nil, 0, nil
		}
		zf := files[p]
		h := sha256.New()
		err := copyEntry(h, zf, buf, func(n int64) { done += n; progress("checking", done, total) })
		if err != nil {
			probs = append(probs, Problem{File: p, Reason: fmt.Sprintf("cannot be decompressed: %v", err)})
			continue
		}
		sums[p] = hex.EncodeToString(h.Sum(nil))
	}
	return sums, total, probs
}

// copyEntry decompresses a zip entry into w. archive/zip already fails an entry whose data is
// longer than its declared size or whose CRC is wrong; the limit is a second guard.
func copyEntry(w io.Writer, zf *zip.File, buf []byte, advance func(int64)) error {
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	r := &countingReader{r: io.LimitReader(rc, int64(zf.UncompressedSize64)+1), advance: advance}
	n, err := io.CopyBuffer(w, r, buf)
	if err != nil {
		return err
	}
	if uint64(n) != zf.UncompressedSize64 {
		return fmt.Errorf("holds %d bytes, not the %d its header declares", n, zf.UncompressedSize64)
	}
	return nil
}

type countingReader struct {
	r       io.Reader
	advance func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.advance(int64(n))
	return n, err
}

func hashReaderAt(r io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return "", fmt.Errorf("hash package: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// storeFiles streams each distinct file into the blob store.
func (s *Service) storeFiles(ctx context.Context, files zipFiles, sums map[string]string, total int64, progress Progress) error {
	stored := make(map[string]bool, len(files))
	var before int64 // bytes of the files handled before this one
	for _, p := range files.sortedPaths() {
		zf, sum := files[p], sums[p]
		if !stored[sum] {
			rc, err := zf.Open()
			if err != nil {
				return fmt.Errorf("store %s: %w", p, err)
			}
			var read int64
			r := &countingReader{r: rc, advance: func(n int64) { read += n; progress("storing", before+read, total) }}
			err = s.store.PutBlob(ctx, sum, r)
			rc.Close()
			if err != nil {
				return fmt.Errorf("store %s: %w", p, err)
			}
			stored[sum] = true
		}
		// A blob the store had already is not read again: count the file as done.
		before += int64(zf.UncompressedSize64)
		progress("storing", before, total)
	}
	return nil
}

// sameAsLatest returns the latest version when it was imported from the same zip.
func (s *Service) sameAsLatest(ctx context.Context, id, zipSum string) (*ImportResult, error) {
	latest, err := s.latestVersion(ctx, id)
	if err != nil || latest == 0 {
		return nil, err
	}
	pv, err := s.Version(ctx, id, latest)
	if err != nil || pv.ZipSHA256 != zipSum {
		return nil, err
	}
	var p Package
	if _, err := s.getJSON(ctx, packageKey(id), &p); err != nil {
		return nil, err
	}
	return &ImportResult{Package: p, Version: pv}, nil
}

// putVersion stores the version under the next free number; a concurrent import of the same
// package takes another number.
func (s *Service) putVersion(ctx context.Context, pv *PackageVersion) error {
	for range maxSwaps {
		latest, err := s.latestVersion(ctx, pv.Package)
		if err != nil {
			return err
		}
		pv.Version = latest + 1
		pv.Created = s.now().UTC().Truncate(time.Millisecond)
		err = s.putJSON(ctx, versionKey(pv.Package, pv.Version), pv, "")
		if !errors.Is(err, lrs.ErrStale) {
			return err
		}
	}
	return fmt.Errorf("%w: package %s keeps being imported concurrently; retry", lrs.ErrConflict, pv.Package)
}
