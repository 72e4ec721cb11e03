package progress

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// learner is the progress state of one learner, the record the roll-ups are derived from. It is a
// function of the learner's live statements about catalog activities (and the directory), whatever
// the order they arrive in and however often: every field is a minimum or a set.
type learner struct {
	// Dir is the learner's municipality in the learner directory, "" when not listed.
	Dir string `json:"d,omitempty"`
	// First is the earliest (stored, id) live statement that carries an attribution of its own.
	First *holder `json:"f,omitempty"`
	// Acts holds, per catalog activity the learner has statements about, what was done.
	Acts map[string]*actState `json:"a,omitempty"`
}

// holder is a statement that decides the learner's municipality.
type holder struct {
	Stored int64  `json:"t"` // Unix milliseconds
	ID     string `json:"i"`
	Muni   string `json:"m"`
}

func (h *holder) before(o *holder) bool {
	return o == nil || h.Stored < o.Stored || h.Stored == o.Stored && h.ID < o.ID
}

// actState is a learner's progress in one activity.
type actState struct {
	Start string            `json:"s"`           // month of the earliest live statement about it
	Done  map[string]string `json:"c,omitempty"` // live completing statement id -> its month
}

// doneMonth is the month the activity was first completed, "" if it is not.
func (a *actState) doneMonth() string {
	m := ""
	for _, month := range a.Done {
		if m == "" || month < m {
			m = month
		}
	}
	return m
}

// municipality is the learner's municipality by the documented precedence: the directory, then
// the learner's earliest attributed statement (the client's municipality, then the extension).
// "" is unattributed.
func (l *learner) municipality() string {
	if l.Dir != "" {
		return l.Dir
	}
	if l.First != nil {
		return l.First.Muni
	}
	return ""
}

func decodeLearner(b []byte) (*learner, error) {
	l := &learner{}
	if len(b) == 0 {
		return l, nil
	}
	if err := json.Unmarshal(b, l); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *learner) clone() *learner {
	c := &learner{Dir: l.Dir, Acts: make(map[string]*actState, len(l.Acts))}
	if l.First != nil {
		f := *l.First
		c.First = &f
	}
	for k, a := range l.Acts {
		c.Acts[k] = &actState{Start: a.Start, Done: maps.Clone(a.Done)}
	}
	return c
}

// fact is what one statement says about a learner's progress.
type fact struct {
	id      string
	stored  int64  // Unix milliseconds
	month   string // YYYY-MM in Swedish time, of the timestamp (the stored time if that is earlier)
	learner string // agent key of the actor
	muni    string // the statement's own attribution: client municipality, then extension; or ""
	acts    []string
	done    string // the catalog activity it completes, or ""
}

// add merges the fact into the state. Adding a fact twice changes nothing.
func (l *learner) add(f fact) {
	if f.muni != "" {
		h := &holder{Stored: f.stored, ID: f.id, Muni: f.muni}
		if h.before(l.First) {
			l.First = h
		}
	}
	if l.Acts == nil {
		l.Acts = map[string]*actState{}
	}
	for _, a := range f.acts {
		st := l.Acts[a]
		if st == nil {
			st = &actState{Start: f.month}
			l.Acts[a] = st
		}
		if f.month < st.Start {
			st.Start = f.month
		}
		if a == f.done {
			if st.Done == nil {
				st.Done = map[string]string{}
			}
			st.Done[f.id] = f.month
		}
	}
}

// The counter series. Monthly series count learners by the month they started or completed;
// the totals count them once, whenever, so that an all-time figure reads a few rows.
const (
	seriesStarted        = "started"
	seriesCompleted      = "completed"
	seriesStartedTotal   = "started_total"
	seriesCompletedTotal = "completed_total"
)

// The counter dimensions.
const (
	dimJourney = iota
	dimPhase
	dimActivity // "" for the phase as a whole
	dimMunicipality
	dimMonth // "" in the total series
)

// contributions calls add for every counter the learner counts in once: per required activity
// and per phase, started and completed, by month and in total. A phase is started with its first
// started activity and completed in the month its last activity was completed.
func (ix *index) contributions(l *learner, add func(lrs.CounterKey)) {
	muni := l.municipality()
	count := func(series, total, journey, phase, activity, month string) {
		k := lrs.CounterKey{Series: series, Dims: [lrs.CounterDims]string{journey, phase, activity, muni, month}}
		add(k)
		k.Series, k.Dims[dimMonth] = total, ""
		add(k)
	}
	for _, pk := range ix.phaseKeys {
		started, completed, all := "", "", true
		for _, a := range ix.acts[pk] {
			st := l.Acts[a]
			if st == nil {
				all = false
				continue
			}
			count(seriesStarted, seriesStartedTotal, pk.journey, pk.phase, a, st.Start)
			if started == "" || st.Start < started {
				started = st.Start
			}
			done := st.doneMonth()
			if done == "" {
				all = false
				continue
			}
			count(seriesCompleted, seriesCompletedTotal, pk.journey, pk.phase, a, done)
			completed = max(completed, done)
		}
		if started != "" {
			count(seriesStarted, seriesStartedTotal, pk.journey, pk.phase, "", started)
		}
		if all {
			count(seriesCompleted, seriesCompletedTotal, pk.journey, pk.phase, "", completed)
		}
	}
}

// deltas returns the counter changes from learner state old to new.
func (ix *index) deltas(old, new *learner) []lrs.CounterDelta {
	sum := map[lrs.CounterKey]int64{}
	ix.contributions(old, func(k lrs.CounterKey) { sum[k]-- })
	ix.contributions(new, func(k lrs.CounterKey) { sum[k]++ })
	var out []lrs.CounterDelta
	for k, n := range sum {
		if n != 0 {
			out = append(out, lrs.CounterDelta{Key: k, N: n})
		}
	}
	return out
}

// stockholm is where months begin and end: the programme's reports are by Swedish months.
var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic("progress: no time zone data for Europe/Stockholm (time/tzdata is embedded): " + err.Error())
	}
	return loc
}()

// month is the Swedish month of t as YYYY-MM.
func month(t time.Time) string { return t.In(stockholm).Format("2006-01") }

// readFact extracts what a statement says about progress under the catalog ix, or ok false if it
// says nothing: it must have an Agent actor and name a catalog activity as its object or as a
// parent or grouping context activity, and must not be a voiding statement. muni is the
// statement's own attribution (see attribution).
func (ix *index) readFact(s lrs.StoredStatement, muni string) (fact, bool) {
	st := s.Statement
	verb, _ := mapOf(st["verb"])["id"].(string)
	if verb == lrs.VerbVoided {
		return fact{}, false
	}
	actor := mapOf(st["actor"])
	if ot, _ := actor["objectType"].(string); ot != "" && ot != "Agent" {
		return fact{}, false
	}
	key, ok := lrs.AgentKey(actor)
	if !ok {
		return fact{}, false
	}
	f := fact{id: s.ID, stored: s.Stored.UnixMilli(), learner: key, muni: muni}
	obj := mapOf(st["object"])
	if ot, _ := obj["objectType"].(string); ot == "" || ot == "Activity" {
		if id, _ := obj["id"].(string); ix.required[id] != nil {
			f.acts = append(f.acts, id)
			if ix.verbs[verb] {
				f.done = id
			}
		}
	}
	cas := mapOf(mapOf(st["context"])["contextActivities"])
	for _, kind := range []string{"parent", "grouping"} {
		for _, a := range asList(cas[kind]) {
			if id, _ := mapOf(a)["id"].(string); ix.required[id] != nil && !slices.Contains(f.acts, id) {
				f.acts = append(f.acts, id)
			}
		}
	}
	if len(f.acts) == 0 {
		return fact{}, false
	}
	f.month = month(statementTime(st, s.Stored))
	return f, true
}

// statementTime is when the statement says it happened, or when it was stored if that is earlier
// (a timestamp in the future is a wrong clock, not a plan).
func statementTime(st map[string]any, stored time.Time) time.Time {
	ts, _ := st["timestamp"].(string)
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || t.After(stored) {
		return stored
	}
	return t
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// asList reads a context activities entry, which 1.0.x clients may send as a single object.
func asList(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case map[string]any:
		return []any{v}
	}
	return nil
}

// refTarget returns the lower-case id a voiding statement's StatementRef points to, or "".
func refTarget(st map[string]any) string {
	if verb, _ := mapOf(st["verb"])["id"].(string); verb != lrs.VerbVoided {
		return ""
	}
	id, _ := mapOf(st["object"])["id"].(string)
	return strings.ToLower(id)
}
