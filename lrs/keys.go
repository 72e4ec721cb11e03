package lrs

import "strings"

// Keys derives what queries match a statement by (decoded, validated JSON). Statements that
// reference another statement also match through their target; the Service adds those keys.
func Keys(st map[string]any) []Key {
	var ks keySet
	ks.agents(st["actor"], true)
	if id, ok := mapOf(st["verb"])["id"].(string); ok {
		ks.add(KeyVerb, id)
	}
	ks.object(st["object"], true)
	ks.context(mapOf(st["context"]))
	for _, k := range agentKeys(st["authority"]) {
		ks.add(KeyRelatedAgent, k)
		ks.add(KeyAuthority, k)
	}
	return ks.keys
}

type keySet struct {
	keys []Key
	seen map[Key]bool
}

func (s *keySet) add(kind KeyKind, value string) {
	k := Key{Kind: kind, Value: value}
	if s.seen == nil {
		s.seen = make(map[Key]bool, 16)
	}
	if !s.seen[k] {
		s.seen[k] = true
		s.keys = append(s.keys, k)
	}
}

// agents adds an actor-like object; direct ones (actor/object of the statement itself) also match
// the plain agent parameter.
func (s *keySet) agents(agent any, direct bool) {
	for _, k := range agentKeys(agent) {
		if direct {
			s.add(KeyAgent, k)
		}
		s.add(KeyRelatedAgent, k)
	}
}

func (s *keySet) object(obj any, direct bool) {
	o := mapOf(obj)
	switch objectType(o) {
	case "Agent", "Group":
		s.agents(o, direct)
	case "SubStatement":
		s.agents(o["actor"], false)
		s.object(o["object"], false)
		s.context(mapOf(o["context"]))
	case "Activity":
		if id, ok := o["id"].(string); ok {
			if direct {
				s.add(KeyActivity, id)
			}
			s.add(KeyRelatedActivity, id)
		}
	}
}

func (s *keySet) context(ctx map[string]any) {
	if ctx == nil {
		return
	}
	if reg, ok := ctx["registration"].(string); ok {
		s.add(KeyRegistration, strings.ToLower(reg))
	}
	s.agents(ctx["instructor"], false)
	s.agents(ctx["team"], false)
	for _, ca := range listOf(ctx["contextAgents"]) {
		s.agents(mapOf(ca)["agent"], false)
	}
	for _, cg := range listOf(ctx["contextGroups"]) {
		s.agents(mapOf(cg)["group"], false)
	}
	for _, list := range mapOf(ctx["contextActivities"]) {
		for _, a := range activityList(list) {
			if id, ok := mapOf(a)["id"].(string); ok {
				s.add(KeyRelatedActivity, id)
			}
		}
	}
}

// objectType returns the statement object's type, defaulting to Activity as xAPI does.
func objectType(o map[string]any) string {
	if t, ok := o["objectType"].(string); ok {
		return t
	}
	return "Activity"
}

// activityList reads a context activities entry in both forms xAPI allows: an array, or a
// single activity object (1.0.x clients send it; the LRS stores it as an array of one).
func activityList(v any) []any {
	if m, ok := v.(map[string]any); ok {
		return []any{m}
	}
	return listOf(v)
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}
