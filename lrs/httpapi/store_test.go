package httpapi_test

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/mongo"
	"github.com/yrkesresan/lrs/lrs/mongo/mongotest"
	"github.com/yrkesresan/lrs/lrs/sqlite"
)

// openTestStore opens the store a test environment runs on: a fresh SQLite file, or, when
// LRS_TEST_MONGODB_URI is set, a MongoDB database of the test's own, dropped at its end.
func openTestStore(t testing.TB) lrs.Store {
	t.Helper()
	var store lrs.Store
	var err error
	if mongotest.URI() != "" {
		uri, db := mongotest.Database(t)
		store, err = mongo.Open(t.Context(), uri, db, slog.New(slog.DiscardHandler))
	} else {
		store, err = sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lrs.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
