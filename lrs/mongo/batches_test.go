package mongo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/mongo/mongotest"
)

// These tests build the states an interrupted write leaves behind directly in the collections,
// then check that the sweep and the writers that meet them settle them as the package comment
// says.

func openTest(t *testing.T) *Store {
	t.Helper()
	uri, db := mongotest.Database(t)
	s, err := Open(t.Context(), uri, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stopSweep stops the sweep that Open starts, so that only the test's own sweeps run: one that
// dropped an upload's files document but not yet its chunks when the test looks fails it.
func stopSweep(s *Store) {
	s.stop()
	s.done.Wait()
}

var stored = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func testID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

func testRecord(n int) lrs.StatementRecord {
	return lrs.StatementRecord{ID: testID(n), Stored: stored, Statement: fmt.Appendf(nil, `{"id":"%s"}`, testID(n)),
		Keys: []lrs.Key{{Kind: lrs.KeyVerb, Value: "http://example.com/v"}}}
}

func testVoiding(n, target int) lrs.StatementRecord {
	r := testRecord(n)
	r.Voids = testID(target)
	return r
}

// hide writes recs as the hidden statements of a batch in the given state, begun at began.
func hide(t *testing.T, s *Store, state string, began time.Time, recs ...lrs.StatementRecord) bson.ObjectID {
	t.Helper()
	b := batchDoc{ID: bson.NewObjectIDFromTimestamp(began), State: state}
	for i, r := range recs {
		d := newStatementDoc(r, uint64(1000+i))
		d.Batch = b.ID
		if _, err := s.statements.InsertOne(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if r.Voids != "" {
			b.Voids = append(b.Voids, r.Voids)
		}
	}
	if state != "" {
		if _, err := s.batches.InsertOne(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	return b.ID
}

// stateOf returns what reads return of the statement with id n: "missing", "visible" or
// "voided".
func stateOf(t *testing.T, s *Store, n int) string {
	t.Helper()
	recs, err := s.Statements(t.Context(), []string{testID(n)})
	switch {
	case err != nil:
		t.Fatal(err)
	case len(recs) == 0:
		return "missing"
	case recs[0].Voided:
		return "voided"
	}
	return "visible"
}

func wantStates(t *testing.T, s *Store, want map[int]string) {
	t.Helper()
	for n, w := range want {
		if got := stateOf(t, s, n); got != w {
			t.Errorf("statement %d: %s, want %s", n, got, w)
		}
	}
}

func TestSweepSettlesInterruptedBatches(t *testing.T) {
	s := openTest(t)
	stopSweep(s)
	ctx := t.Context()
	stale, young := time.Now().Add(-staleAfter-time.Minute), time.Now()
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{testRecord(1)}); err != nil {
		t.Fatal(err)
	}
	// Committed, not rolled forward: statement 2, and 3 voiding 1.
	hide(t, s, stateCommitted, stale, testRecord(2), testVoiding(3, 1))
	// Open and stale: statement 4, and 5 that had claimed the placeholder of a voided id.
	if err := s.void(ctx, testID(5)); err != nil {
		t.Fatal(err)
	}
	open := hide(t, s, stateOpen, stale, testRecord(4))
	claimed := newStatementDoc(testRecord(5), 2000)
	claimed.Batch = open
	if done, err := s.claim(ctx, claimed); !done || err != nil {
		t.Fatalf("claim: %v, %v", done, err)
	}
	// Hidden in a batch whose record is gone (inserted after an abort), and in a young batch.
	hide(t, s, "", stale, testRecord(6))
	hide(t, s, stateOpen, young, testRecord(7))
	wantStates(t, s, map[int]string{1: "visible", 2: "missing", 3: "missing", 4: "missing", 5: "missing", 6: "missing", 7: "missing"})

	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	wantStates(t, s, map[int]string{1: "voided", 2: "visible", 3: "visible", 4: "missing", 5: "missing", 6: "missing", 7: "missing"})
	if n, err := s.statements.CountDocuments(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: []string{testID(4), testID(6)}}}}}); err != nil || n != 0 {
		t.Errorf("statements of aborted batches left: %d, %v", n, err)
	}
	if n, err := s.batches.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Errorf("%d batch records after the sweep, want the young one: %v", n, err)
	}
	// The placeholder of 5 survived the abort: 5 arrives voided.
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{testRecord(5)}); err != nil {
		t.Fatal(err)
	}
	wantStates(t, s, map[int]string{5: "voided"})
}

func TestWriterSettlesBatchItMeets(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	hide(t, s, stateOpen, time.Now().Add(-staleAfter-time.Minute), testRecord(1))
	hide(t, s, stateCommitted, time.Now(), testRecord(2))
	// 1 is held by an abandoned batch, which the writer aborts; 2 by a committed one, which it
	// rolls forward and then conflicts with.
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{testRecord(1), testRecord(8)}); err != nil {
		t.Fatalf("insert over an abandoned batch: %v", err)
	}
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{testRecord(2)}); !errors.Is(err, lrs.ErrConflict) {
		t.Fatalf("insert over a committed batch: %v, want a conflict", err)
	}
	wantStates(t, s, map[int]string{1: "visible", 2: "visible", 8: "visible"})
}

func TestWriterWaitsForYoungBatch(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	b := hide(t, s, stateOpen, time.Now(), testRecord(1))
	go func() {
		time.Sleep(200 * time.Millisecond)
		if _, err := s.batches.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: b}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: stateCommitted}}}}); err != nil {
			t.Error(err)
		}
	}()
	start := time.Now()
	err := s.InsertStatements(ctx, []lrs.StatementRecord{testRecord(1)})
	if !errors.Is(err, lrs.ErrConflict) {
		t.Fatalf("insert over a batch that commits meanwhile: %v, want a conflict", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("returned after %v, before the batch was decided", d)
	}
	wantStates(t, s, map[int]string{1: "visible"})
}

func TestSweepDropsAbandonedUploads(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	stopSweep(s)
	// An upload that began long ago and never committed, and a stored blob.
	f := fileDoc{ID: bson.NewObjectID(), ChunkSize: chunkSize, UploadDate: time.Now().Add(-uploadStaleAfter - time.Minute),
		Uploading: strings.Repeat("0", 64)}
	if _, err := s.files.InsertOne(ctx, f); err != nil {
		t.Fatal(err)
	}
	if _, err := s.chunks.InsertOne(ctx, bson.D{{Key: "files_id", Value: f.ID}, {Key: "n", Value: 0},
		{Key: "data", Value: bson.Binary{Data: []byte("partial")}}}); err != nil {
		t.Fatal(err)
	}
	kept := []byte("kept")
	sum := sha256.Sum256(kept)
	if err := s.PutBlob(ctx, hex.EncodeToString(sum[:]), bytes.NewReader(kept)); err != nil {
		t.Fatal(err)
	}
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		coll interface {
			CountDocuments(context.Context, any, ...options.Lister[options.CountOptions]) (int64, error)
		}
		name string
	}{{s.files, "files"}, {s.chunks, "chunks"}} {
		if n, err := c.coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
			t.Errorf("%d %s after the sweep, want the stored blob's 1: %v", n, c.name, err)
		}
	}
}

func TestBlobSeeks(t *testing.T) {
	s := openTest(t)
	content := make([]byte, 3*chunkSize+1000)
	for i := range content {
		content[i] = byte(i * 31)
	}
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	if err := s.PutBlob(t.Context(), hexSum, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Blob(t.Context(), hexSum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seeker, ok := r.(io.ReadSeeker)
	if !ok {
		t.Fatal("a blob does not seek")
	}
	for _, at := range []int64{chunkSize*2 + 5, 0, chunkSize - 1, chunkSize, int64(len(content)) - 10, 17} {
		if _, err := seeker.Seek(at, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, min(chunkSize+100, int64(len(content))-at))
		if _, err := io.ReadFull(seeker, got); err != nil {
			t.Fatalf("read at %d: %v", at, err)
		}
		if !bytes.Equal(got, content[at:at+int64(len(got))]) {
			t.Errorf("bytes at %d differ", at)
		}
	}
	if n, err := seeker.Seek(0, io.SeekEnd); err != nil || n != int64(len(content)) {
		t.Errorf("seek to the end: %d, %v", n, err)
	}
	if n, err := seeker.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("read at the end: %d, %v", n, err)
	}
}
