package loadgen

import (
	"context"
	"time"
)

// plan is the requests of one phase: statements split into requests of batch (the last one may
// be smaller). In query mode batch is 1 and statements counts requests.
type plan struct {
	statements int64
	batch      int
}

func (p plan) requests() int64 {
	return (p.statements + int64(p.batch) - 1) / int64(p.batch)
}

// size is the number of statements in request i.
func (p plan) size(i int64) int {
	return int(min(int64(p.batch), p.statements-i*int64(p.batch)))
}

// pacer schedules request starts open-loop: request i is due at start + i/rate whatever happened
// to the requests before it, so a slow server delays nothing but its own responses, and latency
// measured from the due time includes any wait for a free worker (no coordinated omission).
// Rate 0 means no schedule: a request is due when a worker takes it.
type pacer struct {
	start time.Time
	rate  float64 // requests per second
}

// offset is when request i is due, counted from the start.
func (p pacer) offset(i int64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / p.rate)
}

// due returns the time request i should start and whether it may start at all: it may not if
// that time, or already now, is at or after the deadline. With a schedule it waits for the time.
func (p pacer) due(ctx context.Context, i int64, deadline time.Time) (time.Time, bool) {
	now := time.Now()
	if p.rate <= 0 {
		return now, now.Before(deadline)
	}
	at := p.start.Add(p.offset(i))
	if !at.Before(deadline) || !now.Before(deadline) {
		return at, false
	}
	return at, sleepUntil(ctx, at)
}

// sleepUntil waits until t and reports whether ctx is still live.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
