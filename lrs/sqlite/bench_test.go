package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// The shape of the generated data: benchAgents learners, each enrolled (one registration) in
// two of benchCourses courses of benchLessons lessons; benchVerbs verbs; a few API clients.
const (
	benchAgents  = 50000
	benchCourses = 300
	benchLessons = 20
	benchClients = 5
	// benchDataVersion names the cached prefilled files; change it when the generator changes.
	benchDataVersion = 2
)

var benchVerbs = []string{"experienced", "attempted", "completed", "passed", "failed", "answered", "interacted", "launched", "initialized", "terminated"}

// generator makes realistic statement records: about 1 KB of JSON and 11 keys each, as
// lrs.Keys derives them (actor, verb, object activity, three context activities, registration,
// authority).
type generator struct {
	rng    *rand.Rand
	stored time.Time
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 0)), stored: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (g *generator) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, a>>16&0xffff, a&0xfff, 0x8000|b>>48&0x3fff, b&0xffffffffffff)
}

func agentKey(n int) string { return fmt.Sprintf("mbox:mailto:learner%05d@example.com", n) }

func verbID(n int) string { return "http://adlnet.gov/expapi/verbs/" + benchVerbs[n] }

func (g *generator) record() lrs.StatementRecord {
	g.stored = g.stored.Add(time.Duration(g.rng.IntN(20)) * time.Millisecond)
	id := g.uuid()
	agent, verb := g.rng.IntN(benchAgents), g.rng.IntN(len(benchVerbs))
	course, lesson := (agent*7+g.rng.IntN(2)*131)%benchCourses, g.rng.IntN(benchLessons)
	client := g.rng.IntN(benchClients)
	courseID := fmt.Sprintf("https://courses.example.com/course/%d", course)
	lessonID := fmt.Sprintf("%s/lesson/%d", courseID, lesson)
	programID := fmt.Sprintf("https://courses.example.com/program/%d", course%12)
	category := "https://w3id.org/xapi/cmi5/context/categories/moveon"
	registration := fmt.Sprintf("%08x-0000-4000-8000-%012x", agent, course)
	authority := fmt.Sprintf(`account:["https://lrs.example.com","client-%d"]`, client)
	stmt := fmt.Sprintf(`{"id":"%s","actor":{"objectType":"Agent","name":"Learner %05d","mbox":"mailto:learner%05d@example.com"},`+
		`"verb":{"id":"%s","display":{"en-US":"%s"}},`+
		`"object":{"objectType":"Activity","id":"%s","definition":{"name":{"en-US":"Lesson %d of course %d"},"description":{"en-US":"A lesson with a video and a quiz."},"type":"http://adlnet.gov/expapi/activities/lesson"}},`+
		`"result":{"score":{"scaled":%.2f,"raw":%d,"min":0,"max":100},"success":%v,"completion":true,"duration":"PT%dM%dS"},`+
		`"context":{"registration":"%s","contextActivities":{"parent":[{"id":"%s","objectType":"Activity"}],"grouping":[{"id":"%s","objectType":"Activity"}],"category":[{"id":"%s","objectType":"Activity"}]},"platform":"Example LMS","language":"en-US"},`+
		`"timestamp":"%s","stored":"%s","authority":{"objectType":"Agent","account":{"homePage":"https://lrs.example.com","name":"client-%d"}},"version":"1.0.3"}`,
		id, agent, agent, verbID(verb), benchVerbs[verb], lessonID, lesson, course,
		float64(agent%101)/100, agent%101, agent%3 > 0, lesson, agent%60,
		registration, courseID, programID, category,
		g.stored.Add(-time.Second).Format(time.RFC3339Nano), g.stored.Format(time.RFC3339Nano), client)
	return lrs.StatementRecord{ID: id, Stored: g.stored, Statement: []byte(stmt), Keys: []lrs.Key{
		{Kind: lrs.KeyAgent, Value: agentKey(agent)}, {Kind: lrs.KeyRelatedAgent, Value: agentKey(agent)},
		{Kind: lrs.KeyVerb, Value: verbID(verb)},
		{Kind: lrs.KeyActivity, Value: lessonID}, {Kind: lrs.KeyRelatedActivity, Value: lessonID},
		{Kind: lrs.KeyRelatedActivity, Value: courseID}, {Kind: lrs.KeyRelatedActivity, Value: programID},
		{Kind: lrs.KeyRelatedActivity, Value: category},
		{Kind: lrs.KeyRegistration, Value: registration},
		{Kind: lrs.KeyRelatedAgent, Value: authority}, {Kind: lrs.KeyAuthority, Value: authority},
	}}
}

func (g *generator) batch(n int) []lrs.StatementRecord {
	recs := make([]lrs.StatementRecord, n)
	for i := range recs {
		recs[i] = g.record()
	}
	return recs
}

func BenchmarkInsertStatements(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, err := Open(b.Context(), filepath.Join(b.TempDir(), "lrs.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			g := newGenerator(1)
			for b.Loop() {
				b.StopTimer()
				recs := g.batch(size)
				b.StartTimer()
				if err := s.InsertStatements(b.Context(), recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/statement")
		})
	}
}

func BenchmarkQueryAgentVerb(b *testing.B) {
	s := benchStore(b)
	rng := rand.New(rand.NewPCG(2, 0))
	found := 0
	for b.Loop() {
		q := lrs.StatementQuery{Limit: 100, Keys: []lrs.Key{
			{Kind: lrs.KeyAgent, Value: agentKey(rng.IntN(benchAgents))},
			{Kind: lrs.KeyVerb, Value: verbID(rng.IntN(len(benchVerbs)))},
		}}
		page, err := s.QueryStatements(b.Context(), q)
		if err != nil {
			b.Fatal(err)
		}
		found += len(page.Statements)
	}
	b.ReportMetric(float64(found)/float64(b.N), "statements/op")
}

// benchStore opens a store of LRS_BENCH_STATEMENTS (default 100000) generated statements,
// generating it once into a file under os.TempDir that later runs reuse.
func benchStore(b *testing.B) *Store {
	n := 100000
	if v := os.Getenv("LRS_BENCH_STATEMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("LRS_BENCH_STATEMENTS: %v", err)
		}
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lrs-sqlite-bench-v%d-%d.db", benchDataVersion, n))
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		prefill(b, path, n)
	}
	s, err := Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// prefill writes n statements to a new file at path, in batches of 10000.
func prefill(b *testing.B, path string, n int) {
	start := time.Now()
	tmp := path + ".tmp"
	for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	s, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	g := newGenerator(1)
	for done := 0; done < n; done += 10000 {
		if err := s.InsertStatements(ctx, g.batch(min(10000, n-done))); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("prefilled %d statements in %v: %d bytes, %d bytes per statement", n, time.Since(start).Round(time.Second), info.Size(), info.Size()/int64(n))
}
