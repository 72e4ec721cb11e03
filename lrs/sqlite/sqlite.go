// Package sqlite is the embedded lrs.Store: one SQLite database file, through the pure Go
// driver modernc.org/sqlite.
//
// The database runs in WAL mode with synchronous=FULL, so a write is durable once
// InsertStatements returns, even across power loss. Writes go through a single connection (SQLite
// admits one writer at a time anyway) whose transactions begin IMMEDIATE; reads use a separate
// pool that WAL lets run alongside the writer.
//
// Schema (see migrations):
//   - statements: one row per statement. seq, the rowid, is the storage order; stored is Unix
//     nanoseconds; voided is kept up to date on insert, whichever of a target and its voiding
//     statement comes first.
//   - terms: every distinct (kind, value) key, numbered. Key values (IRIs, agent identifiers) are
//     stored once here, not once per statement; rows are only added, so their ids are cached.
//   - statement_keys: (term, stored, seq), a WITHOUT ROWID table whose primary key is the only
//     index a query needs: the rows of one term come in result order. A query reads the rows of
//     its rarest term (counted up to a cap), newest or oldest first, looks each row up under the
//     other terms by primary key, and stops after Limit matches.
//   - clients: API clients.
//   - documents: State, Activity Profile and Agent Profile documents and canonical activity
//     definitions, keyed by every field of lrs.DocumentKey.
//   - records, counters: lrs.TallyStore (tally.go); a record write and its counter deltas
//     commit together.
//
// Blobs are files in the "blobs" directory beside the database file (package fileblob).
//
// There are no foreign keys: rows are only ever inserted, a statement and its keys in one
// transaction. A page cursor is the (stored, seq) position of the last statement returned.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/fileblob"
)

// Store is an lrs.Store in a SQLite database file.
type Store struct {
	*fileblob.Store
	w       *sql.DB // the single writer connection
	r       *sql.DB // read-only connections
	writes  writes
	tallies tallyWrites
	termIDs termCache

	recordGroup recordGroup // WriteRecords calls waiting for the next transaction

	mu    sync.Mutex
	reads map[string]*sql.Stmt // statements on r by SQL text, prepared on first use
}

var _ lrs.Store = (*Store)(nil)

// busyTimeout is how long a statement waits for a lock held by another connection or process
// before failing with lrs.ErrUnavailable.
var busyTimeout = 5 * time.Second

// Open opens (creating if needed) the SQLite database file at path, applies migrations, and returns the store.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	if err != nil {
		return nil, wrap("open "+path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s := &Store{reads: make(map[string]*sql.Stmt)}
	// The writer: 32 MiB of page cache; statement journals in memory; the WAL checkpointed every
	// 1000 pages (SQLite's default). The checkpoint runs inside the commit that crosses the
	// threshold; at 10000 pages batch ingest was ~20% faster but each checkpoint stalled writes
	// for ~50 ms (single-statement p99 33 ms instead of 11 ms; docs/benchmarks.md).
	s.w, err = openDB(abs, 1, "_txlock=immediate", "_pragma=journal_mode(WAL)", "_pragma=cache_size(-32768)",
		"_pragma=temp_store(MEMORY)", "_pragma=wal_autocheckpoint(1000)")
	if err != nil {
		return nil, err
	}
	s.r, err = openDB(abs, max(4, runtime.NumCPU()), "_pragma=query_only(1)", "_pragma=cache_size(-8192)")
	if err != nil {
		return nil, errors.Join(err, s.w.Close())
	}
	if err := s.init(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	// After the database, so a missing data directory is an error rather than created here.
	if s.Store, err = fileblob.Open(filepath.Join(filepath.Dir(abs), "blobs")); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// init migrates the schema (creating the file), prepares the writes and checks that the read
// connections work.
func (s *Store) init(ctx context.Context) error {
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	var err error
	if s.writes, err = prepareWrites(ctx, s.w); err != nil {
		return err
	}
	if s.tallies, err = prepareTallyWrites(ctx, s.w); err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

// openDB returns a pool of at most conns connections to the file with the given DSN parameters
// besides the common ones. It connects on first use.
func openDB(path string, conns int, params ...string) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" +
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) +
		"&_pragma=synchronous(FULL)"
	for _, p := range params {
		dsn += "&" + p
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Ping reports whether the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// Close closes the database; the last connection to close checkpoints the WAL into the file.
func (s *Store) Close() error {
	errs := []error{s.writes.close(), s.tallies.close()}
	s.mu.Lock()
	for _, st := range s.reads {
		errs = append(errs, st.Close())
	}
	s.mu.Unlock()
	if err := errors.Join(append(errs, s.r.Close(), s.w.Close())...); err != nil {
		return wrap("close", err)
	}
	return nil
}

// read returns query prepared on the read pool.
func (s *Store) read(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.reads[query]; ok {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.reads[query] = st
	return st, nil
}

// wrap adds the operation to err and marks the errors a retry may cure as lrs.ErrUnavailable.
func wrap(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, lrs.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// unavailable reports whether err says the database is locked by someone else, cannot be
// opened, or cannot be read or written (I/O error, full disk).
func unavailable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return true
	}
	return false
}

// inTx runs fn in a write transaction and commits it if fn succeeds.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
