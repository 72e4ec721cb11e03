package validate

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// UniqueKeys checks that no object in the JSON document repeats a property name, which xAPI 2.0
// requires of statements (decoding into a map silently keeps the last value). It scans the bytes
// itself: encoding/json's tokenizer costs more than validating the statement. Malformed JSON is
// left to the decoder that reads the document; UniqueKeys returns nil or *Error.
func UniqueKeys(doc []byte) error {
	s := scanner{doc: doc}
	dup := s.value(0)
	if dup == nil {
		return nil
	}
	slices.Reverse(dup.path)
	path := strings.TrimPrefix(strings.Join(dup.path, ""), ".")
	return &Error{Problems: []Problem{{Path: path, Rule: "property appears more than once"}}}
}

// maxDepth bounds nesting, as encoding/json does, so the recursion stays shallow.
const maxDepth = 10000

// scanner walks a JSON document by recursive descent, stopping quietly at anything malformed.
type scanner struct {
	doc []byte
	pos int
	bad bool // malformed: stop, report nothing
}

// duplicate is a repeated property. Its path is built innermost first while the recursion
// unwinds, as segments ".name" and "[index]".
type duplicate struct{ path []string }

func (s *scanner) value(depth int) *duplicate {
	s.space()
	if s.pos >= len(s.doc) || depth > maxDepth {
		s.bad = true
		return nil
	}
	switch s.doc[s.pos] {
	case '{':
		return s.object(depth)
	case '[':
		return s.array(depth)
	case '"':
		s.str()
	default:
		start := s.pos
		for s.pos < len(s.doc) && !strings.ContainsRune(",]} \t\r\n", rune(s.doc[s.pos])) {
			s.pos++
		}
		s.bad = s.pos == start // a stray ',', ']' or '}' where a value belongs
	}
	return nil
}

func (s *scanner) object(depth int) *duplicate {
	s.pos++ // {
	var names [][]byte
	for !s.bad {
		s.space()
		if s.peek('}') {
			s.pos++
			return nil
		}
		name, ok := s.str()
		if !ok {
			s.bad = true
			return nil
		}
		if slices.ContainsFunc(names, func(n []byte) bool { return bytes.Equal(n, name) }) {
			return &duplicate{path: []string{"." + string(name)}}
		}
		names = append(names, name)
		s.space()
		if !s.peek(':') {
			s.bad = true
			return nil
		}
		s.pos++
		if dup := s.value(depth + 1); dup != nil {
			dup.path = append(dup.path, "."+string(name))
			return dup
		}
		s.space()
		if s.peek(',') {
			s.pos++
		}
	}
	return nil
}

func (s *scanner) array(depth int) *duplicate {
	s.pos++ // [
	for i := 0; !s.bad; i++ {
		s.space()
		if s.peek(']') {
			s.pos++
			return nil
		}
		if dup := s.value(depth + 1); dup != nil {
			dup.path = append(dup.path, "["+strconv.Itoa(i)+"]")
			return dup
		}
		s.space()
		if s.peek(',') {
			s.pos++
		}
	}
	return nil
}

// str reads a string at pos and returns its value, without copying unless it has escapes; ok
// is false if there is none.
func (s *scanner) str() ([]byte, bool) {
	if !s.peek('"') {
		return nil, false
	}
	start, escaped := s.pos, false
	for s.pos++; s.pos < len(s.doc); s.pos++ {
		switch s.doc[s.pos] {
		case '\\':
			escaped = true
			s.pos++
		case '"':
			s.pos++
			raw := s.doc[start:s.pos]
			if !escaped {
				return raw[1 : len(raw)-1], true
			}
			var v string // escapes are rare in names: let encoding/json decode them
			err := json.Unmarshal(raw, &v)
			return []byte(v), err == nil
		}
	}
	s.bad = true
	return nil, false
}

func (s *scanner) peek(b byte) bool { return s.pos < len(s.doc) && s.doc[s.pos] == b }

func (s *scanner) space() {
	for s.pos < len(s.doc) && strings.IndexByte(" \t\r\n", s.doc[s.pos]) >= 0 {
		s.pos++
	}
}
