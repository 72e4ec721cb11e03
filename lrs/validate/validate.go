// Package validate decides whether an xAPI statement (or an Agent given as a query parameter)
// may be stored, under the rules of xAPI 1.0.3 or 2.0.0 as the request's version selects.
//
// Checking has two halves. The JSON Schema embedded by package schemas describes structure:
// required and allowed properties, types, objectType values, the properties a sub-statement
// must not have. Go rules then check what a schema cannot say well or cheaply: IRIs, mailto
// addresses, UUIDs, language tags, timestamps and durations, one inverse functional identifier
// per Agent, raw scores within min and max, interaction components per interaction type, the
// authority of OAuth, and what differs between the versions. Both work on the value produced by
// encoding/json with UseNumber, without encoding it again.
//
// All problems found are reported together, each with the path of the offending value, so that
// a client can fix a statement in one round trip.
package validate

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// maxProblems bounds the problems one Error reports; a statement that bad needs no more.
const maxProblems = 50

// Problem is one reason a statement is refused.
type Problem struct {
	// Path locates the value from the statement root, e.g. "context.contextActivities.parent[0].id";
	// keys that are not plain words appear quoted in brackets: `result.extensions["bad key"]`.
	// It is empty for the statement itself.
	Path string `json:"path"`
	// Rule is a short sentence saying what is wrong, e.g. "must be a mailto: IRI".
	Rule string `json:"rule"`
}

// Error lists the problems that make a statement or parameter invalid, ordered by path, at most
// 50 of them.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid xAPI data: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Path != "" {
			b.WriteString(p.Path)
			b.WriteString(": ")
		}
		b.WriteString(p.Rule)
	}
	return b.String()
}

// Statement checks one statement decoded with json.Decoder.UseNumber (maps are map[string]any,
// arrays []any, numbers json.Number, strings string, bool, nil) under the xAPI version of the
// request: "2.0.0" applies 2.0 rules; any "1.0.x" applies 1.0.3 rules. It returns nil or *Error.
func Statement(st any, version string) error {
	v2, ok := rulesFor(version)
	if !ok {
		return unsupported(version)
	}
	c := checker{v2: v2}
	at := root("")
	checkSchema(compiledSchemas().statement, st, &at, &c)
	if m, ok := st.(map[string]any); ok {
		c.statement(&at, m, false)
	}
	return c.err()
}

// Agent checks an Agent or Group object given as a query parameter (e.g. the `agent` parameter
// of GET statements), decoded as for Statement. A Group must be identified: an anonymous one
// cannot be looked up. Paths start with "agent".
func Agent(a any, version string) error {
	if _, ok := rulesFor(version); !ok {
		return unsupported(version)
	}
	c := checker{}
	at := root("agent")
	checkSchema(compiledSchemas().actor, a, &at, &c)
	if m, ok := a.(map[string]any); ok {
		c.actor(&at, m, true)
	}
	return c.err()
}

// rulesFor maps an X-Experience-API-Version value to the rules to apply: 2.0.0, or 1.0.3 for
// any 1.0 version. ok is false for any other version.
func rulesFor(version string) (v2, ok bool) {
	switch {
	case version == "2.0.0":
		return true, true
	case version == "1.0" || strings.HasPrefix(version, "1.0."):
		return false, true
	}
	return false, false
}

func unsupported(version string) error {
	return &Error{Problems: []Problem{{Rule: errUnsupported.Error() + " " + strconv.Quote(version)}}}
}

// checker collects the problems found in one document.
type checker struct {
	v2       bool
	problems []Problem
}

func (c *checker) report(at *loc, rule string) {
	c.problems = append(c.problems, Problem{Path: at.String(), Rule: rule})
}

// err returns the problems in a stable order, duplicates removed and at most maxProblems, or
// nil when there are none. Both halves report in map order, so sorting is what makes the result
// the same from run to run.
func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	slices.SortFunc(c.problems, func(a, b Problem) int {
		return cmp.Or(comparePaths(a.Path, b.Path), strings.Compare(a.Rule, b.Rule))
	})
	ps := slices.Compact(c.problems)
	return &Error{Problems: ps[:min(len(ps), maxProblems):min(len(ps), maxProblems)]}
}
