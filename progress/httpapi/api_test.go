package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/yrkesresan/lrs/lrs"
	lrshttp "github.com/yrkesresan/lrs/lrs/httpapi"
	"github.com/yrkesresan/lrs/lrs/sqlite"
	"github.com/yrkesresan/lrs/metrics"
	"github.com/yrkesresan/lrs/progress"
	"github.com/yrkesresan/lrs/progress/httpapi"
)

// server is the LRS with roll-ups, the progress API and /metrics, wired as `lrs serve` wires
// them, over real HTTP on a fresh SQLite store.
type server struct {
	t     *testing.T
	url   string
	creds map[string][2]string // client name -> key, secret
}

// clients: name -> scopes and organisation.
var clients = map[string]struct {
	scopes []lrs.Scope
	org    string
}{
	"admin":      {[]lrs.Scope{lrs.ScopeAll}, ""},
	"stockholm":  {[]lrs.Scope{lrs.ScopeProgressRead}, "0180"},
	"county01":   {[]lrs.Scope{lrs.ScopeProgressRead}, "01"},
	"national":   {[]lrs.Scope{lrs.ScopeProgressRead}, "national"},
	"noorg":      {[]lrs.Scope{lrs.ScopeProgressRead}, ""},
	"writer0180": {[]lrs.Scope{lrs.ScopeStatementsWrite}, "0180"},
	"writer1480": {[]lrs.Scope{lrs.ScopeStatementsWrite}, "1480"},
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	opened, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lrs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { opened.Close() })
	m := metrics.New()
	store := m.Store(opened)
	s := &server{t: t, creds: map[string][2]string{}}
	for name, c := range clients {
		key, secret, err := lrs.NewCredentials()
		if err != nil {
			t.Fatal(err)
		}
		hash, err := lrs.HashSecret(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.PutClient(ctx, lrs.Client{Key: key, SecretHash: hash, Name: name, Scopes: c.scopes, Org: c.org, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
		s.creds[name] = [2]string{key, secret}
	}
	places, err := progress.LoadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	tracker, err := progress.New(ctx, store, places, progress.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.Progress(tracker.PhaseTotals)
	auth, err := lrs.NewAuthenticator(store)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc := lrs.NewService(store, lrs.Options{Observer: m.Observer(tracker)})
	mw := []gin.HandlerFunc{m.Middleware}
	mux := http.NewServeMux()
	mux.Handle(httpapi.Path+"/", httpapi.New(httpapi.Config{Middleware: mw}, tracker, places, auth, log))
	mux.Handle("/metrics", m.Handler())
	mux.Handle("/", lrshttp.New(lrshttp.Config{BaseURL: "http://lrs.test", Middleware: mw}, svc, auth, log))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// do sends a request as client (none when ""), and returns the status and body.
func (s *server) do(client, method, path, contentType, body string) (int, string, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if client != "" {
		req.SetBasicAuth(s.creds[client][0], s.creds[client][1])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (s *server) must(want int, client, method, path, contentType, body string) string {
	s.t.Helper()
	code, got, _ := s.do(client, method, path, contentType, body)
	if code != want {
		s.t.Fatalf("%s %s as %s: %d %s, want %d", method, path, client, code, got, want)
	}
	return got
}

const catalogYAML = `
journeys:
  - id: bou
    name: Barn och unga
    phases:
      ny:
        activities:
          - id: https://ex.se/a1
          - id: https://ex.se/a2
`

// statements returns a JSON array of n learners' completions of the activities.
func statements(prefix string, n int, activities ...string) string {
	var sts []map[string]any
	for i := range n {
		for _, a := range activities {
			sts = append(sts, map[string]any{
				"actor":     map[string]any{"account": map[string]any{"homePage": "https://ex.se", "name": fmt.Sprint(prefix, i)}},
				"verb":      map[string]any{"id": "http://adlnet.gov/expapi/verbs/completed"},
				"object":    map[string]any{"id": a},
				"timestamp": "2025-03-10T12:00:00Z",
			})
		}
	}
	b, _ := json.Marshal(sts)
	return string(b)
}

// seeded is a server with the catalog, 3 learners of Stockholm (0180) who completed phase ny,
// and 6 of Göteborg (1480) who started it.
func seeded(t *testing.T) *server {
	s := newServer(t)
	s.must(200, "admin", "PUT", "/api/catalog", "application/yaml", catalogYAML)
	s.must(200, "writer0180", "POST", "/xapi/statements", "application/json", statements("sthlm-", 3, "https://ex.se/a1", "https://ex.se/a2"))
	s.must(200, "writer1480", "POST", "/xapi/statements", "application/json", statements("gbg-", 6, "https://ex.se/a1"))
	return s
}

func TestReports(t *testing.T) {
	s := seeded(t)
	cases := []struct {
		client, query string
		code          int
		want          string // in the body
	}{
		{"stockholm", "group_by=municipality", 200, `"municipality":"0180","municipality_name":"Stockholm","county":"01","county_name":"Stockholms län","started":3,"completed":3`},
		{"county01", "group_by=municipality", 200, `"municipality":"0180","municipality_name":"Stockholm","county":"01","county_name":"Stockholms län","started":null,"completed":null`},
		{"national", "group_by=county", 200, `"county":"14","county_name":"Västra Götalands län","started":6,"completed":0`},
		{"national", "group_by=county", 200, `"county":"01","county_name":"Stockholms län","started":null,"completed":null`},
		{"national", "", 200, `"rows":[{"journey":"bou","started":9,"completed":null}]`},
		{"admin", "municipality=1480&group_by=activity", 200, `"activity":"https://ex.se/a1","started":6,"completed":6`},
		{"stockholm", "group_by=month,phase&from=2025-03&to=2025-03", 200, `"phase":"ny","month":"2025-03","started":3,"completed":3`},
		{"stockholm", "from=2025-04", 200, `"rows":[]`},
		{"stockholm", "municipality=1480", 403, "outside the credentials' organisation"},
		{"county01", "county=14", 403, "outside the credentials' organisation"},
		{"noorg", "", 403, "belong to no organisation"},
		{"writer0180", "", 403, "lack the scope progress/read"},
		{"", "", 401, "credentials are required"},
		{"national", "phase=nya", 400, `phase \"nya\"`},
		{"national", "journey=x", 400, `journey \"x\" is not in the catalog`},
		{"national", "from=2025-13", 400, `month \"2025-13\": want YYYY-MM`},
		{"national", "from=2025-05&to=2025-04", 400, "is after"},
		{"national", "group_by=person", 400, `group_by \"person\"`},
		{"national", "municipality=9999", 400, `\"9999\" is not a municipality code`},
		{"national", "learner=x", 400, `unknown parameter \"learner\"`},
		{"national", "format=xml", 400, "want json or csv"},
	}
	for _, c := range cases {
		code, body, _ := s.do(c.client, "GET", "/api/reports?"+c.query, "", "")
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s ?%s: %d %s\nwant %d with %s", c.client, c.query, code, body, c.code, c.want)
		}
	}
}

func TestReportCSV(t *testing.T) {
	s := seeded(t)
	for _, path := range []string{"/api/reports?group_by=municipality,phase&format=csv", "/api/reports?group_by=municipality,phase"} {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		req.SetBasicAuth(s.creds["national"][0], s.creds["national"][1])
		req.Header.Set("Accept", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "journey,municipality,municipality_name,phase,started,completed\n" +
			"bou,0180,Stockholm,ny,,\n" +
			"bou,1480,Göteborg,ny,6,0\n"
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || string(b) != want {
			t.Errorf("%s: %d %s\n%s\nwant\n%s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b, want)
		}
	}
}

func TestAdmin(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		client, method, path, contentType, body string
		code                                    int
		want                                    string
	}{
		{"stockholm", "PUT", "/api/catalog", "application/yaml", catalogYAML, 403, "lack the scope all"},
		{"admin", "PUT", "/api/catalog", "application/yaml", "journeys:\n  - id: bou\n    name: B\n    phases: {}\n", 400,
			`{"line":4,"field":"journeys[0].phases","message":"Must have at least 1 properties"}`},
		{"admin", "PUT", "/api/catalog", "application/yaml", catalogYAML, 200, `"rebuild":{"statements":0`},
		{"national", "GET", "/api/catalog", "", "", 200, `"completion_verbs":["http://adlnet.gov/expapi/verbs/completed"`},
		{"admin", "POST", "/api/directory", "text/csv", "account_homepage,account_name,municipality\nhttps://ex.se,a,0180\nhttps://ex.se,b,9999\n,,0180\n", 400,
			`"problems":[{"line":3,"message":"\"9999\" is not a municipality code`},
		{"admin", "POST", "/api/directory", "text/csv", "mbox,municipality\n\nmailto:a@ex.se,0180\n,0180\n", 400,
			`"problems":[{"line":4,"message":"names no learner`},
		{"admin", "POST", "/api/directory", "text/csv", "mbox,municipality\n\"x,0180\n", 400, `"line":2`},
		{"admin", "POST", "/api/directory", "text/csv", "name,municipality\n", 400, "must name the columns"},
		{"admin", "POST", "/api/directory", "application/json", `[{"agent":{"mbox":"mailto:a@ex.se"},"municipality":"0180"},{"agent":{"mbox":"a@ex.se"},"municipality":"0180"}]`, 400,
			`"problems":[{"index":1,"message":"agent `},
		{"admin", "POST", "/api/directory", "application/json", `{"agent":{}}`, 400, "want a JSON array"},
		{"admin", "POST", "/api/directory", "text/plain", "x", 400, "text/csv or application/json"},
		{"admin", "POST", "/api/directory", "text/csv", "account_homepage,account_name,municipality\nhttps://ex.se,a,0180\nhttps://ex.se,b,1480\n", 200, `{"changed":2,"entries":2}`},
		{"admin", "POST", "/api/directory", "application/json", `[{"agent":{"account":{"homePage":"https://ex.se","name":"a"}},"municipality":"0180"}]`, 200, `{"changed":0,"entries":1}`},
		{"admin", "GET", "/api/directory?limit=1", "", "", 200, `{"entries":[{"agent":{"account":{"homePage":"https://ex.se","name":"a"}},"municipality":"0180"}],"next":`},
		{"admin", "GET", "/api/directory?limit=0", "", "", 400, "limit"},
		{"county01", "GET", "/api/directory", "", "", 403, "lack the scope all"},
		{"admin", "POST", "/api/progress/rebuild", "", "", 200, `"rebuild":{"statements":0`},
		{"national", "GET", "/api/municipalities", "", "", 200, `{"code":"2584","name":"Kiruna","county":"25"}`},
		{"national", "DELETE", "/api/municipalities", "", "", 405, "method not allowed"},
		{"national", "GET", "/api/nothing", "", "", 404, "no such resource"},
	}
	for _, c := range cases {
		code, body, _ := s.do(c.client, c.method, c.path, c.contentType, c.body)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s %s: %d %s\nwant %d with %s", c.client, c.method, c.path, code, body, c.code, c.want)
		}
	}
	var places struct {
		Municipalities []progress.Municipality `json:"municipalities"`
		Counties       []progress.County       `json:"counties"`
	}
	body := s.must(200, "national", "GET", "/api/municipalities", "", "")
	if err := json.Unmarshal([]byte(body), &places); err != nil || len(places.Municipalities) != 290 || len(places.Counties) != 21 {
		t.Errorf("municipalities: %d and %d counties (%v), want 290 and 21", len(places.Municipalities), len(places.Counties), err)
	}
}

// TestAttributionRefusal sends a statement whose municipality extension is not a code: 400,
// nothing stored.
func TestAttributionRefusal(t *testing.T) {
	s := seeded(t)
	st := `{"actor":{"mbox":"mailto:x@ex.se"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://ex.se/a1"},
		"context":{"extensions":{"` + progress.DefaultMunicipalityExtension + `":"0000"}}}`
	body := s.must(400, "writer0180", "POST", "/xapi/statements", "application/json", st)
	if !strings.Contains(body, `"0000\" is not a municipality code`) || !strings.Contains(body, `"path":"context.extensions[\"https://yrkesresan.se/xapi/extensions/municipality\"]"`) {
		t.Errorf("refusal: %s", body)
	}
}

func TestMetrics(t *testing.T) {
	s := seeded(t)
	s.must(400, "writer0180", "POST", "/xapi/statements", "application/json", `{"actor":{"mbox":"x"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://ex.se/a1"}}`)
	body := s.must(200, "", "GET", "/metrics", "", "")
	for _, want := range []string{
		`yrkesresan_phase_learners_started{county="14",journey="bou",municipality="1480",phase="ny"} 6`,
		`yrkesresan_phase_learners_completed{county="01",journey="bou",municipality="0180",phase="ny"} 3`,
		`lrs_statements_ingested_total{verb="completed",version="1.0"} 12`,
		`lrs_statements_refused_total{reason="actor"} 1`,
		`lrs_http_request_duration_seconds_count{code="200",method="POST",route="/xapi/statements"} 2`,
		`lrs_http_request_duration_seconds_count{code="200",method="PUT",route="/api/catalog"} 1`,
		`lrs_store_operation_duration_seconds_count{operation="write_records"}`,
		`lrs_scorm_launches_total 0`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	problems, err := promlint.New(bytes.NewReader([]byte(body))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}
