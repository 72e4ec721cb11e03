package storetest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

func documentCases() []testCase {
	return []testCase{
		{"Documents/PutGet", testDocPutGet},
		{"Documents/NotFound", testDocNotFound},
		{"Documents/KeysAreDistinct", testDocKeysDistinct},
		{"Documents/CompareAndSwap", testDocCompareAndSwap},
		{"Documents/ConcurrentSwapsOneWins", testDocConcurrentSwaps},
		{"Documents/Delete", testDocDelete},
		{"Documents/IDsSince", testDocIDsSince},
		{"Documents/StateRegistrationScope", testDocStateRegistrations},
		{"Documents/DeleteAll", testDocDeleteAll},
		{"Documents/LargeBinary", testDocLargeBinary},
	}
}

func stateKey(id, reg string) lrs.DocumentKey {
	return lrs.DocumentKey{Kind: lrs.DocState, Activity: "http://example.com/a", Agent: "mbox:mailto:a@example.com", Registration: reg, ID: id}
}

func doc(key lrs.DocumentKey, content string, updated time.Time) lrs.Document {
	sum := sha1.Sum([]byte(content))
	return lrs.Document{Key: key, ContentType: "application/json", Content: []byte(content), ETag: hex.EncodeToString(sum[:]), Updated: updated}
}

func putDoc(t *testing.T, s lrs.Store, d lrs.Document, prev string) {
	t.Helper()
	if err := s.PutDocument(context.Background(), d, prev); err != nil {
		t.Fatalf("PutDocument(%q, prev %q): %v", d.Key.ID, prev, err)
	}
}

func getDoc(t *testing.T, s lrs.Store, key lrs.DocumentKey) (lrs.Document, error) {
	t.Helper()
	return s.Document(context.Background(), key)
}

func checkDoc(t *testing.T, s lrs.Store, want lrs.Document) {
	t.Helper()
	got, err := getDoc(t, s, want.Key)
	if err != nil {
		t.Fatalf("Document(%+v): %v", want.Key, err)
	}
	if got.Key != want.Key || got.ContentType != want.ContentType || !bytes.Equal(got.Content, want.Content) ||
		got.ETag != want.ETag || !got.Updated.Equal(want.Updated) {
		t.Fatalf("Document(%+v) = %+v, want %+v", want.Key, got, want)
	}
}

func docIDs(t *testing.T, s lrs.Store, key lrs.DocumentKey, since time.Time) []string {
	t.Helper()
	ids, err := s.DocumentIDs(context.Background(), key, since)
	if err != nil {
		t.Fatalf("DocumentIDs: %v", err)
	}
	return ids
}

func testDocPutGet(t *testing.T, s lrs.Store) {
	d := doc(stateKey("s1", ""), `{"a":1}`, at(1))
	d.ContentType = "application/octet-stream; x=y"
	putDoc(t, s, d, "")
	checkDoc(t, s, d)
}

func testDocNotFound(t *testing.T, s lrs.Store) {
	if _, err := getDoc(t, s, stateKey("nope", "")); !errors.Is(err, lrs.ErrNotFound) {
		t.Fatalf("Document of a missing key: %v, want ErrNotFound", err)
	}
}

// Every field of the key tells documents apart, including kinds that share the other fields.
func testDocKeysDistinct(t *testing.T, s lrs.Store) {
	base := stateKey("x", "")
	keys := []lrs.DocumentKey{base}
	for _, f := range []func(*lrs.DocumentKey){
		func(k *lrs.DocumentKey) { k.Kind = lrs.DocActivityProfile },
		func(k *lrs.DocumentKey) { k.Activity = "http://example.com/b" },
		func(k *lrs.DocumentKey) { k.Agent = "mbox:mailto:b@example.com" },
		func(k *lrs.DocumentKey) { k.Registration = "00000000-0000-4000-8000-000000000001" },
		func(k *lrs.DocumentKey) { k.ID = "y" },
	} {
		k := base
		f(&k)
		keys = append(keys, k)
	}
	for i, k := range keys {
		putDoc(t, s, doc(k, strings.Repeat("v", i+1), at(i)), "")
	}
	for i, k := range keys {
		checkDoc(t, s, doc(k, strings.Repeat("v", i+1), at(i)))
	}
}

func testDocCompareAndSwap(t *testing.T, s lrs.Store) {
	ctx := context.Background()
	k := stateKey("s", "")
	v1, v2, v3 := doc(k, "one", at(1)), doc(k, "two", at(2)), doc(k, "three", at(3))
	putDoc(t, s, v1, "")
	if err := s.PutDocument(ctx, v2, ""); !errors.Is(err, lrs.ErrStale) {
		t.Fatalf("put with prev \"\" over an existing document: %v, want ErrStale", err)
	}
	if err := s.PutDocument(ctx, v2, v3.ETag); !errors.Is(err, lrs.ErrStale) {
		t.Fatalf("put with a wrong prev: %v, want ErrStale", err)
	}
	checkDoc(t, s, v1)
	putDoc(t, s, v2, v1.ETag)
	checkDoc(t, s, v2)
	if err := s.PutDocument(ctx, doc(stateKey("missing", ""), "x", at(1)), v1.ETag); !errors.Is(err, lrs.ErrStale) {
		t.Fatalf("put with a prev over a missing document: %v, want ErrStale", err)
	}
}

// Of concurrent swaps from the same version exactly one succeeds: no update is lost.
func testDocConcurrentSwaps(t *testing.T, s lrs.Store) {
	k := stateKey("s", "")
	v0 := doc(k, "v0", at(0))
	putDoc(t, s, v0, "")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.PutDocument(context.Background(), doc(k, "v"+strings.Repeat("x", i+1), at(1)), v0.ETag)
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, lrs.ErrStale):
			t.Fatalf("concurrent put: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent swaps from one version succeeded, want 1", won)
	}
}

func testDocDelete(t *testing.T, s lrs.Store) {
	ctx := context.Background()
	k := stateKey("s", "")
	d := doc(k, "one", at(1))
	putDoc(t, s, d, "")
	if err := s.DeleteDocument(ctx, k, doc(k, "other", at(1)).ETag); !errors.Is(err, lrs.ErrStale) {
		t.Fatalf("delete with a wrong prev: %v, want ErrStale", err)
	}
	checkDoc(t, s, d)
	if err := s.DeleteDocument(ctx, k, d.ETag); err != nil {
		t.Fatalf("delete with the right prev: %v", err)
	}
	if _, err := getDoc(t, s, k); !errors.Is(err, lrs.ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
	if err := s.DeleteDocument(ctx, k, ""); err != nil {
		t.Fatalf("unconditional delete of a missing document: %v", err)
	}
	putDoc(t, s, d, "")
	if err := s.DeleteDocument(ctx, k, ""); err != nil {
		t.Fatalf("unconditional delete: %v", err)
	}
	if _, err := getDoc(t, s, k); !errors.Is(err, lrs.ErrNotFound) {
		t.Fatalf("after unconditional delete: %v, want ErrNotFound", err)
	}
}

func testDocIDsSince(t *testing.T, s lrs.Store) {
	for i, id := range []string{"c", "a", "b"} {
		putDoc(t, s, doc(stateKey(id, ""), id, at(i)), "")
	}
	other := lrs.DocumentKey{Kind: lrs.DocActivityProfile, Activity: "http://example.com/a", ID: "p"}
	putDoc(t, s, doc(other, "p", at(5)), "")
	if got, want := docIDs(t, s, stateKey("", ""), time.Time{}), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("all state ids = %v, want %v", got, want)
	}
	if got, want := docIDs(t, s, stateKey("", ""), at(0)), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("ids updated after at(0) = %v, want %v (since is exclusive)", got, want)
	}
	if got := docIDs(t, s, stateKey("", ""), at(10)); got == nil || len(got) != 0 {
		t.Errorf("ids since the future = %#v, want an empty, non-nil list", got)
	}
	if got, want := docIDs(t, s, other, time.Time{}), []string{"p"}; !slices.Equal(got, want) {
		t.Errorf("activity profile ids = %v, want %v", got, want)
	}
}

// A state scope without a registration covers every registration; with one, only that one.
func testDocStateRegistrations(t *testing.T, s lrs.Store) {
	const r1, r2 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
	putDoc(t, s, doc(stateKey("none", ""), "x", at(1)), "")
	putDoc(t, s, doc(stateKey("one", r1), "x", at(1)), "")
	putDoc(t, s, doc(stateKey("two", r2), "x", at(1)), "")
	putDoc(t, s, doc(stateKey("none", r1), "x", at(1)), "")
	if got, want := docIDs(t, s, stateKey("", ""), time.Time{}), []string{"none", "one", "two"}; !slices.Equal(got, want) {
		t.Errorf("ids without registration = %v, want %v (each id once)", got, want)
	}
	if got, want := docIDs(t, s, stateKey("", r1), time.Time{}), []string{"none", "one"}; !slices.Equal(got, want) {
		t.Errorf("ids of r1 = %v, want %v", got, want)
	}
}

func testDocDeleteAll(t *testing.T, s lrs.Store) {
	ctx := context.Background()
	const r1 = "00000000-0000-4000-8000-000000000001"
	keep := lrs.DocumentKey{Kind: lrs.DocState, Activity: "http://example.com/other", Agent: "mbox:mailto:a@example.com", ID: "k"}
	profile := lrs.DocumentKey{Kind: lrs.DocActivityProfile, Activity: "http://example.com/a", ID: "k"}
	for _, k := range []lrs.DocumentKey{stateKey("a", ""), stateKey("b", r1), keep, profile} {
		putDoc(t, s, doc(k, "x", at(1)), "")
	}
	if err := s.DeleteDocuments(ctx, stateKey("", r1)); err != nil {
		t.Fatal(err)
	}
	if got, want := docIDs(t, s, stateKey("", ""), time.Time{}), []string{"a"}; !slices.Equal(got, want) {
		t.Errorf("after deleting r1's state: %v, want %v", got, want)
	}
	if err := s.DeleteDocuments(ctx, stateKey("", "")); err != nil {
		t.Fatal(err)
	}
	if got := docIDs(t, s, stateKey("", ""), time.Time{}); len(got) != 0 {
		t.Errorf("after deleting all state: %v", got)
	}
	checkDoc(t, s, doc(keep, "x", at(1)))
	checkDoc(t, s, doc(profile, "x", at(1)))
}

func testDocLargeBinary(t *testing.T, s lrs.Store) {
	content := make([]byte, 3<<20)
	for i := range content {
		content[i] = byte(i * 7)
	}
	d := doc(stateKey("big", ""), string(content), at(1))
	d.ContentType = "application/octet-stream"
	putDoc(t, s, d, "")
	checkDoc(t, s, d)
}

func blobCases() []testCase {
	return []testCase{
		{"Blobs/PutGet", testBlobPutGet},
		{"Blobs/NotFound", testBlobNotFound},
		{"Blobs/WrongSumStoresNothing", testBlobWrongSum},
		{"Blobs/PutTwice", testBlobPutTwice},
		{"Blobs/Delete", testBlobDelete},
	}
}

func sum256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readBlob(t *testing.T, s lrs.Store, sum string) ([]byte, error) {
	t.Helper()
	r, err := s.Blob(context.Background(), sum)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func testBlobPutGet(t *testing.T, s lrs.Store) {
	content := bytes.Repeat([]byte("blob\x00\xff"), 200_000)
	sum := sum256(content)
	if err := s.PutBlob(context.Background(), sum, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	got, err := readBlob(t, s, sum)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Blob: %d bytes, %v; want the %d bytes put", len(got), err, len(content))
	}
}

func testBlobNotFound(t *testing.T, s lrs.Store) {
	for _, sum := range []string{sum256([]byte("never stored")), "../../etc/passwd", ""} {
		if _, err := readBlob(t, s, sum); !errors.Is(err, lrs.ErrNotFound) {
			t.Errorf("Blob(%q): %v, want ErrNotFound", sum, err)
		}
	}
}

func testBlobWrongSum(t *testing.T, s lrs.Store) {
	sum := sum256([]byte("expected"))
	err := s.PutBlob(context.Background(), sum, strings.NewReader("something else"))
	if !errors.Is(err, lrs.ErrBadRequest) {
		t.Fatalf("PutBlob with bytes that do not hash to the sum: %v, want ErrBadRequest", err)
	}
	if _, err := readBlob(t, s, sum); !errors.Is(err, lrs.ErrNotFound) {
		t.Fatalf("after a refused put: %v, want ErrNotFound", err)
	}
	if err := s.PutBlob(context.Background(), "not-a-sum", strings.NewReader("x")); !errors.Is(err, lrs.ErrBadRequest) {
		t.Fatalf("PutBlob with a malformed sum: %v, want ErrBadRequest", err)
	}
}

func testBlobPutTwice(t *testing.T, s lrs.Store) {
	content := []byte("same bytes")
	sum := sum256(content)
	for range 2 {
		if err := s.PutBlob(context.Background(), sum, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := readBlob(t, s, sum); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("Blob after two puts: %q, %v", got, err)
	}
}

func testBlobDelete(t *testing.T, s lrs.Store) {
	ctx := context.Background()
	content := []byte("to delete")
	sum := sum256(content)
	if err := s.PutBlob(ctx, sum, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.DeleteBlob(ctx, sum); err != nil {
			t.Fatalf("DeleteBlob: %v", err)
		}
	}
	if _, err := readBlob(t, s, sum); !errors.Is(err, lrs.ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
}
