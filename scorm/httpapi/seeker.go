package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/yrkesresan/lrs/scorm"
)

// blobSeeker gives http.ServeContent the io.ReadSeeker it needs over any lrs.BlobStore. A blob
// that can seek (a file) seeks; one that cannot (a database stream) is read forward to the
// position, and reopened to go back. ServeContent seeks once to learn the size (known here
// without reading) and once to the start of each range.
type blobSeeker struct {
	ctx   context.Context
	svc   *scorm.Service
	f     scorm.File
	pos   int64 // where the next Read reads
	rc    io.ReadCloser
	rcPos int64 // where rc is
	err   error // the first error a Read met, for logging
}

func newBlobSeeker(ctx context.Context, svc *scorm.Service, f scorm.File) *blobSeeker {
	return &blobSeeker{ctx: ctx, svc: svc, f: f}
}

func (b *blobSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.f.Size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	b.pos = offset
	return offset, nil
}

func (b *blobSeeker) Read(p []byte) (int, error) {
	if b.pos >= b.f.Size {
		return 0, io.EOF
	}
	if err := b.position(); err != nil {
		b.err = err
		return 0, err
	}
	n, err := b.rc.Read(p)
	b.pos += int64(n)
	b.rcPos += int64(n)
	if err != nil && b.err == nil {
		b.err = err
	}
	return n, err
}

// position brings the underlying stream to pos.
func (b *blobSeeker) position() error {
	if b.rc != nil && b.rcPos == b.pos {
		return nil
	}
	if s, ok := b.rc.(io.Seeker); ok {
		if _, err := s.Seek(b.pos, io.SeekStart); err != nil {
			return err
		}
		b.rcPos = b.pos
		return nil
	}
	if b.rc == nil || b.rcPos > b.pos {
		if b.rc != nil {
			b.rc.Close()
		}
		rc, err := b.svc.Blob(b.ctx, b.f.SHA256)
		if err != nil {
			return fmt.Errorf("open blob %s: %w", b.f.SHA256, err)
		}
		b.rc, b.rcPos = rc, 0
		if s, ok := rc.(io.Seeker); ok {
			if _, err := s.Seek(b.pos, io.SeekStart); err != nil {
				return err
			}
			b.rcPos = b.pos
			return nil
		}
	}
	n, err := io.CopyN(io.Discard, b.rc, b.pos-b.rcPos)
	b.rcPos += n
	return err
}

func (b *blobSeeker) Close() error {
	if b.rc != nil {
		return b.rc.Close()
	}
	return nil
}
