package scorm

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A value scorm-again 3.4.3 accepts has been reported to the SCO as set, so the server must take
// it: these used to make the whole commit a 400, and every later commit (the final one too)
// with it, losing the learner's data.
type acceptCase struct {
	name    string
	version Version
	set     [][2]string // SetValue calls, in order
	seconds float64     // session seconds, when set sets a session time
}

func acceptCases() []acceptCase {
	long300 := strings.Repeat("x", 300)
	return []acceptCase{
		{"1.2 one-digit hours", SCORM12, [][2]string{{"cmi.core.session_time", "0:00:01"}}, 1},
		{"1.2 five-digit hours", SCORM12, [][2]string{{"cmi.core.session_time", "10000:00:00"}}, maxSessionSeconds}, // capped: a year
		{"1.2 sixty minutes", SCORM12, [][2]string{{"cmi.core.session_time", "00:60:00"}}, 3600},
		{"1.2 raw .5", SCORM12, [][2]string{{"cmi.core.score.raw", ".5"}}, 0},
		{"1.2 raw 50.", SCORM12, [][2]string{{"cmi.core.score.raw", "50."}}, 0},
		{"1.2 weighting .5", SCORM12, [][2]string{{"cmi.interactions.0.id", "q1"}, {"cmi.interactions.0.weighting", ".5"}}, 0},
		{"1.2 weighting 50.", SCORM12, [][2]string{{"cmi.interactions.0.id", "q1"}, {"cmi.interactions.0.weighting", "50."}}, 0},
		{"1.2 result .5", SCORM12, [][2]string{{"cmi.interactions.0.id", "q1"}, {"cmi.interactions.0.result", ".5"}}, 0},
		{"1.2 result 50.", SCORM12, [][2]string{{"cmi.interactions.0.id", "q1"}, {"cmi.interactions.0.result", "50."}}, 0},
		{"1.2 interaction id with a space", SCORM12, [][2]string{{"cmi.interactions.0.id", "question 1"}}, 0},
		{"1.2 objective id with a space", SCORM12, [][2]string{{"cmi.objectives.0.id", "objective 1"}}, 0},
		{"1.2 long student_response", SCORM12, [][2]string{{"cmi.interactions.0.id", "q1"}, {"cmi.interactions.0.student_response", long300}}, 0},
		{"2004 interaction id with a space", SCORM2004Ed4, [][2]string{{"cmi.interactions.0.id", "question 1"}}, 0},
		{"2004 long description", SCORM2004Ed4, [][2]string{{"cmi.interactions.0.id", "q1"}, {"cmi.interactions.0.description", long300}}, 0},
		{"2004 P", SCORM2004Ed4, [][2]string{{"cmi.session_time", "P"}}, 0},
		{"2004 PT", SCORM2004Ed4, [][2]string{{"cmi.session_time", "PT"}}, 0},
		{"2004 P1W", SCORM2004Ed4, [][2]string{{"cmi.session_time", "P1W"}}, 7 * 86400},
	}
}

// nested turns flat SetValue calls into the commit's JSON shape.
func nested(set [][2]string) map[string]any {
	root := map[string]any{}
	for _, kv := range set {
		put(root, strings.TrimPrefix(kv[0], "cmi."), kv[1])
	}
	return root
}

func TestParseCMIAcceptsWhatScormAgainAccepts(t *testing.T) {
	for _, c := range acceptCases() {
		t.Run(c.name, func(t *testing.T) {
			data, problems, err := ParseCMI(c.version, nested(c.set))
			if err != nil || len(problems) > 0 {
				t.Fatalf("refused: %v %v", err, problems)
			}
			for _, kv := range c.set {
				if data[kv[0]] != kv[1] {
					t.Errorf("%s = %q, want %q", kv[0], data[kv[0]], kv[1])
				}
			}
			if got := sessionSeconds(c.version, data); got != c.seconds {
				t.Errorf("session seconds %v, want %v", got, c.seconds)
			}
		})
	}
}

// The same values through the real scorm-again 3.4.3 in node: it accepts each SetValue, and the
// commit it renders passes ParseCMI whole.
func TestParseCMIScormAgainCommits(t *testing.T) {
	lib, _ := filepath.Abs("../web/node_modules/scorm-again/dist/esm/scorm-again.js")
	if _, err := os.Stat(lib); err != nil {
		t.Skip("scorm-again is not installed (npm ci --prefix web)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	script := filepath.Join(t.TempDir(), "run.mjs")
	if err := os.WriteFile(script, []byte(nodeScript), 0o600); err != nil {
		t.Fatal(err)
	}
	type in struct {
		Version string      `json:"version"`
		Set     [][2]string `json:"set"`
	}
	cases := acceptCases()
	var ins []in
	for _, c := range cases {
		v := "2004"
		if !c.version.Is2004() {
			v = "1.2"
		}
		ins = append(ins, in{v, c.set})
	}
	b, _ := json.Marshal(ins)
	cmd := exec.Command(node, script, "file://"+lib)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res []struct {
		Errors []string                  `json:"errors"`
		Commit map[string]map[string]any `json:"commit"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cases) {
		t.Fatalf("node output: %v %.300s", err, out)
	}
	for i, c := range cases {
		if len(res[i].Errors) > 0 {
			t.Errorf("%s: scorm-again refused: %v", c.name, res[i].Errors)
		}
		if _, problems, err := ParseCMI(c.version, any(res[i].Commit["cmi"])); err != nil || len(problems) > 0 {
			t.Errorf("%s: the commit scorm-again renders is not taken whole: %v %v", c.name, err, problems)
		}
	}
}

const nodeScript = `import { readFileSync } from 'node:fs';
const lib = await import(process.argv[2]);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const c of cases) {
  const is12 = c.version === '1.2';
  const api = is12 ? new lib.Scorm12API({ logLevel: 5, autocommit: false }) : new lib.Scorm2004API({ logLevel: 5, autocommit: false });
  is12 ? api.LMSInitialize('') : api.Initialize('');
  const errors = [];
  for (const [k, v] of c.set) {
    const r = is12 ? api.LMSSetValue(k, v) : api.SetValue(k, v);
    if (String(r) !== 'true') errors.push(k + '=' + JSON.stringify(v).slice(0, 40) + ': error ' + (is12 ? api.LMSGetLastError() : api.GetLastError()));
  }
  out.push({ errors, commit: api.renderCommitCMI(true) });
}
process.stdout.write(JSON.stringify(out));
`

// An element the server cannot take is dropped (or, too long, truncated) and reported; the rest
// is kept; only a malformed envelope is an error. Merge puts back the previous value of a
// dropped element.
func TestParseCMIDropsElementsNotCommits(t *testing.T) {
	huge := strings.Repeat("é", maxValueChars+10)
	data, problems, err := ParseCMI(SCORM12, map[string]any{
		"core": map[string]any{"lesson_status": "done", "lesson_location": "page-2", "score": map[string]any{"raw": "101", "max": 100.0},
			"session_time": "PT1M", "favourite_colour": "blue", "exit": true},
		"suspend_data": huge,
		"objectives":   map[string]any{"0": map[string]any{"id": "o0"}, "2": map[string]any{"id": "o2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cmi.core.lesson_status":    CMIDropped,
		"cmi.core.score.raw":        CMIDropped,
		"cmi.core.session_time":     CMIDropped,
		"cmi.core.favourite_colour": CMIDropped,
		"cmi.core.exit":             CMIDropped,
		"cmi.objectives":            CMIDropped,
		"cmi.suspend_data":          CMITruncated,
	}
	got := map[string]string{}
	for _, p := range problems {
		got[p.Element] = p.Action
	}
	if len(got) != len(want) {
		t.Errorf("problems %v, want %v", problems, want)
	}
	for el, action := range want {
		if got[el] != action {
			t.Errorf("%s: %q, want %q (%v)", el, got[el], action, problems)
		}
	}
	if data["cmi.core.lesson_location"] != "page-2" || data["cmi.core.score.max"] != "100" || data["cmi.objectives.0.id"] != "o0" {
		t.Errorf("the good elements were not kept: %v", data)
	}
	if _, ok := data["cmi.objectives.2.id"]; ok {
		t.Error("an entry after a gap was kept")
	}
	if n := len([]rune(data["cmi.suspend_data"])); n != maxValueChars {
		t.Errorf("suspend_data of %d characters kept", n)
	}
	prev := CMI{"cmi.core.lesson_status": "incomplete", "cmi.core.lesson_location": "page-1", "cmi.suspend_data": "old"}
	merged := data.Merge(prev, problems)
	if merged["cmi.core.lesson_status"] != "incomplete" || merged["cmi.core.lesson_location"] != "page-2" || merged["cmi.suspend_data"] == "old" {
		t.Errorf("merged %v", merged)
	}
	if _, ok := data["cmi.core.lesson_status"]; ok {
		t.Error("Merge changed the parsed data")
	}
	for _, bad := range []any{nil, "x", []any{}, 3.0} {
		if _, _, err := ParseCMI(SCORM2004Ed4, bad); err == nil {
			t.Errorf("cmi %v: no error", bad)
		}
	}
}
