package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Run validates cfg, sends cfg.Warmup requests whose outcomes are dropped, then the measured
// requests, and reports on those. Each phase stops starting requests after N statements
// (requests in query mode) or Duration, whichever comes first, and ends when the requests in
// flight have ended (each within Timeout). If ctx ends first, Run returns the figures so far
// together with ctx's error.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	r := newRunner(cfg)
	defer r.client.CloseIdleConnections()
	warm, _ := r.phase(ctx, plan{statements: int64(cfg.Warmup) * int64(r.batch), batch: r.batch})
	t, start := r.phase(ctx, plan{statements: int64(cfg.N), batch: r.batch})
	return t.report(cfg, start, warm.requests), ctx.Err()
}

type runner struct {
	cfg    Config
	client *http.Client
	target string       // the statements resource
	batch  int          // statements per request: cfg.Batch in batch mode, else 1
	gens   []*Generator // one per worker
}

func newRunner(cfg Config) *runner {
	r := &runner{
		cfg:    cfg,
		client: newClient(cfg),
		target: strings.TrimSuffix(cfg.URL, "/") + "/statements",
		batch:  1,
	}
	if cfg.Mode == ModeBatch {
		r.batch = cfg.Batch
	}
	g := NewGenerator(cfg.Learners, cfg.Activities, cfg.Seed)
	if cfg.Municipalities {
		g.municipalities = municipalityCodes()
	}
	for w := range cfg.Concurrency {
		r.gens = append(r.gens, g.withSeed(cfg.Seed^uint64(w)<<32)) // activities built once, shared
	}
	return r
}

// newClient returns a client that keeps a connection per worker, uses no proxy and follows no
// redirect (a redirect could lead away from the loopback host that was checked).
func newClient(cfg Config) *http.Client {
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			MaxIdleConns:        cfg.Concurrency,
			MaxIdleConnsPerHost: cfg.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// schedule is the shared state of one phase: workers take request numbers from next.
type schedule struct {
	plan     plan
	pace     pacer
	deadline time.Time
	next     atomic.Int64
}

// phase sends the requests of p with one goroutine per generator and returns their tally and
// the time the phase started.
func (r *runner) phase(ctx context.Context, p plan) (tally, time.Time) {
	start := time.Now()
	s := &schedule{plan: p, pace: pacer{start: start, rate: r.cfg.Rate}, deadline: start.Add(r.cfg.Duration)}
	tallies := make([]tally, len(r.gens))
	var wg sync.WaitGroup
	for w, g := range r.gens {
		wg.Go(func() { tallies[w] = r.work(ctx, s, g) })
	}
	wg.Wait()
	var t tally
	for _, u := range tallies {
		t.merge(u)
	}
	return t, start
}

// work sends requests of s until none is left, the deadline has come or ctx has ended.
func (r *runner) work(ctx context.Context, s *schedule, g *Generator) tally {
	var t tally
	for i := s.next.Add(1) - 1; i < s.plan.requests(); i = s.next.Add(1) - 1 {
		size := s.plan.size(i)
		p := r.payload(g, i, size)
		due, ok := s.pace.due(ctx, i, s.deadline)
		if !ok {
			break
		}
		o := r.send(ctx, p, size)
		if ctx.Err() != nil {
			break // interrupted: the outcome says nothing about the server
		}
		t.add(o, due)
	}
	return t
}

// payload is a request prepared before it is due, so that generating it is not timed.
type payload struct {
	method, target string
	body           []byte // nil for a query
}

// payload prepares request i; size is its number of statements in the write modes.
func (r *runner) payload(g *Generator, i int64, size int) payload {
	switch r.cfg.Mode {
	case ModeStatePut:
		agent, activity := g.StateKey(int(i % int64(r.cfg.Learners*r.cfg.Activities)))
		return payload{method: http.MethodPut, target: r.stateTarget(agent, activity), body: g.AppendState(make([]byte, 0, 1200))}
	case ModeStateGet:
		agent, activity := g.StateKey(g.rng.IntN(r.cfg.Learners * r.cfg.Activities))
		return payload{method: http.MethodGet, target: r.stateTarget(agent, activity)}
	case ModeReport:
		return payload{method: http.MethodGet, target: r.root() + "/api/reports?" + reportQueries[g.rng.IntN(len(reportQueries))]}
	case ModeMetrics:
		return payload{method: http.MethodGet, target: r.root() + "/metrics"}
	case ModeQuery:
		agent, verb := g.Query()
		q := url.Values{"agent": {agent}, "verb": {verb}, "limit": {"10"}}
		return payload{method: http.MethodGet, target: r.target + "?" + q.Encode()}
	case ModeSingle:
		return payload{method: http.MethodPost, target: r.target, body: g.AppendStatement(make([]byte, 0, 2048))}
	default:
		return payload{method: http.MethodPost, target: r.target, body: g.AppendBatch(make([]byte, 0, size*2048), size)}
	}
}

// root is the server's URL: the xAPI URL without its /xapi.
func (r *runner) root() string {
	return strings.TrimSuffix(strings.TrimSuffix(r.cfg.URL, "/"), "/xapi")
}

// reportQueries are the reports ModeReport asks for, in proportion: most come from
// municipalities and counties about their own area, fewer from SKR about the nation (the
// credentials' organisation decides the scope; these filters stay inside a national one's).
var reportQueries = []string{
	"municipality=0180&group_by=phase",
	"municipality=1480&group_by=activity",
	"municipality=0114&group_by=phase,month&from=2025-01",
	"county=01&group_by=municipality,phase",
	"county=14&group_by=municipality",
	"county=12&group_by=phase,month",
	"group_by=county,phase",
	"group_by=phase",
	"journey=barn-och-unga&group_by=municipality,phase",
	"group_by=county,phase&format=csv",
}

// stateTarget is the URL of a learner's bookmark in an activity.
func (r *runner) stateTarget(agent, activity string) string {
	q := url.Values{"agent": {agent}, "activityId": {activity}, "stateId": {"bookmark"}}
	return strings.TrimSuffix(r.cfg.URL, "/") + "/activities/state?" + q.Encode()
}

// send performs p, whose body holds size statements, and reads the whole response.
func (r *runner) send(ctx context.Context, p payload, size int) outcome {
	o := outcome{sent: time.Now()}
	resp, err := r.do(ctx, p)
	if err != nil {
		o.end, o.detail = time.Now(), err.Error()
		return o
	}
	o.status = resp.StatusCode
	o.ok, o.statements, o.detail = r.read(resp, size)
	resp.Body.Close()
	o.end = time.Now()
	return o
}

func (r *runner) do(ctx context.Context, p payload) (*http.Response, error) {
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Experience-API-Version", r.cfg.XAPIVersion)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.cfg.Key != "" {
		req.SetBasicAuth(r.cfg.Key, r.cfg.Secret)
	}
	return r.client.Do(req)
}

// read consumes the response body and tells whether the request succeeded, with how many
// statements, or else why not.
func (r *runner) read(resp *http.Response, size int) (ok bool, n int, detail string) {
	defer io.Copy(io.Discard, resp.Body) // what is left, so that the connection is reused
	switch {
	case resp.StatusCode/100 != 2:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxDetailLen+1))
		return false, 0, string(b)
	case r.cfg.Mode == ModeStatePut || r.cfg.Mode == ModeStateGet || r.cfg.Mode == ModeReport || r.cfg.Mode == ModeMetrics:
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return false, 0, "reading response: " + err.Error()
		}
		return true, 0, ""
	case r.cfg.Mode == ModeQuery:
		var res struct {
			Statements []json.RawMessage `json:"statements"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			return false, 0, "statement result: " + err.Error()
		}
		return true, len(res.Statements), ""
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return false, 0, "reading response: " + err.Error()
	}
	return true, size, ""
}
