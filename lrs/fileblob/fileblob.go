// Package fileblob keeps blobs as files in a directory: the blob store of the embedded backend.
// Each blob is a file named by its SHA-256, written to a temporary file first and renamed into
// place once synced, so a crash never leaves a partial blob under a valid name.
package fileblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/yrkesresan/lrs/lrs"
)

// Store is a directory of blobs. It implements lrs.BlobStore.
type Store struct {
	dir string
}

// Open returns the blob store in dir, creating dir (not its parent) and its layout if needed:
// tmp/ for writes in progress and the 256 directories blobs are spread over. With all of them
// made durable here, a blob's own name is the only directory entry PutBlob adds.
func Open(dir string) (*Store, error) {
	s := &Store{dir: dir}
	if err := s.layout(); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return s, nil
}

// layout makes the directories Open promises, empties tmp/, and makes both durable.
func (s *Store) layout() error {
	dirs := []string{s.dir, s.tmp()}
	for i := range 256 {
		dirs = append(dirs, filepath.Join(s.dir, fmt.Sprintf("%02x", i)))
	}
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	// Files in tmp/ are writes a crash interrupted. (Should another process have the store open,
	// a write it has in progress fails, unacknowledged.)
	leftovers, err := os.ReadDir(s.tmp())
	if err != nil {
		return err
	}
	for _, f := range leftovers {
		if err := os.Remove(filepath.Join(s.tmp(), f.Name())); err != nil {
			return err
		}
	}
	// Synced even when nothing was created: a crash may have come between an earlier Open's
	// Mkdir and its sync.
	if err := syncDir(filepath.Dir(s.dir)); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// tmp is the directory of writes in progress.
func (s *Store) tmp() string { return filepath.Join(s.dir, "tmp") }

// path spreads blobs over 256 subdirectories so no directory grows huge.
func (s *Store) path(sum string) string {
	return filepath.Join(s.dir, sum[:2], sum)
}

// PutBlob implements lrs.BlobStore.
func (s *Store) PutBlob(ctx context.Context, sum string, r io.Reader) error {
	if !lrs.ValidBlobSum(sum) { // which also keeps names from escaping the directory
		return fmt.Errorf("%w: blob name %q is not a lower-case hex SHA-256", lrs.ErrBadRequest, sum)
	}
	final := s.path(sum)
	if _, err := os.Stat(final); err == nil {
		// Possibly renamed by a writer that has not synced the directory yet (or crashed first).
		return syncDir(filepath.Dir(final))
	}
	tmp, err := os.CreateTemp(s.tmp(), "put-*")
	if err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := s.fill(ctx, tmp, sum, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	return syncDir(filepath.Dir(final))
}

// fill copies r into f, checks that the bytes hash to sum, and syncs f.
func (s *Store) fill(ctx context.Context, f *os.File, sum string, r io.Reader) error {
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), contextReader{ctx, r}); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%w: content hashes to %s, not %s", lrs.ErrBadRequest, got, sum)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put blob: %w", err)
	}
	return nil
}

// Blob implements lrs.BlobStore.
func (s *Store) Blob(_ context.Context, sum string) (io.ReadCloser, error) {
	if !lrs.ValidBlobSum(sum) {
		return nil, fmt.Errorf("blob %q: %w", sum, lrs.ErrNotFound)
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", sum, lrs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	return f, nil
}

// DeleteBlob implements lrs.BlobStore.
func (s *Store) DeleteBlob(_ context.Context, sum string) error {
	if !lrs.ValidBlobSum(sum) {
		return nil
	}
	err := os.Remove(s.path(sum))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob: %w", err)
	}
	return nil
}

// ScanBlobs implements lrs.ScanStore: the sums greater than after, in ascending order, read from
// the directory listings (sorted by name, and a subdirectory is its sums' first two digits).
func (s *Store) ScanBlobs(_ context.Context, after string, limit int) ([]string, error) {
	var sums []string
	err := s.walk(after, func(sum string) bool {
		sums = append(sums, sum)
		return len(sums) < limit
	})
	return sums, err
}

// CountBlobs counts the stored blobs.
func (s *Store) CountBlobs(_ context.Context) (int64, error) {
	var n int64
	err := s.walk("", func(string) bool { n++; return true })
	return n, err
}

// walk calls fn with each stored sum greater than after, in ascending order, until fn returns
// false. Anything else in the directory (the tmp directory, stray files) is skipped.
func (s *Store) walk(after string, fn func(sum string) bool) error {
	dirs, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 || d.Name() < after[:min(2, len(after))] {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.dir, d.Name()))
		if err != nil {
			return fmt.Errorf("list blobs: %w", err)
		}
		for _, f := range files {
			if sum := f.Name(); sum > after && lrs.ValidBlobSum(sum) && sum[:2] == d.Name() && !fn(sum) {
				return nil
			}
		}
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync blob directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync blob directory: %w", err)
	}
	return nil
}

// contextReader stops a long copy when the request is cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
