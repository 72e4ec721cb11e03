package lrs

import (
	"context"
	"fmt"
	"hash/maphash"
)

// documentLocks queue the writers of a document (or canonical activity definition) within this
// process, so that concurrent writes, such as many POST merges of one document, take turns
// instead of exhausting their compare-and-swap retries on each other. The store's
// compare-and-swap still guards against writers in other processes. Documents share the locks
// by hash of their key.
type documentLocks struct {
	seed  maphash.Seed
	slots [64]chan struct{}
}

func newDocumentLocks() *documentLocks {
	l := &documentLocks{seed: maphash.MakeSeed()}
	for i := range l.slots {
		l.slots[i] = make(chan struct{}, 1)
	}
	return l
}

// lock waits for the lock of the document with the key, or for ctx to end.
func (l *documentLocks) lock(ctx context.Context, key DocumentKey) (unlock func(), err error) {
	slot := l.slots[maphash.Comparable(l.seed, key)%uint64(len(l.slots))]
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for other writes of the document: %w", ErrUnavailable, ctx.Err())
	}
}
