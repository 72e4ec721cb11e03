// Package mongo is the lrs.Store on MongoDB (a replica set or a sharded cluster), through
// go.mongodb.org/mongo-driver/v2. docs/mongodb.md is the operator's view of it: collections,
// indexes, shard keys, sizing, backup and failover.
//
// # Durability and consistency
//
// Every write uses write concern majority with journal, so an acknowledged write survives the
// loss of the primary. Reads go to the primary with read concern majority: they see every
// acknowledged write and never one that a failover can roll back. There are no multi-document
// transactions: every write is a single-document operation that is idempotent or guarded by a
// unique index, so a retried or interrupted request never duplicates a record or leaves half of
// one.
//
// # Collections
//
//   - statements: one document per statement; _id is the statement id, whose unique index stores
//     an id once. order is 16 bytes that sort as (stored, storage order): the stored time in
//     milliseconds (big-endian, sign bit flipped), then the writer prefix and the writer's
//     counter (4 bytes each, see writers). A page cursor is the order of the page's last
//     statement. keys holds the query keys as "kind|value" strings: the multikey index
//     {keys, order} answers a query with keys, reading the entries of its rarest key in result
//     order; {order} answers one without. voids is the target of a voiding statement, voided is
//     true on a voided one, batch marks a statement whose batch is not yet committed.
//   - batches: the commit records of multi-statement writes (below).
//   - writers: one document per process start, whose _id is the prefix of the storage order the
//     process hands out, made unique by the insert. A process numbers its statements itself, so
//     a write costs no round trip for its position, and processes never hand out the same one.
//   - documents: State, Activity Profile and Agent Profile documents and the canonical activity
//     definitions, one per lrs.DocumentKey (a unique index over its fields). Writes compare and
//     swap on etag in the filter of one update, or insert against the unique index.
//   - clients: API clients, _id the key.
//   - records, counters: the progress roll-ups (lrs.TallyStore; see tally.go).
//   - blobs.files, blobs.chunks: the GridFS bucket "blobs". A blob's filename is its SHA-256; a
//     unique index on it stores each content once (see blobs.go).
//
// # All or none without transactions
//
// A batch of one statement that voids nothing is one insert. A larger batch B is written so:
//
//  1. insert batches {_id: B, state: open, voids: the ids its voiding statements target};
//  2. insert its statements, in id order, each with batch: B, which hides them from every read;
//  3. commit: update B from open to committed, the one write that decides the batch;
//  4. mark the voided targets, unhide the statements (unset batch), delete B.
//
// A write that fails before 3 aborts B: state aborted, its statements deleted, B deleted. Commit
// and abort are both conditional on state open, so exactly one of them happens. Whoever meets an
// unfinished batch (a writer that finds one of its ids hidden in it, or the sweep each process
// runs every minute) settles it: a committed batch is rolled forward (step 4 is idempotent), an
// open one older than staleAfter is aborted, an aborted one is cleaned up. A writer that meets
// an id hidden in a younger open batch waits until that batch is decided: batches insert in id
// order, so a batch only ever waits for one that is further along, and no two wait for each other.
//
// # Voiding in either order
//
// A committed voiding statement marks its target with an upsert on the target's _id: a stored
// target (hidden or not) gains voided: true unless it voids something itself; a missing one
// becomes a placeholder {_id, voided: true}, which no read returns. A target written later finds
// its id taken by the placeholder and takes the placeholder over, keeping voided: true. Both
// sides meet on one document, so no interleaving loses a voiding. (The upsert's filter also
// requires that the document void nothing itself, so MongoDB does not retry it when the target is
// inserted between its match and its insert; the duplicate key it fails with sends the voiding
// back to read the document and update it without upsert: see void.) Aborting a batch turns the
// voided statements it wrote back into placeholders.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/yrkesresan/lrs/lrs"
)

// Store is an lrs.Store in a MongoDB database.
type Store struct {
	client     *mongo.Client
	db         *mongo.Database
	statements *mongo.Collection
	batches    *mongo.Collection
	writers    *mongo.Collection
	documents  *mongo.Collection
	clients    *mongo.Collection
	records    *mongo.Collection // lrs.TallyStore, see tally.go
	counters   *mongo.Collection
	files      *mongo.Collection // GridFS blobs.files
	chunks     *mongo.Collection // GridFS blobs.chunks
	seq        sequence
	log        *slog.Logger

	// retiring holds the old write ids that the sweep found applied and pending on no record,
	// with when it first did (see pruneApplied).
	retiring   map[bson.ObjectID]time.Time
	retiringMu sync.Mutex

	stop context.CancelFunc // ends the sweep
	done sync.WaitGroup
}

var _ lrs.Store = (*Store)(nil)

// Timeouts. A store call waits at most opTimeout for MongoDB, so a stuck connection becomes a
// 503 rather than a hung request; a server that cannot be selected (unreachable, or no primary
// during an election) fails after selectTimeout. Both can be overridden in the URI (timeoutMS,
// serverSelectionTimeoutMS).
const (
	opTimeout     = 30 * time.Second
	selectTimeout = 5 * time.Second
)

// Open connects to the MongoDB deployment at uri, creates the collections' indexes if needed,
// and returns the store on database. It fails, wrapping lrs.ErrUnavailable, if the deployment
// cannot be reached within the server selection timeout. Background repairs (see the package
// comment) are logged to log.
func Open(ctx context.Context, uri, database string, log *slog.Logger) (*Store, error) {
	// Timeouts first, so that the URI can override them; the consistency settings after, so that
	// it cannot weaken them: the store's guarantees rest on them.
	opts := options.Client().SetTimeout(opTimeout).SetServerSelectionTimeout(selectTimeout).
		ApplyURI(uri).
		SetWriteConcern(&writeconcern.WriteConcern{W: writeconcern.WCMajority, Journal: new(true)}).
		SetReadConcern(readconcern.Majority()).
		SetReadPreference(readpref.Primary())
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, wrap("connect", err)
	}
	db := client.Database(database)
	s := &Store{
		client:     client,
		db:         db,
		statements: db.Collection("statements"),
		batches:    db.Collection("batches"),
		writers:    db.Collection("writers"),
		documents:  db.Collection("documents"),
		clients:    db.Collection("clients"),
		records:    db.Collection("records"),
		counters:   db.Collection("counters"),
		files:      db.Collection(bucket + ".files"),
		chunks:     db.Collection(bucket + ".chunks"),
		log:        log,
		retiring:   make(map[bson.ObjectID]time.Time),
	}
	if err := s.init(ctx); err != nil {
		return nil, errors.Join(err, client.Disconnect(context.Background()))
	}
	sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.done.Go(func() { s.sweepEvery(sweepCtx, sweepInterval) })
	return s, nil
}

// init creates the indexes (a no-op for those that exist) and registers the writer prefix.
func (s *Store) init(ctx context.Context) error {
	for _, ix := range []struct {
		coll   *mongo.Collection
		models []mongo.IndexModel
	}{
		{s.statements, []mongo.IndexModel{
			// Queries with keys: the entries of one key in result order (see query).
			{Keys: bson.D{{Key: "keys", Value: 1}, {Key: "order", Value: 1}}},
			// Queries without keys, scans, and the cursor position of each.
			{Keys: bson.D{{Key: "order", Value: 1}}},
			// The few statements of unfinished batches, for settling them. Sparse, so it holds
			// nothing once every batch is finished. (Not partial: FerretDB lacks those.)
			{Keys: bson.D{{Key: "batch", Value: 1}}, Options: options.Index().SetSparse(true)},
		}},
		{s.documents, []mongo.IndexModel{
			// One document per key; agent and activity first, so that it is also the index of
			// DocumentIDs and a prefix that can serve as the shard key (docs/mongodb.md).
			{Keys: bson.D{{Key: "agent", Value: 1}, {Key: "activity", Value: 1}, {Key: "kind", Value: 1},
				{Key: "registration", Value: 1}, {Key: "docId", Value: 1}}, Options: options.Index().SetUnique(true)},
		}},
		{s.records, []mongo.IndexModel{
			{Keys: bson.D{{Key: "kind", Value: 1}, {Key: "key", Value: 1}}, Options: options.Index().SetUnique(true)},
			// The few records whose counter deltas are not yet applied.
			{Keys: bson.D{{Key: "pending.id", Value: 1}}, Options: options.Index().SetSparse(true)},
		}},
		{s.counters, []mongo.IndexModel{
			{Keys: bson.D{{Key: "series", Value: 1}, {Key: "d0", Value: 1}, {Key: "d1", Value: 1}, {Key: "d2", Value: 1},
				{Key: "d3", Value: 1}, {Key: "d4", Value: 1}}, Options: options.Index().SetUnique(true)},
		}},
		{s.files, []mongo.IndexModel{
			// A content is stored once; uploads in progress have no filename yet (sparse).
			{Keys: bson.D{{Key: "filename", Value: 1}}, Options: options.Index().SetUnique(true).SetSparse(true)},
			// The few uploads in progress, for sweeping abandoned ones.
			{Keys: bson.D{{Key: "uploading", Value: 1}}, Options: options.Index().SetSparse(true)},
		}},
		{s.chunks, []mongo.IndexModel{
			// GridFS's own: a file's chunks in order, each once.
			{Keys: bson.D{{Key: "files_id", Value: 1}, {Key: "n", Value: 1}}, Options: options.Index().SetUnique(true)},
		}},
	} {
		// One at a time: FerretDB v1 drops the connection when several indexes that exist
		// already are created in one command (MongoDB takes either).
		for _, m := range ix.models {
			if _, err := ix.coll.Indexes().CreateOne(ctx, m); err != nil {
				return wrap("create indexes of "+ix.coll.Name(), err)
			}
		}
	}
	if err := s.seq.register(ctx, s.writers); err != nil {
		return wrap("register writer", err)
	}
	return nil
}

// Ping reports whether the primary answers: without one, nothing can be written.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// Close stops the sweep and disconnects.
func (s *Store) Close() error {
	s.stop()
	s.done.Wait()
	if err := s.client.Disconnect(context.Background()); err != nil {
		return wrap("close", err)
	}
	return nil
}

// Count implements lrs.ScanStore. It counts documents, so on a large store it takes a while
// (it reads the whole order index): it serves lrs migrate, not requests.
func (s *Store) Count(ctx context.Context) (lrs.Counts, error) {
	var c lrs.Counts
	for _, n := range []struct {
		dst    *int64
		coll   *mongo.Collection
		filter bson.D
	}{
		{&c.Statements, s.statements, visible},
		{&c.Documents, s.documents, bson.D{}},
		{&c.Blobs, s.files, bson.D{{Key: "filename", Value: bson.D{{Key: "$exists", Value: true}}}}},
		{&c.Clients, s.clients, bson.D{}},
	} {
		var err error
		if *n.dst, err = n.coll.CountDocuments(ctx, n.filter); err != nil {
			return lrs.Counts{}, wrap("count "+n.coll.Name(), err)
		}
	}
	return c, nil
}

// detached returns a context for finishing work that must not stop with the request that began
// it (settling a batch the request leaves behind), bounded by opTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), opTimeout)
}

// wrap adds the operation to err and marks the errors a retry may cure as lrs.ErrUnavailable.
func wrap(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("mongo: %s: %w: %w", op, lrs.ErrUnavailable, err)
	}
	return fmt.Errorf("mongo: %s: %w", op, err)
}

// transientCodes are server error codes that say the deployment cannot serve the operation now
// but may shortly: no primary (stepping down, electing, shutting down), an unreachable member,
// a write concern not satisfied in time. They are the driver's retryable codes, plus
// WriteConcernFailed and the read concern and read preference failures of a changing set.
var transientCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	64,    // WriteConcernFailed (wtimeout): the write may not survive a failover
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	133,   // FailedToSatisfyReadPreference
	134,   // ReadConcernMajorityNotAvailableYet
	189,   // PrimarySteppedDown
	262,   // ExceededTimeLimit
	9001,  // SocketException
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// unavailable reports whether err says that MongoDB cannot be reached or cannot serve now: a
// network error, a timeout (server selection included), or a transient server error.
func unavailable(err error) bool {
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		if se.HasErrorLabel("RetryableWriteError") || se.HasErrorLabel("TransientTransactionError") {
			return true
		}
		for _, code := range transientCodes {
			if se.HasErrorCode(code) {
				return true
			}
		}
	}
	return false
}
