package mongo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/yrkesresan/lrs/lrs"
)

// Records and counters (lrs.TallyStore), without transactions: an outbox on each record.
//
// A record write is one conditional update (or, for a new record, an insert against the unique
// index on kind and key) that stores the new data and version together with pending: a fresh
// write id and the write's counter deltas. Then the deltas are applied, each counter at most once
// per write id: the update of a counter requires that its applied list lacks the id and pushes
// it. Then pending is cleared. A write that stops half-way leaves pending on its record; whoever
// next meets it (Records, a later write, SettleRecords) applies it the same way, so the deltas
// count once whoever gets there. A record with pending is never overwritten: the write settles it
// first.
//
// The id stays in the applied lists after pending is cleared: a settler that read the record
// before the clear may still be about to apply it, and only the id in applied stops it. The
// sweep drops ids from applied lists (pruneApplied) once they are older than appliedKeep and its
// passes have found no record pending with them for retireAfter: the clear then happened at least
// retireAfter before, longer than a settler takes from reading a record to updating a counter.
//
// Collections: records {kind, key, version, data, pending}, unique on (kind, key); counters
// {series, d0…d4, value, applied}, unique on (series, d0…d4), which also serves the filters on
// the leading dimensions.

// recordDoc is a document of the records collection.
type recordDoc struct {
	ID      bson.ObjectID `bson:"_id,omitempty"`
	Kind    string        `bson:"kind"`
	Key     string        `bson:"key"`
	Version int64         `bson:"version"`
	Data    []byte        `bson:"data"`
	Pending *outbox       `bson:"pending,omitempty"`
}

// outbox is a record write's counter deltas until they are applied.
type outbox struct {
	ID     bson.ObjectID `bson:"id"`
	Deltas []deltaDoc    `bson:"deltas"`
}

type deltaDoc struct {
	Series string                  `bson:"series"`
	Dims   [lrs.CounterDims]string `bson:"dims"`
	N      int64                   `bson:"n"`
}

// counterDoc is a document of the counters collection.
type counterDoc struct {
	Series string `bson:"series"`
	D0     string `bson:"d0"`
	D1     string `bson:"d1"`
	D2     string `bson:"d2"`
	D3     string `bson:"d3"`
	D4     string `bson:"d4"`
	Value  int64  `bson:"value"`
}

// dimField is the field of counter dimension i.
func dimField(i int) string { return "d" + strconv.Itoa(i) }

// counterFilter selects the counter with the key.
func counterFilter(series string, dims [lrs.CounterDims]string) bson.D {
	f := bson.D{{Key: "series", Value: series}}
	for i, d := range dims {
		f = append(f, bson.E{Key: dimField(i), Value: d})
	}
	return f
}

var pendingExists = bson.E{Key: "pending", Value: bson.D{{Key: "$exists", Value: true}}}

// Records implements lrs.TallyStore, settling any record it returns that has pending deltas.
func (s *Store) Records(ctx context.Context, kind string, keys []string) ([]lrs.Record, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	recs, err := s.findRecords(ctx, bson.D{{Key: "kind", Value: kind}, {Key: "key", Value: bson.D{{Key: "$in", Value: keys}}}}, nil)
	if err != nil {
		return nil, wrap("records", err)
	}
	for _, r := range recs {
		if r.Pending != nil {
			if err := s.settleRecord(ctx, r); err != nil {
				return nil, wrap("records", err)
			}
		}
	}
	return records(recs), nil
}

// ScanRecords implements lrs.TallyStore.
func (s *Store) ScanRecords(ctx context.Context, kind, after string, limit int) ([]lrs.Record, error) {
	recs, err := s.findRecords(ctx, bson.D{{Key: "kind", Value: kind}, {Key: "key", Value: bson.D{{Key: "$gt", Value: after}}}},
		options.Find().SetSort(bson.D{{Key: "kind", Value: 1}, {Key: "key", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, wrap("scan records", err)
	}
	return records(recs), nil
}

func (s *Store) findRecords(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]recordDoc, error) {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := s.records.Find(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	var recs []recordDoc
	err = cur.All(ctx, &recs)
	return recs, err
}

func records(docs []recordDoc) []lrs.Record {
	out := make([]lrs.Record, len(docs))
	for i, d := range docs {
		out[i] = lrs.Record{Kind: d.Kind, Key: d.Key, Data: d.Data, Version: d.Version}
	}
	return out
}

// WriteRecords implements lrs.TallyStore: each write on its own, as described above.
func (s *Store) WriteRecords(ctx context.Context, ws []lrs.RecordWrite) ([]bool, error) {
	type id struct{ kind, key string }
	seen := make(map[id]bool, len(ws))
	for _, w := range ws {
		k := id{w.Record.Kind, w.Record.Key}
		if seen[k] {
			return nil, fmt.Errorf("mongo: write records: %w: record %s %q written twice", lrs.ErrBadRequest, k.kind, k.key)
		}
		seen[k] = true
	}
	written := make([]bool, len(ws))
	for i, w := range ws {
		var err error
		if written[i], err = s.writeRecord(ctx, w); err != nil {
			return nil, wrap("write records", err)
		}
	}
	return written, nil
}

// writeRecord performs one write and applies its deltas; it reports whether the record had
// version w.Prev and so was written.
func (s *Store) writeRecord(ctx context.Context, w lrs.RecordWrite) (bool, error) {
	doc := recordDoc{Kind: w.Record.Kind, Key: w.Record.Key, Version: w.Prev + 1, Data: w.Record.Data}
	if len(w.Deltas) > 0 {
		doc.Pending = &outbox{ID: bson.NewObjectID()}
		for _, d := range w.Deltas {
			doc.Pending.Deltas = append(doc.Pending.Deltas, deltaDoc{Series: d.Key.Series, Dims: d.Key.Dims, N: d.N})
		}
	}
	ok, err := s.putRecord(ctx, w.Prev, doc)
	if err != nil || !ok || doc.Pending == nil {
		return ok, err
	}
	// Written, with the outbox on the record: settle it now. A concurrent reader or writer may
	// be doing the same, which is harmless.
	return true, s.settleRecord(ctx, doc)
}

// putRecord stores doc if the record has version prev (none stored for 0) and no pending
// deltas. A record that has them is settled first.
func (s *Store) putRecord(ctx context.Context, prev int64, doc recordDoc) (bool, error) {
	for {
		if prev == 0 {
			_, err := s.records.InsertOne(ctx, doc)
			if mongo.IsDuplicateKeyError(err) {
				return false, nil
			}
			return err == nil, err
		}
		set := bson.D{{Key: "version", Value: doc.Version}, {Key: "data", Value: doc.Data}}
		if doc.Pending != nil {
			set = append(set, bson.E{Key: "pending", Value: doc.Pending})
		}
		res, err := s.records.UpdateOne(ctx,
			bson.D{{Key: "kind", Value: doc.Kind}, {Key: "key", Value: doc.Key}, {Key: "version", Value: prev},
				{Key: "pending", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "$set", Value: set}})
		if err != nil || res.MatchedCount == 1 {
			return err == nil, err
		}
		// Another version, or this one with pending deltas: settle those and try again.
		var cur recordDoc
		err = s.records.FindOne(ctx, bson.D{{Key: "kind", Value: doc.Kind}, {Key: "key", Value: doc.Key}}).Decode(&cur)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			return false, nil
		case err != nil:
			return false, err
		case cur.Version != prev || cur.Pending == nil:
			return false, nil
		}
		if err := s.settleRecord(ctx, cur); err != nil {
			return false, err
		}
	}
}

// settleRecord applies the pending deltas of r, each counter once per write id, and clears them
// from the record. The write id stays in the counters' applied lists (see above).
func (s *Store) settleRecord(ctx context.Context, r recordDoc) error {
	sums := make(map[lrs.CounterKey]int64)
	var order []lrs.CounterKey
	for _, d := range r.Pending.Deltas {
		k := lrs.CounterKey{Series: d.Series, Dims: d.Dims}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += d.N
	}
	wid := r.Pending.ID
	for _, k := range order {
		if n := sums[k]; n != 0 {
			if err := s.applyOnce(ctx, k, n, wid); err != nil {
				return fmt.Errorf("apply deltas of record %s %q: %w", r.Kind, r.Key, err)
			}
		}
	}
	if _, err := s.records.UpdateOne(ctx, bson.D{{Key: "kind", Value: r.Kind}, {Key: "key", Value: r.Key}, {Key: "pending.id", Value: wid}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}}}}); err != nil {
		return fmt.Errorf("clear deltas of record %s %q: %w", r.Kind, r.Key, err)
	}
	return nil
}

const (
	// appliedKeep is how old a write id must be before the sweep considers dropping it from the
	// counters' applied lists: writes in progress are left out of its reckoning.
	appliedKeep = 10 * time.Minute
	// retireAfter is how long the sweep must have found an old write id pending on no record
	// before it drops the id (see the comment at the top).
	retireAfter = 5 * time.Minute
)

// pruneApplied drops from the counters' applied lists the write ids older than appliedKeep that
// the sweep has found pending on no record for retireAfter. Counters are few (not sharded), so
// reading those with old ids without an index is cheap.
func (s *Store) pruneApplied(ctx context.Context) error {
	cutoff := bson.NewObjectIDFromTimestamp(time.Now().Add(-appliedKeep))
	older := bson.D{{Key: "$lt", Value: cutoff}}
	old := make(map[bson.ObjectID]bool)
	cur, err := s.counters.Find(ctx, bson.D{{Key: "applied", Value: older}}, options.Find().SetProjection(bson.D{{Key: "applied", Value: 1}}))
	if err != nil {
		return wrap("find applied writes", err)
	}
	var docs []struct {
		Applied []bson.ObjectID `bson:"applied"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return wrap("find applied writes", err)
	}
	for _, d := range docs {
		for _, id := range d.Applied {
			if bytes.Compare(id[:], cutoff[:]) < 0 {
				old[id] = true
			}
		}
	}
	if len(old) > 0 {
		// Less those still pending on a record: their settling may not have begun.
		recs, err := s.findRecords(ctx, bson.D{{Key: "pending.id", Value: older}},
			options.Find().SetProjection(bson.D{{Key: "pending.id", Value: 1}}).SetHint(bson.D{{Key: "pending.id", Value: 1}}))
		if err != nil {
			return wrap("find pending writes", err)
		}
		for _, r := range recs {
			delete(old, r.Pending.ID)
		}
	}
	now := time.Now()
	var retired []bson.ObjectID
	s.retiringMu.Lock()
	for id := range s.retiring {
		if !old[id] {
			delete(s.retiring, id)
		}
	}
	for id := range old {
		if since, ok := s.retiring[id]; !ok {
			s.retiring[id] = now
		} else if now.Sub(since) >= retireAfter {
			retired = append(retired, id)
		}
	}
	s.retiringMu.Unlock()
	if len(retired) == 0 {
		return nil
	}
	// $pullAll rather than $pull with $in: FerretDB matches but ignores the latter.
	if _, err := s.counters.UpdateMany(ctx, bson.D{{Key: "applied", Value: bson.D{{Key: "$in", Value: retired}}}},
		bson.D{{Key: "$pullAll", Value: bson.D{{Key: "applied", Value: retired}}}}); err != nil {
		return wrap("drop applied writes", err)
	}
	return nil
}

// applyOnce adds n to the counter unless write wid has added to it already.
func (s *Store) applyOnce(ctx context.Context, k lrs.CounterKey, n int64, wid bson.ObjectID) error {
	filter := append(counterFilter(k.Series, k.Dims), bson.E{Key: "applied", Value: bson.D{{Key: "$ne", Value: wid}}})
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "value", Value: n}}}, {Key: "$push", Value: bson.D{{Key: "applied", Value: wid}}}}
	_, err := s.counters.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if !mongo.IsDuplicateKeyError(err) {
		return err
	}
	// The counter exists: either wid applied already (the filter did not match it) or another
	// write created it concurrently. Update without upsert: no match now means applied.
	_, err = s.counters.UpdateOne(ctx, filter, update)
	return err
}

// Counters implements lrs.TallyStore.
func (s *Store) Counters(ctx context.Context, f lrs.CounterFilter) ([]lrs.Counter, error) {
	filter := bson.D{{Key: "value", Value: bson.D{{Key: "$ne", Value: 0}}}}
	if f.Series != nil {
		filter = append(filter, bson.E{Key: "series", Value: bson.D{{Key: "$in", Value: f.Series}}})
	}
	for i, d := range f.Dims {
		var cond bson.D
		if d.In != nil {
			cond = append(cond, bson.E{Key: "$in", Value: d.In})
		}
		if d.From != "" {
			cond = append(cond, bson.E{Key: "$gte", Value: d.From})
		}
		if d.To != "" {
			cond = append(cond, bson.E{Key: "$lte", Value: d.To})
		}
		if cond != nil {
			filter = append(filter, bson.E{Key: dimField(i), Value: cond})
		}
	}
	cur, err := s.counters.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "applied", Value: 0}}))
	if err != nil {
		return nil, wrap("counters", err)
	}
	var docs []counterDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("counters", err)
	}
	out := make([]lrs.Counter, len(docs))
	for i, d := range docs {
		out[i] = lrs.Counter{Key: lrs.CounterKey{Series: d.Series, Dims: [lrs.CounterDims]string{d.D0, d.D1, d.D2, d.D3, d.D4}}, Value: d.Value}
	}
	return out, nil
}

// ResetTallies implements lrs.TallyStore with two deletes, records then counters: a reader in
// between sees the records gone and the counters not yet.
func (s *Store) ResetTallies(ctx context.Context, kind string) error {
	if _, err := s.records.DeleteMany(ctx, bson.D{{Key: "kind", Value: kind}}); err != nil {
		return wrap("reset tallies", err)
	}
	if _, err := s.counters.DeleteMany(ctx, bson.D{}); err != nil {
		return wrap("reset tallies", err)
	}
	return nil
}

// SettleRecords implements lrs.TallyStore: it settles every record with pending deltas.
func (s *Store) SettleRecords(ctx context.Context) error {
	recs, err := s.findRecords(ctx, bson.D{pendingExists}, options.Find().SetHint(bson.D{{Key: "pending.id", Value: 1}}))
	if err != nil {
		return wrap("settle records", err)
	}
	for _, r := range recs {
		if err := s.settleRecord(ctx, r); err != nil {
			return wrap("settle records", err)
		}
	}
	return nil
}
