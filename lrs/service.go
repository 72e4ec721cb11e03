package lrs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Service applies the xAPI rules for statements on top of a Store. It is safe for concurrent use.
type Service struct {
	store    Store
	now      func() time.Time
	maxLimit int
	log      *slog.Logger

	observer Observer // nil when none

	activities activityCache  // canonical activity definitions merged lately (activities.go)
	docLocks   *documentLocks // writers of one document take turns

	mu       sync.Mutex
	lastTime time.Time            // the latest stored time handed out; keeps stored non-decreasing
	inflight map[uint64]time.Time // stored times of writes not yet committed
	nextID   uint64
}

// Options tune a Service; zero values take the defaults.
type Options struct {
	MaxLimit int              // most statements one query page returns (default 100)
	Now      func() time.Time // the clock (default time.Now)
	// Log receives failures that do not fail a request (default slog.Default()).
	Log *slog.Logger
	// Observer, if set, checks every statement before it is stored and learns of the statements
	// of every write (package progress attributes and rolls them up).
	Observer Observer
}

// Observer follows statement writes.
type Observer interface {
	// Attribute runs with the validation of each statement, before anything of the request is
	// stored; an error refuses the whole request (a *validate.Error or one wrapping ErrBadRequest
	// is a 400 that names the statement).
	Attribute(ctx context.Context, st map[string]any, client Client) error
	// Applied runs once the statements of a request are stored, with every statement of the
	// request as stored, including those an equivalent statement had stored before: a client
	// that retries after a failure so reaches an observer that missed the first attempt. An error
	// fails the request (the statements stay stored), so Applied must be idempotent per
	// statement id.
	Applied(ctx context.Context, sts []StoredStatement, client Client) error
}

// StoredStatement is a statement as the LRS stored it.
type StoredStatement struct {
	ID        string
	Stored    time.Time
	Statement map[string]any // with what the LRS set (id, stored, authority, ...); do not modify
	New       bool           // stored by this write, not by an earlier one
}

// NewService returns a Service over store.
func NewService(store Store, opts Options) *Service {
	if opts.MaxLimit <= 0 {
		opts.MaxLimit = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Service{
		store:    store,
		now:      opts.Now,
		maxLimit: opts.MaxLimit,
		log:      opts.Log,
		observer: opts.Observer,
		docLocks: newDocumentLocks(),
		inflight: make(map[uint64]time.Time),
	}
}

// beginWrite hands out the stored time of a write and records the write as in flight until the
// returned func is called, so ConsistentThrough never claims a statement that is not yet visible.
func (s *Service) beginWrite() (time.Time, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.now().UTC().Truncate(time.Millisecond)
	if t.Before(s.lastTime) {
		t = s.lastTime
	}
	s.lastTime = t
	id := s.nextID
	s.nextID++
	s.inflight[id] = t
	return t, func() {
		s.mu.Lock()
		delete(s.inflight, id)
		s.mu.Unlock()
	}
}

// ConsistentThrough is the time up to which every statement the LRS has stored is visible to
// queries (X-Experience-API-Consistent-Through).
func (s *Service) ConsistentThrough() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct := s.now().UTC()
	for _, t := range s.inflight {
		if before := t.Add(-time.Millisecond); before.Before(ct) {
			ct = before
		}
	}
	return ct
}

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}
