package validate

import (
	"strings"
	"unicode/utf8"
)

// The string formats xAPI requires. Each is a hand-written scanner rather than a regexp: they run
// several times per statement on the ingest path.

// iriASCII marks the ASCII bytes an IRI may contain after its scheme (RFC 3987 iunreserved,
// reserved and '%'). Spaces, controls and <>"{}|\^` are not among them.
var iriASCII = func() (t [128]bool) {
	const allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
		"-._~:/?#[]@!$&'()*+,;=%"
	for i := 0; i < len(allowed); i++ {
		t[allowed[i]] = true
	}
	return t
}()

// IsIRI reports whether s is an absolute IRI: a scheme, a colon and a non-empty rest made of
// characters an IRI allows, with well-formed percent-escapes and at most one fragment. This is
// the best-effort check xAPI permits (Data 2.2.s4.b6); it does not resolve or normalise.
func IsIRI(s string) bool {
	colon := schemeEnd(s)
	if colon < 0 || colon == len(s)-1 {
		return false
	}
	fragments := 0
	for i := colon + 1; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !iriRune(r, size) {
				return false
			}
			i += size
			continue
		}
		switch {
		case !iriASCII[c]:
			return false
		case c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])):
			return false
		case c == '#':
			fragments++
			if fragments > 1 {
				return false
			}
		}
		i++
	}
	return true
}

// schemeEnd returns the index of the colon ending s's scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" /
// ".")), or -1 when s does not start with one.
func schemeEnd(s string) int {
	if s == "" || !isAlpha(s[0]) {
		return -1
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			return i
		case isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.':
		default:
			return -1
		}
	}
	return -1
}

// iriRune reports whether a decoded non-ASCII rune may appear in an IRI: valid UTF-8, not a C1
// control and not one of the bidi formatting characters RFC 3987 section 4.1 forbids.
func iriRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1, r < 0xA0:
		return false
	case r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E:
		return false
	}
	return true
}

// isIRL reports whether s is an IRL. xAPI gives no way to tell a locator from an identifier
// without resolving it, so an IRL is checked as an absolute IRI.
func isIRL(s string) bool { return IsIRI(s) }

// IsUUID reports whether s is a UUID in its standard string form: 8-4-4-4-12 hexadecimal digits
// of either case. Any variant and version is accepted.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// isMbox reports whether s is "mailto:" followed by something shaped like an email address: one
// '@' between a non-empty local part and a non-empty domain, and a valid IRI overall.
func isMbox(s string) bool {
	addr, ok := strings.CutPrefix(s, "mailto:")
	if !ok {
		return false
	}
	at := strings.IndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.IndexByte(addr[at+1:], '@') >= 0 {
		return false
	}
	return IsIRI(s)
}

// isSHA1Hex reports whether s is a hex-encoded SHA-1 sum (40 hexadecimal digits).
func isSHA1Hex(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isStatementVersion reports whether a statement's "version" property is acceptable: "1.0" or
// anything starting with "1.0." (Data 2.4.10), and under 2.0.0 likewise "2.0" or "2.0.".
// The bare "1.0" is accepted because the ADL conformance suite requires it.
func isStatementVersion(s string, v2 bool) bool {
	if s == "1.0" || len(s) > 4 && strings.HasPrefix(s, "1.0.") {
		return true
	}
	return v2 && (s == "2.0" || len(s) > 4 && strings.HasPrefix(s, "2.0."))
}

// isDuration reports whether s is an ISO 8601 duration in the format of ISO 8601:2004 4.4.3.2
// (Data 4.6): P[nY][nM][nD][T[nH][nM][nS]] with at least one component, or PnW alone. Only the
// last component may have a fraction. The alternative format (PYYYY-MM-DDThh:mm:ss) is refused.
func isDuration(s string) bool {
	body, ok := strings.CutPrefix(s, "P")
	if !ok || body == "" {
		return false
	}
	if weeks, ok := strings.CutSuffix(body, "W"); ok {
		n := number(weeks)
		return n > 0 && n == len(weeks)
	}
	date, clock, hasT := strings.Cut(body, "T")
	if hasT && (clock == "" || strings.ContainsAny(date, ".,")) {
		return false
	}
	return durationPart(date, "YMD") && durationPart(clock, "HMS")
}

// durationPart checks one half of a duration: numbers each followed by one of designators, in
// that order and each at most once. Only the last number may have a fraction.
func durationPart(s, designators string) bool {
	next := 0
	for i := 0; i < len(s); {
		n := number(s[i:])
		if n == 0 || i+n >= len(s) {
			return false
		}
		d := strings.IndexByte(designators[next:], s[i+n])
		if d < 0 {
			return false
		}
		next += d + 1
		i += n + 1
		if i < len(s) && strings.ContainsAny(s[i-n-1:i], ".,") {
			return false
		}
	}
	return true
}

// number returns the length of the decimal number (digits, optionally followed by '.' or ','
// and more digits) at the start of s, or 0 if there is none.
func number(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 || i == len(s) || (s[i] != '.' && s[i] != ',') {
		return i
	}
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i+1 {
		return 0
	}
	return j
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }
