package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/storetest"
)

// openAt opens the store at path and closes it when the test ends.
func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openTemp(t *testing.T) *Store { return openAt(t, filepath.Join(t.TempDir(), "lrs.db")) }

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) lrs.Store {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "lrs.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "lrs.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	stored := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	rec := lrs.StatementRecord{ID: "6d1b9d5e-7b1e-4c52-9a49-7f0ad51f0b11", Stored: stored, Statement: []byte(`{"a":1}`),
		Keys: []lrs.Key{{Kind: lrs.KeyVerb, Value: "http://example.com/v"}}}
	if err := s.InsertStatements(ctx, []lrs.StatementRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutClient(ctx, lrs.Client{Key: "k", Name: "n", Created: stored}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	page, err := s.QueryStatements(ctx, lrs.StatementQuery{Keys: rec.Keys, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Statements) != 1 || page.Statements[0].ID != rec.ID || !page.Statements[0].Stored.Equal(stored) {
		t.Errorf("after reopening: %+v, want %+v", page.Statements, rec)
	}
	if c, err := s.Client(ctx, "k"); err != nil || c.Name != "n" {
		t.Errorf("client after reopening: %+v, %v", c, err)
	}
	var versions int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil || versions != len(migrations) {
		t.Errorf("schema_migrations has %d rows (%v), want %d", versions, err, len(migrations))
	}
}

// TestKilledWriter checks that a write survives the kill -9 of the process that made it, right
// after InsertStatements returned: the statement is only in the WAL, never checkpointed.
func TestKilledWriter(t *testing.T) {
	rec := lrs.StatementRecord{ID: "0b9c7e8a-3d2f-4a61-8e5b-2c4d6f8a0b1c", Stored: time.Now(), Statement: []byte(`{"killed":true}`)}
	if path := os.Getenv("LRS_SQLITE_KILL_PATH"); path != "" {
		s, err := Open(context.Background(), path)
		if err == nil {
			err = s.InsertStatements(context.Background(), []lrs.StatementRecord{rec})
		}
		if err != nil {
			t.Fatal(err)
		}
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill()
		select {}
	}
	path := filepath.Join(t.TempDir(), "lrs.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriter$")
	cmd.Env = append(os.Environ(), "LRS_SQLITE_KILL_PATH="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Exited() {
		t.Fatalf("writer process was not killed: %v\n%s", err, out)
	}
	s := openAt(t, path)
	recs, err := s.Statements(t.Context(), []string{rec.ID})
	if err != nil || len(recs) != 1 || string(recs[0].Statement) != string(rec.Statement) {
		t.Errorf("after the writer was killed: %+v, %v", recs, err)
	}
}

func TestLockedIsUnavailable(t *testing.T) {
	defer func(d time.Duration) { busyTimeout = d }(busyTimeout)
	busyTimeout = 50 * time.Millisecond
	path := filepath.Join(t.TempDir(), "lrs.db")
	s := openAt(t, path)
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO clients (key, secret_hash, name, scopes, created, revoked) VALUES ('x', '', '', '[]', 0, 0)`); err != nil {
		t.Fatal(err)
	}

	err = s.InsertStatements(t.Context(), []lrs.StatementRecord{{ID: "a", Statement: []byte(`{}`)}})
	if !errors.Is(err, lrs.ErrUnavailable) {
		t.Errorf("insert while another process writes: %v, want an error wrapping lrs.ErrUnavailable", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping while another process writes: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing", "lrs.db"))
	if !errors.Is(err, lrs.ErrUnavailable) {
		t.Errorf("Open in a missing directory: %v, want an error wrapping lrs.ErrUnavailable", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.InsertStatements(ctx, []lrs.StatementRecord{{ID: "a", Statement: []byte(`{}`)}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("insert with a canceled context: %v", err)
	}
	page, err := s.QueryStatements(t.Context(), lrs.StatementQuery{Limit: 1})
	if err != nil || len(page.Statements) != 0 {
		t.Errorf("after the canceled insert: %v, %v", page.Statements, err)
	}
}

func TestTermsRarestFirst(t *testing.T) {
	s := openTemp(t)
	verb := lrs.Key{Kind: lrs.KeyVerb, Value: "http://example.com/v"}
	agent := func(n int) lrs.Key {
		return lrs.Key{Kind: lrs.KeyAgent, Value: fmt.Sprintf("mbox:mailto:%d@example.com", n)}
	}
	var recs []lrs.StatementRecord
	for n := range 10 {
		recs = append(recs, lrs.StatementRecord{ID: fmt.Sprint(n), Statement: []byte(`{}`), Keys: []lrs.Key{verb, agent(n % 2)}})
	}
	if err := s.InsertStatements(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertStatements(t.Context(), recs[:1]); !errors.Is(err, lrs.ErrConflict) {
		t.Fatalf("conflicting insert: %v", err)
	}
	if err := s.InsertStatements(t.Context(), []lrs.StatementRecord{{ID: "x", Statement: []byte(`{}`), Keys: []lrs.Key{agent(1)}}}); err != nil {
		t.Fatal(err)
	}
	var terms int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM terms`).Scan(&terms); err != nil || terms != 3 {
		t.Errorf("%d terms (%v), want 3: each distinct key once", terms, err)
	}
	ids, found, err := s.terms(t.Context(), []lrs.Key{verb, agent(1), agent(0), verb})
	if err != nil || !found || len(ids) != 3 {
		t.Fatalf("terms: %v, %v, %v", ids, found, err)
	}
	rarest, _, _ := s.terms(t.Context(), []lrs.Key{agent(0)})
	if ids[0] != rarest[0] {
		t.Errorf("terms %v do not start with the rarest, %d", ids, rarest[0])
	}
}

// TestQueryPlan checks that every page query reads an index in result order (no sorting) and
// looks up the other keys by primary key.
func TestQueryPlan(t *testing.T) {
	s := openTemp(t)
	for nterms := range 4 {
		for _, asc := range []bool{false, true} {
			q := selectSQL(nterms, asc)
			rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, 0, 0, 0, 0, 0, 1, 2, 3)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			text := strings.Join(plan, "\n")
			t.Logf("%d keys, ascending %v:\n%s", nterms, asc, text)
			want := []string{"SEARCH s USING INDEX statements_live (stored>? AND stored<?)"}
			if nterms > 0 {
				want = []string{"SEARCH k USING PRIMARY KEY (term=? AND (stored,seq)>(?,?) AND (stored,seq)<(?,?))", "SEARCH s USING INTEGER PRIMARY KEY (rowid=?)"}
			}
			for i := 1; i < nterms; i++ {
				want = append(want, fmt.Sprintf("SEARCH k%d USING PRIMARY KEY (term=? AND stored=? AND seq=?)", i))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%d keys, ascending %v: plan lacks %q", nterms, asc, w)
				}
			}
			if strings.Contains(text, "TEMP B-TREE") {
				t.Errorf("%d keys, ascending %v: plan sorts", nterms, asc)
			}
		}
	}
}
