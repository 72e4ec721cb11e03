package validate

import (
	"errors"
	"time"
)

// The reasons Timestamp gives. They read as the Rule of a Problem.
var (
	errISO8601     = errors.New("must be an ISO 8601 date and time, e.g. 2024-01-31T12:00:00.000Z")
	errRFC3339     = errors.New("must be an RFC 3339 date-time with an offset, e.g. 2024-01-31T12:00:00.000Z")
	errRange       = errors.New("has a date or time field out of range")
	errNegZero     = errors.New("must not use the offset -00:00 (or -00, -0000); use Z or +00:00")
	errUnsupported = errors.New("unsupported xAPI version")
)

// Timestamp parses an xAPI timestamp and returns it in UTC. Under 1.0.x (Data 4.5) it accepts ISO
// 8601 combined date and time in extended or basic format; seconds and the offset may be left
// out (a missing offset means UTC) and fractions may use '.' or ','. Under 2.0.0 it accepts only
// RFC 3339 date-times: seconds and an offset required, 'T', 't' or a space between date and
// time. Both reject the negative zero offset, which ISO 8601 forbids and RFC 3339 gives a
// meaning xAPI cannot keep. The error says what is wrong.
func Timestamp(s string, version string) (time.Time, error) {
	v2, ok := rulesFor(version)
	if !ok {
		return time.Time{}, errUnsupported
	}
	return parseTimestamp(s, v2)
}

// tsScanner reads a timestamp left to right.
type tsScanner struct {
	s   string
	i   int
	bad bool // a read failed; later reads return zero values
}

// digits reads exactly n decimal digits as a number.
func (p *tsScanner) digits(n int) int {
	if p.bad || p.i+n > len(p.s) {
		p.bad = true
		return 0
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if !isDigit(c) {
			p.bad = true
			return 0
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v
}

// accept consumes c if it is next.
func (p *tsScanner) accept(c byte) bool {
	if !p.bad && p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// acceptAny consumes the next byte if it is one of cs.
func (p *tsScanner) acceptAny(cs string) bool {
	for i := 0; i < len(cs); i++ {
		if p.accept(cs[i]) {
			return true
		}
	}
	return false
}

// fraction reads the digits after a decimal sign as nanoseconds, ignoring digits past the ninth.
func (p *tsScanner) fraction() int {
	start, ns := p.i, 0
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		if p.i-start < 9 {
			ns = ns*10 + int(p.s[p.i]-'0')
		}
		p.i++
	}
	if p.i == start {
		p.bad = true
	}
	for k := p.i - start; k < 9; k++ {
		ns *= 10
	}
	return ns
}

// clock holds the fields of a parsed timestamp.
type clock struct {
	year, month, day, hour, min, sec, nsec int
	offset                                 int // seconds east of UTC
}

func parseTimestamp(s string, v2 bool) (time.Time, error) {
	format := errISO8601
	if v2 {
		format = errRFC3339
	}
	p := tsScanner{s: s}
	var c clock
	extended := p.date(&c)
	if v2 && !extended {
		return time.Time{}, format
	}
	sep := "T "
	if v2 {
		sep = "Tt "
	}
	if !p.acceptAny(sep) {
		return time.Time{}, format
	}
	p.time(&c, extended, v2)
	negZero := p.offset(&c, v2)
	if p.bad || p.i != len(s) {
		return time.Time{}, format
	}
	if negZero {
		return time.Time{}, errNegZero
	}
	return c.toTime()
}

// date reads YYYY-MM-DD or YYYYMMDD and reports whether it was the extended format.
func (p *tsScanner) date(c *clock) (extended bool) {
	c.year = p.digits(4)
	extended = p.accept('-')
	c.month = p.digits(2)
	if extended && !p.accept('-') {
		p.bad = true
	}
	c.day = p.digits(2)
	return extended
}

// time reads hh:mm[:ss[.f]] (or hhmm[ss[.f]] in basic format). RFC 3339 requires the seconds and
// only '.' as the decimal sign.
func (p *tsScanner) time(c *clock, extended, v2 bool) {
	c.hour = p.digits(2)
	if extended && !p.accept(':') {
		p.bad = true
	}
	c.min = p.digits(2)
	hasSec := p.accept(':')
	if !extended {
		hasSec = p.i < len(p.s) && isDigit(p.s[p.i])
	}
	if !hasSec {
		p.bad = p.bad || v2
		return
	}
	c.sec = p.digits(2)
	dec := ".,"
	if v2 {
		dec = "."
	}
	if p.acceptAny(dec) {
		c.nsec = p.fraction()
	}
}

// offset reads Z or ±hh[[:]mm] (RFC 3339: Z or ±hh:mm) and reports whether it was a negative
// zero. A timestamp without an offset is UTC under 1.0.x and malformed under 2.0.0.
func (p *tsScanner) offset(c *clock, v2 bool) (negZero bool) {
	z := "Z"
	if v2 {
		z = "Zz"
	}
	if p.i == len(p.s) {
		p.bad = p.bad || v2
		return false
	}
	if p.acceptAny(z) {
		return false
	}
	sign := 1
	if p.accept('-') {
		sign = -1
	} else if !p.accept('+') {
		p.bad = true
		return false
	}
	hh, mm := p.digits(2), 0
	if p.accept(':') || !v2 && p.i < len(p.s) {
		mm = p.digits(2)
	} else if v2 {
		p.bad = true
	}
	if hh > 23 || mm > 59 {
		p.bad = true
	}
	c.offset = sign * (hh*3600 + mm*60)
	return sign < 0 && hh == 0 && mm == 0
}

// toTime checks the field ranges and builds the instant. A leap second (:60) is accepted and
// lands on the next minute, as time.Date normalises it.
func (c clock) toTime() (time.Time, error) {
	if c.month < 1 || c.month > 12 || c.day < 1 || c.day > daysIn(c.year, c.month) ||
		c.hour > 23 || c.min > 59 || c.sec > 60 {
		return time.Time{}, errRange
	}
	t := time.Date(c.year, time.Month(c.month), c.day, c.hour, c.min, c.sec, c.nsec, time.UTC)
	return t.Add(-time.Duration(c.offset) * time.Second), nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
