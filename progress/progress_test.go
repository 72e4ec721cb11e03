package progress_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/sqlite"
	"github.com/yrkesresan/lrs/progress"
)

// testCatalog has two journeys that share activity a2, and an activity (a3) that one phase
// requires and another names as its only one.
const testCatalog = `
journeys:
  - id: bou
    name: Barn och unga
    phases:
      ny:
        activities:
          - id: https://ex.se/a1
          - id: https://ex.se/a2
      van:
        activities:
          - id: https://ex.se/a3
  - id: aldre
    name: Äldreomsorg
    phases:
      ny:
        activities:
          - id: https://ex.se/a2
          - id: https://ex.se/a4
      chef:
        activities:
          - id: https://ex.se/a5
`

const (
	verbCompleted   = "http://adlnet.gov/expapi/verbs/completed"
	verbPassed      = "http://adlnet.gov/expapi/verbs/passed"
	verbFailed      = "http://adlnet.gov/expapi/verbs/failed"
	verbExperienced = "http://adlnet.gov/expapi/verbs/experienced"
	verbSatisfied   = "https://w3id.org/xapi/adl/verbs/satisfied"
	ext             = progress.DefaultMunicipalityExtension
)

// env is a real LRS core on a real SQLite store with a Tracker observing its writes.
type env struct {
	t       *testing.T
	store   *sqlite.Store
	places  *progress.Places
	tracker *progress.Tracker
	svc     *lrs.Service
	clients map[string]lrs.Client // by organisation ("" for none)
}

func newEnv(t *testing.T, minCount int) *env {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lrs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	places, err := progress.LoadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := progress.New(ctx, store, places, progress.Config{MinCount: minCount})
	if err != nil {
		t.Fatal(err)
	}
	c, err := progress.ParseCatalog([]byte(testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ApplyCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: store, places: places, tracker: tr, clients: map[string]lrs.Client{},
		svc: lrs.NewService(store, lrs.Options{Observer: tr})}
	for _, org := range []string{"", "national", "01", "0180", "1480"} {
		c := lrs.Client{Key: "client-" + cmpOr(org, "none"), Name: org, Org: org, Scopes: []lrs.Scope{lrs.ScopeAll}, Created: time.Now()}
		if err := store.PutClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		e.clients[org] = c
	}
	return e
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// send writes statements as the client of org, through the core as the HTTP API does.
func (e *env) send(org string, sts ...map[string]any) error {
	c := e.clients[org]
	_, err := e.svc.WriteStatements(context.Background(), lrs.WriteRequest{
		Statements: sts, Version: lrs.Version103, Client: c, Authority: c.Authority("http://lrs.test"),
	})
	return err
}

func (e *env) mustSend(org string, sts ...map[string]any) {
	e.t.Helper()
	if err := e.send(org, sts...); err != nil {
		e.t.Fatalf("send: %v", err)
	}
}

func agent(name string) map[string]any {
	return map[string]any{"account": map[string]any{"homePage": "https://ex.se", "name": name}}
}

// stmt is a statement by learner; opts are "parent=IRI", "ts=RFC3339", "ext=CODE", "id=UUID".
func stmt(learner, verb, object string, opts ...string) map[string]any {
	st := map[string]any{
		"actor":  agent(learner),
		"verb":   map[string]any{"id": verb},
		"object": map[string]any{"id": object},
	}
	ctx := map[string]any{}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "parent":
			ctx["contextActivities"] = map[string]any{"parent": []any{map[string]any{"id": v}}}
		case "ts":
			st["timestamp"] = v
		case "ext":
			ctx["extensions"] = map[string]any{ext: v}
		case "id":
			st["id"] = v
		}
	}
	if len(ctx) > 0 {
		st["context"] = ctx
	}
	return st
}

func voidStmt(target string) map[string]any {
	return map[string]any{
		"actor":  agent("admin"),
		"verb":   map[string]any{"id": lrs.VerbVoided},
		"object": map[string]any{"objectType": "StatementRef", "id": target},
	}
}

// report returns a national report as "journey/phase/municipality: started/completed" lines.
func (e *env) report(q progress.ReportQuery) []string {
	e.t.Helper()
	r, err := e.tracker.Report(context.Background(), progress.Org{Level: progress.National}, q)
	if err != nil {
		e.t.Fatalf("Report: %v", err)
	}
	var out []string
	for _, row := range r.Rows {
		out = append(out, fmt.Sprintf("%s/%s/%s/%s/%s: %s/%s", row.Journey, row.Phase, row.Activity, row.Municipality, row.Month, count(row.Started), count(row.Completed)))
	}
	return out
}

func count(n *int64) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

var byPhaseAndMunicipality = progress.ReportQuery{GroupBy: []string{progress.ByPhase, progress.ByMunicipality}}

func TestRules(t *testing.T) {
	a1, a2, a3, a4, a5, other := "https://ex.se/a1", "https://ex.se/a2", "https://ex.se/a3", "https://ex.se/a4", "https://ex.se/a5", "https://ex.se/other"
	id := func(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
	cases := []struct {
		name  string
		steps func(e *env)
		query progress.ReportQuery
		want  []string
	}{
		{"phase completes when every required activity does", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a1), stmt("l2", verbCompleted, a1))
			e.mustSend("0180", stmt("l1", verbPassed, a2))
		}, byPhaseAndMunicipality, []string{
			"aldre/ny//0180/: 1/0", // a2 started it; a4 is missing
			"bou/ny//0180/: 2/1",
		}},
		{"failed never completes; other verbs only start", func(e *env) {
			e.mustSend("0180", stmt("l1", verbFailed, a3), stmt("l2", verbExperienced, a3), stmt("l3", verbSatisfied, a3))
		}, byPhaseAndMunicipality, []string{"bou/van//0180/: 3/1"}},
		{"a parent context activity starts but does not complete", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, other, "parent="+a3))
		}, byPhaseAndMunicipality, []string{"bou/van//0180/: 1/0"}},
		{"statements about no catalog activity count nowhere", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, other))
		}, byPhaseAndMunicipality, nil},
		{"a re-sent statement counts once", func(e *env) {
			s := stmt("l1", verbCompleted, a3, "id="+id(1))
			e.mustSend("0180", s)
			e.mustSend("0180", s)
			e.mustSend("national", s)
		}, byPhaseAndMunicipality, []string{"bou/van//0180/: 1/1"}},
		{"voiding takes a completion back, from the month it was counted in", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "id="+id(1), "ts=2025-01-10T12:00:00Z"))
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "id="+id(2), "ts=2025-03-10T12:00:00Z"))
			e.mustSend("0180", voidStmt(id(1)))
		}, progress.ReportQuery{GroupBy: []string{progress.ByPhase, progress.ByMonth}}, []string{
			// A voided statement is as if never sent: the learner started in March too.
			"bou/van///2025-03: 1/1",
		}},
		{"voiding the only statement takes the start back too", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "id="+id(1)))
			e.mustSend("0180", voidStmt(id(1)))
		}, byPhaseAndMunicipality, nil},
		{"a statement voided before it arrives never counts", func(e *env) {
			e.mustSend("0180", voidStmt(id(1)))
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "id="+id(1)))
			e.mustSend("0180", stmt("l2", verbCompleted, a3))
		}, byPhaseAndMunicipality, []string{"bou/van//0180/: 1/1"}},
		{"months are Swedish months", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "ts=2025-01-31T23:30:00Z"))
		}, progress.ReportQuery{GroupBy: []string{progress.ByMonth}}, []string{"bou////2025-02: 1/1"}},
		{"a timestamp in the future counts when stored", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "ts=2999-01-01T00:00:00Z"))
		}, progress.ReportQuery{GroupBy: []string{progress.ByMonth}, From: "2999-01"}, nil},
		{"a shared activity counts in each phase that requires it", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a2), stmt("l1", verbCompleted, a4), stmt("l1", verbCompleted, a5))
		}, progress.ReportQuery{GroupBy: []string{progress.ByActivity}}, []string{
			"aldre//" + a2 + "//: 1/1", "aldre//" + a4 + "//: 1/1", "aldre//" + a5 + "//: 1/1", "bou//" + a2 + "//: 1/1",
		}},
		{"attribution: the client's municipality before the extension", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "ext=1480"))
			e.mustSend("01", stmt("l2", verbCompleted, a3, "ext=1480"))
			e.mustSend("national", stmt("l3", verbCompleted, a3))
		}, byPhaseAndMunicipality, []string{"bou/van///: 1/1", "bou/van//0180/: 1/1", "bou/van//1480/: 1/1"}},
		{"attribution: the learner's earliest attributed statement", func(e *env) {
			e.mustSend("national", stmt("l1", verbExperienced, a3))
			e.mustSend("national", stmt("l1", verbExperienced, a3, "ext=1480"))
			e.mustSend("0180", stmt("l1", verbCompleted, a3))
		}, byPhaseAndMunicipality, []string{"bou/van//1480/: 1/1"}},
		{"attribution: the directory first, and an import moves the counts", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3), stmt("l2", verbCompleted, a3))
			if _, err := e.tracker.ImportDirectory(context.Background(), []progress.DirectoryEntry{
				{Agent: agent("l1"), Municipality: "0114"}, {Agent: agent("l3"), Municipality: "0114"},
			}, nil); err != nil {
				e.t.Fatal(err)
			}
			e.mustSend("1480", stmt("l3", verbExperienced, a3))
		}, byPhaseAndMunicipality, []string{"bou/van//0114/: 2/1", "bou/van//0180/: 1/1"}},
		{"attribution: removing a directory entry falls back", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3))
			for _, m := range []string{"0114", ""} {
				if _, err := e.tracker.ImportDirectory(context.Background(), []progress.DirectoryEntry{{Agent: agent("l1"), Municipality: m}}, nil); err != nil {
					e.t.Fatal(err)
				}
			}
		}, byPhaseAndMunicipality, []string{"bou/van//0180/: 1/1"}},
		{"filters: county and time range", func(e *env) {
			e.mustSend("0180", stmt("l1", verbCompleted, a3, "ts=2025-01-10T12:00:00Z"), stmt("l2", verbCompleted, a3, "ts=2025-05-10T12:00:00Z"))
			e.mustSend("1480", stmt("l3", verbCompleted, a3, "ts=2025-01-10T12:00:00Z"))
		}, progress.ReportQuery{Counties: []string{"01"}, From: "2025-01", To: "2025-04", GroupBy: []string{progress.ByCounty}}, []string{"bou////: 1/1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, 1)
			c.steps(e)
			got := e.report(c.query)
			if !slices.Equal(got, c.want) {
				t.Errorf("report\ngot  %q\nwant %q", got, c.want)
			}
			e.checkRebuild()
		})
	}
}

// checkRebuild requires the counts kept on the write path to equal those rebuilt from the
// statements.
func (e *env) checkRebuild() {
	e.t.Helper()
	before := e.counters()
	if _, err := e.tracker.Rebuild(context.Background()); err != nil {
		e.t.Fatalf("Rebuild: %v", err)
	}
	after := e.counters()
	for k, v := range before {
		if after[k] != v {
			e.t.Errorf("counter %v: incremental %d, rebuilt %d", k, v, after[k])
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			e.t.Errorf("counter %v: incremental 0, rebuilt %d", k, v)
		}
	}
}

func (e *env) counters() map[lrs.CounterKey]int64 {
	list, err := e.store.Counters(context.Background(), lrs.CounterFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[lrs.CounterKey]int64{}
	for _, c := range list {
		if c.Value != 0 {
			out[c.Key] = c.Value
		}
		if c.Value < 0 {
			e.t.Errorf("counter %v is negative: %d", c.Key, c.Value)
		}
	}
	return out
}

func TestAttributionRefusesUnknownCode(t *testing.T) {
	e := newEnv(t, 1)
	cases := []struct {
		value any
		rule  string
	}{
		{"9999", `"9999" is not a municipality code`},
		{"180", `"180" is not a municipality code`},
		{float64(180), "must be a municipality code as a string"},
	}
	for _, c := range cases {
		st := stmt("l1", verbCompleted, "https://ex.se/a3")
		st["context"] = map[string]any{"extensions": map[string]any{ext: c.value}}
		err := e.send("0180", stmt("l0", verbCompleted, "https://ex.se/a3"), st)
		var inv *lrs.InvalidStatementError
		if !errors.As(err, &inv) || inv.Index != 1 || len(inv.Problems) != 1 || !strings.Contains(inv.Problems[0].Rule, c.rule) ||
			inv.Problems[0].Path != `context.extensions["`+ext+`"]` {
			t.Errorf("extension %v: %v, want statement 1 refused with %q", c.value, err, c.rule)
		}
	}
	if got := e.report(byPhaseAndMunicipality); got != nil {
		t.Errorf("a refused request was counted: %q", got)
	}
	if recs, _ := e.store.Statements(context.Background(), []string{}); len(recs) != 0 {
		t.Errorf("a refused request stored statements")
	}
}

// TestRetryConverges stores statements while no Tracker observes them (as when the roll-up
// failed after the store had them), then sends them again: the retry counts them.
func TestRetryConverges(t *testing.T) {
	e := newEnv(t, 1)
	unobserved := lrs.NewService(e.store, lrs.Options{})
	sts := []map[string]any{
		stmt("l1", verbCompleted, "https://ex.se/a3", "id="+uuid.NewString()),
		voidStmt(uuid.NewString()),
		stmt("l2", verbCompleted, "https://ex.se/a3", "id="+uuid.NewString()),
	}
	c := e.clients["0180"]
	if _, err := unobserved.WriteStatements(context.Background(), lrs.WriteRequest{Statements: sts, Version: lrs.Version103, Client: c, Authority: c.Authority("http://lrs.test")}); err != nil {
		t.Fatal(err)
	}
	if got := e.report(byPhaseAndMunicipality); got != nil {
		t.Fatalf("counted without an observer: %q", got)
	}
	e.mustSend("0180", sts...)
	if got, want := e.report(byPhaseAndMunicipality), []string{"bou/van//0180/: 2/2"}; !slices.Equal(got, want) {
		t.Errorf("after the retry: %q, want %q", got, want)
	}
	e.checkRebuild()
}

// TestRandomWorkload drives random statements, re-sent duplicates, voiding (before and after
// the target arrives), directory changes and concurrent writers, and requires the counts kept
// on the write path to equal those rebuilt from the statements.
func TestRandomWorkload(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			e := newEnv(t, 1)
			w := newWorkload()
			var wg sync.WaitGroup
			for worker := range 2 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(seed, uint64(worker)))
					for range 60 {
						if err := w.step(e, rng); err != nil {
							t.Errorf("worker %d: %v", worker, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if len(e.counters()) == 0 {
				t.Fatal("the workload counted nothing")
			}
			e.checkRebuild()
		})
	}
}

type workload struct {
	mu     sync.Mutex
	sent   []map[string]any // non-voiding statements sent, to send again
	ids    []string         // ids that may be voided: sent ones and ones reserved for later
	future []string         // reserved ids not yet sent
	voided map[string]bool
}

func newWorkload() *workload { return &workload{voided: map[string]bool{}} }

var (
	randActivities = []string{"https://ex.se/a1", "https://ex.se/a2", "https://ex.se/a3", "https://ex.se/a4", "https://ex.se/a5", "https://ex.se/other"}
	randVerbs      = []string{verbCompleted, verbPassed, verbFailed, verbExperienced, verbSatisfied}
	randOrgs       = []string{"", "national", "01", "0180", "1480"}
	randCodes      = []string{"", "", "0114", "1480", "2584"}
)

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// step does one random thing.
func (w *workload) step(e *env, rng *rand.Rand) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch r := rng.IntN(20); {
	case r < 2 && len(w.sent) > 0: // send an earlier statement again
		var batch []map[string]any
		for range 1 + rng.IntN(3) {
			batch = append(batch, pick(rng, w.sent))
		}
		return w.send(e, rng, dedupe(batch))
	case r < 4 && len(w.ids) > 0: // void a statement, perhaps before it arrives
		target := pick(rng, w.ids)
		if w.voided[target] {
			return nil
		}
		w.voided[target] = true
		return w.send(e, rng, []map[string]any{voidStmt(target)})
	case r < 5: // change the directory
		_, err := e.tracker.ImportDirectory(context.Background(), []progress.DirectoryEntry{
			{Agent: agent(fmt.Sprint("l", rng.IntN(6))), Municipality: pick(rng, []string{"", "0180", "0114"})}}, nil)
		return err
	case r < 6: // reserve an id to void before it is sent
		id := uuid.NewString()
		w.ids, w.future = append(w.ids, id), append(w.future, id)
		return nil
	}
	var batch []map[string]any
	for range 1 + rng.IntN(8) {
		opts := []string{fmt.Sprintf("ts=2025-%02d-%02dT%02d:00:00Z", 1+rng.IntN(6), 1+rng.IntN(28), rng.IntN(24))}
		if code := pick(rng, randCodes); code != "" {
			opts = append(opts, "ext="+code)
		}
		if rng.IntN(5) == 0 {
			opts = append(opts, "parent="+pick(rng, randActivities))
		}
		id := uuid.NewString()
		if len(w.future) > 0 && rng.IntN(3) == 0 {
			id, w.future = w.future[0], w.future[1:]
		} else {
			w.ids = append(w.ids, id)
		}
		st := stmt(fmt.Sprint("l", rng.IntN(6)), pick(rng, randVerbs), pick(rng, randActivities), append(opts, "id="+id)...)
		w.sent = append(w.sent, st)
		batch = append(batch, st)
	}
	return w.send(e, rng, batch)
}

// send sends outside the lock held by step, so that the two workers' writes overlap.
func (w *workload) send(e *env, rng *rand.Rand, batch []map[string]any) error {
	org := pick(rng, randOrgs)
	w.mu.Unlock()
	defer w.mu.Lock()
	return e.send(org, batch...)
}

func dedupe(batch []map[string]any) []map[string]any {
	var out []map[string]any
	seen := map[string]bool{}
	for _, st := range batch {
		if id := st["id"].(string); !seen[id] {
			seen[id] = true
			out = append(out, st)
		}
	}
	return out
}
