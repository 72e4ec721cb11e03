package loadgen

import (
	"context"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name       string
		p          plan
		requests   int64
		first      int
		last       int
		statements int
	}{
		{"even", plan{statements: 1000, batch: 100}, 10, 100, 100, 1000},
		{"remainder", plan{statements: 1050, batch: 100}, 11, 100, 50, 1050},
		{"smaller than a batch", plan{statements: 7, batch: 100}, 1, 7, 7, 7},
		{"single", plan{statements: 5, batch: 1}, 5, 1, 1, 5},
		{"none", plan{statements: 0, batch: 100}, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.requests(); got != tt.requests {
				t.Fatalf("requests = %d, want %d", got, tt.requests)
			}
			if tt.requests == 0 {
				return
			}
			if got := tt.p.size(0); got != tt.first {
				t.Errorf("size(0) = %d, want %d", got, tt.first)
			}
			if got := tt.p.size(tt.requests - 1); got != tt.last {
				t.Errorf("size(last) = %d, want %d", got, tt.last)
			}
			sum := 0
			for i := range tt.requests {
				sum += tt.p.size(i)
			}
			if sum != tt.statements {
				t.Errorf("sizes add up to %d, want %d", sum, tt.statements)
			}
		})
	}
}

func TestPacerOffset(t *testing.T) {
	tests := []struct {
		rate float64
		i    int64
		want time.Duration
	}{
		{1000, 0, 0},
		{1000, 1, time.Millisecond},
		{1000, 1500, 1500 * time.Millisecond},
		{3, 1, 333333333 * time.Nanosecond},
		{3, 3, time.Second},
		{0.5, 1, 2 * time.Second},
		{20000, 1_200_000, time.Minute},
	}
	for _, tt := range tests {
		if got := (pacer{rate: tt.rate}).offset(tt.i); got != tt.want {
			t.Errorf("rate %g: offset(%d) = %v, want %v", tt.rate, tt.i, got, tt.want)
		}
	}
}

func TestPacerDue(t *testing.T) {
	now := time.Now()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		p        pacer
		i        int64
		deadline time.Time
		want     time.Time // zero: about now
		wantOK   bool
	}{
		{"unpaced", context.Background(), pacer{start: now}, 5, now.Add(time.Hour), time.Time{}, true},
		{"unpaced after deadline", context.Background(), pacer{start: now}, 5, now.Add(-time.Millisecond), time.Time{}, false},
		{"due in the past", context.Background(), pacer{start: now.Add(-time.Second), rate: 10}, 3, now.Add(time.Hour), now.Add(-700 * time.Millisecond), true},
		{"due soon", context.Background(), pacer{start: now, rate: 100}, 1, now.Add(time.Hour), now.Add(10 * time.Millisecond), true},
		{"due at deadline", context.Background(), pacer{start: now, rate: 10}, 10, now.Add(time.Second), now.Add(time.Second), false},
		{"deadline passed", context.Background(), pacer{start: now.Add(-time.Hour), rate: 10}, 1, now.Add(-time.Minute), now.Add(-time.Hour + 100*time.Millisecond), false},
		{"interrupted", cancelled, pacer{start: now, rate: 1}, 1, now.Add(time.Hour), now.Add(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.due(tt.ctx, tt.i, tt.deadline)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			want := tt.want
			if want.IsZero() {
				want = time.Now()
			}
			if d := got.Sub(want).Abs(); d > 50*time.Millisecond {
				t.Errorf("due = %v, want %v", got, want)
			}
			if ok && time.Now().Before(got) {
				t.Errorf("returned before its due time")
			}
		})
	}
}
