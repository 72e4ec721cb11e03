package scorm_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/scorm"
	"github.com/yrkesresan/lrs/scorm/scormtest"
)

var learner = map[string]any{"account": map[string]any{"homePage": "https://lms.example", "name": "learner-1"}}

// session imports the course, registers the learner and opens a player session.
func (e *env) session(t *testing.T, zip []byte) scorm.Session {
	t.Helper()
	ctx := context.Background()
	res, err := e.importZip(t, zip)
	if err != nil {
		t.Fatal(err)
	}
	reg, created, err := e.svc.CreateRegistration(ctx, scorm.RegistrationRequest{Package: res.Package.ID, Agent: learner})
	if err != nil || !created {
		t.Fatal(created, err)
	}
	u, _, err := e.svc.LaunchURL(reg.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.svc.StartSession(ctx, u[strings.LastIndex(u, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.svc.OpenSession(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// statements returns the verbs (last path segment) of the registration's statements, oldest
// first, and the statements.
func (e *env) statements(t *testing.T, reg string) ([]string, []map[string]any) {
	t.Helper()
	page, err := e.store.QueryStatements(context.Background(), lrs.StatementQuery{
		Keys: []lrs.Key{{Kind: lrs.KeyRegistration, Value: reg}}, Ascending: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var verbs []string
	var sts []map[string]any
	for _, r := range page.Statements {
		var st map[string]any
		if err := json.Unmarshal(r.Statement, &st); err != nil {
			t.Fatal(err)
		}
		v := st["verb"].(map[string]any)["id"].(string)
		obj := st["object"].(map[string]any)["id"].(string)
		prefix := ""
		if !strings.Contains(obj, "/sco/") {
			prefix = "course:"
		}
		verbs = append(verbs, prefix+v[strings.LastIndex(v, "/")+1:])
		sts = append(sts, st)
	}
	return verbs, sts
}

func cmi12(kv ...string) map[string]any {
	core := map[string]any{}
	root := map[string]any{"core": core}
	for i := 0; i < len(kv); i += 2 {
		k := strings.TrimPrefix(kv[i], "cmi.")
		if after, ok := strings.CutPrefix(k, "core."); ok {
			core[after] = kv[i+1]
		} else {
			root[k] = kv[i+1]
		}
	}
	return root
}

func TestRuntime12SuspendResumeComplete(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	sess := e.session(t, golf12.Zip(t))
	reg := sess.Registration.ID

	l, err := e.svc.Launch(ctx, sess, "I1")
	if err != nil || l.Entry != "ab-initio" || !l.SCO {
		t.Fatalf("first launch: %+v %v", l, err)
	}
	core := l.CMI["core"].(map[string]any)
	if core["student_id"] != "learner-1" || core["credit"] != "credit" || core["entry"] != "ab-initio" {
		t.Errorf("provided values: %v", core)
	}
	run := func(ev scorm.RuntimeEvent) {
		t.Helper()
		if err := e.svc.Runtime(ctx, sess, "I1", ev); err != nil {
			t.Fatalf("%s %d: %v", ev.Event, ev.Seq, err)
		}
	}
	run(scorm.RuntimeEvent{Event: "initialize", Launch: l.Launch})
	run(scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 1, CMI: cmi12("cmi.core.lesson_location", "page-3",
		"cmi.suspend_data", "abc", "cmi.core.lesson_status", "incomplete", "cmi.core.student_id", "whatever the SCO sends")})
	// The same commit again (a retry) changes nothing.
	run(scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 1, CMI: cmi12("cmi.core.lesson_location", "other")})
	run(scorm.RuntimeEvent{Event: "terminate", Launch: l.Launch, Seq: 2, CMI: cmi12("cmi.core.lesson_location", "page-3",
		"cmi.suspend_data", "abc", "cmi.core.lesson_status", "incomplete", "cmi.core.exit", "suspend", "cmi.core.session_time", "00:01:30")})
	verbs, sts := e.statements(t, reg)
	if !slices.Equal(verbs, []string{"initialized", "suspended"}) {
		t.Fatalf("statements: %v", verbs)
	}
	if d := sts[1]["result"].(map[string]any)["duration"]; d != "PT1M30S" {
		t.Errorf("suspended duration %v", d)
	}
	checkProfile(t, sts[0], sess)

	l2, err := e.svc.Launch(ctx, sess, "I1")
	if err != nil || l2.Entry != "resume" {
		t.Fatalf("second launch: %+v %v", l2, err)
	}
	core = l2.CMI["core"].(map[string]any)
	if core["lesson_location"] != "page-3" || l2.CMI["suspend_data"] != "abc" || core["entry"] != "resume" || core["total_time"] != "0000:01:30.00" {
		t.Errorf("resumed data: %v", l2.CMI)
	}
	if _, ok := core["exit"]; ok {
		t.Error("write-only cmi.core.exit was given back")
	}
	run(scorm.RuntimeEvent{Event: "initialize", Launch: l2.Launch})
	// The first launch's session is over: its commits are refused.
	err = e.svc.Runtime(ctx, sess, "I1", scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 9, CMI: cmi12()})
	if !errors.Is(err, lrs.ErrConflict) {
		t.Errorf("a commit of an old launch: %v", err)
	}
	run(scorm.RuntimeEvent{Event: "terminate", Launch: l2.Launch, Seq: 1, CMI: cmi12("cmi.core.lesson_status", "passed",
		"cmi.core.score.raw", "85", "cmi.core.session_time", "00:00:10")})
	verbs, sts = e.statements(t, reg)
	want := []string{"initialized", "suspended", "resumed", "completed", "passed", "terminated", "course:completed", "course:passed"}
	if !slices.Equal(verbs, want) {
		t.Fatalf("statements: %v, want %v", verbs, want)
	}
	passed := sts[4]["result"].(map[string]any)
	if passed["success"] != true || passed["score"].(map[string]any)["scaled"] != 0.85 {
		t.Errorf("passed result: %v", passed)
	}
	// A terminated 1.2 attempt: the next launch is a new attempt that keeps the data (entry "").
	l3, err := e.svc.Launch(ctx, sess, "I1")
	if err != nil || l3.Entry != "" || l3.CMI["core"].(map[string]any)["lesson_status"] != "passed" {
		t.Fatalf("third launch: %+v %v", l3, err)
	}
	st, err := e.svc.Status(ctx, sess.Registration)
	if err != nil || len(st) != 1 || !st[0].Completed || st[0].Success != "passed" || st[0].Attempts != 1 || st[0].TotalTime != "PT1M40S" {
		t.Fatalf("status %+v %v", st, err)
	}
}

// checkProfile checks a statement against the xAPI SCORM Profile's shape.
func checkProfile(t *testing.T, st map[string]any, sess scorm.Session) {
	t.Helper()
	ctx := st["context"].(map[string]any)
	if ctx["registration"] != sess.Registration.ID {
		t.Errorf("registration %v", ctx["registration"])
	}
	ca := ctx["contextActivities"].(map[string]any)
	grouping := ca["grouping"].([]any)
	if len(grouping) != 2 || grouping[0].(map[string]any)["id"] != sess.Version.CourseIRI ||
		!strings.HasPrefix(grouping[1].(map[string]any)["id"].(string), sess.Version.SCOIRI("I1")+"?attemptId=") {
		t.Errorf("grouping %v", grouping)
	}
	if ca["category"].([]any)[0].(map[string]any)["id"] != scorm.ProfileActivity {
		t.Errorf("category %v", ca["category"])
	}
	obj := st["object"].(map[string]any)
	if obj["definition"].(map[string]any)["type"] != scorm.TypeLesson {
		t.Errorf("object %v", obj)
	}
	auth := st["authority"].(map[string]any)["account"].(map[string]any)
	if auth["name"] != "scorm-player" {
		t.Errorf("authority %v", auth)
	}
	if st["actor"].(map[string]any)["account"].(map[string]any)["name"] != "learner-1" {
		t.Errorf("actor %v", st["actor"])
	}
}

func TestRuntime2004NewAttemptAndCourse(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	sess := e.session(t, multi2004.Zip(t))
	reg := sess.Registration.ID
	complete := func(item string, exit string) {
		t.Helper()
		l, err := e.svc.Launch(ctx, sess, item)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []scorm.RuntimeEvent{
			{Event: "initialize", Launch: l.Launch},
			{Event: "terminate", Launch: l.Launch, Seq: 1, CMI: map[string]any{"completion_status": "completed",
				"success_status": "passed", "score": map[string]any{"scaled": "0.9", "raw": "90", "min": "0", "max": "100"},
				"exit": exit, "session_time": "PT5M", "location": "end"}},
		} {
			if err := e.svc.Runtime(ctx, sess, item, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	complete("A", "normal")
	verbs, _ := e.statements(t, reg)
	if !slices.Equal(verbs, []string{"initialized", "completed", "passed", "terminated"}) {
		t.Fatalf("after A: %v", verbs)
	}
	// A ended normally: a new attempt starts empty.
	l, err := e.svc.Launch(ctx, sess, "A")
	if err != nil || l.Entry != "ab-initio" || l.CMI["location"] != nil || l.CMI["total_time"] != "PT0S" {
		t.Fatalf("relaunch of A: %+v %v", l, err)
	}
	complete("B", "")
	verbs, sts := e.statements(t, reg)
	want := []string{"initialized", "completed", "passed", "terminated", "initialized", "completed", "passed", "terminated", "course:completed", "course:passed"}
	if !slices.Equal(verbs, want) {
		t.Fatalf("statements %v, want %v", verbs, want)
	}
	course := sts[8]
	if course["object"].(map[string]any)["id"] != sess.Version.CourseIRI || course["result"].(map[string]any)["completion"] != true {
		t.Errorf("course statement %v", course)
	}
	// The asset has no runtime.
	if err := e.svc.Runtime(ctx, sess, "C", scorm.RuntimeEvent{Event: "initialize", Launch: l.Launch}); !errors.Is(err, lrs.ErrNotFound) {
		t.Errorf("runtime of an asset: %v", err)
	}
	if l, err := e.svc.Launch(ctx, sess, "C"); err != nil || l.SCO || l.Launch != "" || l.CMI != nil {
		t.Errorf("launch of an asset: %+v %v", l, err)
	}
}

// Only a malformed event is refused; see TestRuntimeDropsBadElements for bad values.
func TestRuntimeRefusesBadData(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	s12 := e.session(t, golf12.Zip(t))
	l, _ := e.svc.Launch(ctx, s12, "I1")
	for _, c := range []struct {
		name string
		ev   scorm.RuntimeEvent
		want []string
	}{
		{"unknown event", scorm.RuntimeEvent{Event: "explode", Launch: l.Launch}, []string{"event must be"}},
		{"bad launch id", scorm.RuntimeEvent{Event: "commit", Launch: "x", CMI: cmi12()}, []string{"launch must be"}},
		{"missing data", scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 1}, []string{"cmi: must be a JSON object"}},
		{"data not an object", scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 1, CMI: []any{"x"}}, []string{"cmi: must be a JSON object"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := e.svc.Runtime(ctx, s12, "I1", c.ev)
			if !errors.Is(err, lrs.ErrBadRequest) {
				t.Fatalf("want a bad request, got %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
	st, err := e.svc.Status(ctx, s12.Registration)
	if err != nil || st[0].Attempts != 0 {
		t.Errorf("refused data was stored: %+v %v", st, err)
	}
	if verbs, _ := e.statements(t, s12.Registration.ID); len(verbs) != 0 {
		t.Errorf("refused data made statements: %v", verbs)
	}
	_, problems, err := scorm.ParseCMI(scorm.SCORM2004Ed4, map[string]any{"score": map[string]any{"scaled": "1.5"}, "session_time": "1:00:00",
		"interactions": map[string]any{"0": map[string]any{"id": "has space", "type": "essay", "timestamp": "2024-13-01"}}})
	if err != nil || len(problems) != 4 {
		t.Fatalf("2004 problems: %v %v", problems, err)
	}
}

// A value the server cannot take drops that element (the stored value stays) and never the
// commit: scorm-again told the SCO the value was set, and every later commit, the final one
// too, carries it again.
func TestRuntimeDropsBadElements(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	s12 := e.session(t, golf12.Zip(t))
	l, _ := e.svc.Launch(ctx, s12, "I1")
	run := func(ev scorm.RuntimeEvent) []scorm.CMIProblem {
		t.Helper()
		dropped, err := e.svc.RuntimeReport(ctx, s12, "I1", ev)
		if err != nil {
			t.Fatalf("%s %d: %v", ev.Event, ev.Seq, err)
		}
		return dropped
	}
	if d := run(scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 1, CMI: cmi12("cmi.core.lesson_status", "incomplete",
		"cmi.core.lesson_location", "page-1", "cmi.core.score.raw", "40")}); len(d) != 0 {
		t.Fatalf("good data dropped: %v", d)
	}
	bad := []string{"cmi.core.lesson_status", "done", "cmi.core.score.raw", "101", "cmi.core.favourite_colour", "blue",
		"cmi.core.session_time", "PT1M", "cmi.suspend_data", strings.Repeat("x", 5000)}
	d := run(scorm.RuntimeEvent{Event: "commit", Launch: l.Launch, Seq: 2, CMI: cmi12(append([]string{"cmi.core.lesson_location", "page-2"}, bad...)...)})
	if len(d) != 4 || d[0].Element != "cmi.core.favourite_colour" || d[0].Action != scorm.CMIDropped {
		t.Errorf("dropped %+v", d)
	}
	// The final commit carries the same bad values: it is applied too.
	run(scorm.RuntimeEvent{Event: "terminate", Launch: l.Launch, Seq: 3, CMI: cmi12(append([]string{"cmi.core.lesson_location", "page-3",
		"cmi.core.exit", "suspend"}, bad...)...)})
	l2, err := e.svc.Launch(ctx, s12, "I1")
	if err != nil || l2.Entry != "resume" {
		t.Fatalf("relaunch: %+v %v", l2, err)
	}
	core := l2.CMI["core"].(map[string]any)
	if core["lesson_location"] != "page-3" || core["lesson_status"] != "incomplete" || core["score"].(map[string]any)["raw"] != "40" ||
		len(l2.CMI["suspend_data"].(string)) != 5000 {
		t.Errorf("resumed data: %v", l2.CMI)
	}
	if verbs, _ := e.statements(t, s12.Registration.ID); !slices.Equal(verbs, []string{"initialized", "suspended"}) {
		t.Errorf("statements %v", verbs)
	}
}

func TestRegistrations(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	if _, err := e.importZip(t, golf12.Zip(t)); err != nil {
		t.Fatal(err)
	}
	id := "6f1c2c3e-1d2b-4e5f-8a9b-0c1d2e3f4a5b"
	req := scorm.RegistrationRequest{ID: id, Package: "com.example.golf12", Agent: learner}
	r1, created, err := e.svc.CreateRegistration(ctx, req)
	if err != nil || !created || r1.Version != 1 {
		t.Fatal(r1, created, err)
	}
	r2, created, err := e.svc.CreateRegistration(ctx, req)
	if err != nil || created || r2.Created != r1.Created {
		t.Fatalf("the same request again: %v %v %v", r2, created, err)
	}
	other := req
	other.Agent = map[string]any{"mbox": "mailto:someone@example.com"}
	if _, _, err := e.svc.CreateRegistration(ctx, other); !errors.Is(err, lrs.ErrConflict) {
		t.Errorf("the same id for another learner: %v", err)
	}
	for name, bad := range map[string]scorm.RegistrationRequest{
		"no package":      {Agent: learner},
		"unknown package": {Package: "nope", Agent: learner},
		"no agent":        {Package: "com.example.golf12"},
		"group":           {Package: "com.example.golf12", Agent: map[string]any{"objectType": "Group", "member": []any{}}},
		"two identifiers": {Package: "com.example.golf12", Agent: map[string]any{"mbox": "mailto:a@b.c", "openid": "https://x"}},
		"bad id":          {ID: "17", Package: "com.example.golf12", Agent: learner},
		"unknown version": {Package: "com.example.golf12", Version: 7, Agent: learner},
	} {
		if _, _, err := e.svc.CreateRegistration(ctx, bad); !errors.Is(err, lrs.ErrBadRequest) && !errors.Is(err, lrs.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	sess := e.session(t, golf12.Zip(t))
	clock := now
	s2, err := scorm.New(ctx, e.store, e.lrs, scorm.Config{BaseURL: "https://lrs.example", SpoolDir: t.TempDir(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	u, exp, err := s2.LaunchURL(sess.Registration.ID, time.Minute)
	if err != nil || !exp.Equal(now.Add(time.Minute)) || !strings.HasPrefix(u, "https://lrs.example/scorm/launch/") {
		t.Fatal(u, exp, err)
	}
	tok := u[strings.LastIndex(u, "/")+1:]
	// The key is shared through the store: another service instance accepts the token.
	if _, err := e.svc.StartSession(ctx, tok); err != nil {
		t.Errorf("a token from another instance: %v", err)
	}
	session, err := s2.StartSession(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.StartSession(ctx, session); !errors.Is(err, lrs.ErrForbidden) {
		t.Errorf("a session token taken for a launch token: %v", err)
	}
	if _, err := s2.StartSession(ctx, tok[:len(tok)-2]+"xx"); !errors.Is(err, lrs.ErrForbidden) {
		t.Errorf("a forged token: %v", err)
	}
	clock = now.Add(2 * time.Minute)
	if _, err := s2.StartSession(ctx, tok); !errors.Is(err, lrs.ErrForbidden) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an expired launch token: %v", err)
	}
	if _, err := s2.OpenSession(ctx, session); err != nil {
		t.Errorf("the session outlives the launch link: %v", err)
	}
	clock = now.Add(13 * time.Hour)
	if _, err := s2.OpenSession(ctx, session); !errors.Is(err, lrs.ErrForbidden) {
		t.Errorf("an expired session: %v", err)
	}
	if _, _, err := s2.LaunchURL(sess.Registration.ID, 31*24*time.Hour); !errors.Is(err, lrs.ErrBadRequest) {
		t.Errorf("a launch link valid for a month: %v", err)
	}
}

// A SCORM 2004 SCO that never reports completion: the attempt it ends counts as completed unless
// the manifest leaves completion to the content; a new attempt starts with the manifest's
// objective ids in cmi.objectives.
func TestRuntime2004LMSSetCompletion(t *testing.T) {
	for _, c := range []struct {
		name, controls string
		want           []string
	}{
		{"completion left to the LMS", ``, []string{"initialized", "completed", "terminated", "course:completed"}},
		{"completion set by content", `<imsss:deliveryControls completionSetByContent="true"/>`, []string{"initialized", "terminated"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scorm.Limits{})
			ctx := context.Background()
			course := multi2004
			course.SCOs = course.SCOs[:1]
			m := strings.Replace(course.Manifest(), `<title>Part A</title></item>`, `<title>Part A</title><imsss:sequencing>
				<imsss:objectives><imsss:primaryObjective objectiveID="main"/><imsss:objective objectiveID="obj_b"/></imsss:objectives>`+c.controls+`
				</imsss:sequencing></item>`, 1)
			es := course.Entries()
			es[0].Body = []byte(m)
			sess := e.session(t, scormtest.Zip(t, es...))
			l, err := e.svc.Launch(ctx, sess, "A")
			if err != nil {
				t.Fatal(err)
			}
			objs, _ := l.CMI["objectives"].(map[string]any)
			if len(objs) != 2 || objs["1"].(map[string]any)["id"] != "obj_b" {
				t.Errorf("objectives of a new attempt: %v", l.CMI["objectives"])
			}
			for _, ev := range []scorm.RuntimeEvent{{Event: "initialize", Launch: l.Launch},
				{Event: "terminate", Launch: l.Launch, Seq: 1, CMI: map[string]any{"completion_status": "unknown", "exit": "normal"}}} {
				if err := e.svc.Runtime(ctx, sess, "A", ev); err != nil {
					t.Fatal(err)
				}
			}
			if verbs, _ := e.statements(t, sess.Registration.ID); !slices.Equal(verbs, c.want) {
				t.Errorf("statements %v, want %v", verbs, c.want)
			}
		})
	}
}

// Statements decided with the data but not yet in the statement store (the process stopped
// between the two writes) are written by the SCO's next event, even a repeated one.
func TestRuntimePendingStatementsRecovered(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	sess := e.session(t, golf12.Zip(t))
	l, _ := e.svc.Launch(ctx, sess, "I1")
	init := scorm.RuntimeEvent{Event: "initialize", Launch: l.Launch}
	if err := e.svc.Runtime(ctx, sess, "I1", init); err != nil {
		t.Fatal(err)
	}
	key := lrs.DocumentKey{Kind: scorm.DocAttempt, Registration: sess.Registration.ID, ID: "I1"}
	doc, err := e.store.Document(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	if err := json.Unmarshal(doc.Content, &a); err != nil {
		t.Fatal(err)
	}
	id := "8f0e6a4c-2b1d-4c3e-9f5a-6b7c8d9e0f1a"
	a["pending"] = []any{map[string]any{"id": id, "statement": map[string]any{"id": id, "actor": learner,
		"verb": map[string]any{"id": scorm.VerbCompleted}, "object": map[string]any{"id": sess.Version.SCOIRI("I1")}}}}
	b, _ := json.Marshal(a)
	if err := e.store.PutDocument(ctx, lrs.NewDocument(key, "application/json", b, time.Now()), doc.ETag); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Runtime(ctx, sess, "I1", init); err != nil { // a repeat: changes nothing, flushes
		t.Fatal(err)
	}
	if recs, err := e.store.Statements(ctx, []string{id}); err != nil || len(recs) != 1 {
		t.Fatalf("the pending statement was not written: %v %v", recs, err)
	}
	doc, _ = e.store.Document(ctx, key)
	if strings.Contains(string(doc.Content), id) {
		t.Error("the written statement is still pending")
	}
}

// oneSCO2004 is multi2004 with only SCO "A", whose item gets extra manifest XML.
func oneSCO2004(t *testing.T, itemXML string) []byte {
	t.Helper()
	course := multi2004
	course.SCOs = course.SCOs[:1]
	m := strings.Replace(course.Manifest(), `<title>Part A</title></item>`, `<title>Part A</title>`+itemXML+`</item>`, 1)
	es := course.Entries()
	es[0].Body = []byte(m)
	return scormtest.Zip(t, es...)
}

// A SCO that suspends has not ended its attempt: the LMS's default completion
// (completionSetByContent="false") does not apply (SN UP.4); it does when the attempt ends.
func TestRuntime2004SuspendIsNotLMSCompletion(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	sess := e.session(t, oneSCO2004(t, ""))
	session := func(exit string) {
		t.Helper()
		l, err := e.svc.Launch(ctx, sess, "A")
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []scorm.RuntimeEvent{{Event: "initialize", Launch: l.Launch},
			{Event: "terminate", Launch: l.Launch, Seq: 1, CMI: map[string]any{"completion_status": "unknown", "exit": exit}}} {
			if err := e.svc.Runtime(ctx, sess, "A", ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	session("suspend")
	if verbs, _ := e.statements(t, sess.Registration.ID); !slices.Equal(verbs, []string{"initialized", "suspended"}) {
		t.Fatalf("after suspend: %v", verbs)
	}
	session("normal")
	want := []string{"initialized", "suspended", "resumed", "completed", "terminated", "course:completed"}
	if verbs, _ := e.statements(t, sess.Registration.ID); !slices.Equal(verbs, want) {
		t.Errorf("after the attempt ends: %v, want %v", verbs, want)
	}
}

// With a completion threshold and a scaled passing score in the manifest, the LMS decides
// completion and success from progress_measure and score.scaled (RTE 4.2.4.1, 4.2.22.1), not
// from the statuses the SCO sets.
func TestRuntime2004Thresholds(t *testing.T) {
	item := `<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.8"/>
		<imsss:sequencing><imsss:objectives><imsss:primaryObjective objectiveID="main" satisfiedByMeasure="true">
		<imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives>
		<imsss:deliveryControls completionSetByContent="true"/></imsss:sequencing>`
	for _, c := range []struct {
		name string
		cmi  map[string]any
		want []string
	}{
		{"below both", map[string]any{"completion_status": "completed", "success_status": "passed", "progress_measure": "0.5",
			"score": map[string]any{"scaled": "0.59"}, "exit": "normal"}, []string{"initialized", "failed", "terminated"}},
		{"at both", map[string]any{"completion_status": "incomplete", "success_status": "failed", "progress_measure": "0.8",
			"score": map[string]any{"scaled": "0.6"}, "exit": "normal"}, []string{"initialized", "completed", "passed", "terminated", "course:completed", "course:passed"}},
		{"no measures: the SCO's statuses", map[string]any{"completion_status": "completed", "success_status": "failed", "exit": "normal"},
			[]string{"initialized", "completed", "failed", "terminated", "course:completed", "course:failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, scorm.Limits{})
			ctx := context.Background()
			sess := e.session(t, oneSCO2004(t, item))
			if it, _ := sess.Version.Item("A"); it.CompletionThreshold != "0.8" || it.ScaledPassingScore != "0.6" {
				t.Fatalf("item %+v", it)
			}
			l, err := e.svc.Launch(ctx, sess, "A")
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range []scorm.RuntimeEvent{{Event: "initialize", Launch: l.Launch}, {Event: "terminate", Launch: l.Launch, Seq: 1, CMI: c.cmi}} {
				if err := e.svc.Runtime(ctx, sess, "A", ev); err != nil {
					t.Fatal(err)
				}
			}
			verbs, sts := e.statements(t, sess.Registration.ID)
			if !slices.Equal(verbs, c.want) {
				t.Fatalf("statements %v, want %v", verbs, c.want)
			}
			if c.name == "below both" {
				if r := sts[2]["result"].(map[string]any); r["completion"] != false || r["success"] != false {
					t.Errorf("terminated result %v", r)
				}
			}
		})
	}
}

// Pending statements are written when the SCO is launched again, not only on its next runtime
// event (a learner who never comes back to that SCO would otherwise leave them pending).
func TestLaunchWritesPendingStatements(t *testing.T) {
	e := newEnv(t, scorm.Limits{})
	ctx := context.Background()
	sess := e.session(t, golf12.Zip(t))
	l, _ := e.svc.Launch(ctx, sess, "I1")
	if err := e.svc.Runtime(ctx, sess, "I1", scorm.RuntimeEvent{Event: "initialize", Launch: l.Launch}); err != nil {
		t.Fatal(err)
	}
	key := lrs.DocumentKey{Kind: scorm.DocAttempt, Registration: sess.Registration.ID, ID: "I1"}
	doc, err := e.store.Document(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	if err := json.Unmarshal(doc.Content, &a); err != nil {
		t.Fatal(err)
	}
	id := "9a0e6a4c-2b1d-4c3e-9f5a-6b7c8d9e0f1b"
	a["pending"] = []any{map[string]any{"id": id, "statement": map[string]any{"id": id, "actor": learner,
		"verb": map[string]any{"id": scorm.VerbCompleted}, "object": map[string]any{"id": sess.Version.SCOIRI("I1")}}}}
	b, _ := json.Marshal(a)
	if err := e.store.PutDocument(ctx, lrs.NewDocument(key, "application/json", b, time.Now()), doc.ETag); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Launch(ctx, sess, "I1"); err != nil {
		t.Fatal(err)
	}
	if recs, err := e.store.Statements(ctx, []string{id}); err != nil || len(recs) != 1 {
		t.Fatalf("the pending statement was not written on launch: %v %v", recs, err)
	}
	doc, _ = e.store.Document(ctx, key)
	if strings.Contains(string(doc.Content), id) {
		t.Error("the written statement is still pending")
	}
}
