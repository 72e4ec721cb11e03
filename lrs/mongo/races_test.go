package mongo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/yrkesresan/lrs/lrs"
)

// These tests build the interleavings of concurrent writers that the package comment (and
// tally.go's) reason about, and check that none loses a voiding or counts a delta twice.

// TestVoidRacesTarget: a voiding and the insert of its target, run together many times, always
// leave the target voided, whichever gets to the id first. (The upsert of void fails with a
// duplicate key when the target is inserted between its match and its insert.)
func TestVoidRacesTarget(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	const rounds = 100
	for i := range rounds {
		target := 100 + i
		var wg sync.WaitGroup
		var insertErr, voidErr error
		wg.Go(func() { insertErr = s.InsertStatements(ctx, []lrs.StatementRecord{testRecord(target)}) })
		wg.Go(func() { voidErr = s.void(ctx, testID(target)) })
		wg.Wait()
		if insertErr != nil || voidErr != nil {
			t.Fatalf("round %d: insert %v, void %v", i, insertErr, voidErr)
		}
		if got := stateOf(t, s, target); got != "voided" {
			t.Fatalf("round %d: target %s after racing its voiding, want voided", i, got)
		}
	}
}

// TestVoidSparesVoidingStatement: a voiding statement that is the target of another stays
// unvoided, whether it is stored before the voiding or claims the placeholder after.
func TestVoidSparesVoidingStatement(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{testVoiding(2, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.void(ctx, testID(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.void(ctx, testID(4)); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{testVoiding(4, 3)}); err != nil {
		t.Fatal(err)
	}
	if err := s.void(ctx, testID(4)); err != nil {
		t.Fatal(err)
	}
	wantStates(t, s, map[int]string{2: "visible", 4: "visible"})
}

// TestRetriedInsertManyKeepsOwnStatements: an InsertMany that got some of a batch's statements
// in and failed is tried again; the statements it finds in their own batch are done, not a
// conflict.
func TestRetriedInsertManyKeepsOwnStatements(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	b := hide(t, s, stateOpen, time.Now(), testRecord(1))
	docs := []statementDoc{newStatementDoc(testRecord(1), 1000), newStatementDoc(testRecord(2), 1001)}
	for i := range docs {
		docs[i].Batch = b
	}
	if err := s.insertHidden(ctx, docs); err != nil {
		t.Fatalf("insert again after a partial insert: %v", err)
	}
	if n, err := s.statements.CountDocuments(ctx, bson.D{{Key: "batch", Value: b}}); err != nil || n != 2 {
		t.Errorf("%d statements in the batch, want 2: %v", n, err)
	}
}

// pendingRecord stores a record whose write stopped before applying its deltas, its write id
// made at began.
func pendingRecord(t *testing.T, s *Store, key string, began time.Time, deltas ...deltaDoc) recordDoc {
	t.Helper()
	r := recordDoc{Kind: "test", Key: key, Version: 1, Data: []byte("{}"),
		Pending: &outbox{ID: bson.NewObjectIDFromTimestamp(began), Deltas: deltas}}
	if _, err := s.records.InsertOne(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func counterValue(t *testing.T, s *Store, series string) int64 {
	t.Helper()
	cs, err := s.Counters(t.Context(), lrs.CounterFilter{Series: []string{series}})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, c := range cs {
		sum += c.Value
	}
	return sum
}

func appliedIDs(t *testing.T, s *Store, series string) []bson.ObjectID {
	t.Helper()
	var c struct {
		Applied []bson.ObjectID `bson:"applied"`
	}
	if err := s.counters.FindOne(t.Context(), bson.D{{Key: "series", Value: series}}).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.Applied
}

// TestStalePendingCopySettlesOnce: a settler that read a record while its deltas were pending
// settles it after another settler has finished it: the deltas still count once.
func TestStalePendingCopySettlesOnce(t *testing.T) {
	s := openTest(t)
	r := pendingRecord(t, s, "a", time.Now(), deltaDoc{Series: "s", N: 3})
	stale := r
	if err := s.settleRecord(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	if err := s.settleRecord(t.Context(), stale); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, s, "s"); got != 3 {
		t.Errorf("counter %d after settling a stale copy again, want 3", got)
	}
	if recs, err := s.Records(t.Context(), "test", []string{"a"}); err != nil || len(recs) != 1 {
		t.Fatalf("Records: %v, %v", recs, err)
	}
	if got := counterValue(t, s, "s"); got != 3 {
		t.Errorf("counter %d after reading the record, want 3", got)
	}
}

// TestSweepPrunesAppliedWrites: the sweep drops a write id from the counters once it is old and
// has been pending on no record for retireAfter; it keeps young ids and those still pending,
// and a still pending record settles once after the sweep.
func TestSweepPrunesAppliedWrites(t *testing.T) {
	s := openTest(t)
	stopSweep(s)
	ctx := t.Context()
	old := time.Now().Add(-appliedKeep - time.Minute)
	done := pendingRecord(t, s, "done", old, deltaDoc{Series: "s", N: 1})
	half := pendingRecord(t, s, "half", old, deltaDoc{Series: "s", N: 10}, deltaDoc{Series: "s", Dims: [lrs.CounterDims]string{"x"}, N: 100})
	young := pendingRecord(t, s, "young", time.Now(), deltaDoc{Series: "s", N: 1000})
	if err := s.settleRecord(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := s.settleRecord(ctx, young); err != nil {
		t.Fatal(err)
	}
	// half's writer died after applying its first delta.
	if err := s.applyOnce(ctx, lrs.CounterKey{Series: "s"}, 10, half.Pending.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := appliedIDs(t, s, "s"); len(got) != 3 {
		t.Fatalf("applied %v after the first sweep, want all 3 ids kept", got)
	}
	// retireAfter passes.
	s.retiringMu.Lock()
	for id, since := range s.retiring {
		s.retiring[id] = since.Add(-retireAfter)
	}
	s.retiringMu.Unlock()
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got := appliedIDs(t, s, "s")
	want := []bson.ObjectID{half.Pending.ID, young.Pending.ID}
	slices.SortFunc(got, func(a, b bson.ObjectID) int { return bytes.Compare(a[:], b[:]) })
	slices.SortFunc(want, func(a, b bson.ObjectID) int { return bytes.Compare(a[:], b[:]) })
	if !slices.Equal(got, want) {
		t.Errorf("applied %v after retireAfter, want %v (the pending and the young id)", got, want)
	}
	if err := s.SettleRecords(ctx); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, s, "s"); got != 1+10+100+1000 {
		t.Errorf("counters sum to %d, want %d", got, 1+10+100+1000)
	}
}

// sweepingReader gives up its upload as the sweep would, as soon as the first bytes are read:
// the chunks come after the sweep's delete.
type sweepingReader struct {
	t     *testing.T
	s     *Store
	r     io.Reader
	swept bool
}

func (r *sweepingReader) Read(p []byte) (int, error) {
	if !r.swept {
		r.swept = true
		var f fileDoc
		if err := r.s.files.FindOne(r.t.Context(), bson.D{{Key: "uploading", Value: bson.D{{Key: "$exists", Value: true}}}}).Decode(&f); err != nil {
			return 0, err
		}
		if err := r.s.dropUpload(r.t.Context(), f.ID); err != nil {
			return 0, err
		}
	}
	return r.r.Read(p)
}

// TestGivenUpUploadLeavesNoChunks: an upload that the sweep gave up while it ran fails with
// ErrUnavailable and deletes the chunks it wrote after the sweep.
func TestGivenUpUploadLeavesNoChunks(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	content := bytes.Repeat([]byte("abc"), chunkSize)
	sum := sha256.Sum256(content)
	err := s.PutBlob(ctx, hex.EncodeToString(sum[:]), &sweepingReader{t: t, s: s, r: bytes.NewReader(content)})
	if !errors.Is(err, lrs.ErrUnavailable) {
		t.Fatalf("PutBlob of an upload given up: %v, want ErrUnavailable", err)
	}
	if n, err := s.chunks.CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Errorf("%d chunks left, want 0: %v", n, err)
	}
	if n, err := s.files.CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Errorf("%d files left, want 0: %v", n, err)
	}
}
