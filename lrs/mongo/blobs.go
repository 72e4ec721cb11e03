package mongo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/yrkesresan/lrs/lrs"
)

// Blobs are GridFS files in the bucket "blobs", in GridFS's own format, so that mongofiles and
// the drivers' GridFS readers work on them. They are written and read here, not through the
// driver's GridFS streams, for the commit described below and for seeking. A stored blob's filename is its SHA-256.
//
// An upload writes its files document first, without a filename and with uploading set to the
// sum, then the chunks while hashing them, then commits by setting the filename and length and
// unsetting uploading, conditional on uploading being set. The unique index on filename makes
// the commit fail if another upload of the same content committed first (the loser deletes its
// chunks); the condition makes it fail if the sweep gave the upload up as abandoned. Readers look
// blobs up by filename, so they never see an upload in progress.
const (
	bucket    = "blobs"
	chunkSize = 255 << 10 // GridFS's default
	// chunksPerInsert bounds the memory of an upload: chunks go to the server a few MiB at a time.
	chunksPerInsert = 16
	// uploadStaleAfter is how long an upload may run before the sweep deletes it as abandoned:
	// long, since the bytes come from a client at the client's pace.
	uploadStaleAfter = time.Hour
	// readTimeout bounds the reading of one blob, which a slow client may take a while over.
	readTimeout = time.Hour
)

// fileDoc is a document of blobs.files.
type fileDoc struct {
	ID         bson.ObjectID `bson:"_id"`
	Filename   string        `bson:"filename,omitempty"`
	Length     int64         `bson:"length"`
	ChunkSize  int32         `bson:"chunkSize"`
	UploadDate time.Time     `bson:"uploadDate"`
	Uploading  string        `bson:"uploading,omitempty"`
}

// PutBlob implements lrs.BlobStore.
func (s *Store) PutBlob(ctx context.Context, sum string, r io.Reader) error {
	if !lrs.ValidBlobSum(sum) {
		return fmt.Errorf("%w: blob name %q is not a lower-case hex SHA-256", lrs.ErrBadRequest, sum)
	}
	if _, err := s.blobFile(ctx, sum); !errors.Is(err, lrs.ErrNotFound) {
		return err // nil: stored already
	}
	f := fileDoc{ID: bson.NewObjectID(), ChunkSize: chunkSize, UploadDate: time.Now(), Uploading: sum}
	if _, err := s.files.InsertOne(ctx, f); err != nil {
		return wrap("put blob", err)
	}
	n, err := s.writeChunks(ctx, f.ID, sum, r)
	if err != nil {
		return errors.Join(err, s.dropUpload(ctx, f.ID))
	}
	res, err := s.files.UpdateOne(ctx, bson.D{{Key: "_id", Value: f.ID}, {Key: "uploading", Value: sum}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "filename", Value: sum}, {Key: "length", Value: n}}},
			{Key: "$unset", Value: bson.D{{Key: "uploading", Value: ""}}}})
	switch {
	case mongo.IsDuplicateKeyError(err):
		return s.dropUpload(ctx, f.ID) // the same content was stored meanwhile
	case err != nil:
		return wrap("put blob", err)
	case res.MatchedCount == 0:
		// The sweep gave the upload up: it deleted the files document and the chunks it found,
		// but chunks written after its delete would be left behind with no files document that
		// leads a later sweep to them.
		return errors.Join(fmt.Errorf("mongo: put blob: %w: the upload took longer than %v and was given up", lrs.ErrUnavailable, uploadStaleAfter),
			s.dropUpload(ctx, f.ID))
	}
	return nil
}

// writeChunks stores the bytes of r as the chunks of file id, and returns their length. If they
// do not hash to sum, it returns an error wrapping lrs.ErrBadRequest (the caller drops them).
func (s *Store) writeChunks(ctx context.Context, id bson.ObjectID, sum string, r io.Reader) (int64, error) {
	h := sha256.New()
	buf := make([]byte, chunksPerInsert*chunkSize)
	var length int64
	var n int32
	for eof := false; !eof; {
		read, err := io.ReadFull(r, buf)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			eof = true
		case err != nil:
			return 0, fmt.Errorf("mongo: put blob: read: %w", err)
		}
		h.Write(buf[:read])
		var chunks []any
		for off := 0; off < read; off += chunkSize {
			chunks = append(chunks, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "files_id", Value: id},
				{Key: "n", Value: n}, {Key: "data", Value: bson.Binary{Data: buf[off:min(off+chunkSize, read)]}}})
			n++
		}
		if len(chunks) > 0 {
			if _, err := s.chunks.InsertMany(ctx, chunks); err != nil {
				return 0, wrap("put blob", err)
			}
		}
		length += int64(read)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return 0, fmt.Errorf("%w: content hashes to %s, not %s", lrs.ErrBadRequest, got, sum)
	}
	return length, nil
}

// dropUpload deletes an uncommitted upload: its files document (unless it got committed) and
// its chunks. It runs on when the request is cancelled, so as to leave nothing to the sweep.
func (s *Store) dropUpload(ctx context.Context, id bson.ObjectID) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	res, err := s.files.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "uploading", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		return wrap("drop upload", err)
	}
	if res.DeletedCount == 0 {
		if err := s.files.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
			return wrap("drop upload", err) // committed (nil), or unknown: keep the chunks
		}
	}
	if _, err := s.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: id}}); err != nil {
		return wrap("drop upload", err)
	}
	return nil
}

// sweepUploads drops the uploads that began more than uploadStaleAfter ago and never committed.
func (s *Store) sweepUploads(ctx context.Context) error {
	cur, err := s.files.Find(ctx, bson.D{{Key: "uploading", Value: bson.D{{Key: "$exists", Value: true}}},
		{Key: "uploadDate", Value: bson.D{{Key: "$lt", Value: time.Now().Add(-uploadStaleAfter)}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetHint(bson.D{{Key: "uploading", Value: 1}}))
	if err != nil {
		return wrap("find abandoned uploads", err)
	}
	var stale []fileDoc
	if err := cur.All(ctx, &stale); err != nil {
		return wrap("find abandoned uploads", err)
	}
	for _, f := range stale {
		if err := s.dropUpload(ctx, f.ID); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "mongo: dropped an abandoned blob upload", "file", f.ID.Hex())
	}
	return nil
}

// blobFile returns the files document of the stored blob with the sum, or an error wrapping
// lrs.ErrNotFound.
func (s *Store) blobFile(ctx context.Context, sum string) (fileDoc, error) {
	var f fileDoc
	err := s.files.FindOne(ctx, bson.D{{Key: "filename", Value: sum}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return f, fmt.Errorf("mongo: blob %s: %w", sum, lrs.ErrNotFound)
	}
	if err != nil {
		return f, wrap("blob", err)
	}
	return f, nil
}

// Blob implements lrs.BlobStore. The blob is read chunk by chunk as the caller reads, for up to
// readTimeout, and it seeks (a Range request for the middle of a video reads from there).
func (s *Store) Blob(ctx context.Context, sum string) (io.ReadCloser, error) {
	if !lrs.ValidBlobSum(sum) {
		return nil, fmt.Errorf("mongo: blob %q: %w", sum, lrs.ErrNotFound)
	}
	f, err := s.blobFile(ctx, sum)
	if err != nil {
		return nil, err
	}
	if f.ChunkSize <= 0 {
		return nil, fmt.Errorf("mongo: blob %s: chunk size %d", sum, f.ChunkSize)
	}
	// A deadline of the reader's own: without one, the driver would bound the reading of the
	// whole blob by the client's operation timeout.
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	return &chunkReader{ctx: ctx, cancel: cancel, chunks: s.chunks, file: f}, nil
}

// chunkReader reads a GridFS file from its chunks. Seeking drops the cursor; the next Read opens
// one at the chunk that holds the position.
type chunkReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	chunks *mongo.Collection
	file   fileDoc
	pos    int64
	cur    *mongo.Cursor
	next   int32  // the chunk number cur gives next
	buf    []byte // the rest of the current chunk, from pos on
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos >= r.file.Length {
		return 0, io.EOF
	}
	if len(r.buf) == 0 {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.pos += int64(n)
	return n, nil
}

// fill reads the chunk that holds pos into buf, checking that the chunks come in order and whole.
func (r *chunkReader) fill() error {
	size := int64(r.file.ChunkSize)
	if r.cur == nil {
		r.next = int32(r.pos / size)
		cur, err := r.chunks.Find(r.ctx, bson.D{{Key: "files_id", Value: r.file.ID}, {Key: "n", Value: bson.D{{Key: "$gte", Value: r.next}}}},
			// A few chunks a round trip: the default first batch (101 chunks, up to a reply's
			// 16 MiB) would read that much where a Range request may want a few bytes.
			options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetBatchSize(4))
		if err != nil {
			return wrap("read blob", err)
		}
		r.cur = cur
	}
	if !r.cur.Next(r.ctx) {
		if err := r.cur.Err(); err != nil {
			return wrap("read blob", err)
		}
		return fmt.Errorf("mongo: blob %s: chunk %d missing", r.file.Filename, r.next)
	}
	var c struct {
		N    int32  `bson:"n"`
		Data []byte `bson:"data"`
	}
	if err := r.cur.Decode(&c); err != nil {
		return wrap("read blob", err)
	}
	start := int64(c.N) * size
	if want := min(size, r.file.Length-start); c.N != r.next || int64(len(c.Data)) != want {
		return fmt.Errorf("mongo: blob %s: chunk %d of %d bytes where chunk %d of %d was due", r.file.Filename, c.N, len(c.Data), r.next, want)
	}
	r.next++
	r.buf = c.Data[r.pos-start:]
	return nil
}

// Seek implements io.Seeker.
func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.file.Length
	case io.SeekStart:
	default:
		return r.pos, errors.New("mongo: blob: seek: bad whence")
	}
	if offset < 0 {
		return r.pos, errors.New("mongo: blob: seek: negative position")
	}
	if offset != r.pos {
		r.drop()
		r.pos = offset
	}
	return offset, nil
}

func (r *chunkReader) drop() {
	if r.cur != nil {
		r.cur.Close(r.ctx)
		r.cur, r.buf = nil, nil
	}
}

func (r *chunkReader) Close() error {
	r.drop()
	r.cancel()
	return nil
}

// DeleteBlob implements lrs.BlobStore: the files document first, so that no reader finds a blob
// whose chunks are going.
func (s *Store) DeleteBlob(ctx context.Context, sum string) error {
	if !lrs.ValidBlobSum(sum) {
		return nil
	}
	f, err := s.blobFile(ctx, sum)
	if errors.Is(err, lrs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := s.files.DeleteOne(ctx, bson.D{{Key: "_id", Value: f.ID}}); err != nil {
		return wrap("delete blob", err)
	}
	if _, err := s.chunks.DeleteMany(ctx, bson.D{{Key: "files_id", Value: f.ID}}); err != nil {
		return wrap("delete blob", err)
	}
	return nil
}

// ScanBlobs implements lrs.ScanStore.
func (s *Store) ScanBlobs(ctx context.Context, after string, limit int) ([]string, error) {
	cur, err := s.files.Find(ctx, bson.D{{Key: "filename", Value: bson.D{{Key: "$gt", Value: after}}}},
		options.Find().SetProjection(bson.D{{Key: "filename", Value: 1}}).SetSort(bson.D{{Key: "filename", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, wrap("scan blobs", err)
	}
	var files []fileDoc
	if err := cur.All(ctx, &files); err != nil {
		return nil, wrap("scan blobs", err)
	}
	sums := make([]string, len(files))
	for i, f := range files {
		sums[i] = f.Filename
	}
	return sums, nil
}
