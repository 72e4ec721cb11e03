package lrs

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yrkesresan/lrs/lrs/validate"
)

// Equivalent reports whether two statements are the same statement under the xAPI comparison
// rules (Data 2.3.1): differences the LRS itself could have caused are ignored (id, stored,
// authority, version, a timestamp the LRS filled in, timestamp serialisation, member order,
// e-mail domain case, verb display and activity definitions, which are not part of the statement),
// and durations are compared to 0.01 s. Everything else must match.
func Equivalent(a, b map[string]any) bool {
	na, nb := comparable(a), comparable(b)
	ta, okA := a["timestamp"].(string)
	tb, okB := b["timestamp"].(string)
	if okA && okB && !sameInstant(ta, tb) {
		return false
	}
	return deepEqual(na, nb)
}

// comparable returns a copy of st with everything the comparison ignores removed or normalised.
// Attachments are not part of the statement for comparison (Data 2.3.1).
func comparable(st map[string]any) map[string]any {
	out := copyWithout(st, "id", "stored", "authority", "version", "timestamp", "attachments")
	normaliseParts(out)
	return out
}

func normaliseParts(st map[string]any) {
	delete(st, "attachments")
	if verb := mapOf(st["verb"]); verb != nil {
		st["verb"] = copyWithout(verb, "display")
	}
	st["actor"] = normaliseAgent(st["actor"])
	st["object"] = normaliseObject(st["object"])
	if ctx := mapOf(st["context"]); ctx != nil {
		st["context"] = normaliseContext(ctx)
	}
	if res := mapOf(st["result"]); res != nil {
		if d, ok := res["duration"].(string); ok {
			res = copyWithout(res)
			res["duration"] = truncateDuration(d)
			st["result"] = res
		}
	}
}

func normaliseObject(obj any) any {
	o := mapOf(obj)
	switch objectType(o) {
	case "Agent", "Group":
		return normaliseAgent(o)
	case "SubStatement":
		sub := copyWithout(o)
		normaliseParts(sub)
		return sub
	case "StatementRef":
		return normaliseRef(o)
	}
	act := copyWithout(o, "definition")
	act["objectType"] = "Activity"
	return act
}

// normaliseRef lower-cases the id of a StatementRef: UUIDs are case-insensitive.
func normaliseRef(ref map[string]any) map[string]any {
	r := copyWithout(ref)
	if id, ok := r["id"].(string); ok {
		r["id"] = strings.ToLower(id)
	}
	return r
}

func normaliseContext(ctx map[string]any) map[string]any {
	c := copyWithout(ctx)
	if reg, ok := c["registration"].(string); ok {
		c["registration"] = strings.ToLower(reg)
	}
	for _, role := range []string{"instructor", "team"} {
		if a, ok := c[role]; ok {
			c[role] = normaliseAgent(a)
		}
	}
	if ref := mapOf(c["statement"]); ref != nil {
		c["statement"] = normaliseRef(ref)
	}
	for _, list := range []struct{ key, agent string }{{"contextAgents", "agent"}, {"contextGroups", "group"}} {
		var norm []any
		for _, el := range listOf(c[list.key]) {
			m := copyWithout(mapOf(el))
			m[list.agent] = normaliseAgent(m[list.agent])
			norm = append(norm, m)
		}
		if norm != nil {
			c[list.key] = norm
		}
	}
	if cas := mapOf(c["contextActivities"]); cas != nil {
		norm := make(map[string]any, len(cas))
		for kind, list := range cas {
			var acts []any
			for _, a := range activityList(list) {
				acts = append(acts, normaliseObject(a))
			}
			norm[kind] = acts
		}
		c["contextActivities"] = norm
	}
	return c
}

// normaliseAgent lower-cases mbox domains and SHA-1 sums, and sorts group members, whose order
// is not significant.
func normaliseAgent(agent any) any {
	a := mapOf(agent)
	if a == nil {
		return agent
	}
	n := copyWithout(a)
	if mbox, ok := n["mbox"].(string); ok {
		n["mbox"] = canonicalMbox(mbox)
	}
	if sum, ok := n["mbox_sha1sum"].(string); ok {
		n["mbox_sha1sum"] = strings.ToLower(sum)
	}
	if members, ok := n["member"].([]any); ok {
		sorted := make([]any, len(members))
		keys := make([]string, len(members))
		for i, m := range members {
			sorted[i] = normaliseAgent(m)
			b, _ := json.Marshal(sorted[i])
			keys[i] = string(b)
		}
		idx := make([]int, len(members))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(x, y int) int { return strings.Compare(keys[x], keys[y]) })
		out := make([]any, len(members))
		for i, j := range idx {
			out[i] = sorted[j]
		}
		n["member"] = out
	}
	return n
}

// truncateDuration drops fractional seconds beyond two digits ("PT1.2345S" -> "PT1.23S").
func truncateDuration(d string) string {
	dot := strings.IndexByte(d, '.')
	if dot < 0 {
		return d
	}
	end := dot + 1
	for end < len(d) && d[end] >= '0' && d[end] <= '9' {
		end++
	}
	if end-dot-1 <= 2 {
		return d
	}
	return d[:dot+3] + d[end:]
}

// sameInstant compares two timestamps to the millisecond, the precision an LRS must keep.
func sameInstant(a, b string) bool {
	ta, errA := validate.Timestamp(a, Version103)
	tb, errB := validate.Timestamp(b, Version103)
	if errA != nil || errB != nil {
		return a == b
	}
	return ta.Truncate(time.Millisecond).Equal(tb.Truncate(time.Millisecond))
}

// copyWithout returns a shallow copy of m without the named keys.
func copyWithout(m map[string]any, drop ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !slices.Contains(drop, k) {
			out[k] = v
		}
	}
	return out
}

// deepEqual compares decoded JSON; numbers compare by value, so 1.0 equals 1.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, present := y[k]
			if !present || !deepEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		return ok && sameNumber(x, y)
	default:
		return a == b
	}
}

func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	fa, errA := strconv.ParseFloat(string(a), 64)
	fb, errB := strconv.ParseFloat(string(b), 64)
	return errA == nil && errB == nil && fa == fb
}
