package mongo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/yrkesresan/lrs/lrs"
)

// statementDoc is a document of the statements collection. A placeholder (a voided id not yet
// stored) has only ID and Voided.
type statementDoc struct {
	ID        string        `bson:"_id"`
	Order     []byte        `bson:"order,omitempty"`
	Statement string        `bson:"statement,omitempty"` // the JSON, as a string so that it reads in mongosh
	Keys      []string      `bson:"keys,omitempty"`
	Voids     string        `bson:"voids,omitempty"`
	Voided    bool          `bson:"voided,omitempty"`
	Batch     bson.ObjectID `bson:"batch,omitempty"`
}

func newStatementDoc(r lrs.StatementRecord, seq uint64) statementDoc {
	keys := make([]string, 0, len(r.Keys))
	for _, k := range r.Keys {
		keys = append(keys, keyString(k))
	}
	slices.Sort(keys)
	return statementDoc{
		ID:        r.ID,
		Order:     makeOrder(r.Stored, seq).bin().Data,
		Statement: string(r.Statement),
		Keys:      slices.Compact(keys),
		Voids:     r.Voids,
	}
}

// keyString is how a key is stored and matched. Kinds never contain "|".
func keyString(k lrs.Key) string { return string(k.Kind) + "|" + k.Value }

func (d statementDoc) record() (lrs.StatementRecord, order, error) {
	o, err := orderOf(d.Order)
	if err != nil {
		return lrs.StatementRecord{}, o, fmt.Errorf("statement %s: %w", d.ID, err)
	}
	return lrs.StatementRecord{ID: d.ID, Stored: o.stored(), Statement: []byte(d.Statement), Voids: d.Voids, Voided: d.Voided}, o, nil
}

// Filters and projections.
var (
	// visible: a stored statement (not a placeholder) whose batch is committed.
	visible = bson.D{{Key: "order", Value: bson.D{{Key: "$exists", Value: true}}}, {Key: "batch", Value: bson.D{{Key: "$exists", Value: false}}}}
	// withoutKeys leaves out what reads do not return.
	withoutKeys  = bson.D{{Key: "keys", Value: 0}}
	keysIndex    = bson.D{{Key: "keys", Value: 1}, {Key: "order", Value: 1}}
	orderIndex   = bson.D{{Key: "order", Value: 1}}
	notVoided    = bson.E{Key: "voided", Value: bson.D{{Key: "$ne", Value: true}}}
	notInABatch  = bson.E{Key: "batch", Value: bson.D{{Key: "$exists", Value: false}}}
	placeholders = bson.D{{Key: "order", Value: bson.D{{Key: "$exists", Value: false}}}}
)

// InsertStatements writes every record or none (see the package comment for how), and returns an
// error wrapping lrs.ErrConflict if an id is stored already or repeated in recs.
func (s *Store) InsertStatements(ctx context.Context, recs []lrs.StatementRecord) error {
	if len(recs) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		if seen[r.ID] {
			return fmt.Errorf("mongo: insert statements: id %s twice in the batch: %w", r.ID, lrs.ErrConflict)
		}
		seen[r.ID] = true
	}
	first, err := s.seq.take(ctx, len(recs))
	if err != nil {
		return err
	}
	docs := make([]statementDoc, len(recs))
	for i, r := range recs {
		docs[i] = newStatementDoc(r, first+uint64(i))
	}
	if len(docs) == 1 && docs[0].Voids == "" {
		err = s.insertVisible(ctx, docs[0])
	} else {
		err = s.insertBatch(ctx, docs)
	}
	if err != nil {
		return wrap("insert statements", err)
	}
	return nil
}

// insertVisible stores one statement that needs no batch: its insert is the whole write.
func (s *Store) insertVisible(ctx context.Context, doc statementDoc) error {
	for {
		_, err := s.statements.InsertOne(ctx, doc)
		if !mongo.IsDuplicateKeyError(err) {
			return err
		}
		if done, err := s.takeOver(ctx, doc); done || err != nil {
			return err
		}
	}
}

// insertBatch writes the statements as batch B: see the package comment.
func (s *Store) insertBatch(ctx context.Context, docs []statementDoc) error {
	b := batchDoc{ID: bson.NewObjectID(), State: stateOpen}
	for i := range docs {
		docs[i].Batch = b.ID
		if docs[i].Voids != "" {
			b.Voids = append(b.Voids, docs[i].Voids)
		}
	}
	if _, err := s.batches.InsertOne(ctx, b); err != nil {
		return err
	}
	if err := s.insertHidden(ctx, docs); err != nil {
		_, aerr := s.abandon(ctx, b.ID)
		return errors.Join(err, aerr)
	}
	res, err := s.batches.UpdateOne(ctx, bson.D{{Key: "_id", Value: b.ID}, {Key: "state", Value: stateOpen}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: stateCommitted}}}})
	switch {
	case err != nil:
		// The commit may have got through: find out, and finish or abort accordingly.
		if state, aerr := s.abandon(ctx, b.ID); aerr == nil && state == stateCommitted {
			return nil
		}
		return fmt.Errorf("commit batch %s: %w", b.ID.Hex(), err)
	case res.MatchedCount == 0:
		return fmt.Errorf("%w: batch %s took longer than %v and was aborted", lrs.ErrUnavailable, b.ID.Hex(), staleAfter)
	}
	// Committed: the write has happened, whatever follows. Rolling it forward runs on when the
	// request is cancelled (as abandon does), and a failure is only logged: whoever meets the
	// batch next, or the sweep, finishes it.
	fctx, cancel := detached(ctx)
	defer cancel()
	if err := s.finish(fctx, b); err != nil {
		s.log.WarnContext(fctx, "mongo: finishing a committed batch failed; the sweep will", "batch", b.ID.Hex(), "err", err)
	}
	return nil
}

// insertHidden inserts the batch's statements in id order. When an id is taken it resolves the
// holder (takeOver) and carries on from there.
func (s *Store) insertHidden(ctx context.Context, docs []statementDoc) error {
	docs = slices.Clone(docs)
	slices.SortFunc(docs, func(a, b statementDoc) int { return cmp.Compare(a.ID, b.ID) })
	for pos := 0; pos < len(docs); {
		_, err := s.statements.InsertMany(ctx, docs[pos:])
		if err == nil {
			return nil
		}
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) != 1 ||
			!mongo.IsDuplicateKeyError(bwe.WriteErrors[0].WriteError) {
			return err
		}
		// Ordered: the documents before the failed one are in.
		pos += bwe.WriteErrors[0].Index
		done, err := s.takeOver(ctx, docs[pos])
		if err != nil {
			return err
		}
		if done {
			pos++
		}
	}
	return nil
}

// takeOver deals with doc's id being taken. A placeholder is claimed (done); doc itself, hidden
// in its own batch (an InsertMany that got it in but failed after), is done; a statement hidden
// in another batch is waited for until that batch is decided (not done: insert again); a stored
// statement is a conflict.
func (s *Store) takeOver(ctx context.Context, doc statementDoc) (done bool, err error) {
	var held statementDoc
	err = s.statements.FindOne(ctx, bson.D{{Key: "_id", Value: doc.ID}},
		options.FindOne().SetProjection(bson.D{{Key: "order", Value: 1}, {Key: "batch", Value: 1}})).Decode(&held)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil // removed meanwhile (an aborted batch's): insert again
	case err != nil:
		return false, err
	case held.Order == nil:
		return s.claim(ctx, doc)
	case !doc.Batch.IsZero() && held.Batch == doc.Batch:
		return true, nil // inserted by an earlier try of this batch's InsertMany
	case !held.Batch.IsZero() && held.Batch != doc.Batch:
		return false, s.await(ctx, held.Batch)
	}
	return false, fmt.Errorf("statement %s: %w", doc.ID, lrs.ErrConflict)
}

// claim turns the placeholder of a voided id into doc. The placeholder stays voided unless doc
// voids a statement itself (a voiding statement is never voided).
func (s *Store) claim(ctx context.Context, doc statementDoc) (bool, error) {
	set := bson.D{{Key: "order", Value: doc.Order}, {Key: "statement", Value: doc.Statement}}
	if len(doc.Keys) > 0 {
		set = append(set, bson.E{Key: "keys", Value: doc.Keys})
	}
	if !doc.Batch.IsZero() {
		set = append(set, bson.E{Key: "batch", Value: doc.Batch})
	}
	update := bson.D{}
	if doc.Voids != "" {
		set = append(set, bson.E{Key: "voids", Value: doc.Voids})
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "voided", Value: ""}}})
	}
	update = append(update, bson.E{Key: "$set", Value: set})
	filter := append(bson.D{{Key: "_id", Value: doc.ID}}, placeholders...)
	res, err := s.statements.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// Statements returns the stored records with the given ids, voided or not. Keys are not read.
func (s *Store) Statements(ctx context.Context, ids []string) ([]lrs.StatementRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	filter := append(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, visible...)
	page, err := s.find(ctx, filter, options.Find().SetProjection(withoutKeys), 0)
	if err != nil {
		return nil, wrap("statements", err)
	}
	return page.Statements, nil
}

// QueryStatements returns one page of the non-voided statements matching q. Keys are not read.
func (s *Store) QueryStatements(ctx context.Context, q lrs.StatementQuery) (lrs.StatementPage, error) {
	page, err := s.query(ctx, q)
	if err != nil {
		return lrs.StatementPage{}, wrap("query statements", err)
	}
	return page, nil
}

func (s *Store) query(ctx context.Context, q lrs.StatementQuery) (lrs.StatementPage, error) {
	if q.Limit <= 0 {
		return lrs.StatementPage{}, fmt.Errorf("limit %d, want more than 0", q.Limit)
	}
	lo, hi, err := bounds(q)
	if err != nil {
		return lrs.StatementPage{}, err
	}
	keys, found, err := s.rarestFirst(ctx, q.Keys)
	if err != nil || !found {
		return lrs.StatementPage{}, err
	}
	filter := bson.D{{Key: "order", Value: bson.D{{Key: "$gt", Value: lo.bin()}, {Key: "$lt", Value: hi.bin()}}}, notVoided, notInABatch}
	opts := options.Find().SetProjection(withoutKeys).SetHint(orderIndex)
	if len(keys) > 0 {
		// MongoDB bounds a multikey index scan by one value of the field, the first of $all:
		// the rarest key drives the query and the others filter.
		filter = append(bson.D{{Key: "keys", Value: bson.D{{Key: "$all", Value: keys}}}}, filter...)
		opts.SetHint(keysIndex)
	}
	dir := -1
	if q.Ascending {
		dir = 1
	}
	opts.SetSort(bson.D{{Key: "order", Value: dir}})
	return s.find(ctx, filter, opts, q.Limit)
}

// rarestFirst returns the distinct keys as stored strings, the one carried by the fewest
// statements first (counted up to driverProbe). found is false if some key is carried by none.
func (s *Store) rarestFirst(ctx context.Context, keys []lrs.Key) (out []string, found bool, err error) {
	for _, k := range keys {
		out = append(out, keyString(k))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) < 2 {
		return out, true, nil
	}
	counts := make(map[string]int64, len(out))
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(out))
	for i, k := range out {
		wg.Go(func() {
			n, err := s.statements.CountDocuments(ctx, bson.D{{Key: "keys", Value: k}},
				options.Count().SetLimit(driverProbe).SetHint(keysIndex))
			mu.Lock()
			counts[k], errs[i] = n, err
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, false, err
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(counts[a], counts[b]) })
	return out, counts[out[0]] > 0, nil
}

// driverProbe caps how many statements are counted to choose the key that drives a query: past
// it, a key is "common" and the cheaper counting matters more than the exact figure.
const driverProbe = 1000

// ScanStatements implements lrs.ScanStore: every stored statement, voided ones included, by
// order. The cursor is the order of the last statement returned, as for queries.
func (s *Store) ScanStatements(ctx context.Context, cursor string, limit int) (lrs.StatementPage, error) {
	var after order
	if cursor != "" {
		var err error
		if after, err = parseCursor(cursor); err != nil {
			return lrs.StatementPage{}, err
		}
	}
	filter := bson.D{{Key: "order", Value: bson.D{{Key: "$gt", Value: after.bin()}}}, notInABatch}
	opts := options.Find().SetProjection(withoutKeys).SetHint(orderIndex).SetSort(orderIndex)
	page, err := s.find(ctx, filter, opts, limit)
	if err != nil {
		return lrs.StatementPage{}, wrap("scan statements", err)
	}
	return page, nil
}

// find runs a find on statements and returns the records found. With a limit, it reads one
// more: if there is one, the page gets the cursor of its last record.
func (s *Store) find(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder, limit int) (lrs.StatementPage, error) {
	if limit > 0 {
		opts.SetLimit(int64(limit) + 1)
	}
	cur, err := s.statements.Find(ctx, filter, opts)
	if err != nil {
		return lrs.StatementPage{}, err
	}
	defer cur.Close(ctx)
	var page lrs.StatementPage
	var last order
	for cur.Next(ctx) {
		if limit > 0 && len(page.Statements) == limit {
			page.Cursor = last.cursor()
			break
		}
		var d statementDoc
		if err := cur.Decode(&d); err != nil {
			return lrs.StatementPage{}, err
		}
		var r lrs.StatementRecord
		if r, last, err = d.record(); err != nil {
			return lrs.StatementPage{}, err
		}
		page.Statements = append(page.Statements, r)
	}
	return page, cur.Err()
}
