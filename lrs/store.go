package lrs

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors every Store returns (wrapped or not) so the core can tell outcomes apart with errors.Is.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a write would replace a record that must not change (an existing statement id).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the backing database cannot be reached; the request may be retried.
	ErrUnavailable = errors.New("store unavailable")
	// ErrStale: a conditional write found the record changed since it was read.
	ErrStale = errors.New("record changed concurrently")

	// A store's own misuse errors (such as a cursor it did not make) wrap ErrBadRequest.
)

// KeyKind names one of the things statement queries filter on. The core derives every key of a
// statement once, at write time (see Keys); backends only persist and match them.
type KeyKind string

// The key kinds. A statement carries KeyRelatedAgent for every agent it mentions, including the
// ones that also give KeyAgent, so that a related_agents query is a single key match; likewise
// for activities.
const (
	KeyAgent           KeyKind = "agent"            // actor or object, and members of such groups
	KeyRelatedAgent    KeyKind = "related_agent"    // any agent or identified group in the statement
	KeyActivity        KeyKind = "activity"         // object activity
	KeyRelatedActivity KeyKind = "related_activity" // object, context activities, sub-statement
	KeyVerb            KeyKind = "verb"
	KeyRegistration    KeyKind = "registration"
	KeyAuthority       KeyKind = "authority" // for the statements/read/mine scope
)

// Key is one (kind, value) pair a statement can be found by. Agent values are canonical inverse
// functional identifiers (see AgentKey); activity, verb and registration values are the ids.
type Key struct {
	Kind  KeyKind
	Value string
}

// StatementRecord is a statement as stored.
type StatementRecord struct {
	ID        string    // statement id, lower-case UUID
	Stored    time.Time // set by the LRS, millisecond precision; orders query results
	Statement []byte    // the complete statement JSON as returned in "exact" format
	Keys      []Key     // derived by the core; what queries match on (written, not read back)
	Voids     string    // for a voiding statement, the id it voids; otherwise empty
	Voided    bool      // on read: a stored voiding statement targets this (non-voiding) statement
}

// StatementQuery selects statements for the statements resource. Voided statements never match.
type StatementQuery struct {
	Keys      []Key     // a statement matches when it carries every one of them
	Since     time.Time // if set, only statements stored strictly after it
	Until     time.Time // if set, only statements stored at or before it
	Ascending bool      // oldest first; default newest first
	Limit     int       // at most this many; > 0
	Cursor    string    // opaque position from a previous page of the same query; "" to start
}

// StatementPage is one page of a query. Cursor is empty on the last page.
type StatementPage struct {
	Statements []StatementRecord
	Cursor     string
}

// StatementStore persists statements. Implementations hold no xAPI rules beyond what is documented
// here: validation, equivalence and voiding rules live in the core.
type StatementStore interface {
	// InsertStatements writes every record or none. If any record's ID is already stored it writes
	// nothing and returns ErrConflict. After a successful return the records are durable (they
	// survive a crash of the process) and visible to every later read.
	// A stored record is voided when another stored record has Voids equal to its ID and its own
	// Voids is empty, whichever of the two was stored first.
	InsertStatements(ctx context.Context, recs []StatementRecord) error
	// Statements returns the stored records with the given IDs, voided or not, in any order;
	// IDs that are not stored are left out.
	Statements(ctx context.Context, ids []string) ([]StatementRecord, error)
	// QueryStatements returns one page of non-voided statements matching q, ordered by Stored
	// (ties in the order they were stored), descending unless q.Ascending. Paging with the returned
	// cursor neither repeats nor skips statements stored before the first page was read.
	// A cursor this store did not make gives an error wrapping ErrBadRequest.
	QueryStatements(ctx context.Context, q StatementQuery) (StatementPage, error)
}

// Client is an API client: credentials and what they may do.
type Client struct {
	Key        string // public identifier, the Basic auth user name
	SecretHash string // see HashSecret; never the secret itself
	Name       string
	Scopes     []Scope
	Created    time.Time
	Revoked    bool
	// Org is the organisation the credentials were issued to, opaque to the core: package
	// progress gives it meaning ("national", a county code, a municipality code). "" for none.
	Org string
}

// ClientStore persists API clients.
type ClientStore interface {
	// PutClient creates the client, or replaces the one with the same Key.
	PutClient(ctx context.Context, c Client) error
	// Client returns the client with the key, revoked or not, or ErrNotFound.
	Client(ctx context.Context, key string) (Client, error)
	// Clients lists all clients ordered by Created, then Key.
	Clients(ctx context.Context) ([]Client, error)
}

// DocumentKind says which resource a document belongs to.
type DocumentKind string

// The document kinds: the three document resources, and the LRS's own canonical activity
// definitions (served by the Activities resource), which are kept as documents so that they share
// the conditional-write primitive.
const (
	DocState           DocumentKind = "state"
	DocActivityProfile DocumentKind = "activity_profile"
	DocAgentProfile    DocumentKind = "agent_profile"
	DocActivity        DocumentKind = "activity"
)

// DocumentKey identifies a document. Fields a kind does not use are empty: State uses all of them;
// Activity Profile uses Activity and ID; Agent Profile uses Agent and ID; DocActivity uses Activity.
type DocumentKey struct {
	Kind         DocumentKind
	Activity     string // activity id
	Agent        string // canonical agent key (see AgentKey)
	Registration string // state only; "" for state kept without a registration
	ID           string // stateId or profileId
}

// Document is a stored document: opaque bytes with their content type.
type Document struct {
	Key         DocumentKey
	ContentType string
	Content     []byte
	ETag        string    // set by the core (hex SHA-1 of Content); what conditional writes compare
	Updated     time.Time // set by the core; millisecond precision
}

// DocumentStore persists documents. Precondition rules (If-Match, merge) live in the core; a store
// offers compare-and-swap on ETag so that the core's read-check-write cannot lose an update.
type DocumentStore interface {
	// Document returns the document with the key, or ErrNotFound.
	Document(ctx context.Context, key DocumentKey) (Document, error)
	// DocumentIDs returns, in ascending order, the IDs of the documents of key.Kind with key's
	// Activity and Agent (key.ID is ignored) updated strictly after since (when not zero). For
	// state, an empty key.Registration matches every registration.
	DocumentIDs(ctx context.Context, key DocumentKey, since time.Time) ([]string, error)
	// PutDocument stores doc when the stored document with its key has ETag prev, or when none is
	// stored and prev is "". Otherwise it changes nothing and returns ErrStale. Durable on return.
	PutDocument(ctx context.Context, doc Document, prev string) error
	// DeleteDocument deletes the document with the key when its ETag is prev (ErrStale otherwise);
	// prev "" deletes it whatever it holds. Deleting a missing document is not an error.
	DeleteDocument(ctx context.Context, key DocumentKey, prev string) error
	// DeleteDocuments deletes every document DocumentIDs(key, zero time) would list.
	DeleteDocuments(ctx context.Context, key DocumentKey) error
}

// BlobStore keeps content too large or too binary for records (attachments, package files),
// addressed by its SHA-256 so that storing the same bytes twice is free.
type BlobStore interface {
	// PutBlob stores the bytes read from r under sum, the lower-case hex SHA-256 they must hash
	// to; if they do not, it stores nothing and returns an error wrapping ErrBadRequest. Storing a
	// sum that exists succeeds without rewriting it. The blob is durable on return.
	PutBlob(ctx context.Context, sum string, r io.Reader) error
	// Blob opens the blob with the sum, or returns ErrNotFound.
	Blob(ctx context.Context, sum string) (io.ReadCloser, error)
	// DeleteBlob removes the blob; removing a missing blob is not an error.
	DeleteBlob(ctx context.Context, sum string) error
}

// ValidBlobSum reports whether sum is what blobs are named by: a lower-case hex SHA-256.
func ValidBlobSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	for _, c := range sum {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Record is a small versioned record of a kind, such as the progress state of one learner.
type Record struct {
	Kind    string
	Key     string
	Data    []byte // opaque to the store
	Version int64  // set by the store: 1 on creation, one more on each write
}

// CounterDims is how many dimensions a counter has besides its series.
const CounterDims = 5

// CounterKey names a counter: a series and its dimension values (unused dimensions are "").
type CounterKey struct {
	Series string
	Dims   [CounterDims]string
}

// Counter is a counter and its value.
type Counter struct {
	Key   CounterKey
	Value int64
}

// CounterDelta adds N (possibly negative) to a counter; a counter never written is 0.
type CounterDelta struct {
	Key CounterKey
	N   int64
}

// RecordWrite replaces a record, and carries the counter changes that replacing it implies.
type RecordWrite struct {
	Record Record // Kind, Key and Data; Version is ignored
	// Prev is the version the write replaces; 0 means the record must not exist yet.
	Prev int64
	// Deltas are applied to the counters exactly once if and only if the record is written.
	Deltas []CounterDelta
}

// DimFilter selects values of one counter dimension. The zero value selects every value.
type DimFilter struct {
	In       []string // if not nil, only these values
	From, To string   // if not empty, only values ≥ From, ≤ To (byte-wise)
}

// CounterFilter selects counters: those of Series whose every dimension passes its filter.
type CounterFilter struct {
	Series []string // if not nil, only these series
	Dims   [CounterDims]DimFilter
}

// TallyStore keeps records whose writes move counters, so that derived counts (the progress
// roll-ups) stay exactly in step with the records they are derived from, without multi-document
// transactions. A backend that cannot write a record and its counters atomically keeps the deltas
// with the record as pending (an outbox), applies them idempotently, then clears them; it must
// apply pending deltas left by a failed write before Records returns that record or
// SettleRecords returns.
type TallyStore interface {
	// Records returns the records of kind with the given keys, in any order; keys not stored are
	// left out.
	Records(ctx context.Context, kind string, keys []string) ([]Record, error)
	// ScanRecords returns up to limit records of kind whose keys are > after, in key order.
	ScanRecords(ctx context.Context, kind, after string, limit int) ([]Record, error)
	// WriteRecords performs each write whose record still has version Prev (each on its own: a
	// stale write does not stop the others) and returns, in order, whether each was written. The
	// deltas of the written ones are applied exactly once; the counters reflect them on return.
	// A write repeating a key is an error wrapping ErrBadRequest, and writes nothing.
	WriteRecords(ctx context.Context, ws []RecordWrite) ([]bool, error)
	// Counters returns the counters selected by f, in any order. Counters whose value is 0 may be
	// left out.
	Counters(ctx context.Context, f CounterFilter) ([]Counter, error)
	// ResetTallies deletes every record of kind and every counter: the start of a rebuild.
	ResetTallies(ctx context.Context, kind string) error
	// SettleRecords applies the pending deltas of writes that failed half-way (no-op for a
	// backend that writes records and counters atomically).
	SettleRecords(ctx context.Context) error
}

// DocumentPage is one page of ScanDocuments. Cursor is empty on the last page.
type DocumentPage struct {
	Documents []Document
	Cursor    string
}

// Counts is how many records of each kind a store holds.
type Counts struct {
	Statements int64 // voided ones included
	Documents  int64 // every kind
	Blobs      int64
	Clients    int64
}

// ScanStore reads back everything a store holds, page by page, so that a whole store can be copied
// into another (lrs migrate). Each scan has a fixed order, so paging through a store that nothing
// writes to visits every record exactly once.
type ScanStore interface {
	// ScanStatements returns up to limit stored records, voided ones included, after the position
	// cursor ("" to start; otherwise a Cursor this method returned). Keys are left empty. The
	// order is the store's, but records with the same Stored come in the order they were stored,
	// so that inserting them in scan order elsewhere keeps the order of query results. The
	// page's Cursor is empty when no record follows.
	ScanStatements(ctx context.Context, cursor string, limit int) (StatementPage, error)
	// ScanDocuments returns up to limit documents of every kind after cursor, like ScanStatements.
	ScanDocuments(ctx context.Context, cursor string, limit int) (DocumentPage, error)
	// ScanBlobs returns up to limit sums of stored blobs, in ascending order, greater than after.
	ScanBlobs(ctx context.Context, after string, limit int) ([]string, error)
	// Count counts the records of each kind.
	Count(ctx context.Context) (Counts, error)
}

// Store is everything the LRS persists. One implementation per backend; all of them pass the
// shared behaviour suite in lrs/storetest.
type Store interface {
	StatementStore
	DocumentStore
	BlobStore
	ClientStore
	ScanStore
	TallyStore
	// Ping reports whether the database is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
