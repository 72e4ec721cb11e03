package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/yrkesresan/lrs/lrs"
)

// batchDoc is the commit record of a multi-statement write (see the package comment). Its _id,
// an ObjectID, also tells when the batch began.
type batchDoc struct {
	ID    bson.ObjectID `bson:"_id"`
	State string        `bson:"state"`
	Voids []string      `bson:"voids,omitempty"` // ids the batch's voiding statements target
}

const (
	stateOpen      = "open"
	stateCommitted = "committed"
	stateAborted   = "aborted"
)

const (
	// staleAfter is how long a batch may stay open before anyone may abort it. A live write
	// commits within seconds; the margin covers slow writes during a failover, and clocks of
	// different LRS processes that disagree.
	staleAfter = 2 * time.Minute
	// awaitLimit is how long a write waits for another, unfinished one that holds one of its ids,
	// before it gives up with lrs.ErrUnavailable (a 503: the client retries later).
	awaitLimit = 5 * time.Second
	// sweepInterval is how often each process settles the batches and uploads left behind by
	// writers that died.
	sweepInterval = time.Minute
)

// finish rolls a committed batch forward: marks the targets of its voiding statements voided,
// unhides its statements, deletes its record. Every step is idempotent, so anyone may repeat it.
func (s *Store) finish(ctx context.Context, b batchDoc) error {
	for _, target := range b.Voids {
		if err := s.void(ctx, target); err != nil {
			return fmt.Errorf("finish batch %s: %w", b.ID.Hex(), err)
		}
	}
	if _, err := s.statements.UpdateMany(ctx, bson.D{{Key: "batch", Value: b.ID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "batch", Value: ""}}}}); err != nil {
		return fmt.Errorf("finish batch %s: %w", b.ID.Hex(), err)
	}
	if _, err := s.batches.DeleteOne(ctx, bson.D{{Key: "_id", Value: b.ID}}); err != nil {
		return fmt.Errorf("finish batch %s: %w", b.ID.Hex(), err)
	}
	return nil
}

// void marks the statement with the id voided, unless it voids another itself; if none is
// stored, it leaves a placeholder that the statement takes over when it arrives.
//
// The upsert's filter is not equality-only (voids must be absent), so MongoDB does not retry it
// when the document it would insert collides with one inserted concurrently: a duplicate key
// says only that the id is taken now, by a voiding statement or by the target itself. void then
// reads the holder and updates it without upsert, looking again if it changed in between.
func (s *Store) void(ctx context.Context, target string) error {
	filter := bson.D{{Key: "_id", Value: target}, {Key: "voids", Value: bson.D{{Key: "$exists", Value: false}}}}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "voided", Value: true}}}}
	for {
		_, err := s.statements.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
		if !mongo.IsDuplicateKeyError(err) {
			return err
		}
		for taken := true; taken; {
			var held statementDoc
			err := s.statements.FindOne(ctx, bson.D{{Key: "_id", Value: target}},
				options.FindOne().SetProjection(bson.D{{Key: "voids", Value: 1}})).Decode(&held)
			switch {
			case errors.Is(err, mongo.ErrNoDocuments):
				taken = false // removed meanwhile (an aborted batch's): upsert again
				continue
			case err != nil:
				return err
			case held.Voids != "":
				return nil // the target is a voiding statement, which is never voided
			}
			res, err := s.statements.UpdateOne(ctx, filter, update)
			if err != nil || res.MatchedCount == 1 {
				return err
			}
			// Claimed by a voiding statement or removed since the read: look again.
		}
	}
}

// abandon settles a batch whose writer failed before committing it, or does not know whether
// its commit got through: the batch is aborted unless it is committed, and then rolled forward.
// It returns the outcome, stateCommitted or stateAborted. It runs on when the request is
// cancelled, since the batch would otherwise wait for the sweep, hiding its ids meanwhile.
func (s *Store) abandon(ctx context.Context, id bson.ObjectID) (string, error) {
	ctx, cancel := detached(ctx)
	defer cancel()
	return s.settle(ctx, id, true)
}

// await waits until the batch is decided, settling it if it is stale or committed, for at most
// awaitLimit.
func (s *Store) await(ctx context.Context, id bson.ObjectID) error {
	deadline := time.Now().Add(awaitLimit)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		state, err := s.settle(ctx, id, time.Since(id.Timestamp()) > staleAfter)
		if err != nil || state != stateOpen {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: an unfinished write (batch %s) holds a statement id of this one", lrs.ErrUnavailable, id.Hex())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// settle decides the batch if it can and returns its state: a committed batch is rolled
// forward; an open one is aborted if abort is set (else left open); an aborted or vanished one
// is cleaned up after (stateAborted).
func (s *Store) settle(ctx context.Context, id bson.ObjectID, abort bool) (string, error) {
	for {
		var b batchDoc
		err := s.batches.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&b)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			// Finished (then nothing of it is hidden any more) or aborted and cleaned up, but
			// perhaps for statements its writer inserted after the abort.
			return stateAborted, s.cleanup(ctx, id)
		case err != nil:
			return "", err
		case b.State == stateCommitted:
			return stateCommitted, s.finish(ctx, b)
		case b.State == stateAborted:
			return stateAborted, s.cleanup(ctx, id)
		case !abort:
			return stateOpen, nil
		}
		res, err := s.batches.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "state", Value: stateOpen}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: stateAborted}}}})
		if err != nil {
			return "", err
		}
		if res.MatchedCount == 1 {
			return stateAborted, s.cleanup(ctx, id)
		}
		// Committed or aborted meanwhile: look again.
	}
}

// cleanup removes what an aborted batch wrote: its statements, except that the voided ones
// become placeholders again (their ids are targets of stored voiding statements), then its record.
func (s *Store) cleanup(ctx context.Context, id bson.ObjectID) error {
	inBatch := bson.E{Key: "batch", Value: id}
	if _, err := s.statements.DeleteMany(ctx, bson.D{inBatch, notVoided}); err != nil {
		return fmt.Errorf("clean up batch %s: %w", id.Hex(), err)
	}
	if _, err := s.statements.UpdateMany(ctx, bson.D{inBatch, {Key: "voided", Value: true}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "order", Value: ""}, {Key: "statement", Value: ""},
			{Key: "keys", Value: ""}, {Key: "voids", Value: ""}, {Key: "batch", Value: ""}}}}); err != nil {
		return fmt.Errorf("clean up batch %s: %w", id.Hex(), err)
	}
	if _, err := s.batches.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("clean up batch %s: %w", id.Hex(), err)
	}
	return nil
}

// sweepEvery sweeps now and then every interval until ctx ends.
func (s *Store) sweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "mongo: sweep of unfinished writes failed; retrying later", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep settles the batches and blob uploads that began more than staleAfter (uploads:
// uploadStaleAfter) ago and are still unfinished: their writers died, or nobody has met them.
// Then it drops the counters' old write ids (pruneApplied).
func (s *Store) sweep(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	cutoff := bson.NewObjectIDFromTimestamp(time.Now().Add(-staleAfter))
	stale := make(map[bson.ObjectID]bool)
	// Batch records, and statements hidden in batches whose record is gone.
	if err := collectIDs(ctx, s.batches, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: cutoff}}}}, "_id", stale); err != nil {
		return fmt.Errorf("find stale batches: %w", err)
	}
	if err := collectIDs(ctx, s.statements, bson.D{{Key: "batch", Value: bson.D{{Key: "$lt", Value: cutoff}}}}, "batch", stale); err != nil {
		return fmt.Errorf("find stale batches: %w", err)
	}
	for id := range stale {
		if _, err := s.settle(ctx, id, true); err != nil {
			return err
		}
		s.log.InfoContext(ctx, "mongo: settled an interrupted batch write", "batch", id.Hex())
	}
	if err := s.sweepUploads(ctx); err != nil {
		return err
	}
	return s.pruneApplied(ctx)
}

// collectIDs adds the ObjectID in field of each document of coll matching filter to ids.
func collectIDs(ctx context.Context, coll *mongo.Collection, filter bson.D, field string, ids map[bson.ObjectID]bool) error {
	cur, err := coll.Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: field, Value: 1}}))
	if err != nil {
		return err
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		id, ok := cur.Current.Lookup(field).ObjectIDOK()
		if !ok {
			return fmt.Errorf("%s: %s is not an ObjectID", coll.Name(), field)
		}
		ids[id] = true
	}
	return cur.Err()
}
