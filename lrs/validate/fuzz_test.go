package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzStatement feeds arbitrary JSON to Statement and Agent under both versions. They must not
// panic, and any error must be an *Error of 1 to 50 problems, each with a rule, in path order.
func FuzzStatement(f *testing.F) {
	seeds := []string{
		minimal,
		benchStatement,
		subStatement,
		validBoth[3].doc, // mbox_sha1sum
		validBoth[8].doc, // statement ref
		validBoth[10].doc,
		interactions["matching"],
		`{"actor": {"objectType": "Group", "member": [{"objectType": "Group"}]}, "verb": {}, "object": {"objectType": "SubStatement", "object": {"objectType": "SubStatement"}}}`,
		`{"actor": null, "verb": {"id": 5, "display": {"a12345678": 1}}, "object": {"id": "x", "definition": {"choices": [{"id": ""}, {"id": ""}]}}}`,
		`{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}, "result": {"score": {"raw": 1e400, "min": "0", "max": -1e-400}, "duration": "P1.5Y2M"}, "timestamp": "2008-09-15T15:53:00.601-00:00"}`,
		`{"context": {"contextAgents": [{"agent": []}], "contextGroups": [null], "contextActivities": {"parent": {"objectType": 1}}, "extensions": {"\u0000.x": null}}, "authority": {"objectType": "Group", "member": "x"}}`,
		`[{"actor": 1}]`,
		`"statement"`,
		`{"attachments": [{"length": -0.0, "display": [], "fileUrl": "%"}], "version": "2.0.x"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return
		}
		for _, version := range versions {
			checkFuzzResult(t, Statement(doc, version))
			checkFuzzResult(t, Agent(doc, version))
		}
	})
}

func checkFuzzResult(t *testing.T, err error) {
	if err == nil {
		return
	}
	var verr *Error
	if !errors.As(err, &verr) {
		t.Fatalf("error of type %T: %v", err, err)
	}
	ps := verr.Problems
	if len(ps) == 0 || len(ps) > maxProblems {
		t.Fatalf("%d problems", len(ps))
	}
	for i, p := range ps {
		if p.Rule == "" {
			t.Fatalf("problem at %q without a rule", p.Path)
		}
		if i > 0 && comparePaths(ps[i-1].Path, p.Path) > 0 {
			t.Fatalf("problems out of order: %q before %q", ps[i-1].Path, p.Path)
		}
	}
}
