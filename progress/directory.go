package progress

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// The learner directory maps learners (agents) to municipalities; it takes precedence over every
// other attribution. An entry changes the learner's record at once, so the counts move to the
// new municipality; an entry with municipality "" removes the learner from the directory.

// DirectoryEntry is one learner's municipality.
type DirectoryEntry struct {
	Agent        map[string]any `json:"agent"` // an xAPI Agent: account, mbox, mbox_sha1sum or openid
	Municipality string         `json:"municipality"`
}

// DirectoryError lists every bad entry of an import; nothing of it was imported.
type DirectoryError struct {
	Problems []DirectoryProblem `json:"problems"`
}

// DirectoryProblem is a bad entry: its line in a CSV file (header is line 1) or its index in a
// JSON array.
type DirectoryProblem struct {
	Line    int    `json:"line,omitempty"`
	Index   *int   `json:"index,omitempty"`
	Message string `json:"message"`
}

func (e *DirectoryError) Error() string {
	var b strings.Builder
	b.WriteString("invalid directory entries:")
	for _, p := range e.Problems {
		switch {
		case p.Line > 0:
			fmt.Fprintf(&b, "\n  line %d: %s", p.Line, p.Message)
		case p.Index != nil:
			fmt.Fprintf(&b, "\n  entry %d: %s", *p.Index, p.Message)
		default:
			fmt.Fprintf(&b, "\n  %s", p.Message)
		}
	}
	return b.String()
}

// Unwrap makes bad entries a bad request.
func (e *DirectoryError) Unwrap() error { return lrs.ErrBadRequest }

// maxDirectoryProblems bounds the problems listed for one import: past it, more say nothing new.
const maxDirectoryProblems = 100

// ParseDirectoryCSV reads a directory file: a header naming the columns municipality and either
// account_homepage and account_name, or mbox; then one learner per line. It returns the entries
// and the line of each, for ImportDirectory's errors; an entry naming no learner has a nil Agent
// (which ImportDirectory refuses with the others).
func ParseDirectoryCSV(r io.Reader) ([]DirectoryEntry, []int, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, nil, &DirectoryError{Problems: []DirectoryProblem{{Line: 1, Message: "want a header line: " + errText(err)}}}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	_, hasMuni := col["municipality"]
	_, hasHome := col["account_homepage"]
	_, hasName := col["account_name"]
	_, hasMbox := col["mbox"]
	if !hasMuni || !(hasHome && hasName) && !hasMbox {
		return nil, nil, &DirectoryError{Problems: []DirectoryProblem{{Line: 1, Message: fmt.Sprintf(
			"the header %q must name the columns municipality and either account_homepage and account_name, or mbox", header)}}}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var entries []DirectoryEntry
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			p := DirectoryProblem{Message: errText(err)}
			if errors.As(err, &pe) {
				p.Line = pe.Line
			}
			return nil, nil, &DirectoryError{Problems: []DirectoryProblem{p}}
		}
		line, _ := cr.FieldPos(0)
		e := DirectoryEntry{Municipality: field(rec, "municipality")}
		switch {
		case field(rec, "account_name") != "":
			e.Agent = map[string]any{"account": map[string]any{"homePage": field(rec, "account_homepage"), "name": field(rec, "account_name")}}
		case field(rec, "mbox") != "":
			e.Agent = map[string]any{"mbox": field(rec, "mbox")}
		}
		entries, lines = append(entries, e), append(lines, line)
	}
	return entries, lines, nil
}

func errText(err error) string {
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	return err.Error()
}

// directoryChunk is how many entries are imported per round of reads and writes.
const directoryChunk = 500

// ImportDirectory checks every entry (lines, when given, name them in errors: lines[i] is entry
// i's line) and then stores them and moves the learners' counts. It returns how many entries
// changed the directory.
func (t *Tracker) ImportDirectory(ctx context.Context, entries []DirectoryEntry, lines []int) (int, error) {
	keys := make([]string, len(entries))
	de := &DirectoryError{}
	seen := map[string]int{}
	for i, e := range entries {
		p := DirectoryProblem{}
		if lines != nil {
			p.Line = lines[i]
		} else {
			p.Index = &i
		}
		key, err := learnerKeyOf(e.Agent)
		switch {
		case e.Agent == nil:
			p.Message = "names no learner (an account or an mbox)"
		case err != nil:
			p.Message = "agent " + err.Error()
		case e.Municipality != "" && t.places.CheckMunicipality(e.Municipality) != nil:
			p.Message = t.places.CheckMunicipality(e.Municipality).Error()
		default:
			if prev, dup := seen[key]; dup {
				p.Message = fmt.Sprintf("the learner is also entry %d", prev)
			}
		}
		if p.Message != "" {
			if len(de.Problems) < maxDirectoryProblems {
				de.Problems = append(de.Problems, p)
			}
			continue
		}
		seen[key], keys[i] = i, key
	}
	if len(de.Problems) > 0 {
		return 0, de
	}
	changed := 0
	ix := t.index()
	for start := 0; start < len(entries); start += directoryChunk {
		end := min(start+directoryChunk, len(entries))
		n, err := t.importChunk(ctx, ix, keys[start:end], entries[start:end])
		if err != nil {
			return changed, err
		}
		changed += n
	}
	return changed, nil
}

// importChunk writes the directory entries, then updates the learners' records (which read
// their entry after their record; see updateLearners).
func (t *Tracker) importChunk(ctx context.Context, ix *index, keys []string, entries []DirectoryEntry) (int, error) {
	want := make(map[string]string, len(keys))
	for i, k := range keys {
		want[k] = entries[i].Municipality
	}
	changed := 0
	pending := slices.Clone(keys)
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxApplyAttempts {
			return changed, fmt.Errorf("%w: directory entries keep changing concurrently; retry", lrs.ErrUnavailable)
		}
		recs, err := t.store.Records(ctx, kindDirectory, pending)
		if err != nil {
			return changed, err
		}
		version := map[string]lrs.Record{}
		for _, r := range recs {
			version[r.Key] = r
		}
		var writes []lrs.RecordWrite
		next := pending[:0:0]
		for _, k := range pending {
			if cur, ok := version[k]; ok && string(cur.Data) == want[k] || !ok && want[k] == "" {
				continue
			}
			writes = append(writes, lrs.RecordWrite{Record: lrs.Record{Kind: kindDirectory, Key: k, Data: []byte(want[k])}, Prev: version[k].Version})
		}
		ok, err := t.store.WriteRecords(ctx, writes)
		if err != nil {
			return changed, err
		}
		for i, w := range writes {
			if ok[i] {
				changed++
			} else {
				next = append(next, w.Record.Key)
			}
		}
		pending = next
	}
	pending = slices.Clone(keys)
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxApplyAttempts {
			return changed, fmt.Errorf("%w: learner records keep changing concurrently; retry", lrs.ErrUnavailable)
		}
		done, err := t.updateLearners(ctx, ix, pending, nil, func(string, *learner, []fact) error { return nil })
		if err != nil {
			return changed, err
		}
		pending = without(pending, done)
	}
	return changed, nil
}

// without returns the keys not in drop.
func without(keys, drop []string) []string {
	d := make(map[string]bool, len(drop))
	for _, k := range drop {
		d[k] = true
	}
	var out []string
	for _, k := range keys {
		if !d[k] {
			out = append(out, k)
		}
	}
	return out
}

// DirectoryPage is a page of the directory, in the order of the learners' keys.
type DirectoryPage struct {
	Entries []DirectoryEntry `json:"entries"`
	// Next is the after parameter of the next page; "" on the last.
	Next string `json:"next,omitempty"`
}

// Directory lists up to limit entries after the learner key after.
func (t *Tracker) Directory(ctx context.Context, after string, limit int) (DirectoryPage, error) {
	recs, err := t.store.ScanRecords(ctx, kindDirectory, after, limit+1)
	if err != nil {
		return DirectoryPage{}, err
	}
	page := DirectoryPage{Entries: []DirectoryEntry{}}
	for i, r := range recs {
		if i == limit {
			page.Next = recs[i-1].Key
			break
		}
		if len(r.Data) > 0 {
			page.Entries = append(page.Entries, DirectoryEntry{Agent: agentOfKey(r.Key), Municipality: string(r.Data)})
		}
	}
	return page, nil
}

// agentOfKey turns an agent key (lrs.AgentKey) back into the Agent it identifies.
func agentOfKey(key string) map[string]any {
	kind, value, _ := strings.Cut(key, ":")
	switch kind {
	case "account":
		var pair [2]string
		if json.Unmarshal([]byte(value), &pair) == nil {
			return map[string]any{"account": map[string]any{"homePage": pair[0], "name": pair[1]}}
		}
	case "mbox", "mbox_sha1sum", "openid":
		return map[string]any{kind: value}
	}
	return map[string]any{"key": key}
}

// RebuildStats says what a rebuild did.
type RebuildStats struct {
	Statements int           `json:"statements"`
	Duration   time.Duration `json:"-"`
	Seconds    float64       `json:"seconds"`
}

// rebuildPage is how many statements a rebuild reads and applies at a time.
const rebuildPage = 1000

// Rebuild derives every learner record and counter again from the stored statements: it deletes
// them, then applies every live statement (voiding ones included) in storage order through the
// same code as the write path. The directory and the voided marks are kept.
func (t *Tracker) Rebuild(ctx context.Context) (RebuildStats, error) {
	start := time.Now()
	ix := t.index()
	if err := t.store.ResetTallies(ctx, kindLearner); err != nil {
		return RebuildStats{}, err
	}
	var stats RebuildStats
	q := lrs.StatementQuery{Ascending: true, Limit: rebuildPage}
	for {
		page, err := t.store.QueryStatements(ctx, q)
		if err != nil {
			return stats, err
		}
		sts := make([]lrs.StoredStatement, 0, len(page.Statements))
		for _, r := range page.Statements {
			v, err := lrs.DecodeJSON(r.Statement)
			if err != nil {
				return stats, fmt.Errorf("progress: stored statement %s: %w", r.ID, err)
			}
			sts = append(sts, lrs.StoredStatement{ID: r.ID, Stored: r.Stored, Statement: mapOf(v)})
		}
		if err := t.apply(ctx, ix, sts, lrs.Client{}); err != nil {
			return stats, err
		}
		stats.Statements += len(sts)
		if page.Cursor == "" {
			break
		}
		q.Cursor = page.Cursor
	}
	stats.Duration = time.Since(start)
	stats.Seconds = stats.Duration.Seconds()
	return stats, nil
}
