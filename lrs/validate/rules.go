package validate

import (
	"encoding/json"
	"fmt"
)

// The rules a schema cannot express. They assume nothing about types: a value of the wrong type
// is skipped here, since the schema half has already reported it.

const (
	ruleIRI        = "must be an absolute IRI"
	ruleIRL        = "must be an absolute IRL"
	ruleUUID       = "must be a UUID (8-4-4-4-12 hexadecimal digits)"
	ruleMbox       = "must be a mailto: IRI with an email address"
	ruleSHA1       = "must be a SHA-1 sum in 40 hexadecimal digits"
	ruleLangTag    = "must be an RFC 5646 language tag"
	ruleLangKey    = "key must be an RFC 5646 language tag"
	ruleExtKey     = "extension key must be an absolute IRI"
	ruleOneIFI     = "exactly one inverse functional identifier is required (mbox, mbox_sha1sum, openid or account)"
	ruleAnonGroup  = "an anonymous Group must list its members"
	ruleIdentified = "must be an Agent or an identified Group"
	ruleDuration   = "must be an ISO 8601 duration, e.g. PT1H30M"
	ruleOnlyV2     = "unknown property in xAPI 1.0.3 (added in 2.0.0)"
	ruleActivityOb = "is only allowed when the statement's object is an Activity"
	ruleNeedsType  = "is required when correctResponsesPattern or interaction components are given"
	ruleDuplicate  = "duplicates the id of another component in the list"
	ruleAuthGroup  = "an authority Group must be anonymous, for OAuth"
	ruleAuthTwo    = "an authority Group must have exactly two Agents (OAuth consumer and user)"
	ruleNumber     = "must be a number within the range of a 64-bit float, in at most 100 characters"
	ruleVersion1   = `must be "1.0" or start with "1.0."`
	ruleVersion2   = `must be "1.0" or "2.0", or start with "1.0." or "2.0."`
)

// statement checks a statement, or a sub-statement when sub is set (the schema has already
// refused the properties a sub-statement must not have).
func (c *checker) statement(at *loc, st map[string]any, sub bool) {
	if !sub {
		c.topLevel(at, st)
	}
	if a, ok := st["actor"].(map[string]any); ok {
		f := at.field("actor")
		c.actor(&f, a, false)
	}
	if v, ok := st["verb"].(map[string]any); ok {
		f := at.field("verb")
		c.format(&f, v, "id", IsIRI, ruleIRI)
		c.langMap(&f, v, "display")
	}
	objectType := ""
	if o, ok := st["object"].(map[string]any); ok {
		f := at.field("object")
		objectType = c.object(&f, o, sub)
	}
	if r, ok := st["result"].(map[string]any); ok {
		f := at.field("result")
		c.result(&f, r)
	}
	if ctx, ok := st["context"].(map[string]any); ok {
		f := at.field("context")
		c.context(&f, ctx, objectType)
	}
	c.timestamp(at, st, "timestamp")
	c.attachments(at, st)
}

// topLevel checks the properties only a statement, not a sub-statement, has.
func (c *checker) topLevel(at *loc, st map[string]any) {
	c.format(at, st, "id", IsUUID, ruleUUID)
	c.timestamp(at, st, "stored")
	c.version(at, st)
	if a, ok := st["authority"].(map[string]any); ok {
		f := at.field("authority")
		c.authority(&f, a)
	}
}

// format reports m[key] when it is a string that ok refuses.
func (c *checker) format(at *loc, m map[string]any, key string, ok func(string) bool, rule string) {
	if s, isString := m[key].(string); isString && !ok(s) {
		f := at.field(key)
		c.report(&f, rule)
	}
}

func (c *checker) timestamp(at *loc, m map[string]any, key string) {
	s, ok := m[key].(string)
	if !ok {
		return
	}
	if _, err := parseTimestamp(s, c.v2); err != nil {
		f := at.field(key)
		c.report(&f, err.Error())
	}
}

func (c *checker) version(at *loc, st map[string]any) {
	rule := ruleVersion1
	if c.v2 {
		rule = ruleVersion2
	}
	if s, ok := st["version"].(string); ok && !isStatementVersion(s, c.v2) {
		f := at.field("version")
		c.report(&f, rule)
	}
}

// langMap checks the keys of the language map m[key]; the schema checks its values.
func (c *checker) langMap(at *loc, m map[string]any, key string) {
	lm, ok := m[key].(map[string]any)
	if !ok {
		return
	}
	f := at.field(key)
	for tag := range lm {
		if !isLanguageTag(tag) {
			k := f.field(tag)
			c.report(&k, ruleLangKey)
		}
	}
}

// extensions checks the keys of the extensions map m["extensions"]. Values may be anything.
func (c *checker) extensions(at *loc, m map[string]any) {
	ext, ok := m["extensions"].(map[string]any)
	if !ok {
		return
	}
	f := at.field("extensions")
	for key := range ext {
		if !IsIRI(key) {
			k := f.field(key)
			c.report(&k, ruleExtKey)
		}
	}
}

// actor checks an Agent or Group wherever one may stand. With identified set, as for a query
// parameter, an anonymous Group is refused.
func (c *checker) actor(at *loc, m map[string]any, identified bool) {
	switch m["objectType"] {
	case nil, "Agent":
		c.agent(at, m)
	case "Group":
		if !c.group(at, m) && identified {
			c.report(at, ruleIdentified)
		}
	}
}

// agent checks an Agent: exactly one inverse functional identifier, well formed.
func (c *checker) agent(at *loc, m map[string]any) {
	if c.ifis(at, m) != 1 {
		c.report(at, ruleOneIFI)
	}
}

// group checks a Group and reports whether it is identified. An identified Group has exactly one
// inverse functional identifier; an anonymous one must list its members. Members are Agents
// (the schema refuses Groups there).
func (c *checker) group(at *loc, m map[string]any) (identified bool) {
	n := c.ifis(at, m)
	members, _ := m["member"].([]any)
	switch {
	case n > 1:
		c.report(at, ruleOneIFI)
	case n == 0 && len(members) == 0:
		f := at.field("member")
		c.report(&f, ruleAnonGroup)
	}
	c.members(at, members)
	return n > 0
}

func (c *checker) members(at *loc, members []any) {
	f := at.field("member")
	for i, v := range members {
		if m, ok := v.(map[string]any); ok {
			it := f.item(i)
			c.agent(&it, m)
		}
	}
}

// ifis checks the format of each inverse functional identifier present and returns how many are.
func (c *checker) ifis(at *loc, m map[string]any) int {
	n := 0
	for _, key := range [...]string{"mbox", "mbox_sha1sum", "openid", "account"} {
		if m[key] != nil {
			n++
		}
	}
	c.format(at, m, "mbox", isMbox, ruleMbox)
	c.format(at, m, "mbox_sha1sum", isSHA1Hex, ruleSHA1)
	c.format(at, m, "openid", IsIRI, ruleIRI)
	if acc, ok := m["account"].(map[string]any); ok {
		f := at.field("account")
		c.format(&f, acc, "homePage", isIRL, ruleIRL)
	}
	return n
}

// authority checks a statement's authority: an Agent, or for three-legged OAuth an anonymous
// Group of exactly two Agents (Data 2.4.9).
func (c *checker) authority(at *loc, m map[string]any) {
	if m["objectType"] != "Group" {
		c.actor(at, m, false)
		return
	}
	if c.ifis(at, m) > 0 {
		c.report(at, ruleAuthGroup)
	}
	members, _ := m["member"].([]any)
	if len(members) != 2 {
		f := at.field("member")
		c.report(&f, ruleAuthTwo)
	}
	c.members(at, members)
}

// object checks a statement's object by its objectType and returns that type ("Activity" when
// absent), or "" when the schema has refused it.
func (c *checker) object(at *loc, o map[string]any, sub bool) string {
	objectType := o["objectType"]
	if objectType == nil {
		objectType = "Activity"
	}
	switch objectType {
	case "Activity":
		c.activity(at, o)
	case "Agent", "Group":
		c.actor(at, o, false)
	case "StatementRef":
		c.format(at, o, "id", IsUUID, ruleUUID)
	case "SubStatement":
		if sub {
			return "" // sub-statements do not nest
		}
		c.statement(at, o, true)
	default:
		return ""
	}
	return objectType.(string)
}

func (c *checker) activity(at *loc, a map[string]any) {
	c.format(at, a, "id", IsIRI, ruleIRI)
	if d, ok := a["definition"].(map[string]any); ok {
		f := at.field("definition")
		c.definition(&f, d)
	}
}

func (c *checker) definition(at *loc, d map[string]any) {
	c.langMap(at, d, "name")
	c.langMap(at, d, "description")
	c.format(at, d, "type", IsIRI, ruleIRI)
	c.format(at, d, "moreInfo", isIRL, ruleIRL)
	c.extensions(at, d)
	c.interaction(at, d)
}

// componentList names an interaction component list and the interaction types that use it.
type componentList struct {
	name  string
	types [2]string
}

func (l componentList) usedBy(interactionType string) bool {
	return interactionType == l.types[0] || interactionType == l.types[1]
}

// componentLists follows the interaction components table of Data 2.4.4.1.
var componentLists = [...]componentList{
	{"choices", [2]string{"choice", "sequencing"}},
	{"scale", [2]string{"likert"}},
	{"source", [2]string{"matching"}},
	{"target", [2]string{"matching"}},
	{"steps", [2]string{"performance"}},
}

// interaction checks the interaction properties of an activity definition: component lists only
// for the interaction types that use them, and an interactionType whenever interaction
// properties appear.
func (c *checker) interaction(at *loc, d map[string]any) {
	interactionType, typed := d["interactionType"].(string)
	_, interactive := d["correctResponsesPattern"]
	for _, list := range componentLists {
		v, ok := d[list.name]
		if !ok {
			continue
		}
		interactive = true
		f := at.field(list.name)
		if typed && isInteractionType(interactionType) && !list.usedBy(interactionType) {
			c.report(&f, fmt.Sprintf("is not allowed for interactionType %q", interactionType))
		}
		if components, ok := v.([]any); ok {
			c.components(&f, components)
		}
	}
	if _, present := d["interactionType"]; interactive && !present {
		f := at.field("interactionType")
		c.report(&f, ruleNeedsType)
	}
}

// isInteractionType reports whether s is in the interactionType vocabulary (the schema reports
// any other value).
func isInteractionType(s string) bool {
	switch s {
	case "true-false", "choice", "fill-in", "long-fill-in", "matching",
		"performance", "sequencing", "likert", "numeric", "other":
		return true
	}
	return false
}

// components checks an interaction component list: ids distinct (the schema requires them
// non-empty), descriptions language maps.
func (c *checker) components(at *loc, list []any) {
	seen := make(map[string]struct{}, len(list))
	for i, v := range list {
		comp, ok := v.(map[string]any)
		if !ok {
			continue
		}
		it := at.item(i)
		c.langMap(&it, comp, "description")
		id, ok := comp["id"].(string)
		if !ok {
			continue
		}
		if _, dup := seen[id]; dup {
			f := it.field("id")
			c.report(&f, ruleDuplicate)
		}
		seen[id] = struct{}{}
	}
}

func (c *checker) result(at *loc, r map[string]any) {
	if s, ok := r["score"].(map[string]any); ok {
		f := at.field("score")
		c.score(&f, s)
	}
	c.format(at, r, "duration", isDuration, ruleDuration)
	c.extensions(at, r)
}

// score checks that min does not exceed max and that raw lies between them (the schema bounds
// scaled).
func (c *checker) score(at *loc, s map[string]any) {
	lo, hasMin := decimal(s["min"])
	hi, hasMax := decimal(s["max"])
	raw, hasRaw := decimal(s["raw"])
	if hasMin && hasMax && lo > hi {
		f := at.field("min")
		c.report(&f, "must not be greater than max")
	}
	if hasRaw && hasMin && raw < lo {
		f := at.field("raw")
		c.report(&f, "must not be less than min")
	}
	if hasRaw && hasMax && raw > hi {
		f := at.field("raw")
		c.report(&f, "must not be greater than max")
	}
}

// decimal returns the value of a JSON number.
func decimal(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// context checks a statement's context; objectType is that of the statement's object.
func (c *checker) context(at *loc, ctx map[string]any, objectType string) {
	c.format(at, ctx, "registration", IsUUID, ruleUUID)
	c.format(at, ctx, "language", isLanguageTag, ruleLangTag)
	if m, ok := ctx["instructor"].(map[string]any); ok {
		f := at.field("instructor")
		c.actor(&f, m, false)
	}
	if m, ok := ctx["team"].(map[string]any); ok {
		f := at.field("team")
		c.actor(&f, m, false)
	}
	if m, ok := ctx["contextActivities"].(map[string]any); ok {
		f := at.field("contextActivities")
		c.contextActivities(&f, m)
	}
	c.activityOnly(at, ctx, objectType)
	if m, ok := ctx["statement"].(map[string]any); ok {
		f := at.field("statement")
		c.format(&f, m, "id", IsUUID, ruleUUID)
	}
	c.extensions(at, ctx)
	c.contextAgents(at, ctx, "contextAgents", "agent")
	c.contextAgents(at, ctx, "contextGroups", "group")
}

// activityOnly refuses revision and platform in a context whose statement's object is not an
// Activity (Data 2.4.6.s4). An objectType the schema refused ("") is given the benefit of doubt.
func (c *checker) activityOnly(at *loc, ctx map[string]any, objectType string) {
	if objectType == "Activity" || objectType == "" {
		return
	}
	for _, key := range [...]string{"revision", "platform"} {
		if _, ok := ctx[key]; ok {
			f := at.field(key)
			c.report(&f, ruleActivityOb)
		}
	}
}

// contextActivities checks each activity of each kind, given as an array or a single Activity.
func (c *checker) contextActivities(at *loc, m map[string]any) {
	for _, kind := range [...]string{"parent", "grouping", "category", "other"} {
		f := at.field(kind)
		switch v := m[kind].(type) {
		case map[string]any:
			c.activity(&f, v)
		case []any:
			for i, a := range v {
				if a, ok := a.(map[string]any); ok {
					it := f.item(i)
					c.activity(&it, a)
				}
			}
		}
	}
}

// contextAgents checks the 2.0.0 list ctx[key] of context agents or groups, whose Agent or Group
// is under member. Under 1.0.x the list is not allowed at all.
func (c *checker) contextAgents(at *loc, ctx map[string]any, key, member string) {
	v, present := ctx[key]
	if !present {
		return
	}
	f := at.field(key)
	if !c.v2 {
		c.report(&f, ruleOnlyV2)
		return
	}
	list, _ := v.([]any)
	for i, e := range list {
		e, ok := e.(map[string]any)
		if !ok {
			continue
		}
		it := f.item(i)
		if m, ok := e[member].(map[string]any); ok {
			mf := it.field(member)
			c.actor(&mf, m, false)
		}
		types, _ := e["relevantTypes"].([]any)
		tf := it.field("relevantTypes")
		for j, t := range types {
			if s, ok := t.(string); ok && !IsIRI(s) {
				jf := tf.item(j)
				c.report(&jf, ruleIRI)
			}
		}
	}
}

func (c *checker) attachments(at *loc, st map[string]any) {
	list, _ := st["attachments"].([]any)
	f := at.field("attachments")
	for i, v := range list {
		a, ok := v.(map[string]any)
		if !ok {
			continue
		}
		it := f.item(i)
		c.format(&it, a, "usageType", IsIRI, ruleIRI)
		c.langMap(&it, a, "display")
		c.langMap(&it, a, "description")
		c.format(&it, a, "fileUrl", isIRL, ruleIRL)
	}
}
