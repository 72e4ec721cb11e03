package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/yrkesresan/lrs/lrs"
)

// Records and counters (lrs.TallyStore). WriteRecords writes the records and their counter
// deltas in one transaction, so nothing is ever pending and SettleRecords has nothing to do.
// Record keys and counter dimensions travel to SQLite as JSON text, so they must be UTF-8 (they
// come from decoded JSON).

// Records implements lrs.TallyStore.
func (s *Store) Records(ctx context.Context, kind string, keys []string) ([]lrs.Record, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	// CROSS JOIN keeps json_each the outer loop: with kind a bound constant, the planner would
	// otherwise walk every record of the kind (measured: 320 ms a call at 50,000 learners).
	st, err := s.read(ctx, `SELECT r.key, r.version, r.data FROM json_each(?) j
		CROSS JOIN records r ON r.kind = ? AND r.key = j.value`)
	if err != nil {
		return nil, wrap("records", err)
	}
	rows, err := st.QueryContext(ctx, asJSON(keys), kind)
	if err != nil {
		return nil, wrap("records", err)
	}
	recs, err := scanRecords(rows, kind)
	if err != nil {
		return nil, wrap("records", err)
	}
	return recs, nil
}

// ScanRecords implements lrs.TallyStore.
func (s *Store) ScanRecords(ctx context.Context, kind, after string, limit int) ([]lrs.Record, error) {
	st, err := s.read(ctx, `SELECT key, version, data FROM records WHERE kind = ? AND key > ? ORDER BY key LIMIT ?`)
	if err != nil {
		return nil, wrap("scan records", err)
	}
	rows, err := st.QueryContext(ctx, kind, after, limit)
	if err != nil {
		return nil, wrap("scan records", err)
	}
	recs, err := scanRecords(rows, kind)
	if err != nil {
		return nil, wrap("scan records", err)
	}
	return recs, nil
}

func scanRecords(rows *sql.Rows, kind string) ([]lrs.Record, error) {
	defer rows.Close()
	var recs []lrs.Record
	for rows.Next() {
		r := lrs.Record{Kind: kind}
		if err := rows.Scan(&r.Key, &r.Version, &r.Data); err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

type recordID struct{ kind, key string }

// WriteRecords implements lrs.TallyStore. Calls that arrive while another commits wait and share
// the next transaction (group commit): a roll-up write is small, so its commit is mostly the
// fsync, and concurrent requests would otherwise pay one each on the single writer connection.
func (s *Store) WriteRecords(ctx context.Context, ws []lrs.RecordWrite) ([]bool, error) {
	seen := make(map[recordID]bool, len(ws))
	for _, w := range ws {
		id := recordID{w.Record.Kind, w.Record.Key}
		if seen[id] {
			return nil, fmt.Errorf("sqlite: write records: %w: record %s %q written twice", lrs.ErrBadRequest, id.kind, id.key)
		}
		seen[id] = true
	}
	c := &recordCall{ws: ws, written: make([]bool, len(ws)), done: make(chan struct{})}
	if len(ws) == 0 {
		return c.written, nil
	}
	g := &s.recordGroup
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		<-c.done // the leader commits it, or hands this call the lead
		if !c.lead {
			return c.written, c.err
		}
		g.mu.Lock()
	}
	g.leading = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	// Not the leader's context alone: the other callers' writes are in the transaction too.
	err := s.commitRecords(context.WithoutCancel(ctx), batch)
	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		next.lead = true
		close(next.done)
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	for _, b := range batch {
		if b.err = err; err != nil {
			clear(b.written)
		}
		if b != c {
			close(b.done)
		}
	}
	return c.written, c.err
}

// recordGroup queues the WriteRecords calls waiting for the transaction in progress.
type recordGroup struct {
	mu      sync.Mutex
	leading bool // a caller is committing; the others queue
	queue   []*recordCall
}

// recordCall is one WriteRecords call: its writes, and once done its outcome.
type recordCall struct {
	ws      []lrs.RecordWrite
	written []bool
	err     error
	lead    bool          // woken to commit the queue rather than with an outcome
	done    chan struct{} // closed when written and err are set, or lead
}

// commitRecords performs the calls in one transaction, in order, as if one after the other: a
// record written by an earlier call has its new version for the later ones. Each write is one
// conditional statement, which both compares and swaps.
func (s *Store) commitRecords(ctx context.Context, calls []*recordCall) error {
	err := inTx(ctx, s.w, func(tx *sql.Tx) error {
		w := s.tallies.in(ctx, tx)
		sums := make(map[lrs.CounterKey]int64)
		for _, c := range calls {
			for i, rw := range c.ws {
				data := rw.Record.Data
				if data == nil {
					data = []byte{} // a NULL would break the column's NOT NULL
				}
				st := w.updateStmt
				if rw.Prev == 0 {
					st = w.createStmt
				}
				res, err := st.ExecContext(ctx, rw.Record.Kind, rw.Record.Key, rw.Prev, data)
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				if n == 0 {
					continue // stale
				}
				c.written[i] = true
				for _, d := range rw.Deltas {
					sums[d.Key] += d.N
				}
			}
		}
		return w.add(ctx, sums)
	})
	if err != nil {
		return wrap("write records", err)
	}
	return nil
}

// Counters implements lrs.TallyStore.
func (s *Store) Counters(ctx context.Context, f lrs.CounterFilter) ([]lrs.Counter, error) {
	q, args := counterQuery(f)
	st, err := s.read(ctx, q)
	if err != nil {
		return nil, wrap("counters", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, wrap("counters", err)
	}
	defer rows.Close()
	var out []lrs.Counter
	for rows.Next() {
		var c lrs.Counter
		d := &c.Key.Dims
		if err := rows.Scan(&c.Key.Series, &d[0], &d[1], &d[2], &d[3], &d[4], &c.Value); err != nil {
			return nil, wrap("counters", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("counters", err)
	}
	return out, nil
}

// counterQuery is the SELECT for f. Its text depends only on which filters are set, so the
// prepared statements it is cached under stay few.
func counterQuery(f lrs.CounterFilter) (string, []any) {
	conds := []string{"value != 0"}
	var args []any
	in := func(col string, vals []string) {
		conds = append(conds, col+` IN (SELECT value FROM json_each(?))`)
		args = append(args, asJSON(append([]string{}, vals...)))
	}
	if f.Series != nil {
		in("series", f.Series)
	}
	for i, d := range f.Dims {
		col := fmt.Sprintf("d%d", i)
		if d.In != nil {
			in(col, d.In)
		}
		if d.From != "" {
			conds = append(conds, col+` >= ?`)
			args = append(args, d.From)
		}
		if d.To != "" {
			conds = append(conds, col+` <= ?`)
			args = append(args, d.To)
		}
	}
	return `SELECT series, d0, d1, d2, d3, d4, value FROM counters WHERE ` + strings.Join(conds, " AND "), args
}

// ResetTallies implements lrs.TallyStore, in one transaction.
func (s *Store) ResetTallies(ctx context.Context, kind string) error {
	err := inTx(ctx, s.w, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM records WHERE kind = ?`, kind); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM counters`)
		return err
	})
	if err != nil {
		return wrap("reset tallies", err)
	}
	return nil
}

// SettleRecords implements lrs.TallyStore: records and counters are written together, so no
// write is ever left half-done.
func (s *Store) SettleRecords(context.Context) error { return nil }

// tallyWrites are the statements of WriteRecords, prepared on the writer connection at Open.
// Parameters of create and update: kind, key, the version replaced, data.
type tallyWrites struct {
	// createStmt creates a record unless one exists.
	createStmt *sql.Stmt
	// updateStmt replaces a record if it has the version replaced.
	updateStmt *sql.Stmt
	// addStmt adds to counters given as a JSON array of [series, d0..d4, n].
	addStmt *sql.Stmt
}

func prepareTallyWrites(ctx context.Context, db *sql.DB) (tallyWrites, error) {
	var w tallyWrites
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&w.createStmt, `INSERT INTO records (kind, key, version, data) VALUES (?1, ?2, ?3 + 1, ?4)
			ON CONFLICT (kind, key) DO NOTHING`},
		{&w.updateStmt, `UPDATE records SET version = ?3 + 1, data = ?4 WHERE kind = ?1 AND key = ?2 AND version = ?3`},
		{&w.addStmt, `INSERT INTO counters (series, d0, d1, d2, d3, d4, value)
			SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6
			FROM json_each(?) WHERE true
			ON CONFLICT (series, d0, d1, d2, d3, d4) DO UPDATE SET value = value + excluded.value`},
	} {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return w, errors.Join(err, w.close())
		}
		*p.dst = st
	}
	return w, nil
}

func (w tallyWrites) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.createStmt, w.updateStmt, w.addStmt} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

func (w tallyWrites) in(ctx context.Context, tx *sql.Tx) tallyWrites {
	return tallyWrites{
		createStmt: tx.StmtContext(ctx, w.createStmt),
		updateStmt: tx.StmtContext(ctx, w.updateStmt),
		addStmt:    tx.StmtContext(ctx, w.addStmt),
	}
}

// add adds the sums to their counters in one statement; zero sums are left out.
func (w tallyWrites) add(ctx context.Context, sums map[lrs.CounterKey]int64) error {
	rows := make([][7]any, 0, len(sums))
	for k, n := range sums {
		if n != 0 {
			d := k.Dims
			rows = append(rows, [7]any{k.Series, d[0], d[1], d[2], d[3], d[4], n})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := w.addStmt.ExecContext(ctx, asJSON(rows))
	return err
}
