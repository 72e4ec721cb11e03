package lrs

import (
	"fmt"

	"github.com/yrkesresan/lrs/lrs/validate"
)

// Person is the Agents resource's combined view of an agent (Communication 2.4): each property
// a list, several identifiers allowed.
type Person struct {
	ObjectType  string           `json:"objectType"` // always "Person"
	Name        []string         `json:"name,omitempty"`
	Mbox        []string         `json:"mbox,omitempty"`
	MboxSHA1Sum []string         `json:"mbox_sha1sum,omitempty"`
	OpenID      []string         `json:"openid,omitempty"`
	Account     []map[string]any `json:"account,omitempty"`
}

// PersonOf returns the Person for the agent parameter of the Agents resource: a single Agent,
// "not a Person Object, nor ... a Group" (2.4). The LRS keeps no directory of agents, so the Person
// holds what the request gave, as 2.4.s3.b3 requires when there is nothing more to add; it
// reveals nothing, which is why the resource needs no scope beyond valid credentials.
func PersonOf(agent any, version string) (Person, error) {
	a, ok := agent.(map[string]any)
	if !ok {
		return Person{}, fmt.Errorf("%w: agent must be a JSON object", ErrBadRequest)
	}
	if t, _ := a["objectType"].(string); t == "Group" {
		return Person{}, fmt.Errorf("%w: agent must be an Agent, not a Group", ErrBadRequest)
	}
	if err := validate.Agent(a, version); err != nil {
		return Person{}, fmt.Errorf("%w: agent is invalid: %v", ErrBadRequest, err)
	}
	p := Person{ObjectType: "Person"}
	if name, ok := a["name"].(string); ok {
		p.Name = []string{name}
	}
	if v, ok := a["mbox"].(string); ok {
		p.Mbox = []string{v}
	}
	if v, ok := a["mbox_sha1sum"].(string); ok {
		p.MboxSHA1Sum = []string{v}
	}
	if v, ok := a["openid"].(string); ok {
		p.OpenID = []string{v}
	}
	if v, ok := a["account"].(map[string]any); ok {
		p.Account = []map[string]any{v}
	}
	return p, nil
}
