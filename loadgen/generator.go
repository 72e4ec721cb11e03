package loadgen

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/yrkesresan/lrs/progress"
)

// registrationNS is the UUID v5 namespace of registrations, so that a learner's registration in a
// course is the same in every run.
var registrationNS = [16]byte{0x6f, 0x1c, 0x1f, 0x3e, 0x5b, 0x7a, 0x4c, 0x8e, 0x9d, 0x2a, 0x3e, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f}

const agentPrefix = `{"objectType":"Agent","account":{"homePage":"` + homePage + `","name":"`

// Generator produces valid xAPI statements by filling per-statement fields into templates built
// once. Learners and activities depend only on their counts, so runs with any seed share them;
// the seed drives which learner, activity, verb and result each statement gets. Statement ids are
// random UUID v4 in every run. A Generator is not safe for concurrent use.
type Generator struct {
	learners   int
	activities []activity
	rng        *mrand.Rand
	ids        *mrand.ChaCha8 // seeded from crypto/rand
	scratch    []byte
	// municipalities, if set, are the codes learners are attributed to (learner i to
	// municipalities[i % len]) through the progress extension.
	municipalities []string
}

// NewGenerator returns a generator over learners learners and activities activities (both ≥ 1).
func NewGenerator(learners, activities int, seed uint64) *Generator {
	acts := make([]activity, activities)
	for i := range acts {
		acts[i] = buildActivity(i)
	}
	return newGenerator(learners, acts, seed)
}

// withSeed returns a generator over the same learners and activities, with its own seed.
func (g *Generator) withSeed(seed uint64) *Generator {
	n := newGenerator(g.learners, g.activities, seed)
	n.municipalities = g.municipalities
	return n
}

func newGenerator(learners int, activities []activity, seed uint64) *Generator {
	var key [32]byte
	rand.Read(key[:])
	return &Generator{
		learners:   learners,
		activities: activities,
		rng:        mrand.New(mrand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		ids:        mrand.NewChaCha8(key),
	}
}

// AppendBatch appends a JSON array of n statements to dst.
func (g *Generator) AppendBatch(dst []byte, n int) []byte {
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = g.AppendStatement(dst)
	}
	return append(dst, ']')
}

// AppendStatement appends one statement to dst.
func (g *Generator) AppendStatement(dst []byte) []byte {
	learner := g.rng.IntN(g.learners)
	name := learnerName(learner)
	a := &g.activities[g.rng.IntN(len(g.activities))]
	v := g.pickVerb(a.role)
	dst = append(dst, `{"id":"`...)
	dst = g.appendID(dst)
	dst = append(dst, `","actor":`...)
	dst = appendAgent(dst, name[:])
	dst = append(dst, `,"verb":`...)
	dst = append(dst, v.json...)
	dst = append(dst, `,"object":`...)
	dst = append(dst, a.object...)
	dst = g.appendResult(dst, v, a)
	dst = append(dst, `,"context":{"registration":"`...)
	dst = g.appendRegistration(dst, name[:], a.courseID)
	dst = append(dst, `","platform":"Yrkesresan","language":"sv-SE","contextActivities":`...)
	dst = append(dst, a.context...)
	if g.municipalities != nil {
		dst = append(dst, `,"extensions":{"`+progress.DefaultMunicipalityExtension+`":"`...)
		dst = append(dst, g.municipalities[learner%len(g.municipalities)]...)
		dst = append(dst, '"', '}')
	}
	dst = append(dst, `},"timestamp":"`...)
	dst = g.appendTimestamp(dst)
	return append(dst, `"}`...)
}

// Query returns the filters of a statement query as a reader of the generated data would make
// it: the agent (JSON) of a learner and a verb IRI, drawn as AppendStatement draws them.
func (g *Generator) Query() (agent, verbID string) {
	name := learnerName(g.rng.IntN(g.learners))
	a := &g.activities[g.rng.IntN(len(g.activities))]
	return string(appendAgent(nil, name[:])), g.pickVerb(a.role).id
}

// StateKey returns the learner (agent JSON) and activity (IRI) of state key k, one of
// learners × activities.
func (g *Generator) StateKey(k int) (agent, activityID string) {
	name := learnerName(k % g.learners)
	a := &g.activities[k/g.learners%len(g.activities)]
	return string(appendAgent(nil, name[:])), a.id
}

// AppendState appends a bookmark state document as a SCORM-like course keeps it: a location, a
// progress measure and about 1 KiB of opaque suspend data.
func (g *Generator) AppendState(dst []byte) []byte {
	dst = append(dst, `{"location":"page-`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(40)), 10)
	dst = append(dst, `","progress":0.`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(100)), 10)
	dst = append(dst, `,"suspend_data":"`...)
	for range 64 {
		dst = strconv.AppendUint(dst, g.rng.Uint64()|1<<63, 16)
	}
	return append(dst, `"}`...)
}

func (g *Generator) pickVerb(r role) *verb {
	mix := verbMix[r]
	return mix[g.rng.IntN(len(mix))]
}

// learnerName is the opaque account name of learner i: a bijective 64-bit mix of i, in hex.
func learnerName(i int) [16]byte {
	x := uint64(i) + 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	var b [8]byte
	var s [16]byte
	binary.BigEndian.PutUint64(b[:], x)
	hex.Encode(s[:], b[:])
	return s
}

func appendAgent(dst, name []byte) []byte {
	dst = append(dst, agentPrefix...)
	dst = append(dst, name...)
	return append(dst, `"}}`...)
}

// appendID appends a random UUID v4.
func (g *Generator) appendID(dst []byte) []byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], g.ids.Uint64())
	binary.LittleEndian.PutUint64(b[8:], g.ids.Uint64())
	return appendUUID(dst, b, 4)
}

// appendRegistration appends the UUID v5 of the learner's registration in the course.
func (g *Generator) appendRegistration(dst, name []byte, courseID string) []byte {
	g.scratch = append(append(append(append(g.scratch[:0], registrationNS[:]...), name...), ' '), courseID...)
	sum := sha1.Sum(g.scratch)
	return appendUUID(dst, [16]byte(sum[:16]), 5)
}

// appendUUID appends b in the 8-4-4-4-12 form with the given version and the RFC 4122 variant.
func appendUUID(dst []byte, b [16]byte, version byte) []byte {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:], b[10:])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return append(dst, s[:]...)
}

// appendTimestamp appends a time up to two minutes ago, in UTC with milliseconds.
func (g *Generator) appendTimestamp(dst []byte) []byte {
	t := time.Now().Add(-time.Duration(g.rng.IntN(120000)) * time.Millisecond)
	return t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
}

// appendResult appends the ,"result":{…} member the verb calls for, if any.
func (g *Generator) appendResult(dst []byte, v *verb, a *activity) []byte {
	if v.result == resultNone {
		return dst
	}
	dst = append(dst, `,"result":{`...)
	switch v.result {
	case resultProgress:
		dst = append(dst, `"completion":false,"extensions":{"`+progressExt+`":`...)
		dst = strconv.AppendInt(dst, int64(1+g.rng.IntN(99)), 10)
		dst = append(dst, `},`...)
	case resultCompleted:
		dst = append(dst, `"completion":true,`...)
	case resultAnswer:
		dst = append(dst, `"success":`...)
		dst = strconv.AppendBool(dst, g.rng.IntN(4) > 0)
		dst = append(dst, `,"response":"choice-`...)
		dst = strconv.AppendInt(dst, int64(1+g.rng.IntN(4)), 10)
		dst = append(dst, `",`...)
	case resultPassed, resultFailed:
		dst = g.appendScore(dst, a.maxScore, v.result == resultPassed)
	}
	dst = append(dst, `"duration":"`...)
	dst = appendDuration(dst, g.durationCS(v.result))
	return append(dst, `"}`...)
}

// appendScore appends score, success and completion of a test with pass mark 60 %.
func (g *Generator) appendScore(dst []byte, maxScore int, pass bool) []byte {
	mark := (maxScore*60 + 99) / 100
	raw := g.rng.IntN(mark)
	if pass {
		raw = mark + g.rng.IntN(maxScore-mark+1)
	}
	dst = append(dst, `"score":{"scaled":`...)
	dst = strconv.AppendFloat(dst, float64(raw)/float64(maxScore), 'f', -1, 64)
	dst = append(dst, `,"raw":`...)
	dst = strconv.AppendInt(dst, int64(raw), 10)
	dst = append(dst, `,"min":0,"max":`...)
	dst = strconv.AppendInt(dst, int64(maxScore), 10)
	dst = append(dst, `},"success":`...)
	dst = strconv.AppendBool(dst, pass)
	return append(dst, `,"completion":true,`...)
}

// durationCS draws a plausible time spent, in hundredths of a second.
func (g *Generator) durationCS(k resultKind) int {
	if k == resultAnswer {
		return 500 + g.rng.IntN(11500) // 5 s to 2 min
	}
	return 6000 + g.rng.IntN(354000) // 1 min to 1 h
}

// appendDuration appends cs hundredths of a second as an ISO 8601 duration, e.g. PT1H2M3.04S.
func appendDuration(dst []byte, cs int) []byte {
	dst = append(dst, "PT"...)
	if h := cs / 360000; h > 0 {
		dst = append(strconv.AppendInt(dst, int64(h), 10), 'H')
	}
	if m := cs / 6000 % 60; m > 0 {
		dst = append(strconv.AppendInt(dst, int64(m), 10), 'M')
	}
	dst = strconv.AppendInt(dst, int64(cs/100%60), 10)
	return append(dst, '.', byte('0'+cs/10%10), byte('0'+cs%10), 'S')
}

// municipalityCodes are the 290 municipality codes.
func municipalityCodes() []string {
	places, err := progress.LoadPlaces()
	if err != nil {
		panic(err) // the lists are embedded and checked by progress's tests
	}
	codes := make([]string, len(places.Municipalities))
	for i, m := range places.Municipalities {
		codes[i] = m.Code
	}
	return codes
}
