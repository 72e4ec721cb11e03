package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// cursorParam carries the position of the next page in "more" links.
const cursorParam = "cursor"

// getParams are the parameters GET statements recognises.
var getParams = []string{
	"statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
	"related_activities", "related_agents", "since", "until", "limit", "format", "attachments",
	"ascending", cursorParam,
}

// singleParams may accompany statementId or voidedStatementId.
var singleParams = []string{"statementId", "voidedStatementId", "format", "attachments"}

// onlyParams fails the request if it has a parameter not in allowed, or one given twice: the LRS
// rejects parameters it does not recognise (Communication 1.3).
func (a *API) onlyParams(c *gin.Context, allowed ...string) bool {
	for name, vals := range c.Request.URL.Query() {
		if !slices.Contains(allowed, name) {
			a.fail(c, fmt.Errorf("%w: unknown parameter %q", lrs.ErrBadRequest, name))
			return false
		}
		if len(vals) > 1 {
			a.fail(c, fmt.Errorf("%w: parameter %q is given more than once", lrs.ErrBadRequest, name))
			return false
		}
	}
	return true
}

// parseQuery validates the GET statements parameters to the standards of the statement fields
// they stand for (Data 2.2) and returns the query and the attachments flag.
func parseQuery(v url.Values, version string) (lrs.Query, bool, error) {
	q := lrs.Query{
		StatementID:       v.Get("statementId"),
		VoidedStatementID: v.Get("voidedStatementId"),
		Verb:              v.Get("verb"),
		Activity:          v.Get("activity"),
		Registration:      v.Get("registration"),
		Cursor:            v.Get(cursorParam),
		Format:            v.Get("format"),
	}
	p := parser{values: v}
	q.RelatedActivities = p.boolean("related_activities")
	q.RelatedAgents = p.boolean("related_agents")
	q.Ascending = p.boolean("ascending")
	attachments := p.boolean("attachments")
	q.Limit = p.limit()
	q.Since = p.timestamp("since", version)
	q.Until = p.timestamp("until", version)
	q.Agent = p.agent(version)
	p.check(q.StatementID == "" || validate.IsUUID(q.StatementID), "statementId must be a UUID")
	p.check(q.VoidedStatementID == "" || validate.IsUUID(q.VoidedStatementID), "voidedStatementId must be a UUID")
	p.check(q.Registration == "" || validate.IsUUID(q.Registration), "registration must be a UUID")
	p.check(q.Verb == "" || validate.IsIRI(q.Verb), "verb must be an IRI")
	p.check(q.Activity == "" || validate.IsIRI(q.Activity), "activity must be an IRI")
	p.check(slices.Contains([]string{"", lrs.FormatExact, lrs.FormatIDs, lrs.FormatCanonical}, q.Format),
		"format must be exact, ids or canonical")
	if q.StatementID != "" || q.VoidedStatementID != "" {
		p.check(q.StatementID == "" || q.VoidedStatementID == "", "give statementId or voidedStatementId, not both")
		for name := range v {
			p.check(slices.Contains(singleParams, name),
				"parameter "+name+" cannot be combined with statementId or voidedStatementId")
		}
	}
	return q, attachments, p.err
}

// parser collects the first problem with the parameters.
type parser struct {
	values url.Values
	err    error
}

func (p *parser) check(ok bool, rule string) {
	if !ok && p.err == nil {
		p.err = fmt.Errorf("%w: %s", lrs.ErrBadRequest, rule)
	}
}

func (p *parser) boolean(name string) bool {
	s := p.values.Get(name)
	p.check(s == "" || s == "true" || s == "false", name+" must be true or false")
	return s == "true"
}

func (p *parser) limit() int {
	s := p.values.Get("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	p.check(err == nil && n >= 0, "limit must be a non-negative integer")
	return n
}

func (p *parser) timestamp(name, version string) (t time.Time) {
	s := p.values.Get(name)
	if s == "" {
		return t
	}
	t, err := validate.Timestamp(s, version)
	if err != nil {
		p.check(false, fmt.Sprintf("%s must be a timestamp: %v", name, err))
	}
	return t
}

func (p *parser) agent(version string) map[string]any {
	s := p.values.Get("agent")
	if s == "" {
		return nil
	}
	a, err := lrs.DecodeJSON([]byte(s))
	if err != nil {
		p.check(false, "agent must be a JSON Agent or Group object: "+err.Error())
		return nil
	}
	if err := validate.Agent(a, version); err != nil {
		p.check(false, "agent is invalid: "+err.Error())
		return nil
	}
	m, _ := a.(map[string]any)
	return m
}
