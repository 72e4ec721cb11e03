// Package scorm hosts SCORM 1.2 and SCORM 2004 (2nd-4th edition) packages on the LRS: manifest
// parsing and validation, safe import of package zips into the blob store, registrations with
// signed launch links, the runtime data (CMI) a SCO commits, and the xAPI statements that data
// becomes under ADL's xAPI SCORM Profile.
//
// Everything the package keeps goes through lrs.DocumentStore (records, with compare-and-swap
// writes) and lrs.BlobStore (package files), so every LRS backend hosts SCORM without code of its
// own. The HTTP interface is in scorm/httpapi.
package scorm

import (
	"fmt"
	"strings"

	"github.com/yrkesresan/lrs/lrs"
)

// Problem is one reason a package is refused, phrased for the course author: the file it is in,
// the element (for the manifest, a path such as organization[ORG]/item[ITEM-1]) and what is wrong.
type Problem struct {
	File    string `json:"file"`
	Element string `json:"element,omitempty"`
	Reason  string `json:"reason"`
}

// ProblemsError is a refused package with every problem found. It is a bad request (4xx).
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the package has %d problem(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == 3 {
			fmt.Fprintf(&b, "; ...")
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes a refused package a bad request for errors.Is.
func (e *ProblemsError) Unwrap() error { return lrs.ErrBadRequest }

func (p Problem) String() string {
	s := p.File
	if p.Element != "" {
		s += " " + p.Element
	}
	return s + ": " + p.Reason
}

// problems collects problems of one file.
type problems struct {
	file string
	list []Problem
}

// maxProblems bounds a report: past it, the author has enough to fix first.
const maxProblems = 200

func (ps *problems) add(element, format string, args ...any) {
	switch {
	case len(ps.list) > maxProblems:
		return
	case len(ps.list) == maxProblems:
		ps.list = append(ps.list, Problem{Reason: "more problems were found; fix these first"})
		return
	}
	ps.list = append(ps.list, Problem{File: ps.file, Element: element, Reason: fmt.Sprintf(format, args...)})
}
