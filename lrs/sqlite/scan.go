package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// ScanStatements implements lrs.ScanStore: statements by seq, the storage order. The cursor is
// the seq of the last statement returned.
func (s *Store) ScanStatements(ctx context.Context, cursor string, limit int) (lrs.StatementPage, error) {
	after, err := parseRowCursor(cursor)
	if err != nil {
		return lrs.StatementPage{}, err
	}
	st, err := s.read(ctx, `SELECT seq, id, stored, voids, voided, statement FROM statements
		WHERE seq > ? ORDER BY seq LIMIT ?`)
	if err != nil {
		return lrs.StatementPage{}, wrap("scan statements", err)
	}
	rows, err := st.QueryContext(ctx, after, limit+1)
	if err != nil {
		return lrs.StatementPage{}, wrap("scan statements", err)
	}
	defer rows.Close()
	var page lrs.StatementPage
	var seq int64
	for rows.Next() {
		if len(page.Statements) == limit {
			page.Cursor = rowCursor(seq)
			break
		}
		var r lrs.StatementRecord
		var stored int64
		var voids sql.NullString
		if err := rows.Scan(&seq, &r.ID, &stored, &voids, &r.Voided, &r.Statement); err != nil {
			return lrs.StatementPage{}, wrap("scan statements", err)
		}
		r.Stored, r.Voids = time.Unix(0, stored).UTC(), voids.String
		page.Statements = append(page.Statements, r)
	}
	if err := rows.Err(); err != nil {
		return lrs.StatementPage{}, wrap("scan statements", err)
	}
	return page, nil
}

// ScanDocuments implements lrs.ScanStore: documents by rowid. The cursor is the rowid of the last
// document returned.
func (s *Store) ScanDocuments(ctx context.Context, cursor string, limit int) (lrs.DocumentPage, error) {
	after, err := parseRowCursor(cursor)
	if err != nil {
		return lrs.DocumentPage{}, err
	}
	st, err := s.read(ctx, `SELECT rowid, kind, activity, agent, registration, id, content_type, content, etag, updated
		FROM documents WHERE rowid > ? ORDER BY rowid LIMIT ?`)
	if err != nil {
		return lrs.DocumentPage{}, wrap("scan documents", err)
	}
	rows, err := st.QueryContext(ctx, after, limit+1)
	if err != nil {
		return lrs.DocumentPage{}, wrap("scan documents", err)
	}
	defer rows.Close()
	var page lrs.DocumentPage
	var rowid int64
	for rows.Next() {
		if len(page.Documents) == limit {
			page.Cursor = rowCursor(rowid)
			break
		}
		var d lrs.Document
		var updated int64
		if err := rows.Scan(&rowid, &d.Key.Kind, &d.Key.Activity, &d.Key.Agent, &d.Key.Registration, &d.Key.ID,
			&d.ContentType, &d.Content, &d.ETag, &updated); err != nil {
			return lrs.DocumentPage{}, wrap("scan documents", err)
		}
		d.Updated = time.Unix(0, updated).UTC()
		page.Documents = append(page.Documents, d)
	}
	if err := rows.Err(); err != nil {
		return lrs.DocumentPage{}, wrap("scan documents", err)
	}
	return page, nil
}

// Count implements lrs.ScanStore.
func (s *Store) Count(ctx context.Context) (lrs.Counts, error) {
	var c lrs.Counts
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM statements), (SELECT count(*) FROM documents),
		(SELECT count(*) FROM clients)`).Scan(&c.Statements, &c.Documents, &c.Clients)
	if err != nil {
		return lrs.Counts{}, wrap("count", err)
	}
	if c.Blobs, err = s.CountBlobs(ctx); err != nil {
		return lrs.Counts{}, err
	}
	return c, nil
}

// A scan cursor is a rowid, 8 bytes: a query cursor (16 bytes) is refused here and vice versa.
func rowCursor(rowid int64) string {
	return base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(rowid)))
}

func parseRowCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("%w: scan cursor %q was not made by this store", lrs.ErrBadRequest, c)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
