package loadgen

import (
	"context"
	"net"
	"testing"
	"time"
)

// closedURL returns a loopback URL on which nothing listens, so every request fails at once.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/xapi"
}

// TestRunBounds checks counts, pacing and the duration limit with requests that fail at once;
// runs against the LRS itself belong to the server's end-to-end tests.
func TestRunBounds(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*Config)
		requests     int
		minElapsed   time.Duration
		maxElapsed   time.Duration
		wantWarmedUp int
	}{
		{"batch count", func(c *Config) { c.N, c.Batch, c.Warmup = 1050, 100, 3 }, 11, 0, time.Second, 3},
		{"single count", func(c *Config) { c.Mode, c.N = ModeSingle, 17 }, 17, 0, time.Second, 0},
		{"query count", func(c *Config) { c.Mode, c.N = ModeQuery, 9 }, 9, 0, time.Second, 0},
		{"state-put count", func(c *Config) { c.Mode, c.N = ModeStatePut, 7 }, 7, 0, time.Second, 0},
		{"state-get count", func(c *Config) { c.Mode, c.N = ModeStateGet, 5 }, 5, 0, time.Second, 0},
		{"paced", func(c *Config) { c.Mode, c.N, c.Rate = ModeSingle, 11, 100 }, 11, 95 * time.Millisecond, time.Second, 0},
		{"duration first", func(c *Config) { c.Mode, c.N, c.Rate, c.Duration = ModeSingle, 1000, 20, 260*time.Millisecond }, 6, 240 * time.Millisecond, time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.URL, cfg.Concurrency, cfg.Timeout = closedURL(t), 2, 2*time.Second
			tt.edit(&cfg)
			begin := time.Now()
			r, err := Run(context.Background(), cfg)
			took := time.Since(begin)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests != tt.requests || r.OK != 0 || r.Errors[0] != tt.requests || r.WarmupRequests != tt.wantWarmedUp {
				t.Errorf("requests %d, ok %d, errors %v, warmup %d; want %d failing without response, warmup %d",
					r.Requests, r.OK, r.Errors, r.WarmupRequests, tt.requests, tt.wantWarmedUp)
			}
			if elapsed := time.Duration(r.ElapsedSeconds * float64(time.Second)); elapsed < tt.minElapsed || took > tt.maxElapsed {
				t.Errorf("elapsed %v, run took %v; want at least %v and at most %v", elapsed, took, tt.minElapsed, tt.maxElapsed)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Mode, cfg.Rate, cfg.N = closedURL(t), ModeSingle, 10, 100
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	begin := time.Now()
	r, err := Run(ctx, cfg)
	if err == nil || time.Since(begin) > time.Second {
		t.Fatalf("Run returned %v after %v, want the context's error at once", err, time.Since(begin))
	}
	if r.Requests > 2 {
		t.Errorf("%d requests before the interruption, want at most 2", r.Requests)
	}
}
