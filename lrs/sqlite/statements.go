package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// writes are the statements of InsertStatements, prepared on the writer connection at Open:
// inside a transaction, which holds that only connection, nothing more can be prepared on it.
type writes struct {
	// insert stores a record unless its id is taken (then it returns no row). A record is
	// voided on arrival when a voiding record stored earlier targets it.
	insert *sql.Stmt
	// void voids the stored target of a voiding record, unless it voids another itself.
	void *sql.Stmt
	// terms looks up the ids of keys given as a JSON array of [kind, value].
	terms *sql.Stmt
	// newTerms numbers keys not seen before, given like terms. Existing terms are only read, so
	// a batch dirties no pages for the keys it shares with earlier statements.
	newTerms *sql.Stmt
	// keys stores key rows given as a JSON array of [term, stored, seq].
	keys *sql.Stmt
}

// prepareWrites prepares the writes on db, the writer.
func prepareWrites(ctx context.Context, db *sql.DB) (writes, error) {
	var w writes
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&w.insert, `INSERT INTO statements (id, stored, voids, voided, statement)
			VALUES (?1, ?2, ?3, ?3 IS NULL AND EXISTS (SELECT 1 FROM statements WHERE voids = ?1), ?4)
			ON CONFLICT (id) DO NOTHING RETURNING seq`},
		{&w.void, `UPDATE statements SET voided = 1 WHERE id = ? AND voids IS NULL`},
		{&w.terms, `SELECT t.id, t.kind, t.value FROM json_each(?) j
			JOIN terms t ON t.kind = j.value ->> 0 AND t.value = j.value ->> 1`},
		{&w.newTerms, `INSERT INTO terms (kind, value)
			SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
			ON CONFLICT (kind, value) DO NOTHING RETURNING id, kind, value`},
		{&w.keys, `INSERT INTO statement_keys (term, stored, seq)
			SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)`},
	} {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return w, errors.Join(err, w.close())
		}
		*p.dst = st
	}
	return w, nil
}

func (w writes) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.insert, w.void, w.terms, w.newTerms, w.keys} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// in returns the statements bound to tx.
func (w writes) in(ctx context.Context, tx *sql.Tx) writes {
	return writes{
		insert:   tx.StmtContext(ctx, w.insert),
		void:     tx.StmtContext(ctx, w.void),
		terms:    tx.StmtContext(ctx, w.terms),
		newTerms: tx.StmtContext(ctx, w.newTerms),
		keys:     tx.StmtContext(ctx, w.keys),
	}
}

// InsertStatements writes the records in one transaction: all of them, or none and an error
// wrapping lrs.ErrConflict if an id is already stored or repeated in recs.
func (s *Store) InsertStatements(ctx context.Context, recs []lrs.StatementRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var fetched map[lrs.Key]int64
	err := inTx(ctx, s.w, func(tx *sql.Tx) error {
		var err error
		fetched, err = s.writes.in(ctx, tx).insertAll(ctx, recs, &s.termIDs)
		return err
	})
	if err != nil {
		return wrap("insert statements", err)
	}
	s.termIDs.add(fetched)
	return nil
}

// insertAll stores the records one by one, then the keys of all of them in one statement. It
// returns the term ids it read or made, for the cache once the transaction has committed.
func (w writes) insertAll(ctx context.Context, recs []lrs.StatementRecord, cache *termCache) (map[lrs.Key]int64, error) {
	seqs := make([]int64, len(recs))
	for i, r := range recs {
		seq, err := w.insertOne(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("statement %s: %w", r.ID, err)
		}
		seqs[i] = seq
	}
	keys := distinctKeys(recs)
	terms, fetched, err := w.upsertTerms(ctx, keys, cache)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var rows [][3]int64
	for i, r := range recs {
		for _, k := range keys[i] {
			rows = append(rows, [3]int64{terms[k], r.Stored.UnixNano(), seqs[i]})
		}
	}
	if len(rows) == 0 {
		return fetched, nil
	}
	if _, err := w.keys.ExecContext(ctx, asJSON(rows)); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return fetched, nil
}

// insertOne stores the record, voids its target if it has one, and returns its seq.
func (w writes) insertOne(ctx context.Context, r lrs.StatementRecord) (int64, error) {
	voids := sql.NullString{String: r.Voids, Valid: r.Voids != ""}
	var seq int64
	err := w.insert.QueryRowContext(ctx, r.ID, r.Stored.UnixNano(), voids, r.Statement).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, lrs.ErrConflict
	}
	if err != nil || !voids.Valid {
		return seq, err
	}
	_, err = w.void.ExecContext(ctx, voids)
	return seq, err
}

// distinctKeys returns the keys of each record without repeats.
func distinctKeys(recs []lrs.StatementRecord) [][]lrs.Key {
	out := make([][]lrs.Key, len(recs))
	for i, r := range recs {
		seen := make(map[lrs.Key]bool, len(r.Keys))
		for _, k := range r.Keys {
			if !seen[k] {
				seen[k] = true
				out[i] = append(out[i], k)
			}
		}
	}
	return out
}

// upsertTerms returns the ids of all the keys, and separately those it read from or added to the
// terms table because the cache did not know them.
func (w writes) upsertTerms(ctx context.Context, keys [][]lrs.Key, cache *termCache) (all, fetched map[lrs.Key]int64, err error) {
	var list []lrs.Key
	for _, ks := range keys {
		list = append(list, ks...)
	}
	slices.SortFunc(list, func(a, b lrs.Key) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value)) })
	list = slices.Compact(list)
	all = make(map[lrs.Key]int64, len(list))
	fetched = make(map[lrs.Key]int64)
	missing := cache.lookup(list, all)
	if len(missing) > 0 {
		if err := scanTerms(ctx, w.terms, termsJSON(missing), fetched); err != nil {
			return nil, nil, err
		}
	}
	var unknown []lrs.Key
	for _, k := range missing {
		if _, ok := fetched[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		if err := scanTerms(ctx, w.newTerms, termsJSON(unknown), fetched); err != nil {
			return nil, nil, err
		}
	}
	for k, id := range fetched {
		all[k] = id
	}
	return all, fetched, nil
}

// termsJSON encodes keys as the [kind, value] pairs the terms statements take.
func termsJSON(keys []lrs.Key) string {
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{string(k.Kind), k.Value}
	}
	return asJSON(pairs)
}

// scanTerms runs a terms query and adds the (id, kind, value) rows it returns to ids.
func scanTerms(ctx context.Context, st *sql.Stmt, arg string, ids map[lrs.Key]int64) error {
	rows, err := st.QueryContext(ctx, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k lrs.Key
		if err := rows.Scan(&id, &k.Kind, &k.Value); err != nil {
			return err
		}
		ids[k] = id
	}
	return rows.Err()
}

// asJSON encodes v, a non-empty slice of strings and numbers, as a JSON text parameter for
// json_each. (A []byte parameter would be a BLOB, which SQLite's JSON functions read as JSONB;
// JSON null would be one NULL row.)
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // unreachable: strings and numbers always encode
	}
	return string(b)
}

// Statements returns the stored records with the given ids, voided or not. Keys are not read.
func (s *Store) Statements(ctx context.Context, ids []string) ([]lrs.StatementRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, stored, voids, voided, statement FROM statements
		WHERE id IN (SELECT value FROM json_each(?))`, asJSON(ids))
	if err != nil {
		return nil, wrap("statements", err)
	}
	defer rows.Close()
	var recs []lrs.StatementRecord
	for rows.Next() {
		var r lrs.StatementRecord
		var stored int64
		var voids sql.NullString
		if err := rows.Scan(&r.ID, &stored, &voids, &r.Voided, &r.Statement); err != nil {
			return nil, wrap("statements", err)
		}
		r.Stored, r.Voids = time.Unix(0, stored).UTC(), voids.String
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("statements", err)
	}
	return recs, nil
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
	terms, found, err := s.terms(ctx, q.Keys)
	if err != nil || !found {
		return lrs.StatementPage{}, err
	}
	args := []any{lo.stored, lo.seq, hi.stored, hi.seq, q.Limit + 1}
	for _, t := range terms {
		args = append(args, t)
	}
	st, err := s.read(ctx, selectSQL(len(terms), q.Ascending))
	if err != nil {
		return lrs.StatementPage{}, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return lrs.StatementPage{}, err
	}
	defer rows.Close()
	return scanPage(rows, q.Limit)
}

// terms returns the ids of the distinct keys, the one carried by the fewest statements first
// (counted up to driverProbe). found is false if some key is carried by no statement.
func (s *Store) terms(ctx context.Context, keys []lrs.Key) (ids []int64, found bool, err error) {
	if len(keys) == 0 {
		return nil, true, nil
	}
	lookup, err := s.read(ctx, `SELECT id FROM terms WHERE kind = ? AND value = ?`)
	if err != nil {
		return nil, false, err
	}
	type term struct{ id, n int64 }
	var terms []term
	for _, k := range keys {
		var t term
		err := lookup.QueryRowContext(ctx, k.Kind, k.Value).Scan(&t.id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		terms = append(terms, t)
	}
	if len(terms) > 1 {
		count, err := s.read(ctx, `SELECT count(*) FROM (SELECT 1 FROM statement_keys WHERE term = ? LIMIT ?)`)
		if err != nil {
			return nil, false, err
		}
		for i := range terms {
			if err := count.QueryRowContext(ctx, terms[i].id, driverProbe).Scan(&terms[i].n); err != nil {
				return nil, false, err
			}
		}
	}
	slices.SortFunc(terms, func(a, b term) int { return cmp.Or(cmp.Compare(a.n, b.n), cmp.Compare(a.id, b.id)) })
	terms = slices.CompactFunc(terms, func(a, b term) bool { return a.id == b.id })
	for _, t := range terms {
		ids = append(ids, t.id)
	}
	return ids, true, nil
}

// driverProbe caps how many key rows are counted to choose the key that drives a query: past
// it, a key is "common" and the cheaper counting matters more than the exact figure.
const driverProbe = 1000

// selectSQL is the page query for nterms keys. Parameters: ?1, ?2 the exclusive lower bound
// (stored, seq); ?3, ?4 the exclusive upper bound; ?5 the row limit; ?6… the term ids, rarest
// first. Without keys it walks statements_live; with keys, the primary key of statement_keys
// from the rarest term, looking each other term up in the same key, and reads a statement only
// once it matched them all (CROSS JOIN fixes that order). Both give rows in result order.
func selectSQL(nterms int, asc bool) string {
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	if nterms == 0 {
		return `SELECT s.seq, s.id, s.stored, s.voids, s.statement FROM statements s
			WHERE s.voided = 0 AND (s.stored, s.seq) > (?1, ?2) AND (s.stored, s.seq) < (?3, ?4)
			ORDER BY s.stored ` + dir + `, s.seq ` + dir + ` LIMIT ?5`
	}
	var b strings.Builder
	b.WriteString(`SELECT s.seq, s.id, s.stored, s.voids, s.statement FROM statement_keys k`)
	for i := 1; i < nterms; i++ {
		fmt.Fprintf(&b, `
			CROSS JOIN statement_keys k%[1]d ON k%[1]d.term = ?%[2]d AND k%[1]d.stored = k.stored AND k%[1]d.seq = k.seq`, i, 6+i)
	}
	b.WriteString(`
			CROSS JOIN statements s ON s.seq = k.seq
			WHERE k.term = ?6 AND (k.stored, k.seq) > (?1, ?2) AND (k.stored, k.seq) < (?3, ?4) AND s.voided = 0
			ORDER BY k.stored ` + dir + `, k.seq ` + dir + ` LIMIT ?5`)
	return b.String()
}

// scanPage reads up to limit records and, if another row follows, the cursor of the last one.
func scanPage(rows *sql.Rows, limit int) (lrs.StatementPage, error) {
	var page lrs.StatementPage
	var last position
	for rows.Next() {
		if len(page.Statements) == limit {
			page.Cursor = last.cursor()
			break
		}
		var r lrs.StatementRecord
		var voids sql.NullString
		if err := rows.Scan(&last.seq, &r.ID, &last.stored, &voids, &r.Statement); err != nil {
			return lrs.StatementPage{}, err
		}
		r.Stored, r.Voids = time.Unix(0, last.stored).UTC(), voids.String
		page.Statements = append(page.Statements, r)
	}
	return page, rows.Err()
}

// position is a statement's place in result order.
type position struct{ stored, seq int64 }

func (p position) cursor() string {
	b := binary.BigEndian.AppendUint64(nil, uint64(p.stored))
	b = binary.BigEndian.AppendUint64(b, uint64(p.seq))
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(c string) (position, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 16 {
		return position{}, fmt.Errorf("%w: cursor %q was not made by this store", lrs.ErrBadRequest, c)
	}
	return position{int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint64(b[8:]))}, nil
}

// bounds returns the exclusive lower and upper positions of the page q asks for. A cursor, the
// last position of the previous page, lies within the time bounds of the same query.
func bounds(q lrs.StatementQuery) (lo, hi position, err error) {
	lo, hi = position{math.MinInt64, math.MinInt64}, position{math.MaxInt64, math.MaxInt64}
	if !q.Since.IsZero() {
		lo = position{nanos(q.Since), math.MaxInt64}
	}
	if !q.Until.IsZero() && q.Until.Before(maxTime) {
		hi = position{nanos(q.Until) + 1, math.MinInt64}
	}
	if q.Cursor == "" {
		return lo, hi, nil
	}
	c, err := parseCursor(q.Cursor)
	// A cursor narrows the query's time bounds; it never widens them.
	if q.Ascending {
		return maxPosition(lo, c), hi, err
	}
	return lo, minPosition(hi, c), err
}

// The times int64 nanoseconds can hold; query bounds beyond them are clamped (a since of year
// 1600 or an until of 9999 must still mean "no bound", not overflow).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func (p position) less(o position) bool {
	return p.stored < o.stored || (p.stored == o.stored && p.seq < o.seq)
}

func maxPosition(a, b position) position {
	if a.less(b) {
		return b
	}
	return a
}

func minPosition(a, b position) position {
	if a.less(b) {
		return a
	}
	return b
}
