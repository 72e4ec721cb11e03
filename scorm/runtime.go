package scorm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs"
)

// Attempt is a learner's runtime data for one SCO of a registration (one record per SCO, holding
// the current attempt). Attempts follow SCORM 2004 RTE 4.2.8 for both versions: an exit of
// "suspend" keeps the attempt for the next launch (entry "resume"); any other exit, or a session
// that ends without one, ends it, and the next launch starts a new attempt. SCORM 1.2 has no
// attempts, and its LMSs keep the data across sessions: a new 1.2 attempt starts from the
// previous data (entry "") where a 2004 one starts empty (entry "ab-initio").
type Attempt struct {
	Registration string `json:"registration"`
	Item         string `json:"item"`
	Number       int    `json:"number"` // 1 for the first attempt
	ID           string `json:"id"`     // UUID of the attempt: its xAPI attempt activity
	Data         CMI    `json:"data"`
	Ended        bool   `json:"ended"` // terminated with an exit other than suspend

	// The launch (player session of the SCO) that wrote last, and its last commit sequence:
	// commits are applied once, in order; an older launch is refused.
	Launch     string `json:"launch"`
	Seq        int    `json:"seq"`
	Terminated bool   `json:"terminated"` // the launch has called Terminate / LMSFinish

	SessionSeconds float64 `json:"sessionSeconds"` // the open launch's session_time
	TotalSeconds   float64 `json:"totalSeconds"`   // of the attempt, sessions that ended before

	Completed bool     `json:"completed"`         // in any attempt of this registration
	Success   string   `json:"success,omitempty"` // latest reported
	Score     *float64 `json:"score,omitempty"`   // latest reported, scaled

	Pending []Pending `json:"pending,omitempty"`
	Updated time.Time `json:"updated"`
}

func attemptKey(reg, item string) lrs.DocumentKey {
	return lrs.DocumentKey{Kind: DocAttempt, Registration: reg, ID: item}
}

// attempt loads the SCO's record; nil when the learner never launched it.
func (s *Service) attempt(ctx context.Context, reg, item string) (*Attempt, string, error) {
	var a Attempt
	etag, err := s.getJSON(ctx, attemptKey(reg, item), &a)
	if isNotFound(err) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return &a, etag, nil
}

func (a *Attempt) exit() string {
	if e, ok := a.Data["cmi.exit"]; ok {
		return e
	}
	return a.Data["cmi.core.exit"]
}

// resumable: the next launch continues this attempt.
func (a *Attempt) resumable() bool { return a != nil && !a.Ended && a.exit() == "suspend" }

// Launch is what the player needs to start an item.
type Launch struct {
	Item   string         `json:"item"`
	Title  string         `json:"title"`
	URL    string         `json:"url"` // relative to the package root
	SCO    bool           `json:"sco"`
	SCORM  Version        `json:"scorm"`
	Launch string         `json:"launch,omitempty"` // id of this launch, sent with every commit
	Entry  string         `json:"entry,omitempty"`
	CMI    map[string]any `json:"cmi,omitempty"` // for scorm-again's loadFromJSON
}

// Session is a registration as the player sees it.
type Session struct {
	Registration Registration
	Version      *PackageVersion
}

// OpenSession checks a session token and loads what it refers to.
func (s *Service) OpenSession(ctx context.Context, token string) (Session, error) {
	c, err := s.VerifySession(token)
	if err != nil {
		return Session{}, err
	}
	reg, err := s.Registration(ctx, c.Registration)
	if err != nil {
		return Session{}, err
	}
	pv, err := s.Version(ctx, reg.Package, reg.Version)
	if err != nil {
		return Session{}, err
	}
	return Session{Registration: reg, Version: pv}, nil
}

// Launch prepares the launch of an item: for a SCO, a new launch id and the runtime data to
// start from (resumed, carried over, or fresh), with the values the LMS provides.
func (s *Service) Launch(ctx context.Context, sess Session, itemID string) (Launch, error) {
	it, ok := sess.Version.Item(itemID)
	if !ok || it.Launch == "" {
		return Launch{}, notFound("the course has no launchable item %q", itemID)
	}
	v := sess.Version.Manifest.Version
	l := Launch{Item: it.ID, Title: it.Title, URL: it.Launch, SCO: it.SCO, SCORM: v}
	if !it.SCO {
		return l, nil
	}
	a, _, err := s.attempt(ctx, sess.Registration.ID, it.ID)
	if err != nil {
		return Launch{}, err
	}
	if a != nil && len(a.Pending) > 0 {
		// Statements a store outage left pending are otherwise written only on the SCO's next
		// runtime event; a launch is a good moment to retry them. (flush logs what fails.)
		s.flush(ctx, sess.Registration.ID, it.ID)
	}
	l.Launch = newLaunchID(s.now())
	var data CMI
	total := 0.0
	switch {
	case a.resumable():
		l.Entry, data, total = "resume", a.Data, a.TotalSeconds+a.openSession()
	case a != nil && !v.Is2004():
		l.Entry, data, total = "", a.Data, a.TotalSeconds+a.openSession()
	default:
		l.Entry = "ab-initio"
	}
	l.CMI = ResumeJSON(v, data, provided(v, sess.Registration, it, l.Entry, total))
	return l, nil
}

// openSession is the session time of a launch that never terminated; it counts towards the
// total once the next launch starts.
func (a *Attempt) openSession() float64 {
	if a.Terminated {
		return 0
	}
	return a.SessionSeconds
}

// provided returns the read-only elements the LMS sets.
func provided(v Version, reg Registration, it Item, entry string, total float64) map[string]string {
	id, name := learner(reg.Agent)
	if v.Is2004() {
		p := map[string]string{"cmi.learner_id": id, "cmi.learner_name": name, "cmi.credit": "credit",
			"cmi.mode": "normal", "cmi.entry": entry, "cmi.total_time": isoDuration(total),
			"cmi.launch_data": it.DataFromLMS, "cmi.completion_threshold": it.CompletionThreshold,
			"cmi.scaled_passing_score": it.ScaledPassingScore, "cmi.time_limit_action": it.TimeLimitAction}
		if p["cmi.time_limit_action"] == "" {
			p["cmi.time_limit_action"] = "continue,no message"
		}
		if entry == "ab-initio" {
			for i, id := range it.Objectives {
				p[fmt.Sprintf("cmi.objectives.%d.id", i)] = id
			}
		}
		return nonEmpty(p, "cmi.entry")
	}
	p := map[string]string{"cmi.core.student_id": id, "cmi.core.student_name": name, "cmi.core.credit": "credit",
		"cmi.core.lesson_mode": "normal", "cmi.core.entry": entry, "cmi.core.total_time": timespan12(total),
		"cmi.launch_data": it.DataFromLMS, "cmi.student_data.mastery_score": it.MasteryScore,
		"cmi.student_data.max_time_allowed": it.MaxTimeAllowed, "cmi.student_data.time_limit_action": it.TimeLimitAction}
	return nonEmpty(p, "cmi.core.entry")
}

// nonEmpty drops empty values except keep (an empty entry is a value: "neither first nor resumed").
func nonEmpty(m map[string]string, keep string) map[string]string {
	for k, v := range m {
		if v == "" && k != keep {
			delete(m, k)
		}
	}
	return m
}

// learner is the id and name the SCO sees: the account name of an account agent (the opaque id
// DESIGN.md asks for), else the agent's canonical identifier.
func learner(agent map[string]any) (string, string) {
	name, _ := agent["name"].(string)
	if acc, ok := agent["account"].(map[string]any); ok {
		if n, ok := acc["name"].(string); ok {
			return n, name
		}
	}
	key, _ := lrs.AgentKey(agent)
	return key, name
}

func newLaunchID(now time.Time) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	// Time first, so launch ids order like the launches: an older launch's commits are refused.
	return fmt.Sprintf("%012x-%s", now.UnixMilli(), hex.EncodeToString(b))
}

var reLaunchID = regexp.MustCompile(`^[0-9a-f]{12}-[0-9a-f]{12}$`)

// RuntimeEvent is one call of the player's runtime endpoint: the SCO initialized, committed, or
// terminated (the final commit, which the player sends with navigator.sendBeacon).
type RuntimeEvent struct {
	Event  string `json:"event"`
	Launch string `json:"launch"`
	Seq    int    `json:"seq"`
	CMI    any    `json:"cmi"`
}

// Runtime event names.
const (
	EventInitialize = "initialize"
	EventCommit     = "commit"
	EventTerminate  = "terminate"
)

// errDuplicate: the event was applied already (a retry or a second beacon).
var errDuplicate = errors.New("duplicate event")

// Runtime applies a runtime event of a SCO: it validates the data, stores it with the statements
// it gives rise to (one compare-and-swap write), then writes those statements to the LRS.
func (s *Service) Runtime(ctx context.Context, sess Session, itemID string, ev RuntimeEvent) error {
	_, err := s.RuntimeReport(ctx, sess, itemID, ev)
	return err
}

// RuntimeReport is Runtime, also returning the elements of the data that were dropped or
// truncated (and logged); the rest was applied.
func (s *Service) RuntimeReport(ctx context.Context, sess Session, itemID string, ev RuntimeEvent) ([]CMIProblem, error) {
	it, ok := sess.Version.Item(itemID)
	if !ok || !it.SCO {
		return nil, notFound("the course has no SCO %q", itemID)
	}
	if ev.Event != EventInitialize && ev.Event != EventCommit && ev.Event != EventTerminate {
		return nil, fmt.Errorf("%w: event must be initialize, commit or terminate", lrs.ErrBadRequest)
	}
	if !reLaunchID.MatchString(ev.Launch) || ev.Seq < 0 {
		return nil, fmt.Errorf("%w: launch must be the id the launch gave, and seq a number from 0", lrs.ErrBadRequest)
	}
	var data CMI
	var dropped []CMIProblem
	if ev.CMI != nil || ev.Event != EventInitialize {
		var err error
		if data, dropped, err = ParseCMI(sess.Version.Manifest.Version, ev.CMI); err != nil {
			return nil, err
		}
	}
	reg := sess.Registration
	if len(dropped) > 0 {
		// The SCO was told its values were set (scorm-again checks them first), so the commit is
		// applied without them rather than refused: that would lose every later commit too.
		s.log.WarnContext(ctx, "scorm: runtime data elements dropped or truncated; the rest of the commit is applied",
			"registration", reg.ID, "item", it.ID, "event", ev.Event, "count", len(dropped), "problems", problemList(dropped))
	}
	now := s.now().UTC()
	for range maxSwaps {
		a, etag, err := s.attempt(ctx, reg.ID, it.ID)
		if err != nil {
			return dropped, err
		}
		next, err := s.apply(ctx, sess, it, a, ev, data, dropped, now)
		if errors.Is(err, errDuplicate) {
			s.flush(ctx, reg.ID, it.ID) // the first delivery's statements may still be pending
			return dropped, nil
		}
		if err != nil {
			return dropped, err
		}
		err = s.putJSON(ctx, attemptKey(reg.ID, it.ID), next, etag)
		if errors.Is(err, lrs.ErrStale) {
			continue
		}
		if err != nil {
			return dropped, err
		}
		if len(next.Pending) > 0 {
			s.flush(ctx, reg.ID, it.ID)
		}
		return dropped, nil
	}
	return dropped, fmt.Errorf("%w: the SCO's data keeps being written concurrently; retry", lrs.ErrConflict)
}

// apply computes the record after the event and queues the statements it yields.
func (s *Service) apply(ctx context.Context, sess Session, it Item, prev *Attempt, ev RuntimeEvent, data CMI, dropped []CMIProblem, now time.Time) (*Attempt, error) {
	v := sess.Version.Manifest.Version
	a := &Attempt{Registration: sess.Registration.ID, Item: it.ID, Data: CMI{}}
	if prev != nil {
		cp := *prev
		a = &cp
	}
	b := stmts{reg: sess.Registration, pv: sess.Version, item: it, attempt: a, now: now, event: ev.Launch + "/" + strconv.Itoa(ev.Seq)}
	var out []Pending
	switch {
	case a.Launch != "" && ev.Launch < a.Launch:
		return nil, fmt.Errorf("%w: the SCO was launched again since; this session is out of date", lrs.ErrConflict)
	case ev.Launch == a.Launch && (ev.Seq < a.Seq || ev.Seq == a.Seq && (ev.Event != EventTerminate || a.Terminated)):
		// Applied already. The one exception: the player saves a SCO that is being left with a
		// commit of the next number, and the SCO's own Terminate, sent as it unloads, may come with
		// that same number.
		return nil, errDuplicate
	case ev.Launch == a.Launch && a.Terminated:
		return nil, fmt.Errorf("%w: the SCO has terminated this session; launch it again", lrs.ErrConflict)
	case ev.Launch != a.Launch:
		// A new launch: it continues the suspended attempt or starts one. (A lost initialize is
		// made up for by the first commit.)
		resumed := a.resumable()
		if resumed || prev != nil && !v.Is2004() {
			a.TotalSeconds += a.openSession()
		} else {
			a.TotalSeconds = 0
		}
		if !resumed {
			a.Number++
			a.ID = uuid.NewString()
			a.Ended = false
			if v.Is2004() {
				a.Data = CMI{}
			}
		}
		a.Launch, a.Seq, a.Terminated, a.SessionSeconds = ev.Launch, 0, false, 0
		verb := VerbInitialized
		if resumed {
			verb = VerbResumed
		}
		out = append(out, b.scoStatement(verb, nil))
	}
	a.Seq = ev.Seq
	a.Updated = now
	if ev.Event != EventInitialize || data != nil {
		// A dropped element keeps the value the attempt had (the data of a new 2004 attempt was
		// cleared above, so nothing of an ended attempt comes back).
		data = data.Merge(a.Data, dropped)
		before, after := statusOf(v, it, a.Data), statusOf(v, it, data)
		if ev.Event == EventTerminate && v.Is2004() && !it.CompletionSetByContent && after.completion == "" &&
			data["cmi.exit"] != "suspend" {
			// The SCO did not report completion, and the manifest does not leave it to the SCO: the
			// attempt that ends is complete (IMS SS completionSetByContent="false"). Not when it
			// suspends: the attempt goes on (SN UP.4 applies the default on exiting the attempt).
			after.completion = "completed"
		}
		a.Data = data
		a.SessionSeconds = sessionSeconds(v, data)
		if after.completion == "completed" && before.completion != "completed" {
			out = append(out, b.scoStatement(VerbCompleted, after.result("")))
		}
		if after.success != "" && after.success != before.success {
			verb := VerbPassed
			if after.success == "failed" {
				verb = VerbFailed
			}
			out = append(out, b.scoStatement(verb, after.result("")))
		}
		if after.success != "" {
			a.Success = after.success
		}
		if after.scaled != nil {
			a.Score = after.scaled
		}
		newlyCompleted := after.completion == "completed" && !a.Completed
		a.Completed = a.Completed || after.completion == "completed"
		if ev.Event == EventTerminate {
			verb := VerbTerminated
			if a.exit() == "suspend" {
				verb = VerbSuspended
			} else {
				a.Ended = true
			}
			out = append(out, b.scoStatement(verb, after.result(isoDuration(a.SessionSeconds))))
			a.TotalSeconds += a.SessionSeconds
			a.SessionSeconds = 0
			a.Terminated = true
		}
		if newlyCompleted || ev.Event == EventTerminate {
			course, err := s.courseStatements(ctx, b, a)
			if err != nil {
				return nil, err
			}
			out = append(out, course...)
		}
	}
	a.Pending = append(append([]Pending(nil), a.Pending...), out...)
	return a, nil
}

// courseStatements decides the course-level statements once every SCO of the course is done:
// completed when each SCO has completed (in some attempt); passed when each also reports passed,
// failed when each reports a success status and one of them is failed. The result carries the
// score when the course has a single SCO.
func (s *Service) courseStatements(ctx context.Context, b stmts, cur *Attempt) ([]Pending, error) {
	success, n := "passed", 0
	for _, it := range b.pv.Manifest.Items {
		if !it.SCO {
			continue
		}
		n++
		a := cur
		if it.ID != cur.Item {
			var err error
			if a, _, err = s.attempt(ctx, b.reg.ID, it.ID); err != nil {
				return nil, err
			}
		}
		if a == nil || !a.Completed {
			return nil, nil
		}
		switch {
		case a.Success == "":
			success = ""
		case a.Success == "failed" && success != "":
			success = "failed"
		}
	}
	result := map[string]any{"completion": true}
	if n == 1 && cur.Score != nil && *cur.Score >= -1 && *cur.Score <= 1 {
		result["score"] = map[string]any{"scaled": *cur.Score}
	}
	out := []Pending{b.courseStatement(VerbCompleted, result)}
	switch success {
	case "passed":
		result["success"] = true
		out = append(out, b.courseStatement(VerbPassed, result))
	case "failed":
		result["success"] = false
		out = append(out, b.courseStatement(VerbFailed, result))
	}
	return out, nil
}

// sessionSeconds reads cmi.session_time (2004: an ISO 8601 duration) or cmi.core.session_time
// (1.2: HHHH:MM:SS.SS), bounded to maxSessionSeconds so sums and formats stay finite.
func sessionSeconds(v Version, d CMI) float64 {
	var sec float64
	if v.Is2004() {
		sec = durationSeconds(d["cmi.session_time"])
	} else {
		sec = timespanSeconds(d["cmi.core.session_time"])
	}
	if math.IsNaN(sec) || sec < 0 {
		return 0
	}
	return min(sec, maxSessionSeconds)
}

// maxSessionSeconds: a year. A session time beyond it is the SCO's mistake, not a session.
const maxSessionSeconds = 366 * 86400

func timespanSeconds(s string) float64 {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0
	}
	h, _ := strconv.ParseFloat(parts[0], 64)
	m, _ := strconv.ParseFloat(parts[1], 64)
	sec, _ := strconv.ParseFloat(parts[2], 64)
	return h*3600 + m*60 + sec
}

func durationSeconds(s string) float64 {
	m := reDuration.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	f := func(i int) float64 {
		// scorm-again allows a decimal comma; a group it allows that is no number ("1.2.3") counts 0.
		x, err := strconv.ParseFloat(strings.ReplaceAll(m[i], ",", "."), 64)
		if err != nil {
			return 0
		}
		return x
	}
	// Years and months as SCORM RTE 4.1.1.4 leaves them to the LMS: 365 and 30 days.
	return f(1)*365*86400 + f(2)*30*86400 + f(3)*7*86400 + f(4)*86400 + f(5)*3600 + f(6)*60 + f(7)
}

// isoDuration writes seconds as an ISO 8601 duration with hundredths (PT1H2M3.45S).
func isoDuration(sec float64) string {
	cs := int64(math.Round(sec * 100))
	h, cs := cs/360000, cs%360000
	m, cs := cs/6000, cs%6000
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	if cs%100 == 0 {
		return out + fmt.Sprintf("%dS", cs/100)
	}
	return out + strings.TrimRight(fmt.Sprintf("%d.%02d", cs/100, cs%100), "0") + "S"
}

// timespan12 writes seconds as a SCORM 1.2 CMITimespan (HHHH:MM:SS.SS).
func timespan12(sec float64) string {
	cs := int64(math.Round(sec * 100))
	h := min(cs/360000, 9999)
	return fmt.Sprintf("%04d:%02d:%02d.%02d", h, cs%360000/6000, cs%6000/100, cs%100)
}
