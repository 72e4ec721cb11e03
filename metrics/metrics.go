// Package metrics exposes the LRS to Prometheus: HTTP and store latencies, statements ingested
// and refused, SCORM launches and commits, the progress gauges, and the Go and process
// collectors. Everything is registered on a registry of its own (not the global default), so two
// servers in one process, as in tests, do not collide.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/progress"
)

// Metrics holds the collectors of one server.
type Metrics struct {
	registry *prometheus.Registry

	httpDuration  *prometheus.HistogramVec
	storeDuration *prometheus.HistogramVec
	ingested      *prometheus.CounterVec
	refused       *prometheus.CounterVec
	scormLaunches prometheus.Counter
	scormCommits  prometheus.Counter
}

// New makes the collectors and registers them with the Go and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lrs_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lrs_store_operation_duration_seconds",
			Help:    "Time a store operation took, by operation, errors included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"operation"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lrs_statements_ingested_total",
			Help: "Statements stored, by the statement's xAPI version and the class of its verb.",
		}, []string{"version", "verb"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lrs_statements_refused_total",
			Help: "Statement writes refused as invalid (400), by reason: the statement property at fault, or request for a malformed request.",
		}, []string{"reason"}),
		scormLaunches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lrs_scorm_launches_total",
			Help: "SCORM package launches.",
		}),
		scormCommits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lrs_scorm_commits_total",
			Help: "SCORM runtime commits received.",
		}),
	}
	m.registry.MustRegister(m.httpDuration, m.storeDuration, m.ingested, m.refused, m.scormLaunches, m.scormCommits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format, uncompressed: gzip of the
// ~1.3 MB of progress gauges cost more scrape time (p99 53 ms against a 50 ms target) than the
// bytes cost on the internal network a scrape crosses.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{DisableCompression: true})
}

// SCORMLaunch counts a launch of a SCORM package (for package scorm).
func (m *Metrics) SCORMLaunch() { m.scormLaunches.Inc() }

// SCORMCommit counts a runtime commit of a SCORM package (for package scorm).
func (m *Metrics) SCORMCommit() { m.scormCommits.Inc() }

// Middleware times every request of a gin engine by its route template, so paths with ids do
// not make new series; requests no route matched share the route "unmatched". It also counts
// refused statement writes by the error the handler recorded (gin.Context.Error).
func (m *Metrics) Middleware(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	code := c.Writer.Status()
	m.httpDuration.WithLabelValues(route, c.Request.Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
	if code == http.StatusBadRequest && strings.HasSuffix(route, "/statements") && c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		m.refused.WithLabelValues(refusal(c.Errors.Last())).Inc()
	}
}

// statementProperties are the reasons a refusal can have: the top-level property at fault.
var statementProperties = map[string]bool{
	"id": true, "actor": true, "verb": true, "object": true, "result": true, "context": true, "timestamp": true,
	"stored": true, "authority": true, "version": true, "attachments": true,
}

// refusal is the reason label of a refused write.
func refusal(err *gin.Error) string {
	var inv *lrs.InvalidStatementError
	if err == nil || !errors.As(err.Err, &inv) || len(inv.Problems) == 0 {
		return "request"
	}
	root, _, _ := strings.Cut(inv.Problems[0].Path, ".")
	root, _, _ = strings.Cut(root, "[")
	if !statementProperties[root] {
		return "statement"
	}
	return root
}

// Observer wraps the observer of statement writes (nil for none) and counts the statements each
// write stored.
func (m *Metrics) Observer(inner lrs.Observer) lrs.Observer {
	return &observer{m: m, inner: inner}
}

type observer struct {
	m     *Metrics
	inner lrs.Observer
}

func (o *observer) Attribute(ctx context.Context, st map[string]any, c lrs.Client) error {
	if o.inner == nil {
		return nil
	}
	return o.inner.Attribute(ctx, st, c)
}

func (o *observer) Applied(ctx context.Context, sts []lrs.StoredStatement, c lrs.Client) error {
	for _, s := range sts {
		if s.New {
			o.m.ingested.WithLabelValues(versionClass(s.Statement), verbClass(s.Statement)).Inc()
		}
	}
	if o.inner == nil {
		return nil
	}
	return o.inner.Applied(ctx, sts, c)
}

// versionClass is the statement's version as major.minor (1.0, 2.0), or "other".
func versionClass(st map[string]any) string {
	v, _ := st["version"].(string)
	switch {
	case strings.HasPrefix(v, "1.0"):
		return "1.0"
	case strings.HasPrefix(v, "2.0"):
		return "2.0"
	}
	return "other"
}

// verbNames are the verbs counted by name (ADL's, and cmi5's under w3id.org/xapi/adl/verbs/);
// every other verb is "other", so that clients cannot make series without bound.
var verbNames = map[string]bool{
	"completed": true, "passed": true, "failed": true, "voided": true, "initialized": true, "terminated": true,
	"launched": true, "experienced": true, "attempted": true, "answered": true, "progressed": true,
	"suspended": true, "resumed": true, "satisfied": true, "waived": true, "abandoned": true, "scored": true,
	"interacted": true, "registered": true,
}

func verbClass(st map[string]any) string {
	verb, _ := st["verb"].(map[string]any)
	id, _ := verb["id"].(string)
	for _, prefix := range []string{"http://adlnet.gov/expapi/verbs/", "https://w3id.org/xapi/adl/verbs/"} {
		if name, ok := strings.CutPrefix(id, prefix); ok && verbNames[name] {
			return name
		}
	}
	return "other"
}

// Progress registers the gauges of learners started and completed per journey, phase,
// municipality and county, read from totals. A scrape serves the figures read last and, when they
// are older than progressMaxAge, has them read again in the background: reading and building
// some 12,000 series on every scrape took longer than a scrape may.
func (m *Metrics) Progress(totals func(context.Context) ([]progress.PhaseTotal, error)) {
	m.registry.MustRegister(&progressCollector{totals: totals})
}

var (
	startedDesc = prometheus.NewDesc("yrkesresan_phase_learners_started",
		"Learners who started a phase of a journey (any of its activities), by municipality and county; municipality and county \"unattributed\" for learners of no known municipality. Up to 15 s old.",
		[]string{"journey", "phase", "municipality", "county"}, nil)
	completedDesc = prometheus.NewDesc("yrkesresan_phase_learners_completed",
		"Learners who completed a phase of a journey (every one of its activities), by municipality and county; municipality and county \"unattributed\" for learners of no known municipality. Up to 15 s old.",
		[]string{"journey", "phase", "municipality", "county"}, nil)
)

const (
	// progressScrapeTimeout bounds one read of the totals.
	progressScrapeTimeout = 10 * time.Second
	// progressMaxAge is how old the figures a scrape serves may be before they are read again.
	progressMaxAge = 15 * time.Second
)

type progressCollector struct {
	totals func(context.Context) ([]progress.PhaseTotal, error)

	mu         sync.Mutex
	metrics    []prometheus.Metric // the figures read last; nil before the first read
	read       time.Time
	refreshing bool
}

func (p *progressCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- startedDesc
	ch <- completedDesc
}

func (p *progressCollector) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	metrics, stale := p.metrics, time.Since(p.read) > progressMaxAge
	if metrics != nil && stale && !p.refreshing {
		p.refreshing = true
		go p.refresh()
	}
	p.mu.Unlock()
	if metrics == nil {
		var err error
		if metrics, err = p.refresh(); err != nil {
			ch <- prometheus.NewInvalidMetric(startedDesc, err)
			return
		}
	}
	for _, m := range metrics {
		ch <- m
	}
}

// refresh reads the totals and keeps the metrics built from them.
func (p *progressCollector) refresh() ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(context.Background(), progressScrapeTimeout)
	defer cancel()
	totals, err := p.totals(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshing = false
	if err != nil {
		return nil, err
	}
	metrics := make([]prometheus.Metric, 0, 2*len(totals))
	for _, t := range totals {
		muni, county := t.Municipality, t.County
		if muni == "" {
			muni, county = "unattributed", "unattributed"
		}
		metrics = append(metrics,
			prometheus.MustNewConstMetric(startedDesc, prometheus.GaugeValue, float64(t.Started), t.Journey, t.Phase, muni, county),
			prometheus.MustNewConstMetric(completedDesc, prometheus.GaugeValue, float64(t.Completed), t.Journey, t.Phase, muni, county))
	}
	p.metrics, p.read = metrics, time.Now()
	return metrics, nil
}
