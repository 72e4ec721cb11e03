package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
)

func tallyCases() []testCase {
	return []testCase{
		{"Records/CreateAndRead", testRecordsCreateRead},
		{"Records/CompareAndSwap", testRecordsSwap},
		{"Records/StaleWriteAppliesNoDeltas", testRecordsStaleNoDeltas},
		{"Records/RepeatedKeyRefused", testRecordsRepeatedKey},
		{"Records/ConcurrentSwaps", testRecordsConcurrent},
		{"Records/Scan", testRecordsScan},
		{"Counters/Sums", testCountersSums},
		{"Counters/FiltersMatchModel", testCountersFilters},
		{"Tallies/Reset", testTalliesReset},
	}
}

func record(kind, key, data string) lrs.Record {
	return lrs.Record{Kind: kind, Key: key, Data: []byte(data)}
}

func ckey(series string, dims ...string) lrs.CounterKey {
	k := lrs.CounterKey{Series: series}
	copy(k.Dims[:], dims)
	return k
}

func writeRecords(t *testing.T, s lrs.Store, ws ...lrs.RecordWrite) []bool {
	t.Helper()
	ok, err := s.WriteRecords(t.Context(), ws)
	if err != nil {
		t.Fatalf("WriteRecords: %v", err)
	}
	if len(ok) != len(ws) {
		t.Fatalf("WriteRecords: %d results for %d writes", len(ok), len(ws))
	}
	return ok
}

func readRecords(t *testing.T, s lrs.Store, kind string, keys ...string) map[string]lrs.Record {
	t.Helper()
	recs, err := s.Records(t.Context(), kind, keys)
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	out := make(map[string]lrs.Record, len(recs))
	for _, r := range recs {
		if r.Kind != kind {
			t.Errorf("Records(%s): a record of kind %q", kind, r.Kind)
		}
		out[r.Key] = r
	}
	return out
}

// counters returns the non-zero counters f selects.
func counters(t *testing.T, s lrs.Store, f lrs.CounterFilter) map[lrs.CounterKey]int64 {
	t.Helper()
	list, err := s.Counters(t.Context(), f)
	if err != nil {
		t.Fatalf("Counters: %v", err)
	}
	out := make(map[lrs.CounterKey]int64, len(list))
	for _, c := range list {
		if _, dup := out[c.Key]; dup {
			t.Errorf("Counters: %v listed twice", c.Key)
		}
		if c.Value != 0 {
			out[c.Key] = c.Value
		}
	}
	return out
}

func wantCounters(t *testing.T, what string, got, want map[lrs.CounterKey]int64) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: counter %v = %d, want %d", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected counter %v = %d", what, k, v)
		}
	}
}

func testRecordsCreateRead(t *testing.T, s lrs.Store) {
	ok := writeRecords(t, s,
		lrs.RecordWrite{Record: record("a", "k1", `{"x":1}`)},
		lrs.RecordWrite{Record: record("a", "k2", "\x00binary\xff")},
		lrs.RecordWrite{Record: record("b", "k1", `other kind`)},
		lrs.RecordWrite{Record: lrs.Record{Kind: "b", Key: "nil data"}})
	if !slices.Equal(ok, []bool{true, true, true, true}) {
		t.Fatalf("create: written %v, want all", ok)
	}
	got := readRecords(t, s, "a", "k1", "k2", "missing")
	if len(got) != 2 || string(got["k1"].Data) != `{"x":1}` || string(got["k2"].Data) != "\x00binary\xff" {
		t.Errorf("Records(a) = %+v", got)
	}
	for _, r := range got {
		if r.Version != 1 {
			t.Errorf("record %s: version %d after creation, want 1", r.Key, r.Version)
		}
	}
	if b := readRecords(t, s, "b", "k1", "k2", "nil data"); len(b) != 2 || string(b["k1"].Data) != "other kind" || len(b["nil data"].Data) != 0 {
		t.Errorf("Records(b) = %+v, want k1 and an empty record of kind b", b)
	}
	if none := readRecords(t, s, "a"); len(none) != 0 {
		t.Errorf("Records with no keys = %+v", none)
	}
}

func testRecordsSwap(t *testing.T, s lrs.Store) {
	writeRecords(t, s, lrs.RecordWrite{Record: record("a", "k", "v1")})
	cases := []struct {
		name    string
		prev    int64
		written bool
		data    string // stored afterwards
		version int64
	}{
		{"create over existing", 0, false, "v1", 1},
		{"wrong version", 2, false, "v1", 1},
		{"right version", 1, true, "v2", 2},
		{"old version again", 1, false, "v2", 2},
		{"next version", 2, true, "v3", 3},
	}
	for _, c := range cases {
		ok := writeRecords(t, s, lrs.RecordWrite{Record: record("a", "k", fmt.Sprintf("v%d", c.prev+1)), Prev: c.prev})
		r := readRecords(t, s, "a", "k")["k"]
		if ok[0] != c.written || string(r.Data) != c.data || r.Version != c.version {
			t.Errorf("%s: written %v, stored %q version %d; want %v, %q, %d", c.name, ok[0], r.Data, r.Version, c.written, c.data, c.version)
		}
	}
}

func testRecordsStaleNoDeltas(t *testing.T, s lrs.Store) {
	c := ckey("n", "x")
	writeRecords(t, s, lrs.RecordWrite{Record: record("a", "k1", "1"), Deltas: []lrs.CounterDelta{{Key: c, N: 1}}})
	ok := writeRecords(t, s,
		lrs.RecordWrite{Record: record("a", "k1", "stale"), Prev: 0, Deltas: []lrs.CounterDelta{{Key: c, N: 100}}},
		lrs.RecordWrite{Record: record("a", "k2", "new"), Prev: 0, Deltas: []lrs.CounterDelta{{Key: c, N: 10}}})
	if !slices.Equal(ok, []bool{false, true}) {
		t.Errorf("written %v, want [false true]: a stale write does not stop the others", ok)
	}
	wantCounters(t, "after a stale write", counters(t, s, lrs.CounterFilter{}), map[lrs.CounterKey]int64{c: 11})
}

func testRecordsRepeatedKey(t *testing.T, s lrs.Store) {
	c := ckey("n")
	_, err := s.WriteRecords(t.Context(), []lrs.RecordWrite{
		{Record: record("a", "k", "1"), Deltas: []lrs.CounterDelta{{Key: c, N: 1}}},
		{Record: record("a", "k", "2"), Deltas: []lrs.CounterDelta{{Key: c, N: 1}}},
	})
	if !errors.Is(err, lrs.ErrBadRequest) {
		t.Errorf("WriteRecords with a key twice: %v, want an error wrapping lrs.ErrBadRequest", err)
	}
	if got := readRecords(t, s, "a", "k"); len(got) != 0 {
		t.Errorf("a refused batch wrote %+v", got)
	}
	wantCounters(t, "after a refused batch", counters(t, s, lrs.CounterFilter{}), nil)
}

// testRecordsConcurrent has writers race to bump one shared record, each write adding 1 to a
// counter: the counter must end at the number of writes that won, which is the last version.
func testRecordsConcurrent(t *testing.T, s lrs.Store) {
	const writers, rounds = 4, 15
	c := ckey("bumps")
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				for {
					cur := readRecords(t, s, "a", "shared")["shared"]
					ok, err := s.WriteRecords(t.Context(), []lrs.RecordWrite{{
						Record: record("a", "shared", fmt.Sprintf("w%d r%d", w, r)),
						Prev:   cur.Version,
						Deltas: []lrs.CounterDelta{{Key: c, N: 1}},
					}})
					if err != nil {
						t.Errorf("WriteRecords: %v", err)
						return
					}
					if ok[0] {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	r := readRecords(t, s, "a", "shared")["shared"]
	if r.Version != writers*rounds {
		t.Errorf("version %d after %d successful swaps", r.Version, writers*rounds)
	}
	wantCounters(t, "after concurrent swaps", counters(t, s, lrs.CounterFilter{}), map[lrs.CounterKey]int64{c: writers * rounds})
}

func testRecordsScan(t *testing.T, s lrs.Store) {
	var want []string
	var ws []lrs.RecordWrite
	for i := range 25 {
		k := fmt.Sprintf("key-%02d", i)
		want = append(want, k)
		ws = append(ws, lrs.RecordWrite{Record: record("a", k, k)})
	}
	ws = append(ws, lrs.RecordWrite{Record: record("b", "key-00x", "other kind")})
	writeRecords(t, s, ws...)
	var got []string
	for after := ""; ; {
		page, err := s.ScanRecords(t.Context(), "a", after, 10)
		if err != nil {
			t.Fatalf("ScanRecords: %v", err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 10 {
			t.Fatalf("ScanRecords limit 10 returned %d", len(page))
		}
		for _, r := range page {
			if string(r.Data) != r.Key || r.Kind != "a" || r.Version != 1 {
				t.Errorf("scanned %+v", r)
			}
			got = append(got, r.Key)
		}
		after = page[len(page)-1].Key
	}
	if !slices.Equal(got, want) {
		t.Errorf("scanned keys %v, want %v", got, want)
	}
}

func testCountersSums(t *testing.T, s lrs.Store) {
	a, b, z := ckey("s", "1"), ckey("s", "2"), ckey("s", "3")
	writeRecords(t, s, lrs.RecordWrite{Record: record("r", "1", ""), Deltas: []lrs.CounterDelta{{Key: a, N: 2}, {Key: b, N: 1}, {Key: a, N: 1}, {Key: z, N: 4}}})
	writeRecords(t, s, lrs.RecordWrite{Record: record("r", "1", ""), Prev: 1, Deltas: []lrs.CounterDelta{{Key: b, N: -3}, {Key: z, N: -4}}})
	wantCounters(t, "sums", counters(t, s, lrs.CounterFilter{}), map[lrs.CounterKey]int64{a: 3, b: -2})
}

// testCountersFilters checks random filters against a model of the counters.
func testCountersFilters(t *testing.T, s lrs.Store) {
	rng := rand.New(rand.NewPCG(7, 11))
	vals := []string{"", "a", "b", "2025-01", "2025-02", "2025-11", "åäö"}
	model := map[lrs.CounterKey]int64{}
	var ws []lrs.RecordWrite
	for i := range 40 {
		var deltas []lrs.CounterDelta
		for range 10 {
			k := lrs.CounterKey{Series: []string{"x", "y", "z"}[rng.IntN(3)]}
			for d := range k.Dims {
				k.Dims[d] = vals[rng.IntN(len(vals))]
			}
			n := int64(rng.IntN(5) + 1)
			model[k] += n
			deltas = append(deltas, lrs.CounterDelta{Key: k, N: n})
		}
		ws = append(ws, lrs.RecordWrite{Record: record("r", strconv.Itoa(i), ""), Deltas: deltas})
	}
	writeRecords(t, s, ws...)
	pick := func() []string {
		var out []string
		for _, v := range vals {
			if rng.IntN(2) == 0 {
				out = append(out, v)
			}
		}
		return append([]string{}, out...) // not nil: an empty list selects nothing
	}
	for i := range 60 {
		var f lrs.CounterFilter
		if rng.IntN(2) == 0 {
			f.Series = []string{"x", "z"}[:1+rng.IntN(2)]
		}
		for d := range f.Dims {
			switch rng.IntN(4) {
			case 1:
				f.Dims[d].In = pick()
			case 2:
				f.Dims[d].From = vals[rng.IntN(len(vals))]
			case 3:
				f.Dims[d].From, f.Dims[d].To = "2025-01", "2025-02"
			}
		}
		want := map[lrs.CounterKey]int64{}
		for k, n := range model {
			if matches(f, k) {
				want[k] = n
			}
		}
		wantCounters(t, fmt.Sprintf("filter %d %+v", i, f), counters(t, s, f), want)
	}
}

func matches(f lrs.CounterFilter, k lrs.CounterKey) bool {
	if f.Series != nil && !slices.Contains(f.Series, k.Series) {
		return false
	}
	for d, df := range f.Dims {
		v := k.Dims[d]
		if df.In != nil && !slices.Contains(df.In, v) || df.From != "" && v < df.From || df.To != "" && v > df.To {
			return false
		}
	}
	return true
}

func testTalliesReset(t *testing.T, s lrs.Store) {
	writeRecords(t, s,
		lrs.RecordWrite{Record: record("learner", "1", ""), Deltas: []lrs.CounterDelta{{Key: ckey("n"), N: 1}}},
		lrs.RecordWrite{Record: record("directory", "1", "kept")})
	if err := s.ResetTallies(t.Context(), "learner"); err != nil {
		t.Fatalf("ResetTallies: %v", err)
	}
	if got := readRecords(t, s, "learner", "1"); len(got) != 0 {
		t.Errorf("a record of the reset kind survived: %+v", got)
	}
	if got := readRecords(t, s, "directory", "1"); len(got) != 1 {
		t.Errorf("a record of another kind was deleted")
	}
	wantCounters(t, "after reset", counters(t, s, lrs.CounterFilter{}), nil)
	if err := s.SettleRecords(t.Context()); err != nil {
		t.Errorf("SettleRecords: %v", err)
	}
	// A reset kind starts again at version 1.
	if ok := writeRecords(t, s, lrs.RecordWrite{Record: record("learner", "1", "")}); !ok[0] {
		t.Errorf("creating a record after the reset failed")
	}
}
