package scorm

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yrkesresan/lrs/lrs"
)

// The SCORM run-time data models (SCORM 1.2 RTE 3.4, SCORM 2004 4th ed. RTE 4.2): which elements
// a SCO may write, and what values each accepts. The player's runtime (scorm-again) checks values
// as the SCO sets them; the server checks them again because a commit is just an HTTP request.
//
// A commit carries the whole data model as JSON ({"cmi": {...}}, collections as objects keyed by
// index). The server keeps the elements the SCO may write and ignores the ones the LMS provides
// (ids, names, credit, entry, mode, total_time, launch data ...), which it sets itself on launch.

// CMIProblem is one element of a commit the server did not take as sent: dropped (the value
// is not one the element can hold; the value stored before is kept) or truncated (longer than
// maxValueChars). The rest of the commit is applied: scorm-again has already told the SCO that
// its SetValue and Commit succeeded, so refusing the whole commit would lose the learner's data
// for good (and every later commit of the session, which carries the same value, with it).
type CMIProblem struct {
	Element string `json:"element"`
	Reason  string `json:"reason"`
	Action  string `json:"action"` // dropped or truncated
}

// CMIProblem actions.
const (
	CMIDropped   = "dropped"
	CMITruncated = "truncated"
)

// InvalidCMIError is runtime data whose envelope is malformed ("cmi" is not a JSON object); a
// bad request. Invalid element values never make one: see CMIProblem.
type InvalidCMIError struct {
	Problems []CMIProblem
}

func (e *InvalidCMIError) Error() string {
	return "invalid runtime data: " + problemList(e.Problems)
}

func problemList(ps []CMIProblem) string {
	parts := make([]string, 0, len(ps))
	for i, p := range ps {
		if i == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, p.Element+": "+p.Reason)
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes invalid runtime data a bad request for errors.Is.
func (e *InvalidCMIError) Unwrap() error { return lrs.ErrBadRequest }

// CMI is validated runtime data: the SCO-writable elements, flattened ("cmi.core.lesson_status",
// "cmi.interactions.0.id"), empty values left out.
type CMI map[string]string

// check is a value rule; it returns why the value is refused, or "".
type check func(string) string

// model is one version's data model.
type model struct {
	writable map[string]check // by pattern, collection indices written as "n"
	readOnly map[string]bool  // provided by the LMS; ignored in commits
	// writeOnly elements are kept but not given back to the SCO on resume (1.2 interactions,
	// exit, session_time).
	writeOnly func(pattern string) bool
}

// maxEntries bounds each collection (interactions, objectives, comments, their sub-lists) so a
// record stays small; SCORM's smallest permitted maxima are 250 and below.
const maxEntries = 1000

// The value rules accept at least what scorm-again 3.4.3 accepts (its regex.ts), since a value it
// accepted has been reported to the SCO as set: the server must not be stricter than the runtime
// the learner used. They are stricter only where a value could not be used at all (a number
// that does not parse, a time that cannot be summed); such a value is dropped, never the commit.
var (
	reDecimal = regexp.MustCompile(`^-?[0-9]{1,10}(\.[0-9]{1,18})?$`)
	// reDecimal12 is SCORM 1.2's CMIDecimal as scorm-again has it: ".5" and "50." are numbers.
	reDecimal12 = regexp.MustCompile(`^-?([0-9]{1,10}(\.[0-9]{0,18})?|\.[0-9]{1,18})$`)
	reInteger   = regexp.MustCompile(`^-?[0-9]{1,6}$`)
	// reTimespan12 is the strict CMITimespan, for manifests (adlcp:maxtimeallowed).
	reTimespan12 = regexp.MustCompile(`^[0-9]{2,4}:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,2})?$`)
	// reSpan12 is CMITimespan at run time, as scorm-again has it: any number of hours ("0:00:01",
	// "10000:00:00"; bounded here so it sums), two-digit minutes and seconds not checked against
	// 59 ("00:60:00" is an hour).
	reSpan12 = regexp.MustCompile(`^[0-9]{1,9}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,2})?$`)
	reTime12 = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,2})?$`)
	// reDuration is scorm-again's 2004 timeinterval: "P" and "PT" (nothing), weeks, decimal
	// commas, and the T optional. Groups: years, months, weeks, days, hours, minutes, seconds.
	reDuration    = regexp.MustCompile(`^P(?:([.,0-9]+)Y)?(?:([.,0-9]+)M)?(?:([.,0-9]+)W)?(?:([.,0-9]+)D)?(?:T?(?:([.,0-9]+)H)?(?:([.,0-9]+)M)?(?:([0-9]+(?:\.[0-9]{1,2})?)S)?)?$`)
	reTime2004    = regexp.MustCompile(`^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?)?)?$`)
	reLanguage    = regexp.MustCompile(`^([a-zA-Z]{1,8}|[ix])(-[a-zA-Z0-9]{1,8})*$`)
	reLanguageSA  = regexp.MustCompile(`^([a-zA-Z]{1,8}|i|x)(-[a-zA-Z0-9-]{2,8})?$`) // scorm-again's CMILang
	statusVocab12 = []string{"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
)

func isTimespan12(s string) bool { return reTimespan12.MatchString(s) }

func isDuration(s string) bool { return reDuration.MatchString(s) }

// maxValueChars bounds one stored value. SCORM's lengths (SPM, "smallest permitted maximum")
// are what an LMS must at least keep, not limits to refuse beyond; a longer value is kept, up
// to this hard cap (above 2004 suspend_data's 64,000), and truncated past it.
const maxValueChars = 64 << 10

func vocab(words ...string) check {
	return func(v string) string {
		for _, w := range words {
			if v == w {
				return ""
			}
		}
		return fmt.Sprintf("%q is not one of %s", v, strings.Join(quoteAll(words), ", "))
	}
}

func quoteAll(ws []string) []string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = strconv.Quote(w)
	}
	return q
}

// text is a character string whose SPM is spm characters: any value is kept (up to
// maxValueChars). Identifiers are text too: scorm-again lets them contain white space (1.2
// CMIIdentifier, 2004 long_identifier_type), and the server uses them for nothing but resume.
func text(spm int) check {
	_ = spm // documentation only: see maxValueChars
	return func(string) string { return "" }
}

func pattern(re *regexp.Regexp, what string) check {
	return func(v string) string {
		if !re.MatchString(v) {
			return fmt.Sprintf("%q is not %s", v, what)
		}
		return ""
	}
}

// real checks a decimal number (no exponent), optionally within [lo, hi].
func real(lo, hi *float64) check { return realRe(reDecimal, lo, hi) }

// real12 is real for SCORM 1.2's laxer CMIDecimal.
func real12(lo, hi *float64) check { return realRe(reDecimal12, lo, hi) }

func realRe(re *regexp.Regexp, lo, hi *float64) check {
	return func(v string) string {
		if !re.MatchString(v) {
			return fmt.Sprintf("%q is not a decimal number", v)
		}
		f, _ := strconv.ParseFloat(v, 64)
		if lo != nil && f < *lo || hi != nil && f > *hi {
			return fmt.Sprintf("%s is out of range", v)
		}
		return ""
	}
}

func integer(lo, hi int) check {
	return func(v string) string {
		if !reInteger.MatchString(v) {
			return fmt.Sprintf("%q is not an integer", v)
		}
		n, _ := strconv.Atoi(v)
		if n < lo || n > hi {
			return fmt.Sprintf("%d is not from %d to %d", n, lo, hi)
		}
		return ""
	}
}

func either(a, b check) check {
	return func(v string) string {
		if a(v) == "" || b(v) == "" {
			return ""
		}
		return a(v)
	}
}

func fp(f float64) *float64 { return &f }

var (
	score12  = real12(fp(0), fp(100))
	duration = func(v string) string {
		if !isDuration(v) {
			return fmt.Sprintf("%q is not an ISO 8601 duration (timeinterval), such as PT1H5M30.5S", v)
		}
		return ""
	}
	span12 = func(v string) string {
		if !reSpan12.MatchString(v) {
			return fmt.Sprintf("%q is not a SCORM 1.2 timespan (HHHH:MM:SS.SS)", v)
		}
		return ""
	}
	interactionTypes12   = vocab("true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric")
	interactionTypes2004 = vocab("true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing", "likert", "numeric", "other")
)

var model12 = model{
	writable: map[string]check{
		"cmi.core.lesson_location":                       text(255),
		"cmi.core.lesson_status":                         vocab(statusVocab12...),
		"cmi.core.exit":                                  vocab("time-out", "suspend", "logout"),
		"cmi.core.session_time":                          span12,
		"cmi.core.score.raw":                             score12,
		"cmi.core.score.min":                             score12,
		"cmi.core.score.max":                             score12,
		"cmi.suspend_data":                               text(4096),
		"cmi.comments":                                   text(4096),
		"cmi.objectives.n.id":                            text(255),
		"cmi.objectives.n.score.raw":                     score12,
		"cmi.objectives.n.score.min":                     score12,
		"cmi.objectives.n.score.max":                     score12,
		"cmi.objectives.n.status":                        vocab(statusVocab12...),
		"cmi.student_preference.audio":                   integer(-1, 100),
		"cmi.student_preference.language":                text(255),
		"cmi.student_preference.speed":                   integer(-100, 100),
		"cmi.student_preference.text":                    integer(-1, 1),
		"cmi.interactions.n.id":                          text(255),
		"cmi.interactions.n.objectives.n.id":             text(255),
		"cmi.interactions.n.time":                        pattern(reTime12, "a SCORM 1.2 time (HH:MM:SS.SS)"),
		"cmi.interactions.n.type":                        interactionTypes12,
		"cmi.interactions.n.correct_responses.n.pattern": text(255),
		"cmi.interactions.n.weighting":                   real12(nil, nil),
		"cmi.interactions.n.student_response":            text(255),
		"cmi.interactions.n.result":                      either(vocab("correct", "wrong", "unanticipated", "neutral"), real12(nil, nil)),
		"cmi.interactions.n.latency":                     span12,
	},
	readOnly: set("cmi.core.student_id", "cmi.core.student_name", "cmi.core.credit", "cmi.core.entry",
		"cmi.core.total_time", "cmi.core.lesson_mode", "cmi.launch_data", "cmi.comments_from_lms",
		"cmi.student_data.mastery_score", "cmi.student_data.max_time_allowed", "cmi.student_data.time_limit_action"),
	writeOnly: func(p string) bool {
		return strings.HasPrefix(p, "cmi.interactions.") || p == "cmi.core.exit" || p == "cmi.core.session_time"
	},
}

var model2004 = model{
	writable: map[string]check{
		"cmi.comments_from_learner.n.comment":            text(4000),
		"cmi.comments_from_learner.n.location":           text(250),
		"cmi.comments_from_learner.n.timestamp":          pattern(reTime2004, "a SCORM 2004 time (YYYY-MM-DDThh:mm:ss.s with an optional zone)"),
		"cmi.completion_status":                          vocab("completed", "incomplete", "not attempted", "unknown"),
		"cmi.exit":                                       vocab("time-out", "suspend", "logout", "normal"),
		"cmi.interactions.n.id":                          text(4000),
		"cmi.interactions.n.type":                        interactionTypes2004,
		"cmi.interactions.n.objectives.n.id":             text(4000),
		"cmi.interactions.n.timestamp":                   pattern(reTime2004, "a SCORM 2004 time (YYYY-MM-DDThh:mm:ss.s with an optional zone)"),
		"cmi.interactions.n.correct_responses.n.pattern": text(8000),
		"cmi.interactions.n.weighting":                   real(nil, nil),
		"cmi.interactions.n.learner_response":            text(8000),
		"cmi.interactions.n.result":                      either(vocab("correct", "incorrect", "unanticipated", "neutral"), real(nil, nil)),
		"cmi.interactions.n.latency":                     duration,
		"cmi.interactions.n.description":                 text(250),
		"cmi.learner_preference.audio_level":             real(fp(0), nil),
		"cmi.learner_preference.language":                either(pattern(reLanguage, "a language code such as sv or en-GB"), pattern(reLanguageSA, "a language code")),
		"cmi.learner_preference.delivery_speed":          real(fp(0), nil),
		"cmi.learner_preference.audio_captioning":        vocab("-1", "0", "1"),
		"cmi.location":                                   text(1000),
		"cmi.objectives.n.id":                            text(4000),
		"cmi.objectives.n.score.scaled":                  real(fp(-1), fp(1)),
		"cmi.objectives.n.score.raw":                     real(nil, nil),
		"cmi.objectives.n.score.min":                     real(nil, nil),
		"cmi.objectives.n.score.max":                     real(nil, nil),
		"cmi.objectives.n.success_status":                vocab("passed", "failed", "unknown"),
		"cmi.objectives.n.completion_status":             vocab("completed", "incomplete", "not attempted", "unknown"),
		"cmi.objectives.n.progress_measure":              real(fp(0), fp(1)),
		"cmi.objectives.n.description":                   text(250),
		"cmi.progress_measure":                           real(fp(0), fp(1)),
		"cmi.score.scaled":                               real(fp(-1), fp(1)),
		"cmi.score.raw":                                  real(nil, nil),
		"cmi.score.min":                                  real(nil, nil),
		"cmi.score.max":                                  real(nil, nil),
		"cmi.session_time":                               duration,
		"cmi.success_status":                             vocab("passed", "failed", "unknown"),
		"cmi.suspend_data":                               text(64000),
	},
	readOnly: set("cmi.completion_threshold", "cmi.credit", "cmi.entry", "cmi.launch_data", "cmi.learner_id",
		"cmi.learner_name", "cmi.max_time_allowed", "cmi.mode", "cmi.scaled_passing_score",
		"cmi.time_limit_action", "cmi.total_time", "cmi.comments_from_lms.n.comment",
		"cmi.comments_from_lms.n.location", "cmi.comments_from_lms.n.timestamp"),
	writeOnly: func(p string) bool { return p == "cmi.exit" || p == "cmi.session_time" },
}

func set(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

func modelOf(v Version) *model {
	if v.Is2004() {
		return &model2004
	}
	return &model12
}

// ParseCMI reads the "cmi" object of a commit against the version's data model and returns the
// SCO-writable elements, and the elements it dropped or truncated. Only a malformed envelope
// ("cmi" not a JSON object) is an error: one element's value never refuses the commit (see
// CMIProblem); the caller keeps the value stored before for a dropped element (Merge).
func ParseCMI(v Version, cmi any) (CMI, []CMIProblem, error) {
	root, ok := cmi.(map[string]any)
	if !ok {
		return nil, nil, &InvalidCMIError{Problems: []CMIProblem{{Element: "cmi", Reason: "must be a JSON object", Action: CMIDropped}}}
	}
	p := cmiParser{m: modelOf(v), out: CMI{}, counts: map[string]map[int]bool{}}
	p.walk("cmi", "cmi", root, 0)
	p.checkIndices()
	sort.Slice(p.problems, func(i, j int) bool { return p.problems[i].Element < p.problems[j].Element })
	return p.out, p.problems, nil
}

// Merge returns data with the previous value of each element the parser dropped, so a value the
// server could not take leaves the last good one in place.
func (data CMI) Merge(prev CMI, problems []CMIProblem) CMI {
	out := data
	copied := false
	for _, pr := range problems {
		old, ok := prev[pr.Element]
		if pr.Action != CMIDropped || !ok {
			continue
		}
		if !copied {
			out = make(CMI, len(data)+len(problems))
			for k, v := range data {
				out[k] = v
			}
			copied = true
		}
		out[pr.Element] = old
	}
	return out
}

type cmiParser struct {
	m        *model
	out      CMI
	problems []CMIProblem
	counts   map[string]map[int]bool // collection path -> indices present
}

// drop records an element (or a subtree) left out of the data.
func (p *cmiParser) drop(el, format string, args ...any) {
	p.note(el, CMIDropped, format, args...)
}

func (p *cmiParser) note(el, action, format string, args ...any) {
	if len(p.problems) < 100 {
		p.problems = append(p.problems, CMIProblem{Element: el, Reason: fmt.Sprintf(format, args...), Action: action})
	}
}

// walk visits a JSON value at path (concrete, e.g. cmi.interactions.0) / pat (cmi.interactions.n).
func (p *cmiParser) walk(path, pat string, v any, depth int) {
	if depth > 8 {
		p.drop(path, "nested too deeply")
		return
	}
	switch val := v.(type) {
	case map[string]any:
		for k, child := range val {
			p.child(path, pat, k, child, depth)
		}
	case []any:
		for i, child := range val {
			p.child(path, pat, strconv.Itoa(i), child, depth)
		}
	case string:
		p.leaf(path, pat, val)
	case float64:
		// SCORM values are strings, but a number is unambiguous: take it as its decimal form.
		p.leaf(path, pat, strconv.FormatFloat(val, 'f', -1, 64))
	case nil:
		// As an empty value: nothing to keep.
	default:
		p.drop(path, "must be a string (SCORM values are character strings)")
	}
}

func (p *cmiParser) child(path, pat, key string, v any, depth int) {
	if i, err := strconv.Atoi(key); err == nil && i >= 0 && strconv.Itoa(i) == key {
		if p.counts[path] == nil {
			p.counts[path] = map[int]bool{}
		}
		if i >= maxEntries {
			p.drop(path+"."+key, "more than %d entries", maxEntries)
			return
		}
		p.counts[path][i] = true
		p.walk(path+"."+key, pat+".n", v, depth+1)
		return
	}
	p.walk(path+"."+key, pat+"."+key, v, depth+1)
}

func (p *cmiParser) leaf(path, pat, v string) {
	if p.m.readOnly[pat] {
		return
	}
	chk, ok := p.m.writable[pat]
	if !ok {
		p.drop(path, "not an element of the data model a SCO can set")
		return
	}
	if v == "" {
		return
	}
	if reason := chk(v); reason != "" {
		p.drop(path, "%s", reason)
		return
	}
	if n := utf8.RuneCountInString(v); n > maxValueChars {
		v = string([]rune(v)[:maxValueChars])
		p.note(path, CMITruncated, "%d characters; the first %d are kept", n, maxValueChars)
	}
	p.out[path] = v
}

// checkIndices keeps every collection indexed 0..n-1, as SCORM has entries added in order: the
// entries after a gap are dropped.
func (p *cmiParser) checkIndices() {
	for path, idx := range p.counts {
		gap := -1
		for i := range len(idx) {
			if !idx[i] {
				gap = i
				break
			}
		}
		if gap < 0 {
			continue
		}
		p.drop(path, "entries must be numbered from 0 without gaps; %d is missing, so the entries after it are left out", gap)
		for k := range p.out {
			rest, ok := strings.CutPrefix(k, path+".")
			if !ok {
				continue
			}
			num, _, _ := strings.Cut(rest, ".")
			if i, err := strconv.Atoi(num); err == nil && i > gap {
				delete(p.out, k)
			}
		}
	}
}

// ResumeJSON turns stored runtime data and the LMS-provided values into the object the player
// loads into the runtime before the SCO initializes (scorm-again loadFromJSON: the data model
// without its "cmi" root). Write-only elements are left out.
func ResumeJSON(v Version, data CMI, provided map[string]string) map[string]any {
	root := map[string]any{}
	m := modelOf(v)
	for k, val := range data {
		if m.writeOnly(patternOf(k)) {
			continue
		}
		put(root, strings.TrimPrefix(k, "cmi."), val)
	}
	for k, val := range provided {
		put(root, strings.TrimPrefix(k, "cmi."), val)
	}
	return root
}

func put(root map[string]any, path, val string) {
	parts := strings.Split(path, ".")
	cur := root
	for _, part := range parts[:len(parts)-1] {
		next, ok := cur[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[part] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = val
}

// patternOf replaces the collection indices of an element path by "n".
func patternOf(path string) string {
	parts := strings.Split(path, ".")
	for i, s := range parts {
		if _, err := strconv.Atoi(s); err == nil {
			parts[i] = "n"
		}
	}
	return strings.Join(parts, ".")
}
