package validate

import (
	"strconv"
	"strings"
)

// loc is a position in the document being checked, as a chain up to the root. Rules build it on
// the stack as they descend and render it only when they report a problem, so a valid statement
// costs no path strings.
type loc struct {
	up    *loc
	key   string // property name, when index < 0
	index int    // array index, or -1
}

// root starts a path; name is its first segment ("" for a statement, "agent" for a parameter).
func root(name string) loc { return loc{key: name, index: -1} }

// field returns the location of property key within l.
func (l *loc) field(key string) loc { return loc{up: l, key: key, index: -1} }

// item returns the location of element i within l.
func (l *loc) item(i int) loc { return loc{up: l, index: i} }

// String renders l as in Problem.Path: properties joined by dots, indexes in brackets, and keys
// that are not plain words (IRIs, say) quoted in brackets.
func (l *loc) String() string { return string(l.appendTo(make([]byte, 0, 64))) }

// appendTo appends the rendering of l to b. It stores no pointer to l, which lets the chain stay
// on the stack of the rules that built it.
func (l *loc) appendTo(b []byte) []byte {
	if l.up != nil {
		b = l.up.appendTo(b)
	}
	switch {
	case l.index >= 0:
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(l.index), 10)
		return append(b, ']')
	case !isPlainKey(l.key):
		if l.key == "" && l.up == nil {
			return b // the unnamed root of a statement
		}
		b = append(b, '[')
		b = strconv.AppendQuote(b, l.key)
		return append(b, ']')
	case len(b) > 0:
		b = append(b, '.')
	}
	return append(b, l.key...)
}

// isPlainKey reports whether key can be written after a dot: letters, digits, '_' and '-'.
func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// comparePaths orders paths naturally: as strings, except that runs of digits compare as
// numbers, so parent[2] sorts before parent[10].
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, nb := digitRun(a), digitRun(b)
			if c := compareNumerals(a[:na], b[:nb]); c != 0 {
				return c
			}
			a, b = a[na:], b[nb:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// compareNumerals compares two digit strings by value without overflowing.
func compareNumerals(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
