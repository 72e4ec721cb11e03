package mongo

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/yrkesresan/lrs/lrs"
)

// order is a statement's position in result order: the stored time in Unix milliseconds, big-endian
// with the sign bit flipped (so that byte order is numeric order, before 1970 too), then a
// sequence number unique to the statement. MongoDB compares binary values of one length byte by
// byte, so one indexed field sorts by (stored, storage order).
type order [16]byte

func makeOrder(stored time.Time, seq uint64) order {
	var o order
	binary.BigEndian.PutUint64(o[:8], uint64(stored.UnixMilli())^(1<<63))
	binary.BigEndian.PutUint64(o[8:], seq)
	return o
}

func (o order) stored() time.Time {
	return time.UnixMilli(int64(binary.BigEndian.Uint64(o[:8]) ^ (1 << 63))).UTC()
}

// bin is the order as the BSON value stored and compared.
func (o order) bin() bson.Binary { return bson.Binary{Data: o[:]} }

func (o order) cursor() string { return base64.RawURLEncoding.EncodeToString(o[:]) }

func parseCursor(c string) (order, error) {
	var o order
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != len(o) {
		return o, fmt.Errorf("%w: cursor %q was not made by this store", lrs.ErrBadRequest, c)
	}
	copy(o[:], b)
	return o, nil
}

func orderOf(b []byte) (order, error) {
	var o order
	if len(b) != len(o) {
		return o, fmt.Errorf("stored order of %d bytes, want %d", len(b), len(o))
	}
	copy(o[:], b)
	return o, nil
}

// bounds returns the exclusive lower and upper orders of the page q asks for. Stored times are
// whole milliseconds, so "stored after since" is "stored millisecond after since's millisecond"
// and "stored at or before until" is "before until's next millisecond". A cursor, the last
// order of the previous page, narrows the bounds in the direction of paging.
func bounds(q lrs.StatementQuery) (lo, hi order, err error) {
	hi = order{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if !q.Since.IsZero() {
		lo = makeOrder(q.Since, math.MaxUint64)
	}
	if !q.Until.IsZero() {
		hi = makeOrder(q.Until.Truncate(time.Millisecond).Add(time.Millisecond), 0)
	}
	if q.Cursor == "" {
		return lo, hi, nil
	}
	c, err := parseCursor(q.Cursor)
	if err != nil {
		return lo, hi, err
	}
	if q.Ascending {
		return maxOrder(lo, c), hi, nil
	}
	return lo, minOrder(hi, c), nil
}

func maxOrder(a, b order) order {
	if string(a[:]) < string(b[:]) {
		return b
	}
	return a
}

func minOrder(a, b order) order {
	if string(a[:]) < string(b[:]) {
		return a
	}
	return b
}

// sequence hands out the sequence numbers of this process's statements: its writer prefix in the
// high 32 bits, a counter in the low 32. The prefix is registered with a unique insert into the
// writers collection, so no two processes share one; it starts at the Unix time in seconds, so
// that a process started later sorts later among statements stored in the same millisecond.
type sequence struct {
	mu     sync.Mutex
	coll   *mongo.Collection
	prefix uint32
	next   uint32
}

// register takes a new prefix.
func (q *sequence) register(ctx context.Context, coll *mongo.Collection) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.coll = coll
	return q.renew(ctx)
}

// renew takes the first free prefix from now (in seconds) on and restarts the counter.
func (q *sequence) renew(ctx context.Context) error {
	p := max(uint32(time.Now().Unix()), q.prefix+1)
	for range 1000 {
		_, err := q.coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int64(p)}, {Key: "started", Value: time.Now()}})
		if err == nil {
			q.prefix, q.next = p, 0
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return err
		}
		p++
	}
	return fmt.Errorf("no free writer prefix from %d on", p-1000)
}

// take returns the first of n consecutive sequence numbers.
func (q *sequence) take(ctx context.Context, n int) (uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if uint64(q.next)+uint64(n) > math.MaxUint32 {
		if err := q.renew(ctx); err != nil {
			return 0, wrap("renew writer prefix", err)
		}
	}
	first := uint64(q.prefix)<<32 | uint64(q.next)
	q.next += uint32(n)
	return first, nil
}
