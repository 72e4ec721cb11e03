package loadgen

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{7}, 50, 7},
		{"one, max", []time.Duration{7}, 100, 7},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p95 of 100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"max of 100", hundred, 100, 100 * time.Millisecond},
		{"tiny p", hundred, 0.001, time.Millisecond},
		{"p50 of 4 is the 2nd", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"p95 of 4 is the 4th", []time.Duration{1, 2, 3, 4}, 95, 4},
		{"p50 of 3 is the 2nd", []time.Duration{1, 2, 3}, 50, 2},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: percentile(%g) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestTallyReport(t *testing.T) {
	start := time.Now()
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	outcomes := []struct {
		worker int
		o      outcome
		due    time.Time
	}{
		{0, outcome{status: 200, ok: true, statements: 100, sent: at(0), end: at(10)}, at(0)},
		{0, outcome{status: 200, ok: true, statements: 50, sent: at(12), end: at(40)}, at(10)},
		{1, outcome{status: 409, detail: "conflict", sent: at(5), end: at(25)}, at(5)},
		{1, outcome{status: 0, detail: "connection refused", sent: at(30), end: at(30)}, at(20)},
		{2, outcome{status: 409, detail: strings.Repeat("x", 1000), sent: at(50), end: at(2000)}, at(50)},
	}
	tallies := make([]tally, 3)
	for _, o := range outcomes {
		tallies[o.worker].add(o.o, o.due)
	}
	var all tally
	for _, u := range tallies {
		all.merge(u)
	}
	cfg := DefaultConfig()
	r := all.report(cfg, start, 4)

	want := map[string]any{
		"requests": 5, "ok": 2, "statements": 150, "warmup": 4, "batch": 100,
		"errors": fmt.Sprint(map[int]int{0: 1, 409: 2}), "elapsed": 2.0,
		"statements/s": 75.0, "requests/s": 2.5,
		"p50": 20.0, "p95": 1950.0, "max": 1950.0, "lag": 10.0, "details": 3,
	}
	got := map[string]any{
		"requests": r.Requests, "ok": r.OK, "statements": r.Statements, "warmup": r.WarmupRequests,
		"batch": r.Batch, "errors": fmt.Sprint(r.Errors), "elapsed": r.ElapsedSeconds,
		"statements/s": r.StatementsPerS, "requests/s": r.RequestsPerS,
		"p50": r.LatencyMs.P50, "p95": r.LatencyMs.P95, "max": r.LatencyMs.Max, "lag": r.MaxStartLagMs,
		"details": len(r.ErrorDetails),
	}
	if !maps.Equal(got, want) {
		t.Errorf("report\n got %v\nwant %v", got, want)
	}
	for _, d := range r.ErrorDetails {
		if len(d) > maxDetailLen+20 {
			t.Errorf("detail of %d bytes not truncated", len(d))
		}
	}
}

func TestTallyKeepsFewDetails(t *testing.T) {
	var all tally
	for range 4 {
		var u tally
		for range 3 {
			u.add(outcome{status: 500, detail: "boom"}, time.Time{})
		}
		all.merge(u)
	}
	if all.errors[500] != 12 || len(all.details) != maxDetails {
		t.Errorf("errors %v, %d details; want 12 and %d", all.errors, len(all.details), maxDetails)
	}
}

func TestWriteReport(t *testing.T) {
	r := Report{
		URL: "http://localhost:8080/xapi", XAPIVersion: "1.0.3", Mode: ModeBatch, Batch: 100,
		Concurrency: 8, Rate: 50, Requests: 10, OK: 9, Errors: map[int]int{400: 1},
		ErrorDetails: []string{"400: bad\nrequest"}, Statements: 900, ElapsedSeconds: 1.5,
		StatementsPerS: 600, RequestsPerS: 6.67, LatencyMs: Latency{P50: 1, P95: 2, P99: 3, Max: 4},
	}
	var b strings.Builder
	if err := WriteReport(&b, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var back Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &back); err != nil {
		t.Fatalf("last line is not JSON: %v", err)
	}
	if fmt.Sprint(back) != fmt.Sprint(r) {
		t.Errorf("JSON summary\n got %+v\nwant %+v", back, r)
	}
	text := strings.Join(lines[:len(lines)-1], "\n")
	for _, want := range []string{"batch of 100", "50 requests/s", "9 ok", "status 400", "400: bad request",
		"600.0 statements/s", "p99 3.00", "start lag"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}
