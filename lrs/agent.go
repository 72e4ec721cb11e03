package lrs

import (
	"encoding/json"
	"strings"
)

// AgentKey returns the canonical inverse functional identifier of an Agent or identified Group
// (decoded JSON), the value agent keys are stored and matched by: names and other properties do
// not matter (xAPI 1.0.3 part 3 2.1.3, "agent" parameter). ok is false for anonymous groups and
// anything without an identifier.
func AgentKey(agent any) (key string, ok bool) {
	a, isMap := agent.(map[string]any)
	if !isMap {
		return "", false
	}
	if v, isStr := a["mbox"].(string); isStr {
		return "mbox:" + canonicalMbox(v), true
	}
	if v, isStr := a["mbox_sha1sum"].(string); isStr {
		return "mbox_sha1sum:" + strings.ToLower(v), true
	}
	if v, isStr := a["openid"].(string); isStr {
		return "openid:" + v, true
	}
	if acc, isMap := a["account"].(map[string]any); isMap {
		home, _ := acc["homePage"].(string)
		name, _ := acc["name"].(string)
		// JSON keeps the two parts unambiguous whatever characters they hold.
		pair, _ := json.Marshal([2]string{home, name})
		return "account:" + string(pair), true
	}
	return "", false
}

// canonicalMbox lower-cases the domain of a mailto IRI: e-mail domains are case-insensitive
// (xAPI 2.3.1, case sensitivity exception), local parts are not.
func canonicalMbox(mbox string) string {
	at := strings.LastIndexByte(mbox, '@')
	if at < 0 {
		return mbox
	}
	return mbox[:at] + strings.ToLower(mbox[at:])
}

// agentKeys returns the keys of an actor-like object: the agent or identified group itself and,
// for groups, each member.
func agentKeys(agent any) []string {
	var keys []string
	if k, ok := AgentKey(agent); ok {
		keys = append(keys, k)
	}
	a, _ := agent.(map[string]any)
	members, _ := a["member"].([]any)
	for _, m := range members {
		if k, ok := AgentKey(m); ok {
			keys = append(keys, k)
		}
	}
	return keys
}
