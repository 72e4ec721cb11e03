package progress

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// Attribution. A learner's municipality is, in this order:
//  1. the learner directory's entry for the learner (imported from CSV or through the API);
//  2. the municipality of the client whose credentials sent the learner's earliest attributed
//     statement, when the client was issued to a municipality;
//  3. the municipality code in that statement's context extension (the catalog's
//     municipality_extension).
//
// A statement's own attribution is 2, else 3. A learner with neither is counted as
// unattributed (municipality ""), which national reports show. A code in the extension that is
// not one of the 290 refuses the statement (400), whatever the precedence would have chosen.

// Attribute implements lrs.Observer: it refuses a statement whose municipality extension does
// not hold a municipality code.
func (t *Tracker) Attribute(_ context.Context, st map[string]any, _ lrs.Client) error {
	_, err := t.extensionCode(t.index(), st)
	return err
}

// extensionCode returns the code in the statement's municipality extension, "" if it has none.
func (t *Tracker) extensionCode(ix *index, st map[string]any) (string, error) {
	iri := ix.catalog.MunicipalityExtension
	v, ok := mapOf(mapOf(st["context"])["extensions"])[iri]
	if !ok {
		return "", nil
	}
	code, isString := v.(string)
	var rule string
	switch {
	case !isString:
		rule = "must be a municipality code as a string, such as \"0180\""
	case t.places.CheckMunicipality(code) != nil:
		rule = t.places.CheckMunicipality(code).Error()
	default:
		return code, nil
	}
	return "", &validate.Error{Problems: []validate.Problem{{Path: "context.extensions[" + strconv.Quote(iri) + "]", Rule: rule}}}
}

// statementMuni is the statement's own attribution: the municipality of the client named by its
// authority, else its extension code, else "".
func (t *Tracker) statementMuni(ctx context.Context, ix *index, s lrs.StoredStatement, client lrs.Client) (string, error) {
	org := client.Org
	if key := authorityKey(s.Statement); key != client.Key {
		var err error
		if org, err = t.orgs.org(ctx, key); err != nil {
			return "", err
		}
	}
	if o, ok, err := t.places.ParseOrg(org); err == nil && ok && o.Level == MunicipalityLevel {
		return o.Code, nil
	}
	code, err := t.extensionCode(ix, s.Statement)
	if err != nil {
		// Stored before the code was checked (or under another catalog): not an attribution.
		return "", nil
	}
	return code, nil
}

// authorityKey is the client key the LRS named as the statement's authority.
func authorityKey(st map[string]any) string {
	name, _ := mapOf(mapOf(st["authority"])["account"])["name"].(string)
	return name
}

// Applied implements lrs.Observer: it applies the statements of a write to their learners'
// records and the counters. Every step is idempotent, so a retry converges. A client that goes
// away does not stop it half-way: its statements are stored, and it may never send them again.
func (t *Tracker) Applied(ctx context.Context, sts []lrs.StoredStatement, client lrs.Client) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	return t.apply(ctx, t.index(), sts, client)
}

// applyTimeout bounds the roll-up of one write when the store stalls.
const applyTimeout = 30 * time.Second

// maxApplyAttempts bounds the rounds of a learner whose record keeps changing under it.
const maxApplyAttempts = 50

// apply applies statements: voiding ones first take back what their targets said (see
// voidTargets), then each learner's record takes the facts of its statements in one
// compare-and-swap, all learners of the call in one WriteRecords; learners whose record changed
// meanwhile go round again.
func (t *Tracker) apply(ctx context.Context, ix *index, sts []lrs.StoredStatement, client lrs.Client) error {
	facts := map[string][]fact{} // by learner
	var targets []string
	for _, s := range sts {
		if id := refTarget(s.Statement); id != "" {
			targets = append(targets, id)
			continue
		}
		muni, err := t.statementMuni(ctx, ix, s, client)
		if err != nil {
			return err
		}
		if f, ok := ix.readFact(s, muni); ok {
			facts[f.learner] = append(facts[f.learner], f)
		}
	}
	recompute, err := t.voidTargets(ctx, ix, targets, client)
	if err != nil {
		return err
	}
	pending := map[string]bool{}
	for l := range facts {
		pending[l] = true
	}
	for l := range recompute {
		pending[l] = true
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == maxApplyAttempts {
			return fmt.Errorf("%w: learner records keep changing concurrently; retry", lrs.ErrUnavailable)
		}
		keys := make([]string, 0, len(pending))
		for l := range pending {
			keys = append(keys, l)
		}
		written, err := t.updateLearners(ctx, ix, keys, facts, func(l string, st *learner, live []fact) error {
			if recompute[l] {
				if err := t.recompute(ctx, ix, l, st); err != nil {
					return err
				}
			}
			for _, f := range live {
				st.add(f)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, l := range written {
			delete(pending, l)
		}
	}
	return nil
}

// updateLearners reads the records of the learners, and after them their directory entries and
// the voided marks of their facts' statements (after, so that a mark or entry written before a
// record changed is seen by whoever reads the changed record); lets change update each state,
// with the facts of statements not voided; and writes the changed records with their counter
// deltas. It returns the learners whose records are now up to date.
func (t *Tracker) updateLearners(ctx context.Context, ix *index, keys []string, facts map[string][]fact,
	change func(key string, st *learner, live []fact) error) ([]string, error) {
	recs, err := t.store.Records(ctx, kindLearner, keys)
	if err != nil {
		return nil, err
	}
	dirs, err := t.store.Records(ctx, kindDirectory, keys)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range keys {
		for _, f := range facts[l] {
			ids = append(ids, f.id)
		}
	}
	voided, err := t.store.Records(ctx, kindVoided, ids)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]lrs.Record, len(recs))
	for _, r := range recs {
		byKey[r.Key] = r
	}
	dir := make(map[string]string, len(dirs))
	for _, r := range dirs {
		dir[r.Key] = string(r.Data)
	}
	dead := make(map[string]bool, len(voided))
	for _, r := range voided {
		dead[r.Key] = true
	}
	var writes []lrs.RecordWrite
	var done []string
	for _, l := range keys {
		rec := byKey[l]
		old, err := decodeLearner(rec.Data)
		if err != nil {
			return nil, fmt.Errorf("progress: learner record %s: %w", l, err)
		}
		st := old.clone()
		st.Dir = dir[l]
		var live []fact
		for _, f := range facts[l] {
			if !dead[f.id] {
				live = append(live, f)
			}
		}
		if err := change(l, st, live); err != nil {
			return nil, err
		}
		data, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(data, rec.Data) || rec.Version == 0 && isEmpty(st) {
			done = append(done, l)
			continue
		}
		writes = append(writes, lrs.RecordWrite{
			Record: lrs.Record{Kind: kindLearner, Key: l, Data: data},
			Prev:   rec.Version,
			Deltas: ix.deltas(old, st),
		})
	}
	ok, err := t.store.WriteRecords(ctx, writes)
	if err != nil {
		return nil, err
	}
	for i, w := range writes {
		if ok[i] {
			done = append(done, w.Record.Key)
		}
	}
	return done, nil
}

// isEmpty reports whether a state counts nowhere, so that no record need be made for it (the
// directory entry is read again whenever the learner's record is written).
func isEmpty(l *learner) bool { return l.First == nil && len(l.Acts) == 0 }

// voidTargets marks the targets of voiding statements as voided, then returns the learners whose
// records must be derived again from their live statements because a target was about them.
// The mark comes first: a target applied concurrently either sees it, or is stored already and
// so found here (its learner then recomputed, without it).
func (t *Tracker) voidTargets(ctx context.Context, ix *index, targets []string, client lrs.Client) (map[string]bool, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	marks := make([]lrs.RecordWrite, 0, len(targets))
	seen := map[string]bool{}
	for _, id := range targets {
		if !seen[id] {
			seen[id] = true
			marks = append(marks, lrs.RecordWrite{Record: lrs.Record{Kind: kindVoided, Key: id}})
		}
	}
	// A mark that exists already is as good as a new one: written or not, each is there now.
	if _, err := t.store.WriteRecords(ctx, marks); err != nil {
		return nil, err
	}
	recs, err := t.store.Statements(ctx, targets)
	if err != nil {
		return nil, err
	}
	learners := map[string]bool{}
	for _, r := range recs {
		st, err := lrs.DecodeJSON(r.Statement)
		if err != nil {
			return nil, fmt.Errorf("progress: stored statement %s: %w", r.ID, err)
		}
		s := lrs.StoredStatement{ID: r.ID, Stored: r.Stored, Statement: mapOf(st)}
		// The target's attribution does not matter: only whose and about what it was.
		if f, ok := ix.readFact(s, ""); ok {
			learners[f.learner] = true
		}
	}
	return learners, nil
}

// recompute derives the learner's activities and earliest attribution again from the learner's
// live statements about the activities the record knows (a voided statement can only have been
// about those). The store's queries leave voided statements out.
func (t *Tracker) recompute(ctx context.Context, ix *index, learnerKey string, st *learner) error {
	acts := st.Acts
	st.First, st.Acts = nil, nil
	for a := range acts {
		q := lrs.StatementQuery{
			Keys:      []lrs.Key{{Kind: lrs.KeyAgent, Value: learnerKey}, {Kind: lrs.KeyRelatedActivity, Value: a}},
			Ascending: true,
			Limit:     500,
		}
		for {
			page, err := t.store.QueryStatements(ctx, q)
			if err != nil {
				return err
			}
			for _, r := range page.Statements {
				v, err := lrs.DecodeJSON(r.Statement)
				if err != nil {
					return fmt.Errorf("progress: stored statement %s: %w", r.ID, err)
				}
				s := lrs.StoredStatement{ID: r.ID, Stored: r.Stored, Statement: mapOf(v)}
				muni, err := t.statementMuni(ctx, ix, s, lrs.Client{})
				if err != nil {
					return err
				}
				if f, ok := ix.readFact(s, muni); ok && f.learner == learnerKey {
					st.add(f)
				}
			}
			if page.Cursor == "" {
				break
			}
			q.Cursor = page.Cursor
		}
	}
	return nil
}

// learnerKeyOf returns the agent key of an xAPI Agent given as JSON, for the directory.
func learnerKeyOf(agent map[string]any) (string, error) {
	if err := validate.Agent(agent, lrs.Version200); err != nil {
		return "", err
	}
	if ot, _ := agent["objectType"].(string); ot == "Group" {
		return "", fmt.Errorf("must be an Agent, not a Group")
	}
	key, ok := lrs.AgentKey(agent)
	if !ok || strings.TrimSpace(key) == "" {
		return "", fmt.Errorf("has no identifier")
	}
	return key, nil
}
