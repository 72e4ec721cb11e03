package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
)

func scanCases() []testCase {
	return []testCase{
		{"Scan/Statements", testScanStatements},
		{"Scan/Documents", testScanDocuments},
		{"Scan/Blobs", testScanBlobs},
		{"Scan/Count", testCount},
	}
}

// testScanStatements scans records stored out of time order, with stored-time ties across
// batches, voided and voiding records and a placeholder-like voiding of a missing target.
func testScanStatements(t *testing.T, s lrs.Store) {
	batches := [][]lrs.StatementRecord{
		{rec(1, at(5), agent("mailto:a@example.com")), rec(2, at(2))},
		{voiding(3, 1, at(2)), rec(4, at(2))},
		{voiding(5, 99, at(1))},
		{rec(6, at(2)), rec(7, at(9))},
	}
	var want []lrs.StatementRecord
	for _, b := range batches {
		insert(t, s, b...)
		want = append(want, b...)
	}
	want[0] = voided(want[0])
	for _, limit := range []int{1, 3, 100} {
		var got []lrs.StatementRecord
		cursor := ""
		for range 100 {
			page, err := s.ScanStatements(t.Context(), cursor, limit)
			if err != nil {
				t.Fatalf("ScanStatements(limit %d): %v", limit, err)
			}
			if len(page.Statements) > limit {
				t.Fatalf("ScanStatements(limit %d): %d records", limit, len(page.Statements))
			}
			got = append(got, page.Statements...)
			if cursor = page.Cursor; cursor == "" {
				break
			}
		}
		checkRecords(t, got, want)
		if ids := recordIDs(got); len(distinct(ids)) != len(ids) {
			t.Errorf("limit %d: a record scanned twice: %v", limit, ids)
		}
		// The records stored at at(2), in the order they were stored.
		var ties []string
		for _, r := range got {
			if r.Stored.Equal(at(2)) {
				ties = append(ties, r.ID)
			}
		}
		if want := ids(2, 3, 4, 6); !slices.Equal(ties, want) {
			t.Errorf("limit %d: records stored at the same time scanned as %v, want %v", limit, ties, want)
		}
	}
}

func testScanDocuments(t *testing.T, s lrs.Store) {
	var want []lrs.Document
	for i, k := range []lrs.DocumentKey{
		stateKey("s1", ""),
		stateKey("s1", "00000000-0000-4000-8000-000000000001"),
		{Kind: lrs.DocActivityProfile, Activity: "http://example.com/a", ID: "p"},
		{Kind: lrs.DocAgentProfile, Agent: "mbox:mailto:a@example.com", ID: "p"},
		{Kind: lrs.DocActivity, Activity: "http://example.com/a"},
	} {
		d := doc(k, strings.Repeat("x", i+1), at(i))
		d.ContentType = fmt.Sprintf("text/plain; n=%d", i)
		putDoc(t, s, d, "")
		want = append(want, d)
	}
	var got []lrs.Document
	cursor := ""
	for range 100 {
		page, err := s.ScanDocuments(t.Context(), cursor, 2)
		if err != nil {
			t.Fatalf("ScanDocuments: %v", err)
		}
		if len(page.Documents) > 2 {
			t.Fatalf("ScanDocuments(limit 2): %d documents", len(page.Documents))
		}
		got = append(got, page.Documents...)
		if cursor = page.Cursor; cursor == "" {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("scanned %d documents, want %d", len(got), len(want))
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(d lrs.Document) bool { return d.Key == w.Key })
		if i < 0 {
			t.Errorf("document %+v not scanned", w.Key)
			continue
		}
		g := got[i]
		if g.ContentType != w.ContentType || !bytes.Equal(g.Content, w.Content) || g.ETag != w.ETag || !g.Updated.Equal(w.Updated) {
			t.Errorf("scanned %+v, want %+v", g, w)
		}
	}
}

func testScanBlobs(t *testing.T, s lrs.Store) {
	var want []string
	for i := range 5 {
		content := []byte(fmt.Sprintf("blob %d", i))
		sum := sum256(content)
		if err := s.PutBlob(t.Context(), sum, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		want = append(want, sum)
	}
	slices.Sort(want)
	var got []string
	for after := ""; ; {
		sums, err := s.ScanBlobs(t.Context(), after, 2)
		if err != nil {
			t.Fatalf("ScanBlobs: %v", err)
		}
		if len(sums) > 2 {
			t.Fatalf("ScanBlobs(limit 2): %d sums", len(sums))
		}
		if len(sums) == 0 {
			break
		}
		got = append(got, sums...)
		after = sums[len(sums)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("scanned blobs %v, want %v", got, want)
	}
}

func testCount(t *testing.T, s lrs.Store) {
	count := func() lrs.Counts {
		t.Helper()
		c, err := s.Count(t.Context())
		if err != nil {
			t.Fatalf("Count: %v", err)
		}
		return c
	}
	if c := count(); c != (lrs.Counts{}) {
		t.Errorf("empty store: %+v", c)
	}
	insert(t, s, rec(1, at(1)), voiding(2, 1, at(2)), voiding(3, 9, at(3)))
	insertConflict(t, s, rec(4, at(4)), rec(1, at(4)))
	putDoc(t, s, doc(stateKey("a", ""), "x", at(1)), "")
	putDoc(t, s, doc(stateKey("b", ""), "y", at(1)), "")
	if err := s.PutBlob(t.Context(), sum256([]byte("b")), strings.NewReader("b")); err != nil {
		t.Fatal(err)
	}
	putClient(t, s, client("k1", at(1)))
	if got, want := count(), (lrs.Counts{Statements: 3, Documents: 2, Blobs: 1, Clients: 1}); got != want {
		t.Errorf("Count = %+v, want %+v", got, want)
	}
}
