package lrs

import (
	"slices"
	"strconv"
	"strings"
)

// Statement output formats of GET statements (xAPI Communication 2.1.3, "format").
const (
	FormatExact     = "exact"
	FormatIDs       = "ids"
	FormatCanonical = "canonical"
)

// formatIDs reduces agents, groups, activities and verbs to what identifies them. It changes st.
func formatIDs(st map[string]any) {
	st["actor"] = agentIDs(st["actor"])
	st["authority"] = agentIDs(st["authority"])
	if verb := mapOf(st["verb"]); verb != nil {
		st["verb"] = map[string]any{"id": verb["id"]}
	}
	st["object"] = objectIDs(st["object"])
	if ctx := mapOf(st["context"]); ctx != nil {
		contextIDs(ctx)
	}
	dropNil(st, "actor", "authority")
}

func objectIDs(obj any) any {
	o := mapOf(obj)
	switch objectType(o) {
	case "Agent", "Group":
		return agentIDs(o)
	case "SubStatement":
		formatIDs(o)
		return o
	case "StatementRef":
		return o
	}
	// An activity is identified by its id alone; objectType is implied (the ADL suite checks this).
	return map[string]any{"id": o["id"]}
}

func contextIDs(ctx map[string]any) {
	ctx["instructor"] = agentIDs(ctx["instructor"])
	ctx["team"] = agentIDs(ctx["team"])
	dropNil(ctx, "instructor", "team")
	for kind, list := range mapOf(ctx["contextActivities"]) {
		acts := listOf(list)
		for i, a := range acts {
			acts[i] = objectIDs(a)
		}
		mapOf(ctx["contextActivities"])[kind] = acts
	}
	for _, ca := range listOf(ctx["contextAgents"]) {
		m := mapOf(ca)
		m["agent"] = agentIDs(m["agent"])
	}
	for _, cg := range listOf(ctx["contextGroups"]) {
		m := mapOf(cg)
		m["group"] = agentIDs(m["group"])
	}
}

// agentIDs keeps an agent's or identified group's objectType and identifier; anonymous groups keep
// their members, each reduced the same way.
func agentIDs(agent any) any {
	a := mapOf(agent)
	if a == nil {
		return nil
	}
	kind, _ := a["objectType"].(string)
	if kind == "" {
		kind = "Agent"
	}
	out := map[string]any{"objectType": kind}
	for _, ifi := range []string{"mbox", "mbox_sha1sum", "openid", "account"} {
		if v, ok := a[ifi]; ok {
			out[ifi] = v
			return out
		}
	}
	var members []any
	for _, m := range listOf(a["member"]) {
		members = append(members, agentIDs(m))
	}
	out["member"] = members
	return out
}

func dropNil(m map[string]any, keys ...string) {
	for _, k := range keys {
		if m[k] == nil {
			delete(m, k)
		}
	}
}

// formatCanonical keeps one language in every language map of verbs and activity definitions: the
// best match for the Accept-Language preferences. It changes st.
func formatCanonical(st map[string]any, langs []string) {
	if verb := mapOf(st["verb"]); verb != nil {
		pickLanguage(verb, "display", langs)
	}
	canonicalObject(st["object"], langs)
	if ctx := mapOf(st["context"]); ctx != nil {
		for _, list := range mapOf(ctx["contextActivities"]) {
			for _, a := range listOf(list) {
				canonicalObject(a, langs)
			}
		}
	}
}

func canonicalObject(obj any, langs []string) {
	o := mapOf(obj)
	switch objectType(o) {
	case "SubStatement":
		formatCanonical(o, langs)
	case "Activity":
		def := mapOf(o["definition"])
		if def == nil {
			return
		}
		pickLanguage(def, "name", langs)
		pickLanguage(def, "description", langs)
		for _, comp := range []string{"choices", "scale", "source", "target", "steps"} {
			for _, c := range listOf(def[comp]) {
				pickLanguage(mapOf(c), "description", langs)
			}
		}
	}
}

// pickLanguage replaces the language map m[key] with a map of its single best entry.
func pickLanguage(m map[string]any, key string, langs []string) {
	lm := mapOf(m[key])
	if len(lm) <= 1 {
		return
	}
	tags := make([]string, 0, len(lm))
	for tag := range lm {
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	best := bestLanguage(tags, langs)
	m[key] = map[string]any{best: lm[best]}
}

// bestLanguage chooses among available tags: an exact (case-insensitive) match of the first
// preference that has one, then a primary-subtag match, then "und", then the first tag.
func bestLanguage(tags, prefs []string) string {
	for _, p := range prefs {
		if p == "*" {
			return tags[0]
		}
		for _, t := range tags {
			if strings.EqualFold(t, p) {
				return t
			}
		}
		for _, t := range tags {
			if strings.EqualFold(primary(t), primary(p)) {
				return t
			}
		}
	}
	if slices.Contains(tags, "und") {
		return "und"
	}
	return tags[0]
}

func primary(tag string) string {
	p, _, _ := strings.Cut(tag, "-")
	return p
}

// ParseAcceptLanguage returns the language ranges of an Accept-Language header ordered by
// preference (q value, then order given), without those with q=0.
func ParseAcceptLanguage(header string) []string {
	type pref struct {
		tag string
		q   float64
	}
	var prefs []pref
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > 0 {
			prefs = append(prefs, pref{tag, q})
		}
	}
	slices.SortStableFunc(prefs, func(a, b pref) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	out := make([]string, len(prefs))
	for i, p := range prefs {
		out[i] = p.tag
	}
	return out
}
