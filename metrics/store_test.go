package metrics_test

import (
	"path/filepath"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/sqlite"
	"github.com/yrkesresan/lrs/lrs/storetest"
	"github.com/yrkesresan/lrs/metrics"
)

// TestStore runs the store behaviour suite through the timing wrapper: it must be the same
// lrs.Store.
func TestStore(t *testing.T) {
	m := metrics.New()
	storetest.Run(t, func(t *testing.T) lrs.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lrs.db"))
		if err != nil {
			t.Fatal(err)
		}
		return m.Store(s)
	})
}
