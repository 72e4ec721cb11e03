package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// The documents table keys a document by all of DocumentKey's fields; unused ones are ''.

// Document implements lrs.DocumentStore.
func (s *Store) Document(ctx context.Context, key lrs.DocumentKey) (lrs.Document, error) {
	st, err := s.read(ctx, `SELECT content_type, content, etag, updated FROM documents
		WHERE kind = ? AND activity = ? AND agent = ? AND registration = ? AND id = ?`)
	if err != nil {
		return lrs.Document{}, wrap("document", err)
	}
	doc := lrs.Document{Key: key}
	var updated int64
	err = st.QueryRowContext(ctx, keyArgs(key)...).Scan(&doc.ContentType, &doc.Content, &doc.ETag, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return lrs.Document{}, fmt.Errorf("sqlite: document %s %q: %w", key.Kind, key.ID, lrs.ErrNotFound)
	}
	if err != nil {
		return lrs.Document{}, wrap("document", err)
	}
	doc.Updated = time.Unix(0, updated).UTC()
	return doc, nil
}

// DocumentIDs implements lrs.DocumentStore.
func (s *Store) DocumentIDs(ctx context.Context, key lrs.DocumentKey, since time.Time) ([]string, error) {
	q, args := scopeWhere(key)
	if !since.IsZero() {
		q += ` AND updated > ?`
		args = append(args, nanos(since))
	}
	st, err := s.read(ctx, `SELECT DISTINCT id FROM documents WHERE `+q+` ORDER BY id`)
	if err != nil {
		return nil, wrap("document ids", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, wrap("document ids", err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("document ids", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("document ids", err)
	}
	return ids, nil
}

// PutDocument implements lrs.DocumentStore. The single writer connection serialises the
// compare and the swap.
func (s *Store) PutDocument(ctx context.Context, doc lrs.Document, prev string) error {
	err := inTx(ctx, s.w, func(tx *sql.Tx) error {
		if err := checkETag(ctx, tx, doc.Key, prev, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO documents
			(kind, activity, agent, registration, id, content_type, content, etag, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(keyArgs(doc.Key), doc.ContentType, doc.Content, doc.ETag, nanos(doc.Updated))...)
		return err
	})
	if err != nil && !errors.Is(err, lrs.ErrStale) {
		return wrap("put document", err)
	}
	return err
}

// DeleteDocument implements lrs.DocumentStore.
func (s *Store) DeleteDocument(ctx context.Context, key lrs.DocumentKey, prev string) error {
	err := inTx(ctx, s.w, func(tx *sql.Tx) error {
		if prev != "" {
			if err := checkETag(ctx, tx, key, prev, false); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM documents
			WHERE kind = ? AND activity = ? AND agent = ? AND registration = ? AND id = ?`, keyArgs(key)...)
		return err
	})
	if err != nil && !errors.Is(err, lrs.ErrStale) {
		return wrap("delete document", err)
	}
	return err
}

// DeleteDocuments implements lrs.DocumentStore.
func (s *Store) DeleteDocuments(ctx context.Context, key lrs.DocumentKey) error {
	q, args := scopeWhere(key)
	if _, err := s.w.ExecContext(ctx, `DELETE FROM documents WHERE `+q, args...); err != nil {
		return wrap("delete documents", err)
	}
	return nil
}

// checkETag returns lrs.ErrStale unless the stored document's ETag is prev, or (when
// absentMatchesEmpty) no document is stored and prev is "".
func checkETag(ctx context.Context, tx *sql.Tx, key lrs.DocumentKey, prev string, absentMatchesEmpty bool) error {
	var etag string
	err := tx.QueryRowContext(ctx, `SELECT etag FROM documents
		WHERE kind = ? AND activity = ? AND agent = ? AND registration = ? AND id = ?`, keyArgs(key)...).Scan(&etag)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if absentMatchesEmpty && prev == "" {
			return nil
		}
		return fmt.Errorf("sqlite: document %q is not stored: %w", key.ID, lrs.ErrStale)
	case err != nil:
		return err
	case etag != prev:
		return fmt.Errorf("sqlite: document %q has changed: %w", key.ID, lrs.ErrStale)
	}
	return nil
}

func keyArgs(k lrs.DocumentKey) []any {
	return []any{string(k.Kind), k.Activity, k.Agent, k.Registration, k.ID}
}

// scopeWhere selects the documents DocumentIDs lists for key.
func scopeWhere(key lrs.DocumentKey) (string, []any) {
	q := `kind = ? AND activity = ? AND agent = ?`
	args := []any{string(key.Kind), key.Activity, key.Agent}
	if key.Registration != "" {
		q += ` AND registration = ?`
		args = append(args, key.Registration)
	}
	return q, args
}
