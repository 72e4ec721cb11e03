package lrs

import (
	"context"
	"errors"
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

// Store is everything the LRS persists. One implementation per backend; all of them pass the
// shared behaviour suite in lrs/storetest.
type Store interface {
	StatementStore
	ClientStore
	// Ping reports whether the database is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
