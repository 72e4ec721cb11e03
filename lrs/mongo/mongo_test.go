package mongo_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/mongo"
	"github.com/yrkesresan/lrs/lrs/mongo/mongotest"
	"github.com/yrkesresan/lrs/lrs/storetest"
)

// TestStore runs the behaviour suite, each subtest on a database of its own.
func TestStore(t *testing.T) {
	if mongotest.URI() == "" {
		t.Skipf("%s is not set: the MongoDB store is not tested (set it to a MongoDB or FerretDB URI)", mongotest.EnvURI)
	}
	storetest.Run(t, func(t *testing.T) lrs.Store {
		uri, db := mongotest.Database(t)
		s, err := mongo.Open(t.Context(), uri, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestUnreachable: a server that cannot be reached is lrs.ErrUnavailable, within the server
// selection timeout. It needs no server.
func TestUnreachable(t *testing.T) {
	start := time.Now()
	_, err := mongo.Open(t.Context(), "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300", "lrs", slog.New(slog.DiscardHandler))
	if !errors.Is(err, lrs.ErrUnavailable) {
		t.Fatalf("Open of an unreachable server: %v, want an error wrapping lrs.ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to give up", d)
	}
}

// TestReopen: a process that starts on a database in use finds its indexes and its statements,
// and takes a writer prefix of its own.
func TestReopen(t *testing.T) {
	uri, db := mongotest.Database(t)
	rec := lrs.StatementRecord{ID: "00000000-0000-4000-8000-000000000001", Stored: time.Now().Truncate(time.Millisecond),
		Statement: []byte(`{"id":"00000000-0000-4000-8000-000000000001"}`)}
	for i := range 2 {
		s, err := mongo.Open(t.Context(), uri, db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if i == 0 {
			err = s.InsertStatements(t.Context(), []lrs.StatementRecord{rec})
		} else {
			var got []lrs.StatementRecord
			got, err = s.Statements(t.Context(), []string{rec.ID})
			if err == nil && len(got) != 1 {
				t.Errorf("after reopening: %d statements", len(got))
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
