package scorm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs"
)

// Runtime data becomes xAPI statements following ADL's xAPI SCORM Profile
// (adlnet/xAPI-SCORM-Profile): the profile's verbs, the SCO as object (type lesson), the course
// and the attempt in context grouping, the profile activity in category, and the registration.

// The verbs of the profile this LRS emits.
const (
	VerbInitialized = "http://adlnet.gov/expapi/verbs/initialized"
	VerbResumed     = "http://adlnet.gov/expapi/verbs/resumed"
	VerbSuspended   = "http://adlnet.gov/expapi/verbs/suspended"
	VerbTerminated  = "http://adlnet.gov/expapi/verbs/terminated"
	VerbCompleted   = "http://adlnet.gov/expapi/verbs/completed"
	VerbPassed      = "http://adlnet.gov/expapi/verbs/passed"
	VerbFailed      = "http://adlnet.gov/expapi/verbs/failed"

	ProfileActivity = "http://adlnet.gov/xapi/profile/scorm"
	TypeCourse      = "http://adlnet.gov/expapi/activities/course"
	TypeLesson      = "http://adlnet.gov/expapi/activities/lesson"
	TypeAttempt     = "http://adlnet.gov/expapi/activities/attempt"
)

// statementNamespace makes statement ids deterministic (UUID v5 of what the statement records),
// so a statement written again after a crash or retry is the same statement.
var statementNamespace = uuid.MustParse("5b0c3f0e-6f0a-4d1c-9a53-0d0e5c0a7c21")

// Pending is a statement decided on and recorded with the runtime data, not yet known to be in
// the statement store (an outbox: a crash between the two writes loses nothing).
type Pending struct {
	ID        string          `json:"id"`
	Statement json.RawMessage `json:"statement"`
	// Once: a course-level statement that several SCOs' commits may decide on; the first one
	// stored wins and a conflict means it is there.
	Once bool `json:"once,omitempty"`
}

// Authority is the agent the LRS records as the authority of SCORM statements: the player
// subsystem, an account on the LRS's base URL.
func (s *Service) Authority() map[string]any {
	return map[string]any{"objectType": "Agent", "name": "SCORM player",
		"account": map[string]any{"homePage": s.cfg.BaseURL, "name": "scorm-player"}}
}

// stmts builds the statements of one runtime event.
type stmts struct {
	reg     Registration
	pv      *PackageVersion
	item    Item
	attempt *Attempt
	now     time.Time
	event   string // launch and sequence of the event: part of each statement id
}

func display(verb string) map[string]any {
	return map[string]any{"en-US": verb[strings.LastIndexByte(verb, '/')+1:]}
}

func (b stmts) course() map[string]any {
	return map[string]any{"objectType": "Activity", "id": b.pv.CourseIRI, "definition": map[string]any{
		"name": map[string]any{"und": b.pv.Manifest.Title}, "type": TypeCourse}}
}

func (b stmts) sco() map[string]any {
	return map[string]any{"objectType": "Activity", "id": b.pv.SCOIRI(b.item.ID), "definition": map[string]any{
		"name": map[string]any{"und": b.item.Title}, "type": TypeLesson}}
}

// attemptIRI is <SCO IRI>?attemptId=<uuid>, as in the profile's examples.
func (b stmts) attemptActivity() map[string]any {
	return map[string]any{"objectType": "Activity", "id": b.pv.SCOIRI(b.item.ID) + "?attemptId=" + b.attempt.ID,
		"definition": map[string]any{
			"name": map[string]any{"und": fmt.Sprintf("Attempt %d of %s", b.attempt.Number, b.item.Title)},
			"type": TypeAttempt}}
}

func (b stmts) statement(id, verb string, object, result map[string]any, grouping []any) Pending {
	st := map[string]any{
		"id":     id,
		"actor":  b.reg.Agent,
		"verb":   map[string]any{"id": verb, "display": display(verb)},
		"object": object,
		"context": map[string]any{
			"registration": b.reg.ID,
			"contextActivities": map[string]any{
				"grouping": grouping,
				"category": []any{map[string]any{"objectType": "Activity", "id": ProfileActivity}},
			},
		},
		"timestamp": lrs.FormatTime(b.now),
	}
	if len(grouping) == 0 {
		delete(st["context"].(map[string]any)["contextActivities"].(map[string]any), "grouping")
	}
	if len(result) > 0 {
		st["result"] = result
	}
	raw, _ := json.Marshal(st) // maps of strings, numbers and bools always encode
	return Pending{ID: id, Statement: raw}
}

// scoStatement is a statement about the SCO in its attempt.
func (b stmts) scoStatement(verb string, result map[string]any) Pending {
	id := uuid.NewSHA1(statementNamespace, []byte(strings.Join([]string{b.reg.ID, b.item.ID, b.attempt.ID, b.event, verb}, "|"))).String()
	return b.statement(id, verb, b.sco(), result, []any{b.course(), b.attemptActivity()})
}

// courseStatement is a statement about the whole course; at most one per registration and verb.
func (b stmts) courseStatement(verb string, result map[string]any) Pending {
	id := uuid.NewSHA1(statementNamespace, []byte(strings.Join([]string{b.reg.ID, "course", verb}, "|"))).String()
	p := b.statement(id, verb, b.course(), result, nil)
	p.Once = true
	return p
}

// status is what a SCO's runtime data says of completion, success and score.
type status struct {
	completion string   // completed, incomplete, or "" when unknown
	success    string   // passed, failed, or ""
	scaled     *float64 // -1..1
	raw, min   *float64
	max        *float64
}

// statusOf reads the status of the item's runtime data. In 2004 the LMS, not the SCO, has the
// last word when the manifest gives a threshold (RTE 4.2.4.1, 4.2.22.1): with
// cmi.completion_threshold and a progress_measure, completion is progress_measure >= threshold;
// with cmi.scaled_passing_score and a score.scaled, success is score.scaled >= passing score;
// whatever completion_status / success_status the SCO set.
func statusOf(v Version, it Item, d CMI) status {
	var st status
	if v.Is2004() {
		switch d["cmi.completion_status"] {
		case "completed", "incomplete":
			st.completion = d["cmi.completion_status"]
		}
		switch d["cmi.success_status"] {
		case "passed", "failed":
			st.success = d["cmi.success_status"]
		}
		st.scaled = number(d["cmi.score.scaled"])
		st.raw, st.min, st.max = number(d["cmi.score.raw"]), number(d["cmi.score.min"]), number(d["cmi.score.max"])
		if ct, pm := number(it.CompletionThreshold), number(d["cmi.progress_measure"]); ct != nil && pm != nil {
			st.completion = "incomplete"
			if *pm >= *ct {
				st.completion = "completed"
			}
		}
		if sps := number(it.ScaledPassingScore); sps != nil && st.scaled != nil {
			st.success = "failed"
			if *st.scaled >= *sps {
				st.success = "passed"
			}
		}
		return st
	}
	switch ls := d["cmi.core.lesson_status"]; ls {
	case "completed", "passed":
		st.completion = "completed"
	case "incomplete", "browsed":
		st.completion = "incomplete"
	}
	switch ls := d["cmi.core.lesson_status"]; ls {
	case "passed", "failed":
		st.success = ls
	}
	st.raw, st.min, st.max = number(d["cmi.core.score.raw"]), number(d["cmi.core.score.min"]), number(d["cmi.core.score.max"])
	// The profile: SCORM 1.2 cmi.core.score.raw / 100 is reported as score.scaled.
	if st.raw != nil && *st.raw >= 0 && *st.raw <= 100 {
		sc := *st.raw / 100
		st.scaled = &sc
	}
	return st
}

func number(s string) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// result is an xAPI result for the status; xAPI's score rules (min <= raw <= max, scaled in
// -1..1) are kept by leaving out what breaks them.
func (st status) result(duration string) map[string]any {
	r := map[string]any{}
	switch st.completion {
	case "completed":
		r["completion"] = true
	case "incomplete":
		r["completion"] = false
	}
	switch st.success {
	case "passed":
		r["success"] = true
	case "failed":
		r["success"] = false
	}
	score := map[string]any{}
	if st.scaled != nil && *st.scaled >= -1 && *st.scaled <= 1 {
		score["scaled"] = *st.scaled
	}
	lo, hi := st.min, st.max
	if lo != nil && hi != nil && *lo > *hi {
		lo, hi = nil, nil
	}
	if lo != nil {
		score["min"] = *lo
	}
	if hi != nil {
		score["max"] = *hi
	}
	if raw := st.raw; raw != nil && (lo == nil || *raw >= *lo) && (hi == nil || *raw <= *hi) {
		score["raw"] = *raw
	}
	if len(score) > 0 {
		r["score"] = score
	}
	if duration != "" {
		r["duration"] = duration
	}
	return r
}

// flush writes an attempt's pending statements to the LRS and drops the ones stored from the
// record. A store that is down leaves them pending for the next event; a statement the LRS
// refuses as invalid would be refused forever, so it is logged and dropped.
func (s *Service) flush(ctx context.Context, reg, item string) {
	a, _, err := s.attempt(ctx, reg, item)
	if err != nil || a == nil || len(a.Pending) == 0 {
		return
	}
	done := map[string]bool{}
	var batch, once []map[string]any
	var batchIDs, onceIDs []string
	for _, p := range a.Pending {
		st, err := decodeStatement(p.Statement)
		switch {
		case err != nil:
			s.log.ErrorContext(ctx, "scorm: undecodable pending statement dropped", "registration", reg, "id", p.ID, "err", err)
			done[p.ID] = true
		case p.Once:
			once, onceIDs = append(once, st), append(onceIDs, p.ID)
		default:
			batch, batchIDs = append(batch, st), append(batchIDs, p.ID)
		}
	}
	// The SCO's statements in one write, all or none; then each course statement on its own, since
	// another SCO's commit may have stored it first.
	if len(batch) > 0 {
		if !s.write(ctx, batch, false) {
			return
		}
		for _, id := range batchIDs {
			done[id] = true
		}
	}
	for i, st := range once {
		if s.write(ctx, []map[string]any{st}, true) {
			done[onceIDs[i]] = true
		}
	}
	if len(done) > 0 {
		s.dropPending(ctx, reg, item, done)
	}
}

// write stores statements; it reports whether they are now stored (or never will be).
func (s *Service) write(ctx context.Context, sts []map[string]any, once bool) bool {
	_, err := s.lrs.WriteStatements(ctx, lrs.WriteRequest{Statements: sts, Version: lrs.Version103, Authority: s.Authority(), Define: true})
	switch {
	case err == nil, once && errors.Is(err, lrs.ErrConflict):
		return true
	case errors.Is(err, lrs.ErrBadRequest):
		s.log.ErrorContext(ctx, "scorm: the LRS refused statements; dropped", "err", err)
		return true
	}
	s.log.WarnContext(ctx, "scorm: statements not stored yet; they stay pending", "err", err)
	return false
}

func (s *Service) dropPending(ctx context.Context, reg, item string, done map[string]bool) {
	for range maxSwaps {
		a, etag, err := s.attempt(ctx, reg, item)
		if err != nil || a == nil {
			return
		}
		kept := a.Pending[:0]
		for _, p := range a.Pending {
			if !done[p.ID] {
				kept = append(kept, p)
			}
		}
		a.Pending = kept
		err = s.putJSON(ctx, attemptKey(reg, item), a, etag)
		if !errors.Is(err, lrs.ErrStale) {
			if err != nil {
				s.log.WarnContext(ctx, "scorm: pending statements not cleared; they are written again later", "err", err)
			}
			return
		}
	}
}

func decodeStatement(b []byte) (map[string]any, error) {
	v, err := lrs.DecodeJSON(b)
	if err != nil {
		return nil, err
	}
	st, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return st, nil
}
