package validate

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// decode parses doc the way the LRS does: numbers as json.Number.
func decode(tb testing.TB, doc string) any {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("test document does not decode: %v\n%s", err, doc)
	}
	return v
}

// edit sets the value at path (written as in Problem.Path) to the JSON value, or deletes it
// when value is "-".
type edit struct{ path, value string }

// build decodes base and applies edits to it.
func build(tb testing.TB, base string, edits ...edit) any {
	tb.Helper()
	doc := decode(tb, base)
	for _, e := range edits {
		segs := splitPath(tb, e.path)
		parent := doc
		for _, s := range segs[:len(segs)-1] {
			parent = child(tb, parent, s, e.path)
		}
		last := segs[len(segs)-1]
		switch p := parent.(type) {
		case map[string]any:
			if e.value == "-" {
				delete(p, last)
			} else {
				p[last] = decode(tb, e.value)
			}
		case []any:
			p[index(tb, last, e.path)] = decode(tb, e.value)
		default:
			tb.Fatalf("edit %s: parent is not an object or array", e.path)
		}
	}
	return doc
}

func child(tb testing.TB, node any, seg, path string) any {
	tb.Helper()
	switch n := node.(type) {
	case map[string]any:
		if _, ok := n[seg]; !ok {
			n[seg] = map[string]any{}
		}
		return n[seg]
	case []any:
		return n[index(tb, seg, path)]
	}
	tb.Fatalf("edit %s: cannot descend into %q", path, seg)
	return nil
}

func index(tb testing.TB, seg, path string) int {
	tb.Helper()
	i, err := strconv.Atoi(seg)
	if err != nil {
		tb.Fatalf("edit %s: %q is not an index", path, seg)
	}
	return i
}

// splitPath splits a Problem.Path into its keys and indexes.
func splitPath(tb testing.TB, path string) []string {
	tb.Helper()
	var segs []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.Index(path, "]")
			if path[1] == '"' {
				end = strings.Index(path, "\"]") + 1
			}
			seg := path[1:end]
			if unq, err := strconv.Unquote(seg); err == nil {
				seg = unq
			}
			segs = append(segs, seg)
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			segs = append(segs, path[:end])
			path = path[end:]
		}
	}
	return segs
}

// problems returns the problems in err, failing the test if err is of another kind.
func problems(tb testing.TB, err error) []Problem {
	tb.Helper()
	if err == nil {
		return nil
	}
	var verr *Error
	if !errors.As(err, &verr) {
		tb.Fatalf("error is %T, want *Error: %v", err, err)
	}
	return verr.Problems
}
