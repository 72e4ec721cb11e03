// Package progress is Yrkesresan's view of the LRS: which learners started and completed each
// phase of each journey, per municipality and county, over time.
//
// The catalog (catalog.go) names the activities each phase requires. Every statement is
// attributed to a municipality (attribution.go) and applied, on the write path, to the progress
// state of its learner: one record per learner (learner.go) that is a function of the learner's
// live statements, whatever their order or repetition. A change of that state becomes counter
// deltas: learners started and completed per journey, phase, activity, municipality and month.
// Records and counters are written together through lrs.TallyStore, so the counters are exact
// and every backend keeps them; `lrs progress rebuild` derives them again from the statements.
// Reports (report.go) read the counters only.
package progress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	_ "time/tzdata" // months are Swedish months, also in images without zoneinfo

	"github.com/yrkesresan/lrs/lrs"
)

// The record kinds progress keeps in the TallyStore.
const (
	kindLearner   = "progress.learner"   // key: agent key; the learner's state (learner.go)
	kindDirectory = "progress.directory" // key: agent key; a municipality code
	kindVoided    = "progress.voided"    // key: statement id; a statement known to be voided
	kindCatalog   = "progress.catalog"   // key: catalogKey; the catalog as JSON
	catalogKey    = "current"
)

// Tracker keeps the roll-ups: it is the lrs.Observer of statement writes, and reads reports.
// It is safe for concurrent use.
type Tracker struct {
	store  lrs.Store
	places *Places
	log    *slog.Logger
	k      int // counts from 1 to k-1 are suppressed outside their municipality

	// catalog is read by every apply and replaced under the write lock, so that no apply runs
	// with the old catalog once the new one is being rolled up.
	mu      sync.RWMutex
	catalog *index
	version int64 // of the catalog record; 0 when none is stored

	orgs orgCache
}

// Config tunes a Tracker.
type Config struct {
	// MinCount is k: report counts from 1 to k-1 are suppressed for callers outside the
	// municipality they are about (default 5).
	MinCount int
	Log      *slog.Logger
}

// New returns a Tracker over store with the catalog stored in it (an empty one when none is).
func New(ctx context.Context, store lrs.Store, places *Places, cfg Config) (*Tracker, error) {
	if cfg.MinCount <= 0 {
		cfg.MinCount = 5
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	t := &Tracker{store: store, places: places, log: cfg.Log, k: cfg.MinCount, orgs: orgCache{store: store, entries: map[string]orgEntry{}}}
	c, version, err := t.storedCatalog(ctx)
	if err != nil {
		return nil, err
	}
	t.catalog, t.version = newIndex(c), version
	// A write that failed half-way on a backend without transactions is finished now.
	if err := store.SettleRecords(ctx); err != nil {
		return nil, fmt.Errorf("progress: settle records: %w", err)
	}
	return t, nil
}

var _ lrs.Observer = (*Tracker)(nil)

func (t *Tracker) storedCatalog(ctx context.Context) (Catalog, int64, error) {
	recs, err := t.store.Records(ctx, kindCatalog, []string{catalogKey})
	if err != nil || len(recs) == 0 {
		return Catalog{}, 0, err
	}
	var c Catalog
	if err := json.Unmarshal(recs[0].Data, &c); err != nil {
		return Catalog{}, 0, fmt.Errorf("progress: stored catalog: %w", err)
	}
	return c, recs[0].Version, nil
}

// Catalog returns the catalog in force, with its settings' defaults filled in.
func (t *Tracker) Catalog() Catalog {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.catalog.catalog
}

// ApplyCatalog stores c as the catalog and rebuilds the roll-ups under it (every count depends
// on it). Statements keep arriving meanwhile: they are applied under the new catalog, and the
// rebuild's replay includes them; reports are partial until it ends.
func (t *Tracker) ApplyCatalog(ctx context.Context, c *Catalog) (RebuildStats, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return RebuildStats{}, err
	}
	t.mu.Lock()
	ok, err := t.store.WriteRecords(ctx, []lrs.RecordWrite{{Record: lrs.Record{Kind: kindCatalog, Key: catalogKey, Data: b}, Prev: t.version}})
	if err == nil && !ok[0] {
		err = fmt.Errorf("%w: the catalog was changed by another process; reload and apply again", lrs.ErrConflict)
	}
	if err != nil {
		t.mu.Unlock()
		return RebuildStats{}, err
	}
	t.catalog, t.version = newIndex(*c), t.version+1
	t.mu.Unlock()
	return t.Rebuild(ctx)
}

func (t *Tracker) index() *index {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.catalog
}

// orgCache remembers the organisation of the clients statements name as their authority, for
// statements not sent by the request's own client (retries by another client, rebuilds).
type orgCache struct {
	store lrs.ClientStore
	mu    sync.Mutex
	// entries expire so that a client whose organisation is changed is read again.
	entries map[string]orgEntry
}

type orgEntry struct {
	org     string
	expires time.Time
}

const orgCacheTTL = 30 * time.Second

func (c *orgCache) org(ctx context.Context, key string) (string, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.org, nil
	}
	cl, err := c.store.Client(ctx, key)
	if err != nil && !errors.Is(err, lrs.ErrNotFound) {
		return "", err
	}
	c.mu.Lock()
	c.entries[key] = orgEntry{org: cl.Org, expires: time.Now().Add(orgCacheTTL)}
	c.mu.Unlock()
	return cl.Org, nil
}
