package migrate_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/migrate"
	"github.com/yrkesresan/lrs/lrs/mongo"
	"github.com/yrkesresan/lrs/lrs/mongo/mongotest"
	"github.com/yrkesresan/lrs/lrs/sqlite"
)

func openSQLite(t *testing.T) lrs.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lrs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCopyToEmbedded(t *testing.T) {
	testCopy(t, openSQLite(t))
}

func TestCopyToMongoDB(t *testing.T) {
	uri, db := mongotest.Database(t)
	s, err := mongo.Open(t.Context(), uri, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	testCopy(t, s)
}

// testCopy fills an embedded store, copies it into to with two interruptions (in the statements,
// then in the documents), and compares the two stores record by record and query by query.
func testCopy(t *testing.T, to lrs.Store) {
	from := openSQLite(t)
	stored := fill(t, from)
	for _, stop := range []string{migrate.StageStatements, migrate.StageDocuments} {
		ctx, cancel := context.WithCancel(t.Context())
		_, err := migrate.Copy(ctx, from, to, migrate.Options{PageSize: 7, Progress: func(p migrate.Progress) {
			if p.Stage == stop && p.Done >= 14 {
				cancel()
			}
		}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("copy interrupted in the %s: %v, want context.Canceled", stop, err)
		}
	}
	var last map[string]migrate.Progress
	rep, err := migrate.Copy(t.Context(), from, to, migrate.Options{PageSize: 7, Progress: func(p migrate.Progress) {
		if last == nil {
			last = map[string]migrate.Progress{}
		}
		last[p.Stage] = p
	}})
	if err != nil {
		t.Fatalf("copy after the interruptions: %v", err)
	}
	if rep.Source != rep.Target || rep.Source.Statements != int64(stored) || rep.Copied.Statements != 0 ||
		rep.Copied.Documents == 0 || rep.Copied.Documents == rep.Source.Documents {
		t.Errorf("report %+v: want equal counts, the statements copied by the interrupted runs, and some documents", rep)
	}
	for stage, p := range last {
		if !p.Last || p.Done != p.Total {
			t.Errorf("last progress of the %s: %+v", stage, p)
		}
	}
	compare(t, from, to, stored)

	again, err := migrate.Copy(t.Context(), from, to, migrate.Options{})
	if err != nil || again.Copied != (lrs.Counts{}) {
		t.Errorf("copy of a complete copy: copied %+v, %v; want nothing", again.Copied, err)
	}
}

const (
	verbCompleted = "http://adlnet.gov/expapi/verbs/completed"
	verbAttempted = "http://adlnet.gov/expapi/verbs/attempted"
)

// fill stores, through the Service, statements from several learners in batches (so that
// stored times tie), StatementRefs, voiding statements before and after their targets, and
// documents, blobs and clients. It returns the number of statements.
func fill(t *testing.T, s lrs.Store) int {
	ctx := t.Context()
	svc := lrs.NewService(s, lrs.Options{Log: slog.New(slog.DiscardHandler)})
	authority := map[string]any{"objectType": "Agent", "account": map[string]any{"homePage": "http://lrs.test", "name": "admin"}}
	post := func(sts ...string) {
		t.Helper()
		req := lrs.WriteRequest{Version: lrs.Version103, Authority: authority}
		for _, st := range sts {
			v, err := lrs.DecodeJSON([]byte(st))
			if err != nil {
				t.Fatal(err)
			}
			req.Statements = append(req.Statements, v.(map[string]any))
		}
		if _, err := svc.WriteStatements(ctx, req); err != nil {
			t.Fatalf("WriteStatements: %v", err)
		}
	}
	id := func(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }
	statement := func(n int) string {
		verb := verbCompleted
		if n%3 == 0 {
			verb = verbAttempted
		}
		return fmt.Sprintf(`{"id":"%s","actor":{"account":{"homePage":"https://yrkesresan.se","name":"learner-%d"}},
			"verb":{"id":"%s"},"object":{"id":"https://yrkesresan.se/courses/c%d"},
			"context":{"registration":"%s","contextActivities":{"parent":[{"id":"https://yrkesresan.se/journeys/j%d"}]}}}`,
			id(n), n%5, verb, n%4, id(1000+n%2), n%2)
	}
	ref := func(n, target int) string {
		return fmt.Sprintf(`{"id":"%s","actor":{"mbox":"mailto:teacher@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/commented"},
			"object":{"objectType":"StatementRef","id":"%s"}}`, id(n), id(target))
	}
	void := func(n, target int) string {
		return fmt.Sprintf(`{"id":"%s","actor":{"mbox":"mailto:admin@example.com"},"verb":{"id":"%s"},
			"object":{"objectType":"StatementRef","id":"%s"}}`, id(n), lrs.VerbVoided, id(target))
	}
	const statements = 60
	post(void(900, 60)) // voids a statement stored later; a verb query does not match it
	for n := 1; n <= statements; {
		var batch []string
		for ; len(batch) < 1+n%4 && n <= statements; n++ {
			batch = append(batch, statement(n))
		}
		post(batch...)
		time.Sleep(time.Millisecond)
	}
	post(ref(901, 2), ref(902, 901), void(903, 5), ref(905, 906), statement(906))
	post(void(904, 7))

	var keys []lrs.DocumentKey
	for i := range 5 {
		learner := fmt.Sprintf("learner-%d", i)
		keys = append(keys,
			lrs.DocumentKey{Kind: lrs.DocState, Activity: "https://yrkesresan.se/courses/c1", Agent: learner, ID: "bookmark"},
			lrs.DocumentKey{Kind: lrs.DocState, Activity: "https://yrkesresan.se/courses/c1", Agent: learner, Registration: id(1000), ID: "bookmark"},
			lrs.DocumentKey{Kind: lrs.DocActivityProfile, Activity: "https://yrkesresan.se/courses/c" + learner, ID: "p"},
			lrs.DocumentKey{Kind: lrs.DocAgentProfile, Agent: learner, ID: "p"})
	}
	for i, k := range keys {
		content := []byte(fmt.Sprintf(`{"n":%d}`, i))
		sum := sha1.Sum(content)
		d := lrs.Document{Key: k, ContentType: "application/json", Content: content, ETag: hex.EncodeToString(sum[:]),
			Updated: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC)}
		if err := s.PutDocument(ctx, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		content := bytes.Repeat([]byte{byte(i)}, 300_000*i+1)
		sum := sha256.Sum256(content)
		if err := s.PutBlob(ctx, hex.EncodeToString(sum[:]), bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		c := lrs.Client{Key: fmt.Sprintf("key-%d", i), SecretHash: "hash", Name: "client", Scopes: []lrs.Scope{lrs.ScopeAll},
			Created: time.Now().UTC(), Revoked: i == 2, Org: "0180"}
		if err := s.PutClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return statements + 7
}

// compare checks that b holds exactly what a holds (statements of them), and answers queries
// alike.
func compare(t *testing.T, a, b lrs.Store, statements int) {
	ctx := t.Context()
	var n int
	for cursor := ""; ; {
		page, err := a.ScanStatements(ctx, cursor, 50)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(page.Statements))
		for i, r := range page.Statements {
			ids[i] = r.ID
		}
		got, err := b.Statements(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]lrs.StatementRecord{}
		for _, r := range got {
			byID[r.ID] = r
		}
		for _, w := range page.Statements {
			g, ok := byID[w.ID]
			if !ok || !g.Stored.Equal(w.Stored) || !bytes.Equal(g.Statement, w.Statement) || g.Voids != w.Voids || g.Voided != w.Voided {
				t.Errorf("statement %s: copied as %+v, want %+v", w.ID, g, w)
			}
		}
		n += len(page.Statements)
		if cursor = page.Cursor; cursor == "" {
			break
		}
	}
	if n != statements {
		t.Errorf("scanned %d statements, want %d", n, statements)
	}

	agent := func(name string) lrs.Key {
		k, _ := lrs.AgentKey(map[string]any{"account": map[string]any{"homePage": "https://yrkesresan.se", "name": name}})
		return lrs.Key{Kind: lrs.KeyAgent, Value: k}
	}
	for _, q := range []lrs.StatementQuery{
		{},
		{Ascending: true},
		{Keys: []lrs.Key{agent("learner-1")}},
		{Keys: []lrs.Key{agent("learner-2"), {Kind: lrs.KeyVerb, Value: verbCompleted}}},
		{Keys: []lrs.Key{{Kind: lrs.KeyVerb, Value: verbAttempted}}, Ascending: true},
		{Keys: []lrs.Key{{Kind: lrs.KeyActivity, Value: "https://yrkesresan.se/courses/c2"}}},
		{Keys: []lrs.Key{{Kind: lrs.KeyRelatedActivity, Value: "https://yrkesresan.se/journeys/j1"}}},
		{Keys: []lrs.Key{{Kind: lrs.KeyRegistration, Value: "00000000-0000-4000-8000-0000000003e8"}}},
		{Keys: []lrs.Key{{Kind: lrs.KeyRelatedAgent, Value: "mbox:mailto:teacher@example.com"}}},
	} {
		if qa, qb := queryAll(t, a, q), queryAll(t, b, q); !slices.Equal(qa, qb) || len(qa) == 0 {
			t.Errorf("query %+v:\nsource %v\ntarget %v", q, qa, qb)
		}
	}

	for cursor := ""; ; {
		page, err := a.ScanDocuments(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range page.Documents {
			g, err := b.Document(ctx, w.Key)
			if err != nil || g.ContentType != w.ContentType || !bytes.Equal(g.Content, w.Content) || g.ETag != w.ETag || !g.Updated.Equal(w.Updated) {
				t.Errorf("document %+v: copied as %+v, %v", w.Key, g, err)
			}
		}
		if cursor = page.Cursor; cursor == "" {
			break
		}
	}

	sums, err := a.ScanBlobs(ctx, "", 100)
	if err != nil || len(sums) != 3 {
		t.Fatalf("source blobs %v, %v", sums, err)
	}
	for _, sum := range sums {
		if wa, wb := readBlob(t, a, sum), readBlob(t, b, sum); !bytes.Equal(wa, wb) {
			t.Errorf("blob %s: %d bytes copied, want %d", sum, len(wb), len(wa))
		}
	}

	ca, err := a.Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Clients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ca) != len(cb) {
		t.Fatalf("clients: %d copied, want %d", len(cb), len(ca))
	}
	for i := range ca {
		x, y := ca[i], cb[i]
		if x.Key != y.Key || x.SecretHash != y.SecretHash || x.Revoked != y.Revoked || x.Org != y.Org ||
			!x.Created.Truncate(time.Millisecond).Equal(y.Created.Truncate(time.Millisecond)) {
			t.Errorf("client copied as %+v, want %+v", y, x)
		}
	}
}

func queryAll(t *testing.T, s lrs.Store, q lrs.StatementQuery) []string {
	t.Helper()
	q.Limit = 4
	var ids []string
	for {
		p, err := s.QueryStatements(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Statements {
			ids = append(ids, r.ID)
		}
		if q.Cursor = p.Cursor; q.Cursor == "" {
			return ids
		}
	}
}

func readBlob(t *testing.T, s lrs.Store, sum string) []byte {
	t.Helper()
	r, err := s.Blob(t.Context(), sum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
