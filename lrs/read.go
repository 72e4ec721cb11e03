package lrs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Query is a GET of the statements resource (xAPI Communication 2.1.3), parameters parsed.
type Query struct {
	StatementID       string // single statement; excludes the filter parameters
	VoidedStatementID string
	Agent             map[string]any // validated Agent or identified Group
	Verb              string
	Activity          string
	Registration      string
	RelatedActivities bool
	RelatedAgents     bool
	Since, Until      time.Time
	Limit             int // 0: the server maximum
	Ascending         bool
	Cursor            string // from a previous page's More
	Format            string // FormatExact (default), FormatIDs or FormatCanonical
	Languages         []string
	Attachments       bool // the response carries attachment data: fill Result.Attachments
	// Authority restricts results to statements whose authority is this agent key (the
	// statements/read/mine scope). Empty: no restriction.
	Authority string
}

// Result is what a statement GET returns.
type Result struct {
	Statements   []json.RawMessage // in the requested format
	Cursor       string            // non-empty when more statements follow
	LastModified time.Time         // latest stored time among Statements
	Attachments  []AttachmentRef   // with Query.Attachments: the data the statements refer to
}

// GetStatement returns one statement by id: voided false for statementId (a voided statement is
// not found), true for voidedStatementId (only a voided statement is found).
func (s *Service) GetStatement(ctx context.Context, q Query) (Result, error) {
	id, voided := strings.ToLower(q.StatementID), false
	if q.VoidedStatementID != "" {
		id, voided = strings.ToLower(q.VoidedStatementID), true
	}
	recs, err := s.store.Statements(ctx, []string{id})
	if err != nil {
		return Result{}, fmt.Errorf("get statement: %w", err)
	}
	if len(recs) == 0 || recs[0].Voided != voided {
		return Result{}, fmt.Errorf("%w: no statement %s", ErrNotFound, describeVoided(id, voided))
	}
	if q.Authority != "" && !sentBy(recs[0], q.Authority) {
		return Result{}, fmt.Errorf("%w: no statement %s", ErrNotFound, describeVoided(id, voided))
	}
	return render(recs, q)
}

func describeVoided(id string, voided bool) string {
	if voided {
		return "with id " + id + " has been voided"
	}
	return "with id " + id + " (or it has been voided)"
}

// sentBy reports whether the statement's authority is the agent with the key.
func sentBy(rec StatementRecord, authority string) bool {
	st, err := decodeStatement(rec.Statement)
	if err != nil {
		return false
	}
	k, _ := AgentKey(st["authority"])
	return k == authority
}

// QueryStatements returns one page of the statements matching q's filters, voided ones excluded.
func (s *Service) QueryStatements(ctx context.Context, q Query) (Result, error) {
	sq := StatementQuery{
		Since: q.Since, Until: q.Until, Ascending: q.Ascending, Cursor: q.Cursor,
		Limit: q.Limit,
	}
	if sq.Limit <= 0 || sq.Limit > s.maxLimit {
		sq.Limit = s.maxLimit
	}
	keys, err := queryKeys(q)
	if err != nil {
		return Result{}, err
	}
	sq.Keys = keys
	page, err := s.store.QueryStatements(ctx, sq)
	if err != nil {
		return Result{}, fmt.Errorf("query statements: %w", err)
	}
	res, err := render(page.Statements, q)
	res.Cursor = page.Cursor
	return res, err
}

// queryKeys turns the filter parameters into the keys a matching statement must carry.
func queryKeys(q Query) ([]Key, error) {
	var keys []Key
	if q.Agent != nil {
		k, ok := AgentKey(q.Agent)
		if !ok {
			return nil, fmt.Errorf("%w: agent must be an Agent or an identified Group", ErrBadRequest)
		}
		kind := KeyAgent
		if q.RelatedAgents {
			kind = KeyRelatedAgent
		}
		keys = append(keys, Key{kind, k})
	}
	if q.Verb != "" {
		keys = append(keys, Key{KeyVerb, q.Verb})
	}
	if q.Activity != "" {
		kind := KeyActivity
		if q.RelatedActivities {
			kind = KeyRelatedActivity
		}
		keys = append(keys, Key{kind, q.Activity})
	}
	if q.Registration != "" {
		keys = append(keys, Key{KeyRegistration, strings.ToLower(q.Registration)})
	}
	if q.Authority != "" {
		keys = append(keys, Key{KeyAuthority, q.Authority})
	}
	return keys, nil
}

// render returns the records in the requested format. Exact output is the stored bytes.
func render(recs []StatementRecord, q Query) (Result, error) {
	res := Result{Statements: make([]json.RawMessage, 0, len(recs))}
	for _, r := range recs {
		if r.Stored.After(res.LastModified) {
			res.LastModified = r.Stored
		}
		if q.Format == "" || q.Format == FormatExact {
			res.Statements = append(res.Statements, r.Statement)
			continue
		}
		out, err := reformat(r.Statement, q.Format, q.Languages)
		if err != nil {
			return Result{}, fmt.Errorf("format statement %s: %w", r.ID, err)
		}
		res.Statements = append(res.Statements, out)
	}
	if q.Attachments {
		refs, err := attachmentRefs(recs)
		if err != nil {
			return Result{}, err
		}
		res.Attachments = refs
	}
	return res, nil
}

func reformat(body []byte, format string, langs []string) ([]byte, error) {
	st, err := decodeStatement(body)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatIDs:
		formatIDs(st)
	case FormatCanonical:
		formatCanonical(st, langs)
	}
	return json.Marshal(st)
}
