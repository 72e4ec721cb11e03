package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestUniqueKeys(t *testing.T) {
	cases := []struct {
		doc  string
		path string // "" when the document has no repeated property
	}{
		{`{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v"}}`, ""},
		{`[{"a":1},{"a":2}]`, ""},
		{`{"a":{"b":1},"c":{"b":2}}`, ""},
		{`{"verb":{"id":"x"},"verb":{"id":"y"}}`, "verb"},
		{`{"actor":{"mbox":"mailto:a@b.se","mbox":"mailto:c@d.se"}}`, "actor.mbox"},
		{`[{"a":1},{"context":{"contextActivities":{"parent":[{"id":"x","id":"y"}]}}}]`, "[1].context.contextActivities.parent[0].id"},
		{`{"a":[1,[2,{"k":1,"k":2}]]}`, "a[1][1].k"},
		{`{"a":`, ""},
		{`{"a\u0062":1,"ab":2}`, "ab"},
		{`{"a":"x\"y","b":1}`, ""},
		{`[[[[[[`, ""},
		{`[}`, ""},
		{`{"a":,}`, ""},
		{`[,,]`, ""},
	}
	for _, c := range cases {
		err := UniqueKeys([]byte(c.doc))
		var ve *Error
		switch {
		case c.path == "" && err != nil:
			t.Errorf("%s: unexpected %v", c.doc, err)
		case c.path != "" && (!errors.As(err, &ve) || ve.Problems[0].Path != c.path):
			t.Errorf("%s: got %v, want a problem at %s", c.doc, err, c.path)
		}
	}
}

// FuzzUniqueKeys: the scanner reads request bytes before anything else, so no input may panic
// it, and it must find a repeat that decoding would hide.
func FuzzUniqueKeys(f *testing.F) {
	for _, seed := range []string{`{"a":1,"a":2}`, `[{"a":[{"b":1,"b":2}]}]`, `{"a\u0062":1,"ab":2}`, `"x`, `{`, `[1,2`, `{"a":{"b":{"c":[]}}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := UniqueKeys(doc)
		if err != nil && !json.Valid(doc) {
			return // a repeat found before the document went bad is still a repeat
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(doc, &top) == nil && err == nil && countTopNames(doc) > len(top) {
			t.Errorf("%q: repeated top-level name not found", doc)
		}
	})
}

// countTopNames counts the property names of a top-level JSON object, repeats included.
func countTopNames(doc []byte) int {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	n := 0
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return 0
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return 0
		}
		n++
	}
	return n
}
