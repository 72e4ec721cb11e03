package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// maxDetails is how many error descriptions a report keeps; maxDetailLen caps each.
const (
	maxDetails   = 5
	maxDetailLen = 300
)

// Report is the outcome of the measured requests of a run (warmup requests are left out).
type Report struct {
	URL            string      `json:"url"`
	XAPIVersion    string      `json:"xapi_version"`
	Mode           Mode        `json:"mode"`
	Batch          int         `json:"batch,omitempty"` // batch mode only
	Concurrency    int         `json:"concurrency"`
	Rate           float64     `json:"rate"` // 0 = as fast as possible
	WarmupRequests int         `json:"warmup_requests"`
	Requests       int         `json:"requests"` // sent and answered, or failed without an answer
	OK             int         `json:"ok"`
	Errors         map[int]int `json:"errors"` // failed requests by HTTP status; 0 = no response
	ErrorDetails   []string    `json:"error_details,omitempty"`
	Statements     int         `json:"statements"` // in ok requests: sent, or returned in query mode
	ElapsedSeconds float64     `json:"elapsed_s"`
	StatementsPerS float64     `json:"statements_per_s"`
	RequestsPerS   float64     `json:"requests_per_s"` // all measured requests, failed ones too
	LatencyMs      Latency     `json:"latency_ms"`
	MaxStartLagMs  float64     `json:"max_start_lag_ms"` // worst delay of a start past its schedule
}

// Latency holds percentiles, in milliseconds, of the time from a request's due start to the end
// of its response body, over all measured requests.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// outcome is what happened to one request.
type outcome struct {
	status     int    // HTTP status; 0 when no response arrived
	ok         bool   // 2xx with a usable body
	statements int    // sent, or returned in query mode, when ok
	detail     string // for a failure: start of the body, or the transport error
	sent, end  time.Time
}

// tally collects the outcomes seen by one worker, and then of a whole phase.
type tally struct {
	requests, ok, statements int
	errors                   map[int]int
	details                  []string
	latencies                []time.Duration
	maxLag                   time.Duration
	end                      time.Time
}

// add records o for a request that was due at due.
func (t *tally) add(o outcome, due time.Time) {
	t.requests++
	t.latencies = append(t.latencies, o.end.Sub(due))
	t.maxLag = max(t.maxLag, o.sent.Sub(due))
	if o.end.After(t.end) {
		t.end = o.end
	}
	if o.ok {
		t.ok++
		t.statements += o.statements
		return
	}
	if t.errors == nil {
		t.errors = map[int]int{}
	}
	t.errors[o.status]++
	if len(t.details) < maxDetails {
		t.details = append(t.details, fmt.Sprintf("%d: %s", o.status, truncate(o.detail, maxDetailLen)))
	}
}

// merge adds u to t.
func (t *tally) merge(u tally) {
	t.requests += u.requests
	t.ok += u.ok
	t.statements += u.statements
	for status, n := range u.errors {
		if t.errors == nil {
			t.errors = map[int]int{}
		}
		t.errors[status] += n
	}
	t.details = append(t.details, u.details[:min(len(u.details), maxDetails-len(t.details))]...)
	t.latencies = append(t.latencies, u.latencies...)
	t.maxLag = max(t.maxLag, u.maxLag)
	if u.end.After(t.end) {
		t.end = u.end
	}
}

// report turns the tally of the measured phase, which started at start, into figures.
func (t tally) report(cfg Config, start time.Time, warmup int) Report {
	r := Report{
		URL: cfg.URL, XAPIVersion: cfg.XAPIVersion, Mode: cfg.Mode, Concurrency: cfg.Concurrency,
		Rate: cfg.Rate, WarmupRequests: warmup, Requests: t.requests, OK: t.ok,
		Errors: t.errors, ErrorDetails: t.details, Statements: t.statements,
		MaxStartLagMs: ms(t.maxLag),
	}
	if cfg.Mode == ModeBatch {
		r.Batch = cfg.Batch
	}
	if r.Errors == nil {
		r.Errors = map[int]int{}
	}
	if elapsed := t.end.Sub(start); elapsed > 0 {
		r.ElapsedSeconds = elapsed.Seconds()
		r.StatementsPerS = float64(t.statements) / r.ElapsedSeconds
		r.RequestsPerS = float64(t.requests) / r.ElapsedSeconds
	}
	slices.Sort(t.latencies)
	r.LatencyMs = Latency{
		P50: ms(percentile(t.latencies, 50)),
		P95: ms(percentile(t.latencies, 95)),
		P99: ms(percentile(t.latencies, 99)),
		Max: ms(percentile(t.latencies, 100)),
	}
	return r
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted, or 0 if empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*1000) / 1000
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// WriteReport writes r for people, then as one line of JSON.
func WriteReport(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "target      %s (xAPI %s)\n", r.URL, r.XAPIVersion)
	fmt.Fprintf(&b, "load        %s, concurrency %d, %s, %d warmup requests\n",
		describeMode(r), r.Concurrency, describeRate(r.Rate), r.WarmupRequests)
	fmt.Fprintf(&b, "requests    %d sent, %d ok, %d failed\n", r.Requests, r.OK, r.Requests-r.OK)
	for _, status := range slices.Sorted(maps.Keys(r.Errors)) {
		fmt.Fprintf(&b, "  status %-4s %d\n", statusText(status), r.Errors[status])
	}
	for _, d := range r.ErrorDetails {
		fmt.Fprintf(&b, "  error     %s\n", strings.ReplaceAll(d, "\n", " "))
	}
	fmt.Fprintf(&b, "elapsed     %.3f s\n", r.ElapsedSeconds)
	fmt.Fprintf(&b, "throughput  %.1f statements/s, %.1f requests/s (%d statements)\n",
		r.StatementsPerS, r.RequestsPerS, r.Statements)
	fmt.Fprintf(&b, "latency ms  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n",
		r.LatencyMs.P50, r.LatencyMs.P95, r.LatencyMs.P99, r.LatencyMs.Max)
	if r.Rate > 0 {
		fmt.Fprintf(&b, "start lag   %.2f ms at most behind schedule\n", r.MaxStartLagMs)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b.Write(line)
	b.WriteByte('\n')
	_, err = io.WriteString(w, b.String())
	return err
}

func describeMode(r Report) string {
	if r.Mode == ModeBatch {
		return fmt.Sprintf("batch of %d", r.Batch)
	}
	return string(r.Mode)
}

func describeRate(rate float64) string {
	if rate <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%g requests/s", rate)
}

func statusText(status int) string {
	if status == 0 {
		return "none"
	}
	return fmt.Sprint(status)
}
