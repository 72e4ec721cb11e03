package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs/validate"
	"github.com/yrkesresan/lrs/progress"
)

// xapiStatement is the shape the generator promises; decoding rejects any other property.
type xapiStatement struct {
	ID    string
	Actor xapiAgent
	Verb  struct {
		ID      string
		Display map[string]string
	}
	Object  xapiActivity
	Result  *xapiResult
	Context *struct {
		Registration      string
		Platform          string
		Language          string
		ContextActivities struct {
			Parent, Grouping, Category []xapiActivity
		}
	}
	Timestamp string
}

type xapiAgent struct {
	ObjectType string
	Account    *struct{ HomePage, Name string }
}

type xapiActivity struct {
	ObjectType string
	ID         string
	Definition *struct {
		Name map[string]string
		Type string
	}
}

type xapiResult struct {
	Score *struct {
		Scaled, Raw, Min, Max *float64
	}
	Success, Completion *bool
	Response            *string
	Duration            string
	Extensions          map[string]float64
}

var (
	uuidV4     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	uuidV5     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	isoDur     = regexp.MustCompile(`^PT(\d+H)?(\d+M)?\d+\.\d\dS$`)
	rfc3339ms  = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	opaqueName = regexp.MustCompile(`^[0-9a-f]{16}$`)
	typeRole   = map[string]role{adlTypes + "course": roleCourse, adlTypes + "module": roleModule, adlTypes + "assessment": roleAssessment}
)

func decodeStatements(t *testing.T, data []byte) []xapiStatement {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var out []xapiStatement
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding %.300s…: %v", data, err)
	}
	return out
}

func TestGeneratorStatements(t *testing.T) {
	g := NewGenerator(1000, 55, 7)
	stmts := decodeStatements(t, g.AppendBatch(nil, 3000))
	checks := []struct {
		name  string
		check func(s xapiStatement) error
	}{
		{"id is a UUID v4", func(s xapiStatement) error { return match(uuidV4, s.ID) }},
		{"actor is an account agent", checkActor},
		{"verb is a known ADL verb with display", checkVerb},
		{"object is a defined activity", checkObject},
		{"verb fits the activity", checkVerbFits},
		{"context has registration and context activities", checkContext},
		{"result is consistent", checkResult},
		{"timestamp is RFC 3339 UTC with ms, recent", checkTimestamp},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			for i, s := range stmts {
				if err := c.check(s); err != nil {
					t.Fatalf("statement %d: %v\n%+v", i, err, s)
				}
			}
		})
	}
}

func match(re *regexp.Regexp, s string) error {
	if !re.MatchString(s) {
		return fmt.Errorf("%q does not match %s", s, re)
	}
	return nil
}

func checkActor(s xapiStatement) error {
	a := s.Actor
	if a.ObjectType != "Agent" || a.Account == nil || a.Account.HomePage != homePage {
		return fmt.Errorf("actor %+v", a)
	}
	return match(opaqueName, a.Account.Name)
}

func checkVerb(s xapiStatement) error {
	if !strings.HasPrefix(s.Verb.ID, adlVerbs) || s.Verb.Display["en-US"] != strings.TrimPrefix(s.Verb.ID, adlVerbs) ||
		s.Verb.Display["sv-SE"] == "" {
		return fmt.Errorf("verb %+v", s.Verb)
	}
	return nil
}

func checkObject(s xapiStatement) error {
	o := s.Object
	if o.ObjectType != "Activity" || !strings.HasPrefix(o.ID, activityIRI) || o.Definition == nil {
		return fmt.Errorf("object %+v", o)
	}
	if _, ok := typeRole[o.Definition.Type]; !ok || o.Definition.Name["sv-SE"] == "" || o.Definition.Name["en-US"] == "" {
		return fmt.Errorf("definition %+v", *o.Definition)
	}
	return nil
}

func checkVerbFits(s xapiStatement) error {
	for _, v := range verbMix[typeRole[s.Object.Definition.Type]] {
		if v.id == s.Verb.ID {
			return nil
		}
	}
	return fmt.Errorf("verb %s on a %s", s.Verb.ID, s.Object.Definition.Type)
}

func checkContext(s xapiStatement) error {
	c := s.Context
	if c == nil || c.Platform == "" || c.Language != "sv-SE" {
		return fmt.Errorf("context %+v", c)
	}
	ca := c.ContextActivities
	isCourse := typeRole[s.Object.Definition.Type] == roleCourse
	if len(ca.Grouping) != 1 || len(ca.Category) != 1 || (len(ca.Parent) == 0) != isCourse {
		return fmt.Errorf("contextActivities %+v", ca)
	}
	if !isCourse && (ca.Parent[0].Definition.Type != adlTypes+"course" || !strings.HasPrefix(s.Object.ID, ca.Parent[0].ID+"/")) {
		return fmt.Errorf("parent %+v of %s", ca.Parent[0], s.Object.ID)
	}
	return match(uuidV5, c.Registration)
}

func checkResult(s xapiStatement) error {
	kind := verbKind(s.Verb.ID)
	r := s.Result
	if (r == nil) != (kind == resultNone) {
		return fmt.Errorf("result %+v for %s", r, s.Verb.ID)
	}
	if r == nil {
		return nil
	}
	if err := match(isoDur, r.Duration); err != nil {
		return err
	}
	if (r.Score != nil) != (kind == resultPassed || kind == resultFailed) {
		return fmt.Errorf("score %+v for %s", r.Score, s.Verb.ID)
	}
	if r.Score != nil {
		return checkScore(r, kind == resultPassed)
	}
	if kind == resultProgress && (r.Completion == nil || *r.Completion || r.Extensions[progressExt] <= 0) {
		return fmt.Errorf("progress %+v", r)
	}
	if kind == resultCompleted && (r.Completion == nil || !*r.Completion) {
		return fmt.Errorf("completion %+v", r)
	}
	if kind == resultAnswer && (r.Success == nil || r.Response == nil) {
		return fmt.Errorf("answer %+v", r)
	}
	return nil
}

func checkScore(r *xapiResult, pass bool) error {
	sc := r.Score
	if sc.Scaled == nil || sc.Raw == nil || sc.Min == nil || sc.Max == nil {
		return fmt.Errorf("incomplete score %+v", *sc)
	}
	scaled, raw, lo, hi := *sc.Scaled, *sc.Raw, *sc.Min, *sc.Max
	if lo >= hi || raw < lo || raw > hi || math.Abs(scaled-(raw-lo)/(hi-lo)) > 1e-9 {
		return fmt.Errorf("inconsistent score %v %v %v %v", scaled, raw, lo, hi)
	}
	if (scaled >= 0.6) != pass || r.Success == nil || *r.Success != pass || r.Completion == nil || !*r.Completion {
		return fmt.Errorf("pass %v with scaled %v, success %v", pass, scaled, r.Success)
	}
	return nil
}

func checkTimestamp(s xapiStatement) error {
	if err := match(rfc3339ms, s.Timestamp); err != nil {
		return err
	}
	ts, err := time.Parse(time.RFC3339Nano, s.Timestamp)
	if err != nil {
		return err
	}
	if age := time.Since(ts); age < 0 || age > 3*time.Minute {
		return fmt.Errorf("timestamp %s is %v old", s.Timestamp, age)
	}
	return nil
}

func verbKind(id string) resultKind {
	for _, mix := range verbMix {
		for _, v := range mix {
			if v.id == id {
				return v.result
			}
		}
	}
	return -1
}

func TestGeneratorMix(t *testing.T) {
	tests := []struct {
		name              string
		learners, acts, n int
	}{
		{"default sizes", 50000, 500, 5000},
		{"one activity", 3, 1, 200},
		{"partial course", 100, 13, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts := decodeStatements(t, NewGenerator(tt.learners, tt.acts, 1).AppendBatch(nil, tt.n))
			ids, verbs, learners, acts := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, s := range stmts {
				ids[s.ID], verbs[s.Verb.ID] = true, true
				learners[s.Actor.Account.Name], acts[s.Object.ID] = true, true
			}
			if len(ids) != tt.n {
				t.Errorf("%d distinct ids in %d statements", len(ids), tt.n)
			}
			if len(learners) > tt.learners || len(learners) < min(tt.learners, tt.n/2) {
				t.Errorf("%d distinct learners of %d", len(learners), tt.learners)
			}
			if len(acts) != tt.acts {
				t.Errorf("%d distinct activities, want %d", len(acts), tt.acts)
			}
			if wantVerbs := len(distinctVerbs(tt.acts)); len(verbs) != wantVerbs {
				t.Errorf("%d distinct verbs, want %d", len(verbs), wantVerbs)
			}
		})
	}
}

// distinctVerbs lists the verbs that fit the first n activities.
func distinctVerbs(n int) map[string]bool {
	out := map[string]bool{}
	for i := range n {
		for _, v := range verbMix[buildActivity(i).role] {
			out[v.id] = true
		}
	}
	return out
}

func TestGeneratorsAgree(t *testing.T) {
	// Two generators with different seeds share learners and registrations, never ids.
	a := decodeStatements(t, NewGenerator(20, 30, 1).AppendBatch(nil, 2000))
	b := decodeStatements(t, NewGenerator(20, 30, 2).AppendBatch(nil, 2000))
	regs := map[string]string{} // learner and course -> registration
	owner := map[string]string{}
	ids := map[string]bool{}
	for _, s := range append(a, b...) {
		course := s.Object.ID
		if p := s.Context.ContextActivities.Parent; len(p) > 0 {
			course = p[0].ID
		}
		key := s.Actor.Account.Name + " " + course
		if r, ok := regs[key]; ok && r != s.Context.Registration {
			t.Fatalf("%s has registrations %s and %s", key, r, s.Context.Registration)
		}
		if o, ok := owner[s.Context.Registration]; ok && o != key {
			t.Fatalf("registration %s shared by %s and %s", s.Context.Registration, o, key)
		}
		regs[key], owner[s.Context.Registration] = s.Context.Registration, key
		if ids[s.ID] {
			t.Fatalf("id %s repeated", s.ID)
		}
		ids[s.ID] = true
	}
	if len(regs) < 20*3 {
		t.Errorf("only %d learner × course pairs", len(regs))
	}
}

func TestGeneratorSingleAndQuery(t *testing.T) {
	g := NewGenerator(10, 20, 3)
	one := g.AppendStatement([]byte("prefix:"))
	if !bytes.HasPrefix(one, []byte("prefix:")) {
		t.Fatalf("AppendStatement dropped dst")
	}
	decodeStatements(t, append(append([]byte("["), one[len("prefix:"):]...), ']'))
	for range 50 {
		agent, verbID := g.Query()
		var a xapiAgent
		if err := json.Unmarshal([]byte(agent), &a); err != nil {
			t.Fatal(err)
		}
		if err := checkActor(xapiStatement{Actor: a}); err != nil {
			t.Fatal(err)
		}
		if verbKind(verbID) < 0 {
			t.Fatalf("query verb %q is not generated", verbID)
		}
	}
}

func TestAppendDuration(t *testing.T) {
	tests := []struct {
		cs   int
		want string
	}{
		{0, "PT0.00S"},
		{5, "PT0.05S"},
		{512, "PT5.12S"},
		{6000, "PT1M0.00S"},
		{6099, "PT1M0.99S"},
		{359999, "PT59M59.99S"},
		{360000, "PT1H0.00S"},
		{366100, "PT1H1M1.00S"},
	}
	for _, tt := range tests {
		if got := string(appendDuration(nil, tt.cs)); got != tt.want {
			t.Errorf("appendDuration(%d) = %s, want %s", tt.cs, got, tt.want)
		}
	}
}

func BenchmarkAppendBatch(b *testing.B) {
	g := NewGenerator(50000, 500, 1)
	var buf []byte
	for b.Loop() {
		buf = g.AppendBatch(buf[:0], 100)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "statements/s")
	b.SetBytes(int64(len(buf)))
}

// TestGeneratorMunicipalities: with municipalities, each learner's statements carry the same one
// of the 290 codes in the progress extension, and are valid statements.
func TestGeneratorMunicipalities(t *testing.T) {
	g := NewGenerator(1000, 50, 3)
	g.municipalities = municipalityCodes()
	if len(g.municipalities) != 290 {
		t.Fatalf("%d municipality codes", len(g.municipalities))
	}
	var sts []map[string]any
	if err := json.Unmarshal(g.AppendBatch(nil, 500), &sts); err != nil {
		t.Fatal(err)
	}
	byLearner := map[string]string{}
	for i, st := range sts {
		if err := validate.Statement(st, "1.0.3"); err != nil {
			t.Fatalf("statement %d: %v", i, err)
		}
		learner := st["actor"].(map[string]any)["account"].(map[string]any)["name"].(string)
		code, _ := st["context"].(map[string]any)["extensions"].(map[string]any)[progress.DefaultMunicipalityExtension].(string)
		if !slices.Contains(g.municipalities, code) || byLearner[learner] != "" && byLearner[learner] != code {
			t.Fatalf("statement %d: learner %s has code %q (before: %q)", i, learner, code, byLearner[learner])
		}
		byLearner[learner] = code
	}
}
