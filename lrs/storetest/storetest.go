// Package storetest is the behaviour suite every lrs.Store backend must pass. It defines, by
// example, each sentence of the contracts in lrs/store.go, and assumes nothing about how a
// backend stores data.
//
// Conventions the suite relies on, beyond the contracts:
//   - Stored and Created times are whole milliseconds in UTC and are compared with time.Equal,
//     so a backend may keep millisecond precision and return any location.
//   - Keys are not compared on read: a backend may leave StatementRecord.Keys empty.
//   - Within one InsertStatements batch, records are stored in slice order.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// Run runs the behaviour suite against stores made by open; each subtest gets a fresh, empty
// store. Run closes every store it opened when its subtest ends.
func Run(t *testing.T, open func(t *testing.T) lrs.Store) {
	for _, tc := range suite() {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, s lrs.Store)
}

func suite() []testCase {
	tests := []testCase{
		{"InsertThenRead", testInsertThenRead},
		{"StatementBytesUnchanged", testStatementBytesUnchanged},
		{"StatementsLeavesOutMissingIDs", testStatementsMissingIDs},
		{"ReadsSeeWrites", testReadsSeeWrites},
		{"EmptyBatch", testEmptyBatch},
		{"Conflict/ExistingID", testConflictExistingID},
		{"Conflict/DuplicateInBatch", testConflictDuplicateInBatch},
		{"Conflict/NoVoidingWritten", testConflictNoVoidingWritten},
		{"Conflict/Concurrent", testConflictConcurrent},
		{"ConcurrentInserts", testConcurrentInserts},
		{"Voiding/UnknownTarget", testVoidingUnknownTarget},
		{"Voiding/ItselfIsNotVoided", testVoidingItself},
		{"Keys/Match", testKeysMatch},
		{"Keys/DuplicateInRecord", testKeysDuplicateInRecord},
		{"Time/SinceExclusiveUntilInclusive", testSinceUntil},
		{"Order/ByStoredNotByInsertion", testOrderByStored},
		{"Order/TiesInStoredOrder", testOrderTies},
		{"Limit", testLimit},
		{"Empty", testEmpty},
		{"Paging/ForeignCursor", testForeignCursor},
		{"Time/FarBounds", testFarBounds},
		{"Paging/InsertsBetweenPages", testPagingInsertsBetweenPages},
		{"QueriesMatchModel", testQueriesMatchModel},
		{"Clients/PutGet", testClientPutGet},
		{"Clients/Replace", testClientReplace},
		{"Clients/NotFound", testClientNotFound},
		{"Clients/ListOrder", testClientsOrder},
		{"Ping", testPing},
	}
	tests = append(tests, voidingOrderCases()...)
	tests = append(tests, voidingChainCases()...)
	tests = append(tests, documentCases()...)
	tests = append(tests, blobCases()...)
	tests = append(tests, scanCases()...)
	tests = append(tests, tallyCases()...)
	return append(tests, pagingCases()...)
}

// Helpers that build records. Record n has id(n); its statement JSON names n.

var base = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// at is a stored time: base plus sec seconds.
func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

func agent(v string) lrs.Key        { return lrs.Key{Kind: lrs.KeyAgent, Value: v} }
func relatedAgent(v string) lrs.Key { return lrs.Key{Kind: lrs.KeyRelatedAgent, Value: v} }
func verb(v string) lrs.Key         { return lrs.Key{Kind: lrs.KeyVerb, Value: v} }
func activity(v string) lrs.Key     { return lrs.Key{Kind: lrs.KeyActivity, Value: v} }
func registration(v string) lrs.Key { return lrs.Key{Kind: lrs.KeyRegistration, Value: v} }

func rec(n int, stored time.Time, keys ...lrs.Key) lrs.StatementRecord {
	return lrs.StatementRecord{
		ID:        id(n),
		Stored:    stored,
		Statement: fmt.Appendf(nil, `{"id":"%s","actor":{"mbox":"mailto:n%d@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"http://example.com/a/%d"}}`, id(n), n, n),
		Keys:      keys,
	}
}

// voiding is record n voiding record target.
func voiding(n, target int, stored time.Time, keys ...lrs.Key) lrs.StatementRecord {
	r := rec(n, stored, keys...)
	r.Voids = id(target)
	r.Statement = fmt.Appendf(nil, `{"id":"%s","verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"%s"}}`, id(n), id(target))
	return r
}

func insert(t *testing.T, s lrs.Store, recs ...lrs.StatementRecord) {
	t.Helper()
	if err := s.InsertStatements(t.Context(), recs); err != nil {
		t.Fatalf("InsertStatements(%v): %v", recordIDs(recs), err)
	}
}

func insertConflict(t *testing.T, s lrs.Store, recs ...lrs.StatementRecord) {
	t.Helper()
	err := s.InsertStatements(t.Context(), recs)
	if !errors.Is(err, lrs.ErrConflict) {
		t.Fatalf("InsertStatements(%v) = %v, want an error wrapping lrs.ErrConflict", recordIDs(recs), err)
	}
}

func statements(t *testing.T, s lrs.Store, ids ...string) []lrs.StatementRecord {
	t.Helper()
	recs, err := s.Statements(t.Context(), ids)
	if err != nil {
		t.Fatalf("Statements(%v): %v", ids, err)
	}
	return recs
}

func query(t *testing.T, s lrs.Store, q lrs.StatementQuery) lrs.StatementPage {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 1000
	}
	p, err := s.QueryStatements(t.Context(), q)
	if err != nil {
		t.Fatalf("QueryStatements(%+v): %v", q, err)
	}
	return p
}

// queryAll follows cursors from q to the last page and returns the ids in the order read.
func queryAll(t *testing.T, s lrs.Store, q lrs.StatementQuery, between func()) []string {
	t.Helper()
	var got []string
	for range 10000 {
		p := query(t, s, q)
		if len(p.Statements) > q.Limit {
			t.Fatalf("page of %d statements for Limit %d", len(p.Statements), q.Limit)
		}
		got = append(got, recordIDs(p.Statements)...)
		if p.Cursor == "" {
			return got
		}
		if len(p.Statements) == 0 {
			t.Fatalf("empty page with cursor %q; query %+v", p.Cursor, q)
		}
		q.Cursor = p.Cursor
		between()
	}
	t.Fatalf("paging %+v did not end", q)
	return nil
}

func recordIDs(recs []lrs.StatementRecord) []string {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

func ids(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = id(n)
	}
	return out
}

// wantPage checks that page holds exactly the records numbered want, in that order.
func wantPage(t *testing.T, what string, p lrs.StatementPage, want ...int) {
	t.Helper()
	if got := recordIDs(p.Statements); !slices.Equal(got, ids(want...)) {
		t.Errorf("%s: got %v, want %v", what, got, ids(want...))
	}
}

// checkRecords checks that got holds the records in want, in any order, field by field.
func checkRecords(t *testing.T, got, want []lrs.StatementRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d records %v, want %d %v", len(got), recordIDs(got), len(want), recordIDs(want))
	}
	byID := make(map[string]lrs.StatementRecord)
	for _, r := range got {
		byID[r.ID] = r
	}
	for _, w := range want {
		g, ok := byID[w.ID]
		switch {
		case !ok:
			t.Errorf("record %s missing", w.ID)
		case !g.Stored.Equal(w.Stored):
			t.Errorf("record %s: Stored %v, want %v", w.ID, g.Stored, w.Stored)
		case !bytes.Equal(g.Statement, w.Statement):
			t.Errorf("record %s: Statement %s, want %s", w.ID, g.Statement, w.Statement)
		case g.Voids != w.Voids:
			t.Errorf("record %s: Voids %q, want %q", w.ID, g.Voids, w.Voids)
		case g.Voided != w.Voided:
			t.Errorf("record %s: Voided %v, want %v", w.ID, g.Voided, w.Voided)
		}
	}
}

func voided(r lrs.StatementRecord) lrs.StatementRecord {
	r.Voided = true
	return r
}

// Reads and writes.

func testInsertThenRead(t *testing.T, s lrs.Store) {
	recs := []lrs.StatementRecord{
		rec(1, at(1), agent("mailto:a@example.com"), verb("http://example.com/v")),
		rec(2, at(2)),
		voiding(3, 9, at(3)),
	}
	insert(t, s, recs...)
	checkRecords(t, statements(t, s, id(3), id(1), id(2)), recs)
	p := query(t, s, lrs.StatementQuery{})
	checkRecords(t, p.Statements, recs)
	wantPage(t, "query", p, 3, 2, 1)
}

func testStatementBytesUnchanged(t *testing.T, s lrs.Store) {
	r := rec(1, at(1))
	r.Statement = []byte(`{"id":"` + id(1) + `","actor":{"name":"Åsa Öberg","mbox":"mailto:asa@example.se"},"verb":{"id":"http://adlnet.gov/expapi/verbs/answered","display":{"sv-SE":"besvarade"}},"object":{"id":"http://example.com/q?x=1&y=\u00e5"},"result":{"score":{"scaled":0.50}}}`)
	insert(t, s, r)
	checkRecords(t, statements(t, s, id(1)), []lrs.StatementRecord{r})
	checkRecords(t, query(t, s, lrs.StatementQuery{}).Statements, []lrs.StatementRecord{r})
}

func testStatementsMissingIDs(t *testing.T, s lrs.Store) {
	r1, r2 := rec(1, at(1)), rec(2, at(2))
	insert(t, s, r1, r2)
	checkRecords(t, statements(t, s, id(7), id(1), id(8), id(2)), []lrs.StatementRecord{r1, r2})
	checkRecords(t, statements(t, s, id(7)), nil)
	checkRecords(t, statements(t, s), nil)
}

func testReadsSeeWrites(t *testing.T, s lrs.Store) {
	k := agent("mailto:a@example.com")
	var want []int
	for n := 1; n <= 5; n++ {
		insert(t, s, rec(n, at(n), k))
		want = append([]int{n}, want...)
		checkRecords(t, statements(t, s, id(n)), []lrs.StatementRecord{rec(n, at(n))})
		wantPage(t, fmt.Sprintf("after insert %d, no keys", n), query(t, s, lrs.StatementQuery{}), want...)
		wantPage(t, fmt.Sprintf("after insert %d, by agent", n), query(t, s, lrs.StatementQuery{Keys: []lrs.Key{k}}), want...)
	}
}

func testEmptyBatch(t *testing.T, s lrs.Store) {
	insert(t, s)
	wantPage(t, "query", query(t, s, lrs.StatementQuery{}))
}

// All or nothing.

func testConflictExistingID(t *testing.T, s lrs.Store) {
	orig := rec(1, at(1), agent("mailto:a@example.com"))
	insert(t, s, orig)
	dup := rec(1, at(3), agent("mailto:c@example.com"))
	dup.Statement = []byte(`{"id":"` + id(1) + `","changed":true}`)
	insertConflict(t, s, rec(2, at(2), agent("mailto:b@example.com")), dup)

	checkRecords(t, statements(t, s, id(1), id(2)), []lrs.StatementRecord{orig})
	wantPage(t, "no keys", query(t, s, lrs.StatementQuery{}), 1)
	wantPage(t, "key of the rejected new record", query(t, s, lrs.StatementQuery{Keys: []lrs.Key{agent("mailto:b@example.com")}}))
	wantPage(t, "key of the rejected duplicate", query(t, s, lrs.StatementQuery{Keys: []lrs.Key{agent("mailto:c@example.com")}}))

	insert(t, s, rec(2, at(2), agent("mailto:b@example.com")))
	wantPage(t, "after inserting the new record alone", query(t, s, lrs.StatementQuery{}), 2, 1)
}

func testConflictDuplicateInBatch(t *testing.T, s lrs.Store) {
	insertConflict(t, s, rec(1, at(1)), rec(2, at(2)), rec(1, at(3)))
	checkRecords(t, statements(t, s, id(1), id(2)), nil)
	wantPage(t, "after rejected batch", query(t, s, lrs.StatementQuery{}))
	insert(t, s, rec(1, at(1)), rec(2, at(2)))
	wantPage(t, "after good batch", query(t, s, lrs.StatementQuery{}), 2, 1)
}

func testConflictNoVoidingWritten(t *testing.T, s lrs.Store) {
	target := rec(1, at(1), agent("mailto:a@example.com"))
	insert(t, s, target)
	insertConflict(t, s, voiding(2, 1, at(2)), rec(1, at(3)))
	checkRecords(t, statements(t, s, id(1), id(2)), []lrs.StatementRecord{target})
	wantPage(t, "target after rejected voiding", query(t, s, lrs.StatementQuery{Keys: []lrs.Key{agent("mailto:a@example.com")}}), 1)

	v := voiding(3, 4, at(3))
	insert(t, s, v)
	insertConflict(t, s, rec(4, at(4)), rec(3, at(5)))
	checkRecords(t, statements(t, s, id(3), id(4)), []lrs.StatementRecord{v})
	insert(t, s, rec(4, at(4)))
	checkRecords(t, statements(t, s, id(3), id(4)), []lrs.StatementRecord{v, voided(rec(4, at(4)))})
}

func testConflictConcurrent(t *testing.T, s lrs.Store) {
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			errs[w] = s.InsertStatements(t.Context(), []lrs.StatementRecord{rec(100+w, at(w)), rec(1, at(w))})
		})
	}
	wg.Wait()
	var won []int
	for w, err := range errs {
		switch {
		case err == nil:
			won = append(won, w)
		case !errors.Is(err, lrs.ErrConflict):
			t.Errorf("writer %d: %v, want nil or an error wrapping lrs.ErrConflict", w, err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d writers succeeded (%v), want exactly 1", len(won), won)
	}
	w := won[0]
	wantPage(t, "stored", query(t, s, lrs.StatementQuery{Ascending: true}), 100+w, 1)
}

func testConcurrentInserts(t *testing.T, s lrs.Store) {
	const writers, batches, size = 6, 5, 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var recs []lrs.StatementRecord
				for i := range size {
					recs = append(recs, rec(1+w*batches*size+b*size+i, at(b), agent("mailto:a@example.com")))
				}
				if err := s.InsertStatements(t.Context(), recs); err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
				}
			}
		})
	}
	wg.Wait()
	got := queryAll(t, s, lrs.StatementQuery{Keys: []lrs.Key{agent("mailto:a@example.com")}, Limit: 7}, func() {})
	if len(got) != writers*batches*size || len(distinct(got)) != len(got) {
		t.Errorf("read %d statements (%d distinct), want %d", len(got), len(distinct(got)), writers*batches*size)
	}
}

func distinct(ids []string) map[string]bool {
	m := make(map[string]bool)
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Voiding.

// voidingOrderCases store a target (1) and a record voiding it (2) in every order, next to an
// unrelated record (3).
func voidingOrderCases() []testCase {
	a, v := agent("mailto:a@example.com"), verb("http://example.com/did")
	target := rec(1, at(1), a, v)
	void := voiding(2, 1, at(2), a, verb("http://adlnet.gov/expapi/verbs/voided"))
	other := rec(3, at(3), a, v)
	orders := []struct {
		name    string
		batches [][]lrs.StatementRecord
	}{
		{"TargetFirst/SeparateBatches", [][]lrs.StatementRecord{{other}, {target}, {void}}},
		{"TargetFirst/SameBatch", [][]lrs.StatementRecord{{other, target, void}}},
		{"VoidingFirst/SeparateBatches", [][]lrs.StatementRecord{{void}, {other}, {target}}},
		{"VoidingFirst/SameBatch", [][]lrs.StatementRecord{{void, other, target}}},
	}
	var cases []testCase
	for _, o := range orders {
		cases = append(cases, testCase{"Voiding/" + o.name, func(t *testing.T, s lrs.Store) {
			for _, b := range o.batches {
				insert(t, s, b...)
			}
			checkRecords(t, statements(t, s, id(1), id(2), id(3)), []lrs.StatementRecord{voided(target), void, other})
			wantPage(t, "no keys", query(t, s, lrs.StatementQuery{}), 3, 2)
			wantPage(t, "ascending", query(t, s, lrs.StatementQuery{Ascending: true}), 2, 3)
			wantPage(t, "by agent", query(t, s, lrs.StatementQuery{Keys: []lrs.Key{a}}), 3, 2)
			wantPage(t, "by agent and verb", query(t, s, lrs.StatementQuery{Keys: []lrs.Key{a, v}}), 3)
			wantPage(t, "until the target", query(t, s, lrs.StatementQuery{Until: at(1)}))
		}})
	}
	return cases
}

// voidingChainCases store a target (1), a record voiding it (2) and a record voiding that
// voiding record (3) in several orders: 2 is never voided, so 1 stays voided.
func voidingChainCases() []testCase {
	target, v1, v2 := rec(1, at(1)), voiding(2, 1, at(2)), voiding(3, 2, at(3))
	orders := []struct {
		name    string
		batches [][]lrs.StatementRecord
	}{
		{"InOrder/SeparateBatches", [][]lrs.StatementRecord{{target}, {v1}, {v2}}},
		{"InOrder/SameBatch", [][]lrs.StatementRecord{{target, v1, v2}}},
		{"Reversed/SeparateBatches", [][]lrs.StatementRecord{{v2}, {v1}, {target}}},
		{"Reversed/SameBatch", [][]lrs.StatementRecord{{v2, v1, target}}},
		{"VoidingOfVoidingLast", [][]lrs.StatementRecord{{v1, target}, {v2}}},
	}
	var cases []testCase
	for _, o := range orders {
		cases = append(cases, testCase{"Voiding/VoidingRecordNeverVoided/" + o.name, func(t *testing.T, s lrs.Store) {
			for _, b := range o.batches {
				insert(t, s, b...)
			}
			checkRecords(t, statements(t, s, id(1), id(2), id(3)), []lrs.StatementRecord{voided(target), v1, v2})
			wantPage(t, "no keys", query(t, s, lrs.StatementQuery{}), 3, 2)
		}})
	}
	return cases
}

func testVoidingUnknownTarget(t *testing.T, s lrs.Store) {
	v := voiding(1, 99, at(1))
	insert(t, s, v)
	checkRecords(t, statements(t, s, id(1), id(99)), []lrs.StatementRecord{v})
	wantPage(t, "no keys", query(t, s, lrs.StatementQuery{}), 1)
}

func testVoidingItself(t *testing.T, s lrs.Store) {
	v := voiding(1, 1, at(1))
	insert(t, s, v)
	checkRecords(t, statements(t, s, id(1)), []lrs.StatementRecord{v})
	wantPage(t, "no keys", query(t, s, lrs.StatementQuery{}), 1)
}

// Keys.

func testKeysMatch(t *testing.T, s lrs.Store) {
	const a, a2, b = "mailto:a@example.com", "mailto:a@example.co", "mailto:b@example.com"
	const v1, v2, x, r = "http://example.com/v1", "http://example.com/v2", "http://example.com/x", "0b5c6ad4-1f6f-4e5b-9a0e-3f1c2d4e5f60"
	insert(t, s,
		rec(1, at(1), agent(a), relatedAgent(a), verb(v1), activity(x)),
		rec(2, at(2), agent(a), relatedAgent(a), verb(v2)),
		rec(3, at(3), agent(b), relatedAgent(b), verb(v1), activity(x)),
		rec(4, at(4), relatedAgent(a), verb(v1)),
		rec(5, at(5), agent(a2), verb(v1)),
		rec(6, at(6)),
		rec(7, at(7), agent(a), relatedAgent(a), verb(v1), activity(x), registration(r)),
	)
	cases := []struct {
		name string
		keys []lrs.Key
		want []int
	}{
		{"none", nil, []int{7, 6, 5, 4, 3, 2, 1}},
		{"agent", []lrs.Key{agent(a)}, []int{7, 2, 1}},
		{"agent is exact, not a prefix", []lrs.Key{agent(a2)}, []int{5}},
		{"related agent", []lrs.Key{relatedAgent(a)}, []int{7, 4, 2, 1}},
		{"agent and verb", []lrs.Key{agent(a), verb(v1)}, []int{7, 1}},
		{"verb and agent", []lrs.Key{verb(v1), agent(a)}, []int{7, 1}},
		{"agent, verb and activity", []lrs.Key{agent(a), verb(v1), activity(x)}, []int{7, 1}},
		{"agent, verb and registration", []lrs.Key{agent(a), verb(v1), registration(r)}, []int{7}},
		{"two agents", []lrs.Key{agent(a), agent(b)}, nil},
		{"same key twice", []lrs.Key{agent(a), agent(a)}, []int{7, 2, 1}},
		{"agent value under verb", []lrs.Key{verb(a)}, nil},
		{"verb value under activity", []lrs.Key{activity(v1)}, nil},
		{"unknown value", []lrs.Key{agent("mailto:nobody@example.com")}, nil},
		{"unknown with known", []lrs.Key{agent(a), verb("http://example.com/none")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := query(t, s, lrs.StatementQuery{Keys: c.keys})
			wantPage(t, "descending", p, c.want...)
			if p.Cursor != "" {
				t.Errorf("cursor %q on the only page", p.Cursor)
			}
			wantPage(t, "ascending", query(t, s, lrs.StatementQuery{Keys: c.keys, Ascending: true}), reversed(c.want)...)
		})
	}
}

func testKeysDuplicateInRecord(t *testing.T, s lrs.Store) {
	a := agent("mailto:a@example.com")
	insert(t, s, rec(1, at(1), a, a, relatedAgent("mailto:a@example.com")))
	wantPage(t, "by agent", query(t, s, lrs.StatementQuery{Keys: []lrs.Key{a}}), 1)
}

func reversed(s []int) []int {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}

// Time bounds and order.

func testSinceUntil(t *testing.T, s lrs.Store) {
	k := agent("mailto:a@example.com")
	for n := 1; n <= 5; n++ {
		insert(t, s, rec(n, at(n), k))
	}
	insert(t, s, rec(6, at(3)))
	cases := []struct {
		name         string
		since, until time.Time
		want         []int
	}{
		{"since", at(2), time.Time{}, []int{5, 4, 6, 3}},
		{"until", time.Time{}, at(3), []int{6, 3, 2, 1}},
		{"since and until", at(2), at(4), []int{4, 6, 3}},
		{"since equals until", at(3), at(3), nil},
		{"since after last", at(5), time.Time{}, nil},
		{"until before first", time.Time{}, at(0), nil},
		{"millisecond bounds", at(3).Add(-time.Millisecond), at(3), []int{6, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := lrs.StatementQuery{Since: c.since, Until: c.until}
			wantPage(t, "descending", query(t, s, q), c.want...)
			q.Ascending = true
			wantPage(t, "ascending", query(t, s, q), reversed(c.want)...)
			q.Keys = []lrs.Key{k}
			wantPage(t, "ascending by key", query(t, s, q), reversed(slices.DeleteFunc(slices.Clone(c.want), func(n int) bool { return n == 6 }))...)
		})
	}
}

func testOrderByStored(t *testing.T, s lrs.Store) {
	k := agent("mailto:a@example.com")
	insert(t, s, rec(1, at(3), k), rec(2, at(1), k))
	insert(t, s, rec(3, at(2), k))
	for _, keys := range [][]lrs.Key{nil, {k}} {
		wantPage(t, "descending", query(t, s, lrs.StatementQuery{Keys: keys}), 1, 3, 2)
		wantPage(t, "ascending", query(t, s, lrs.StatementQuery{Keys: keys, Ascending: true}), 2, 3, 1)
	}
}

func testOrderTies(t *testing.T, s lrs.Store) {
	k := agent("mailto:a@example.com")
	insert(t, s, rec(1, at(1), k))
	insert(t, s, rec(2, at(2), k), rec(3, at(2), k))
	insert(t, s, rec(4, at(2), k))
	insert(t, s, rec(5, at(3), k))
	insert(t, s, rec(6, at(2), k), rec(7, at(3), k))
	for _, keys := range [][]lrs.Key{nil, {k}} {
		wantPage(t, "ascending", query(t, s, lrs.StatementQuery{Keys: keys, Ascending: true}), 1, 2, 3, 4, 6, 5, 7)
		wantPage(t, "descending", query(t, s, lrs.StatementQuery{Keys: keys}), 7, 5, 6, 4, 3, 2, 1)
		got := queryAll(t, s, lrs.StatementQuery{Keys: keys, Limit: 2}, func() {})
		if want := ids(7, 5, 6, 4, 3, 2, 1); !slices.Equal(got, want) {
			t.Errorf("paging by 2 through ties: got %v, want %v", got, want)
		}
	}
}

// Limit, empty results and paging.

func testLimit(t *testing.T, s lrs.Store) {
	for n := 1; n <= 5; n++ {
		insert(t, s, rec(n, at(n)))
	}
	cases := []struct {
		limit      int
		want       []int
		wantCursor bool
	}{
		{1, []int{5}, true},
		{2, []int{5, 4}, true},
		{4, []int{5, 4, 3, 2}, true},
		{5, []int{5, 4, 3, 2, 1}, false},
		{6, []int{5, 4, 3, 2, 1}, false},
	}
	for _, c := range cases {
		p := query(t, s, lrs.StatementQuery{Limit: c.limit})
		wantPage(t, fmt.Sprintf("limit %d", c.limit), p, c.want...)
		if (p.Cursor != "") != c.wantCursor {
			t.Errorf("limit %d: cursor %q, want a cursor: %v", c.limit, p.Cursor, c.wantCursor)
		}
	}
}

// Bounds far in the past or future (year 1600, year 9999) are bounds, whatever a backend's time
// representation holds.
func testFarBounds(t *testing.T, s lrs.Store) {
	insert(t, s, rec(1, at(1)), rec(2, at(2)))
	far := []lrs.StatementQuery{
		{Limit: 10, Since: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Limit: 10, Until: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{Limit: 10, Since: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Ascending: true},
	}
	for _, q := range far {
		if p := query(t, s, q); len(p.Statements) != 2 {
			t.Errorf("%+v: %d statements, want 2", q, len(p.Statements))
		}
	}
	if p := query(t, s, lrs.StatementQuery{Limit: 10, Since: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}); len(p.Statements) != 0 {
		t.Errorf("since 9999: %d statements, want 0", len(p.Statements))
	}
}

func testForeignCursor(t *testing.T, s lrs.Store) {
	insert(t, s, rec(1, at(1)))
	for _, c := range []string{"garbage", "!!", "AAAA"} {
		_, err := s.QueryStatements(context.Background(), lrs.StatementQuery{Limit: 1, Cursor: c})
		if !errors.Is(err, lrs.ErrBadRequest) {
			t.Errorf("cursor %q: error %v, want one wrapping lrs.ErrBadRequest", c, err)
		}
	}
}

func testEmpty(t *testing.T, s lrs.Store) {
	queries := []lrs.StatementQuery{
		{},
		{Ascending: true},
		{Keys: []lrs.Key{agent("mailto:a@example.com")}},
		{Since: at(1), Until: at(2)},
	}
	for _, q := range queries {
		p := query(t, s, q)
		if len(p.Statements) != 0 || p.Cursor != "" {
			t.Errorf("empty store, query %+v: %d statements, cursor %q", q, len(p.Statements), p.Cursor)
		}
	}
	insert(t, s, rec(1, at(1)))
	for _, q := range queries[2:] {
		p := query(t, s, q)
		if len(p.Statements) != 0 || p.Cursor != "" {
			t.Errorf("query %+v matching nothing: %d statements, cursor %q", q, len(p.Statements), p.Cursor)
		}
	}
}

// pagingCases page through a mixed data set with several queries, orders and limits and
// compare every result with the model.
func pagingCases() []testCase {
	a, v := agent("mailto:a@example.com"), verb("http://example.com/v")
	queries := []struct {
		name string
		q    lrs.StatementQuery
	}{
		{"NoKeys", lrs.StatementQuery{}},
		{"Agent", lrs.StatementQuery{Keys: []lrs.Key{a}}},
		{"AgentVerb", lrs.StatementQuery{Keys: []lrs.Key{a, v}}},
		{"AgentSinceUntil", lrs.StatementQuery{Keys: []lrs.Key{a}, Since: at(3), Until: at(12)}},
	}
	var cases []testCase
	for _, qc := range queries {
		for _, asc := range []bool{false, true} {
			for _, limit := range []int{1, 3, 7, 100} {
				q := qc.q
				q.Ascending, q.Limit = asc, limit
				name := fmt.Sprintf("Paging/%s/Ascending=%v/Limit=%d", qc.name, asc, limit)
				cases = append(cases, testCase{name, func(t *testing.T, s lrs.Store) {
					m := pagingData(t, s, a, v)
					got := queryAll(t, s, q, func() {})
					if want := m.query(q); !slices.Equal(got, want) {
						t.Errorf("got  %v\nwant %v", got, want)
					}
				}})
			}
		}
	}
	return cases
}

// pagingData stores 40 records in batches of 4, with stored-time ties, stored times out of
// storage order, records voided before and after their voiding record and one voided twice,
// and returns the model of the store.
func pagingData(t *testing.T, s lrs.Store, a, v lrs.Key) *model {
	var m model
	var batch []lrs.StatementRecord
	for n := 1; n <= 40; n++ {
		keys := []lrs.Key{agent(fmt.Sprintf("mailto:%d@example.com", n%3))}
		if n%2 == 0 {
			keys[0] = a
		}
		if n%3 == 0 {
			keys = append(keys, v)
		}
		r := rec(n, at(n/3+n%5), keys...)
		if n%7 == 0 {
			target := n - 5
			if n%2 == 0 {
				target = n + 2
			}
			r = voiding(n, target, at(n/3), a)
		}
		batch = append(batch, r)
		if n%4 == 0 {
			insert(t, s, batch...)
			m.add(batch...)
			batch = nil
		}
	}
	return &m
}

func testPagingInsertsBetweenPages(t *testing.T, s lrs.Store) {
	a := agent("mailto:a@example.com")
	for n := 1; n <= 20; n++ {
		insert(t, s, rec(n, at(n/2), a))
	}
	next := 100
	between := func() {
		for _, stored := range []time.Time{at(0), at(5), at(30)} {
			next++
			insert(t, s, rec(next, stored, a))
		}
	}
	for _, asc := range []bool{false, true} {
		before := distinct(queryAll(t, s, lrs.StatementQuery{Keys: []lrs.Key{a}, Limit: 1000}, func() {}))
		got := queryAll(t, s, lrs.StatementQuery{Keys: []lrs.Key{a}, Ascending: asc, Limit: 3}, between)
		seen := make(map[string]bool)
		for _, id := range got {
			if seen[id] {
				t.Errorf("ascending %v: %s read twice", asc, id)
			}
			seen[id] = true
		}
		for id := range before {
			if !seen[id] {
				t.Errorf("ascending %v: %s, stored before paging began, was skipped", asc, id)
			}
		}
	}
}

// testQueriesMatchModel stores random records and compares random queries with the model.
func testQueriesMatchModel(t *testing.T, s lrs.Store) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(kind func(string) lrs.Key, prefix string, n int) lrs.Key {
		return kind(fmt.Sprintf("%s%d", prefix, rng.IntN(n)))
	}
	keysFor := func() []lrs.Key {
		return []lrs.Key{pick(agent, "mailto:", 6), pick(verb, "http://v/", 3), pick(activity, "http://a/", 4)}
	}
	var m model
	for n := 1; n <= 200; {
		var batch []lrs.StatementRecord
		for range 1 + rng.IntN(8) {
			r := rec(n, at(rng.IntN(60)), keysFor()...)
			if rng.IntN(10) == 0 {
				r = voiding(n, 1+rng.IntN(n+20), at(rng.IntN(60)), keysFor()...)
			}
			batch = append(batch, r)
			n++
		}
		insert(t, s, batch...)
		m.add(batch...)
	}
	for i := range 60 {
		keys := keysFor()[:rng.IntN(4)]
		q := lrs.StatementQuery{Keys: keys, Ascending: rng.IntN(2) == 0, Limit: 1 + rng.IntN(30)}
		if rng.IntN(2) == 0 {
			q.Since = at(rng.IntN(60))
		}
		if rng.IntN(2) == 0 {
			q.Until = at(rng.IntN(60))
		}
		if got, want := queryAll(t, s, q, func() {}), m.query(q); !slices.Equal(got, want) {
			t.Errorf("query %d %+v:\ngot  %v\nwant %v", i, q, got, want)
		}
	}
}

// model is the reference implementation of the query contract: records in storage order.
type model struct{ recs []lrs.StatementRecord }

func (m *model) add(recs ...lrs.StatementRecord) { m.recs = append(m.recs, recs...) }

func (m *model) voided(r lrs.StatementRecord) bool {
	if r.Voids != "" {
		return false
	}
	return slices.ContainsFunc(m.recs, func(o lrs.StatementRecord) bool { return o.Voids == r.ID })
}

func (m *model) matches(r lrs.StatementRecord, q lrs.StatementQuery) bool {
	for _, k := range q.Keys {
		if !slices.Contains(r.Keys, k) {
			return false
		}
	}
	return !m.voided(r) &&
		(q.Since.IsZero() || r.Stored.After(q.Since)) &&
		(q.Until.IsZero() || !r.Stored.After(q.Until))
}

// query returns the ids of every record matching q in result order, ignoring Limit and Cursor.
func (m *model) query(q lrs.StatementQuery) []string {
	var out []lrs.StatementRecord
	for _, r := range m.recs {
		if m.matches(r, q) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(x, y lrs.StatementRecord) int { return x.Stored.Compare(y.Stored) })
	if !q.Ascending {
		slices.Reverse(out)
	}
	return recordIDs(out)
}

// Clients.

func client(key string, created time.Time, scopes ...lrs.Scope) lrs.Client {
	return lrs.Client{Key: key, SecretHash: "hash-of-" + key, Name: "Client " + key, Scopes: scopes, Created: created}
}

func getClient(t *testing.T, s lrs.Store, key string) lrs.Client {
	t.Helper()
	c, err := s.Client(t.Context(), key)
	if err != nil {
		t.Fatalf("Client(%q): %v", key, err)
	}
	return c
}

func putClient(t *testing.T, s lrs.Store, c lrs.Client) {
	t.Helper()
	if err := s.PutClient(t.Context(), c); err != nil {
		t.Fatalf("PutClient(%q): %v", c.Key, err)
	}
}

func checkClient(t *testing.T, got, want lrs.Client) {
	t.Helper()
	if got.Key != want.Key || got.SecretHash != want.SecretHash || got.Name != want.Name ||
		!slices.Equal(got.Scopes, want.Scopes) || !got.Created.Equal(want.Created) || got.Revoked != want.Revoked ||
		got.Org != want.Org {
		t.Errorf("client\ngot  %+v\nwant %+v", got, want)
	}
}

func testClientPutGet(t *testing.T, s lrs.Store) {
	c1 := client("k1", at(1), lrs.ScopeStatementsWrite, lrs.ScopeStatementsReadMine)
	c2 := client("k2", at(2))
	c2.Revoked, c2.Org = true, "0180"
	putClient(t, s, c1)
	putClient(t, s, c2)
	checkClient(t, getClient(t, s, "k1"), c1)
	checkClient(t, getClient(t, s, "k2"), c2)
}

func testClientReplace(t *testing.T, s lrs.Store) {
	putClient(t, s, client("k1", at(1), lrs.ScopeAll))
	c := client("k1", at(5), lrs.ScopeStatementsRead, lrs.ScopeState)
	c.SecretHash, c.Name, c.Revoked, c.Org = "new-hash", "Renamed", true, "national"
	putClient(t, s, c)
	checkClient(t, getClient(t, s, "k1"), c)
	list, err := s.Clients(t.Context())
	if err != nil {
		t.Fatalf("Clients: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("Clients: %d clients, want 1", len(list))
	}
	checkClient(t, list[0], c)
}

func testClientNotFound(t *testing.T, s lrs.Store) {
	if _, err := s.Client(t.Context(), "nobody"); !errors.Is(err, lrs.ErrNotFound) {
		t.Errorf("Client on empty store: %v, want an error wrapping lrs.ErrNotFound", err)
	}
	putClient(t, s, client("k1", at(1)))
	if _, err := s.Client(t.Context(), "k2"); !errors.Is(err, lrs.ErrNotFound) {
		t.Errorf("Client(k2): %v, want an error wrapping lrs.ErrNotFound", err)
	}
}

func testClientsOrder(t *testing.T, s lrs.Store) {
	list, err := s.Clients(t.Context())
	if err != nil || len(list) != 0 {
		t.Fatalf("Clients on empty store: %d clients, %v", len(list), err)
	}
	want := []lrs.Client{client("k2", at(1)), client("k1", at(2)), client("k3", at(2), lrs.ScopeAllRead), client("k0", at(3))}
	want[3].Revoked = true
	for _, i := range []int{3, 2, 0, 1} {
		putClient(t, s, want[i])
	}
	list, err = s.Clients(t.Context())
	if err != nil {
		t.Fatalf("Clients: %v", err)
	}
	if len(list) != len(want) {
		t.Fatalf("Clients: %d clients, want %d", len(list), len(want))
	}
	for i := range want {
		checkClient(t, list[i], want[i])
	}
}

func testPing(t *testing.T, s lrs.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
