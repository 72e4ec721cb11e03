package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema history. Version v is migrations[v-1]. Append only: never edit or
// reorder an entry once released.
var migrations = []string{
	// 1: statements, their keys, API clients.
	`CREATE TABLE statements (
		seq       INTEGER PRIMARY KEY,
		id        TEXT    NOT NULL UNIQUE,
		stored    INTEGER NOT NULL,
		voids     TEXT,
		voided    INTEGER NOT NULL,
		statement BLOB    NOT NULL
	);
	CREATE INDEX statements_voids ON statements (voids) WHERE voids IS NOT NULL;
	CREATE INDEX statements_live ON statements (stored) WHERE voided = 0;
	CREATE TABLE terms (
		id    INTEGER PRIMARY KEY,
		kind  TEXT    NOT NULL,
		value TEXT    NOT NULL,
		UNIQUE (kind, value)
	);
	CREATE TABLE statement_keys (
		term   INTEGER NOT NULL,
		stored INTEGER NOT NULL,
		seq    INTEGER NOT NULL,
		PRIMARY KEY (term, stored, seq)
	) WITHOUT ROWID;
	CREATE TABLE clients (
		key         TEXT    PRIMARY KEY,
		secret_hash TEXT    NOT NULL,
		name        TEXT    NOT NULL,
		scopes      TEXT    NOT NULL,
		created     INTEGER NOT NULL,
		revoked     INTEGER NOT NULL
	) WITHOUT ROWID;`,
	// 2: documents (State, Activity Profile, Agent Profile, canonical activity definitions).
	// A rowid table, so large contents stay out of the key index.
	`CREATE TABLE documents (
		kind         TEXT    NOT NULL,
		activity     TEXT    NOT NULL,
		agent        TEXT    NOT NULL,
		registration TEXT    NOT NULL,
		id           TEXT    NOT NULL,
		content_type TEXT    NOT NULL,
		content      BLOB    NOT NULL,
		etag         TEXT    NOT NULL,
		updated      INTEGER NOT NULL
	);
	CREATE UNIQUE INDEX documents_key ON documents (kind, activity, agent, registration, id);`,
	// 3: the organisation of API clients; records and counters (lrs.TallyStore). A record is a
	// rowid table row, so its data stays out of the key index; counters are keyed by series and
	// dimensions in order, so filters on the leading dimensions seek.
	`ALTER TABLE clients ADD COLUMN org TEXT NOT NULL DEFAULT '';
	CREATE TABLE records (
		kind    TEXT    NOT NULL,
		key     TEXT    NOT NULL,
		version INTEGER NOT NULL,
		data    BLOB    NOT NULL
	);
	CREATE UNIQUE INDEX records_key ON records (kind, key);
	CREATE TABLE counters (
		series TEXT    NOT NULL,
		d0     TEXT    NOT NULL,
		d1     TEXT    NOT NULL,
		d2     TEXT    NOT NULL,
		d3     TEXT    NOT NULL,
		d4     TEXT    NOT NULL,
		value  INTEGER NOT NULL,
		PRIMARY KEY (series, d0, d1, d2, d3, d4)
	) WITHOUT ROWID;`,
}

// migrate applies the migrations the database lacks, each in its own transaction, and records
// each in schema_migrations.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for v := 1; v <= len(migrations); v++ {
		if err := inTx(ctx, db, func(tx *sql.Tx) error { return applyMigration(ctx, tx, v) }); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	return nil
}

// applyMigration applies version v unless the database has it. Inside the transaction, so that
// processes opening the file at the same time apply each version once.
func applyMigration(ctx context.Context, tx *sql.Tx, v int) error {
	var latest int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&latest); err != nil {
		return err
	}
	if latest > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this program's %d", latest, len(migrations))
	}
	if latest >= v {
		return nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, time.Now().UnixNano())
	return err
}
