package lrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// VerbVoided is the reserved verb that voids the statement its object refers to.
const VerbVoided = "http://adlnet.gov/expapi/verbs/voided"

// WriteRequest is one POST or PUT of statements.
type WriteRequest struct {
	Statements  []map[string]any // decoded with UseNumber
	Version     string           // negotiated xAPI version of the request
	Authority   map[string]any   // the agent the credentials stand for
	StatementID string           // PUT: the statementId parameter; empty for POST
	Client      Client           // the credentials the request came with
	// Define: the client has the define scope, so its activity definitions update the LRS's
	// canonical ones.
	Define bool
	// Attachments is the attachment data sent with the statements (multipart/mixed), by lower-case
	// hex SHA-256; nil for application/json.
	Attachments map[string]AttachmentData
}

// WriteStatements stores the statements of one request, all or none, and returns their ids in
// request order. Statements already stored with an equivalent statement are accepted unchanged;
// a different statement under a stored id is a conflict (xAPI Communication 2.1.1, 2.1.2).
func (s *Service) WriteStatements(ctx context.Context, req WriteRequest) ([]string, error) {
	ids, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.putAttachments(ctx, req.Attachments); err != nil {
		return nil, err
	}
	// A concurrent writer can store one of our ids between check and insert; the store then
	// refuses the whole batch and the check runs again against what it wrote.
	for attempt := 1; ; attempt++ {
		stored, err := s.writeOnce(ctx, req, ids)
		switch {
		case err == nil:
			if s.observer != nil {
				if err := s.observer.Applied(ctx, stored, req.Client); err != nil {
					return nil, fmt.Errorf("the statements are stored but not yet counted; send them again: %w", err)
				}
			}
			// The statements are stored and acknowledged: a definition that cannot be recorded is
			// logged, not failed, and is merged when sent again.
			if err := s.recordActivities(ctx, req.Statements, req.Define); err != nil {
				s.log.WarnContext(ctx, "activity definitions not recorded", "err", err)
			}
			return ids, nil
		case !errors.Is(err, errRaced):
			return nil, err
		case attempt == maxWriteAttempts:
			return nil, fmt.Errorf("%w: the statements' ids keep being written concurrently; retry", ErrConflict)
		}
	}
}

// errRaced: the store refused a batch because a concurrent write stored one of its ids after
// the batch was checked.
var errRaced = errors.New("raced with a concurrent write")

const maxWriteAttempts = 3

// prepare validates every statement, matches the attachment data with the attachments, and
// settles each statement's id.
func (s *Service) prepare(ctx context.Context, req WriteRequest) ([]string, error) {
	if len(req.Statements) == 0 {
		return nil, fmt.Errorf("%w: no statements in the request", ErrBadRequest)
	}
	ids := make([]string, len(req.Statements))
	seen := make(map[string]int, len(req.Statements))
	used := make(map[string]bool, len(req.Attachments))
	for i, st := range req.Statements {
		if err := validate.Statement(st, req.Version); err != nil {
			return nil, invalid(i, err)
		}
		if err := checkVoiding(st); err != nil {
			return nil, invalid(i, err)
		}
		if err := checkAttachments(st, req.Attachments, used); err != nil {
			return nil, invalid(i, err)
		}
		if s.observer != nil {
			if err := s.observer.Attribute(ctx, st, req.Client); err != nil {
				return nil, invalid(i, err)
			}
		}
		id, err := statementID(st, req.StatementID)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("%w: statements %d and %d have the same id %s", ErrBadRequest, j, i, id)
		}
		seen[id] = i
		ids[i] = id
	}
	if err := unusedAttachment(req.Attachments, used); err != nil {
		return nil, err
	}
	return ids, nil
}

func invalid(i int, err error) error {
	var ve *validate.Error
	if errors.As(err, &ve) {
		return &InvalidStatementError{Index: i, Problems: ve.Problems}
	}
	return fmt.Errorf("%w: statement %d: %v", ErrBadRequest, i, err)
}

// checkVoiding enforces that a voiding statement's object is a StatementRef (Data 2.3.2).
func checkVoiding(st map[string]any) error {
	if mapOf(st["verb"])["id"] != VerbVoided {
		return nil
	}
	if objectType(mapOf(st["object"])) != "StatementRef" {
		return &validate.Error{Problems: []validate.Problem{{Path: "object.objectType", Rule: "a voiding statement's object must be a StatementRef"}}}
	}
	return nil
}

// statementID returns the statement's id in lower case, a new one if it has none, or the PUT
// statementId, which must agree with an id in the body.
func statementID(st map[string]any, putID string) (string, error) {
	id, _ := st["id"].(string)
	id = strings.ToLower(id)
	if putID == "" {
		if id == "" {
			id = uuid.NewString()
		}
		return id, nil
	}
	putID = strings.ToLower(putID)
	if id != "" && id != putID {
		return "", fmt.Errorf("%w: the statementId parameter %s differs from the statement's id %s", ErrBadRequest, putID, id)
	}
	return putID, nil
}

// writeOnce checks the batch against the store, inserts what is new, and returns every
// statement of the request as stored.
func (s *Service) writeOnce(ctx context.Context, req WriteRequest, ids []string) ([]StoredStatement, error) {
	known, err := s.knownStatements(ctx, req.Statements, ids)
	if err != nil {
		return nil, err
	}
	stored, done := s.beginWrite()
	defer done()
	b := batch{known: known, version: req.Version, authority: req.Authority, stored: stored}
	out := make([]StoredStatement, len(ids))
	for i, st := range req.Statements {
		if out[i], err = b.add(ids[i], st); err != nil {
			return nil, err
		}
	}
	if err := b.checkVoids(); err != nil {
		return nil, err
	}
	if len(b.recs) == 0 {
		return out, nil
	}
	b.inheritKeys()
	err = s.store.InsertStatements(ctx, b.recs)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, errRaced
	case err != nil:
		return nil, fmt.Errorf("store statements: %w", err)
	}
	return out, nil
}

// knownStatements loads the stored statements the batch refers to: its own ids (for conflict
// checks) and the chains of StatementRef targets (for voiding and query keys), a level per call.
func (s *Service) knownStatements(ctx context.Context, sts []map[string]any, ids []string) (map[string]known, error) {
	want := append([]string(nil), ids...)
	for _, st := range sts {
		if ref := refTarget(st); ref != "" {
			want = append(want, ref)
		}
	}
	found := make(map[string]known, len(want))
	for depth := 0; len(want) > 0 && depth < maxRefDepth; depth++ {
		recs, err := s.store.Statements(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("load statements: %w", err)
		}
		want = want[:0]
		for _, r := range recs {
			k, err := newKnown(r)
			if err != nil {
				return nil, err
			}
			found[r.ID] = k
			if _, seen := found[k.ref]; k.ref != "" && !seen {
				want = append(want, k.ref)
			}
		}
	}
	return found, nil
}

// maxRefDepth bounds how far a chain of StatementRefs is followed for query keys.
const maxRefDepth = 8

// known is a stored statement the batch refers to, decoded.
type known struct {
	rec  StatementRecord
	st   map[string]any
	keys []Key  // its own keys, derived again: stores do not return them
	ref  string // its StatementRef target, if any
}

func newKnown(r StatementRecord) (known, error) {
	st, err := decodeStatement(r.Statement)
	if err != nil {
		return known{}, fmt.Errorf("decode stored statement %s: %w", r.ID, err)
	}
	return known{rec: r, st: st, keys: Keys(st), ref: refTarget(st)}, nil
}

// refTarget returns the lower-case id a statement's StatementRef object points to, or "".
func refTarget(st map[string]any) string {
	obj := mapOf(st["object"])
	if objectType(obj) != "StatementRef" {
		return ""
	}
	id, _ := obj["id"].(string)
	return strings.ToLower(id)
}

// batch builds the records of one write.
type batch struct {
	known     map[string]known
	version   string
	authority map[string]any
	stored    time.Time

	recs  []StatementRecord
	index map[string]int // id -> position in recs
	refs  []string       // StatementRef target of each record, or ""
}

// add turns one statement into a record, unless an equivalent one is already stored, and
// returns the statement as stored.
func (b *batch) add(id string, st map[string]any) (StoredStatement, error) {
	if prev, ok := b.known[id]; ok {
		if !Equivalent(prev.st, st) {
			return StoredStatement{}, fmt.Errorf("%w: statement %s is already stored with different content", ErrConflict, id)
		}
		return StoredStatement{ID: id, Stored: prev.rec.Stored, Statement: prev.st}, nil
	}
	// A copy (complete copies what it changes below the top): the request's statement must stay
	// as sent in case the write is retried.
	st = copyWithout(st)
	complete(st, id, b.stored, b.authority, b.version)
	body, err := json.Marshal(st)
	if err != nil {
		return StoredStatement{}, fmt.Errorf("encode statement %s: %w", id, err)
	}
	rec := StatementRecord{ID: id, Stored: b.stored, Statement: body, Keys: Keys(st)}
	if mapOf(st["verb"])["id"] == VerbVoided {
		rec.Voids = refTarget(st)
	}
	if b.index == nil {
		b.index = make(map[string]int)
	}
	b.index[id] = len(b.recs)
	b.recs = append(b.recs, rec)
	b.refs = append(b.refs, refTarget(st))
	return StoredStatement{ID: id, Stored: b.stored, Statement: st, New: true}, nil
}

// checkVoids refuses to void a voiding statement (Data 2.3.2: a voiding statement cannot itself be
// voided), whether the target is stored or in the same batch.
func (b *batch) checkVoids() error {
	for _, rec := range b.recs {
		if rec.Voids == "" {
			continue
		}
		voids := b.known[rec.Voids].rec.Voids
		if i, inBatch := b.index[rec.Voids]; inBatch {
			voids = b.recs[i].Voids
		}
		if voids != "" {
			return fmt.Errorf("%w: statement %s voids %s, which is itself a voiding statement and cannot be voided", ErrBadRequest, rec.ID, rec.Voids)
		}
	}
	return nil
}

// inheritKeys lets a statement that targets another one (StatementRef) match every non-time
// filter its target matches, recursively (Communication 2.1.3, filter conditions for
// StatementRefs). Authority is not inherited: read/mine is about who sent the statement itself.
func (b *batch) inheritKeys() {
	for i := range b.recs {
		seen := map[string]bool{b.recs[i].ID: true}
		ks := keySet{}
		for _, k := range b.recs[i].Keys {
			ks.add(k.Kind, k.Value)
		}
		for target := b.refs[i]; target != "" && !seen[target]; {
			seen[target] = true
			keys, next := b.targetKeys(target)
			for _, k := range keys {
				if k.Kind != KeyAuthority {
					ks.add(k.Kind, k.Value)
				}
			}
			target = next
		}
		b.recs[i].Keys = ks.keys
	}
}

// targetKeys returns the own keys of a referenced statement, in this batch or stored, and its
// own target.
func (b *batch) targetKeys(id string) ([]Key, string) {
	if i, ok := b.index[id]; ok {
		return b.recs[i].Keys, b.refs[i]
	}
	k := b.known[id]
	return k.keys, k.ref
}

// complete sets what the LRS assigns (Data 2.4): id, stored, timestamp when absent, authority,
// version when absent; and wraps single context activities in arrays (1.0.x clients send them).
func complete(st map[string]any, id string, stored time.Time, authority map[string]any, version string) {
	st["id"] = id
	st["stored"] = FormatTime(stored)
	if ts, ok := st["timestamp"].(string); ok {
		st["timestamp"] = normaliseTimestamp(ts, version)
	} else {
		st["timestamp"] = st["stored"]
	}
	if authority != nil {
		st["authority"] = authority
	}
	if _, ok := st["version"]; !ok {
		st["version"] = statementVersion(version)
	}
	wrapContextActivities(st)
	if obj := mapOf(st["object"]); objectType(obj) == "SubStatement" {
		obj = copyWithout(obj)
		wrapContextActivities(obj)
		st["object"] = obj
	}
}

// statementVersion is the statement "version" the LRS sets: 1.0.0 for every 1.0.x request.
func statementVersion(requestVersion string) string {
	if requestVersion == Version200 {
		return Version200
	}
	return "1.0.0"
}

// wrapContextActivities replaces st's context with a copy whose context activities are all arrays.
// It copies rather than changes the maps it was given: they are the request's.
func wrapContextActivities(st map[string]any) {
	ctx := mapOf(st["context"])
	cas := mapOf(ctx["contextActivities"])
	if cas == nil {
		return
	}
	wrapped := make(map[string]any, len(cas))
	for kind, v := range cas {
		wrapped[kind] = activityList(v)
	}
	ctx = copyWithout(ctx)
	ctx["contextActivities"] = wrapped
	st["context"] = ctx
}

// timeFormat is how the LRS writes times: UTC, milliseconds (Data 4.5: at least ms precision).
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime writes a time the way the LRS writes stored times: UTC, with milliseconds; a time
// between two milliseconds is written as the earlier one.
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// normaliseTimestamp returns a valid timestamp in UTC with at least millisecond digits, which
// the spec recommends and clients parse most reliably; finer precision is kept.
func normaliseTimestamp(ts, version string) string {
	t, err := validate.Timestamp(ts, version)
	if err != nil {
		return ts
	}
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return t.Format(timeFormat)
	}
	return t.Format(time.RFC3339Nano)
}

func decodeStatement(b []byte) (map[string]any, error) {
	v, err := DecodeJSON(b)
	if err != nil {
		return nil, err
	}
	st, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return st, nil
}
