package sqlite

import (
	"sync"

	"github.com/yrkesresan/lrs/lrs"
)

// termCacheSize bounds the term cache: about 100 bytes an entry, so some 10 MB at most.
const termCacheSize = 100_000

// termCache remembers the ids of terms (distinct keys) already stored, so that most statements'
// keys need no lookup on the write path. Terms are never changed or deleted, so a committed id
// stays right for good; the cache is filled only after the transaction that read or made the
// ids has committed.
type termCache struct {
	mu  sync.Mutex
	ids map[lrs.Key]int64
}

// lookup copies the cached ids of keys into ids and returns the keys it does not know.
func (c *termCache) lookup(keys []lrs.Key, ids map[lrs.Key]int64) []lrs.Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	var missing []lrs.Key
	for _, k := range keys {
		if id, ok := c.ids[k]; ok {
			ids[k] = id
		} else {
			missing = append(missing, k)
		}
	}
	return missing
}

// add remembers committed ids. When the cache is full it starts over: simpler than LRU, and a
// refill costs one batched lookup per new key.
func (c *termCache) add(ids map[lrs.Key]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil || len(c.ids)+len(ids) > termCacheSize {
		c.ids = make(map[lrs.Key]int64, len(ids))
	}
	for k, id := range ids {
		c.ids[k] = id
	}
}
