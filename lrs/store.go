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

// Store is everything the LRS persists. One implementation per backend; all of them pass the
// shared behaviour suite in lrs/storetest.
type Store interface {
	StatementStore
	DocumentStore
	BlobStore
	ClientStore
	// Ping reports whether the database is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
