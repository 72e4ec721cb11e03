package lrs

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzMergeJSON checks the JSON Procedure of the document resources (xAPI 1.0.3 Communication
// 2.2, "JSON Procedure with Requirements"; 2.0: 2.2.s7, 2.2.s8): merging never panics; when both
// documents are application/json objects it succeeds, and the result is a JSON object holding
// every top-level property of the posted object with the posted value, every other property of
// the stored object unchanged, and nothing else; otherwise it fails with a bad request (400).
// The seeds run in every `go test`; `go test -fuzz FuzzMergeJSON ./lrs/` explores further.
func FuzzMergeJSON(f *testing.F) {
	const js = "application/json"
	seeds := []struct{ stored, posted, storedType, postedType string }{
		{`{"x":"foo","y":"bar"}`, `{"x":"bash","z":"faz"}`, js, js}, // the spec's example
		{`{"n":{"a":1,"b":2}}`, `{"n":{"c":3}}`, js, js},            // nested objects are replaced
		{`{"a":1}`, `{}`, js, js},
		{`{}`, `{"a":null,"b":[],"c":{},"d":false}`, js, js},
		{`{"a":1,"a":2}`, `{"b":1,"b":{"c":2}}`, js, js}, // duplicate names: the last one counts
		{`{"big":1e400,"small":-0.0}`, `{"n":123456789012345678901234567890}`, js, js},
		{`{"s":"<&>\u2028"}`, `{"\u00e5":"\ud83d\ude00","esc\"aped":"\\"}`, js, js},
		{"{\"bad\":\"\xff\"}", "{\"\xfe\":\"\xff\"}", js, js}, // invalid UTF-8
		{` {"a":1} `, "\n{\"b\":2}\t", js + "; charset=utf-8", "Application/JSON"},
		{`{"a":1}`, `{"b":2}}`, js, js}, // trailing data
		{`{"a":1}`, `{"b":2}]`, js, js},
		{`{"a":1}`, `{"b":2} {"c":3}`, js, js},
		{`{"a":1}]`, `{"b":2}`, js, js},
		{`[1,2]`, `{"b":2}`, js, js},
		{`{"a":1}`, `[{"b":2}]`, js, js},
		{`{"a":1}`, `null`, js, js},
		{`null`, `{"a":1}`, js, js},
		{`{"a":1}`, `"str"`, js, js},
		{`{"a":1}`, `{"b":`, js, js},
		{``, `{"a":1}`, js, js},
		{`{"a":1}`, ``, js, js},
		{`{"a":1}`, `{"b":2}`, "text/plain", js},
		{`{"a":1}`, `{"b":2}`, js, "text/plain"},
		{`{"a":1}`, `{"b":2}`, "", js},
		{`{"a":1}`, `{"b":2}`, js, "application/json; =broken"},
		{`{"a":1}`, `{"b":2}`, js, "application/json-patch+json"},
		{strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200), `{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, js, js},
		{strings.Repeat("[", 20000), `{"a":1}`, js, js},
		{`{"a":1}`, `{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, js, js},
	}
	for _, s := range seeds {
		f.Add([]byte(s.stored), []byte(s.posted), s.storedType, s.postedType)
	}
	f.Fuzz(func(t *testing.T, stored, posted []byte, storedType, postedType string) {
		cur := Document{ContentType: storedType, Content: stored}
		w := DocumentWrite{ContentType: postedType, Content: posted}
		merged, err := mergeJSON(cur, w)

		storedObj, storedOK := oracleObject(stored)
		postedObj, postedOK := oracleObject(posted)
		bothJSON := plainJSONType(storedType) && plainJSONType(postedType)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("merge failed with %v, not a bad request", err)
			}
			if bothJSON && storedOK && postedOK {
				t.Fatalf("merge of two JSON objects failed: %v\nstored %q\nposted %q", err, stored, posted)
			}
			return
		}
		if !storedOK || !postedOK || !oracleJSONMediaType(storedType) || !oracleJSONMediaType(postedType) {
			t.Fatalf("merge succeeded, but the documents are not both application/json objects:\n"+
				"stored %q %q\nposted %q %q\nmerged %q", storedType, stored, postedType, posted, merged)
		}
		got, ok := oracleObject(merged)
		if !ok {
			t.Fatalf("merged document %q is not a JSON object", merged)
		}
		for k, v := range postedObj {
			if mv, has := got[k]; !has || !reflect.DeepEqual(mv, v) {
				t.Errorf("property %q: merged %#v, posted %#v", k, mv, v)
			}
		}
		for k, v := range storedObj {
			if _, isPosted := postedObj[k]; !isPosted && !reflect.DeepEqual(got[k], v) {
				t.Errorf("property %q: merged %#v, stored %#v (not posted, so unchanged)", k, got[k], v)
			}
		}
		for k := range got {
			_, inStored := storedObj[k]
			_, inPosted := postedObj[k]
			if !inStored && !inPosted {
				t.Errorf("merged document has property %q from nowhere", k)
			}
		}
	})
}

// oracleObject decodes b, which must be exactly one JSON object (whitespace around it allowed),
// independently of the code under test: json.Valid rules out trailing data.
func oracleObject(b []byte) (map[string]any, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, false
	}
	return m, true
}

// plainJSONType reports whether ct is one of the obvious spellings of application/json, for which
// a merge of two objects must succeed.
func plainJSONType(ct string) bool {
	switch strings.ToLower(ct) {
	case "application/json", "application/json; charset=utf-8", "application/json;charset=utf-8":
		return true
	}
	return false
}

// oracleJSONMediaType reports whether ct could name application/json at all: a merge with any
// other type must fail.
func oracleJSONMediaType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}
