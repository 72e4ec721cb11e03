package validate

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

var versions = []string{"1.0.3", "2.0.0"}

const minimal = `{
	"actor": {"mbox": "mailto:ann@example.com"},
	"verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
	"object": {"id": "http://example.com/activities/meeting-1"}
}`

// subStatement has a SubStatement object using every property a sub-statement may have.
const subStatement = `{
	"actor": {"objectType": "Agent", "mbox": "mailto:teacher@example.com"},
	"verb": {"id": "http://example.com/verbs/planned"},
	"object": {
		"objectType": "SubStatement",
		"actor": {"objectType": "Agent", "mbox": "mailto:ann@example.com"},
		"verb": {"id": "http://example.com/verbs/visit", "display": {"en-US": "will visit"}},
		"object": {"id": "http://example.com/website", "definition": {"name": {"en-US": "Some site"}}},
		"result": {"completion": false, "duration": "P1D"},
		"context": {"platform": "web", "revision": "2", "language": "en"},
		"timestamp": "2099-01-01T00:00:00Z",
		"attachments": [{"usageType": "http://example.com/usage/plan", "display": {"en": "Plan"},
			"contentType": "text/plain", "length": 4, "sha2": "abcd"}]
	}
}`

// validBoth holds statements valid under 1.0.3 and 2.0.0.
var validBoth = []struct{ name, doc string }{
	{"minimal", minimal},
	{"realistic", benchStatement},
	{"sub-statement", subStatement},
	{"mbox_sha1sum", `{"actor": {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
		"verb": {"id": "urn:x-verb:did"}, "object": {"id": "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}}`},
	{"openid", `{"actor": {"openid": "https://openid.example.com/ann", "name": "Ann"},
		"verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}}`},
	{"object agent", `{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
		"object": {"objectType": "Agent", "account": {"homePage": "https://example.com", "name": "bob"}},
		"context": {"instructor": {"objectType": "Group", "member": [{"mbox": "mailto:t@example.com"}]}}}`},
	{"object identified group", `{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
		"object": {"objectType": "Group", "openid": "http://example.com/groups/1"}}`},
	{"actor anonymous group", `{"actor": {"objectType": "Group", "name": "Team",
		"member": [{"mbox": "mailto:a@example.com"}, {"objectType": "Agent", "openid": "http://example.com/b"}]},
		"verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"},
		"context": {"team": {"objectType": "Group", "mbox": "mailto:team@example.com"}}}`},
	{"statement ref", `{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
		"object": {"objectType": "StatementRef", "id": "E05AA883-ACAF-40AD-BF54-02C8CE485FB0"},
		"context": {"statement": {"objectType": "StatementRef", "id": "00000000-0000-0000-0000-000000000000"},
			"extensions": {}}}`},
	{"authority agent and lrs properties", `{"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
		"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
		"object": {"id": "http://example.com/a"},
		"authority": {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "client"}},
		"stored": "2024-05-06T07:08:09.123Z", "timestamp": "2024-05-06T09:08:09.123456789+02:00", "version": "1.0.0"}`},
	{"authority oauth group", `{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
		"object": {"id": "http://example.com/a"},
		"authority": {"objectType": "Group", "member": [
			{"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
			{"mbox": "mailto:bob@example.com"}]}}`},
	{"version 1.0", `{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
		"object": {"id": "http://example.com/a"}, "version": "1.0"}`},
	{"single context activity and null extension", `{"actor": {"mbox": "mailto:a@example.com"},
		"verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"},
		"result": {"extensions": {"http://example.com/ext": null}, "score": {"raw": 5, "min": 5, "max": 5}},
		"context": {"contextActivities": {"parent": {"id": "http://example.com/p"}, "other": []},
			"extensions": {"http://example.com/ext": {"deep": [null, 1e1000000, "x"]}}}}`},
	{"attachments", `{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"},
		"object": {"id": "http://example.com/a"},
		"attachments": [{"usageType": "http://adlnet.gov/expapi/attachments/signature",
			"display": {"en-US": "Signature"}, "description": {"zh-Hant-TW": "簽名"},
			"contentType": "application/octet-stream", "length": 0, "sha2": "e3b0c442",
			"fileUrl": "https://files.example.com/sig.jws"}]}`},
	{"language tags", `{"actor": {"mbox": "mailto:a@example.com"}, "object": {"id": "http://example.com/a"},
		"verb": {"id": "http://example.com/v", "display": {"en-GB-oed": "a", "x-klingon": "b", "de-CH-1996": "c",
			"es-419": "d", "tlh": "e", "sr-Latn-RS": "f", "zh-min-nan": "g", "en-a-bbb-x-a-ccc": "h", "i-klingon": "i"}},
		"context": {"language": "sv-SE"}}`},
	{"unicode IRIs", `{"actor": {"mbox": "mailto:åsa@exempel.se"}, "verb": {"id": "http://exempel.se/verb/läste"},
		"object": {"id": "http://example.com/a?x=1&y=%C3%A5#frag"}}`},
}

// interactions holds a valid definition for each interaction type, with the component lists
// that type uses.
var interactions = map[string]string{
	"true-false":   `{"interactionType": "true-false", "correctResponsesPattern": ["true"]}`,
	"choice":       `{"interactionType": "choice", "correctResponsesPattern": ["a[,]b"], "choices": [{"id": "a"}, {"id": "b", "description": {"en": "B"}}]}`,
	"fill-in":      `{"interactionType": "fill-in", "correctResponsesPattern": ["{case_matters=false}word"]}`,
	"long-fill-in": `{"interactionType": "long-fill-in"}`,
	"matching":     `{"interactionType": "matching", "source": [{"id": "1"}], "target": [{"id": "1"}], "correctResponsesPattern": ["1[.]1"]}`,
	"performance":  `{"interactionType": "performance", "steps": [{"id": "s1"}, {"id": "s2"}], "correctResponsesPattern": []}`,
	"sequencing":   `{"interactionType": "sequencing", "choices": [{"id": "x"}, {"id": "y"}]}`,
	"likert":       `{"interactionType": "likert", "scale": [{"id": "1", "description": {"en-US": "Low"}}]}`,
	"numeric":      `{"interactionType": "numeric", "correctResponsesPattern": ["1[:]4"]}`,
	"other":        `{"interactionType": "other", "correctResponsesPattern": ["anything"], "type": "http://adlnet.gov/expapi/activities/cmi.interaction"}`,
}

func TestStatementValid(t *testing.T) {
	for _, version := range versions {
		for _, tc := range validBoth {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				if err := Statement(decode(t, tc.doc), version); err != nil {
					t.Fatal(err)
				}
			})
		}
		for it, def := range interactions {
			t.Run(version+"/interaction "+it, func(t *testing.T) {
				st := build(t, minimal, edit{"object.definition", def})
				if err := Statement(st, version); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestStatementVersionDifferences covers statements valid under one version only.
func TestStatementVersionDifferences(t *testing.T) {
	tests := []struct {
		name     string
		edits    []edit
		validIn  string
		path     string // of the problem under the other version
		otherVer string
	}{
		{"context agents and groups", []edit{
			{"context.contextAgents", `[{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"},
				"relevantTypes": ["https://example.com/types/player"]}, {"objectType": "contextAgent", "agent": {"openid": "http://x.example.com"}}]`},
			{"context.contextGroups", `[{"objectType": "contextGroup", "relevantTypes": ["https://example.com/types/team"],
				"group": {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [{"mbox": "mailto:p@example.com"}]}}]`},
		}, "2.0.0", "context.contextAgents", "1.0.3"},
		{"contextGroups alone", []edit{{"context.contextGroups", `[]`}}, "2.0.0", "context.contextGroups", "1.0.3"},
		{"statement version 2.0.0", []edit{{"version", `"2.0.0"`}}, "2.0.0", "version", "1.0.3"},
		{"timestamp without offset", []edit{{"timestamp", `"2024-01-31T12:00:00.5"`}}, "1.0.3", "timestamp", "2.0.0"},
		{"timestamp basic format", []edit{{"timestamp", `"20240131T120000,5+0100"`}}, "1.0.3", "timestamp", "2.0.0"},
		{"timestamp without seconds", []edit{{"timestamp", `"2024-01-31T12:00+01"`}}, "1.0.3", "timestamp", "2.0.0"},
		{"timestamp lower-case t and z", []edit{{"timestamp", `"2024-01-31t12:00:00z"`}}, "2.0.0", "timestamp", "1.0.3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := build(t, minimal, tc.edits...)
			if err := Statement(st, tc.validIn); err != nil {
				t.Fatalf("under %s: %v", tc.validIn, err)
			}
			ps := problems(t, Statement(st, tc.otherVer))
			if len(ps) == 0 || ps[0].Path != tc.path || ps[0].Rule == "" {
				t.Fatalf("under %s: problems %v, want one at %s", tc.otherVer, ps, tc.path)
			}
		})
	}
}

// invalidCase breaks one rule: applying edits to base must yield a problem at path, under both
// versions unless version is set.
type invalidCase struct {
	name    string
	base    string
	edits   []edit
	path    string
	version string
}

var invalidCases = []invalidCase{
	// Statement structure.
	{name: "actor missing", edits: []edit{{"actor", "-"}}, path: "actor"},
	{name: "verb missing", edits: []edit{{"verb", "-"}}, path: "verb"},
	{name: "object missing", edits: []edit{{"object", "-"}}, path: "object"},
	{name: "unknown property", edits: []edit{{"extra", `1`}}, path: "extra"},
	{name: "property names are case-sensitive", edits: []edit{{"Actor", `{"mbox": "mailto:a@example.com"}`}}, path: "Actor"},
	{name: "null where a value is required", edits: []edit{{"actor", `null`}}, path: "actor"},
	{name: "null in an optional property", edits: []edit{{"result", `{"success": null}`}}, path: "result.success"},
	{name: "string for boolean", edits: []edit{{"result", `{"completion": "true"}`}}, path: "result.completion"},
	{name: "statement not an object", base: `[]`, path: ""},
	{name: "id not a UUID", edits: []edit{{"id", `"AA97B177-9383-4934-8543-0F91A7A028368"`}}, path: "id"},
	{name: "id with a non-hex letter", edits: []edit{{"id", `"MA97B177-9383-4934-8543-0F91A7A02836"`}}, path: "id"},
	{name: "version 1.1.0", edits: []edit{{"version", `"1.1.0"`}}, path: "version"},
	{name: "version 0.9.9", edits: []edit{{"version", `"0.9.9"`}}, path: "version"},
	{name: "timestamp not a date", edits: []edit{{"timestamp", `"01/011/2015"`}}, path: "timestamp"},
	{name: "timestamp negative zero offset", edits: []edit{{"timestamp", `"2008-09-15T15:53:00.601-00:00"`}}, path: "timestamp"},
	{name: "timestamp out of range", edits: []edit{{"timestamp", `"2023-02-29T10:00:00Z"`}}, path: "timestamp"},
	{name: "number beyond float64", edits: []edit{{"result.score.raw", `1e400`}}, path: "result.score.raw"},
	{name: "number with a huge exponent", edits: []edit{{"context.contextActivities.parent", `[1e-1000000]`}}, path: "context.contextActivities.parent[0]"},
	{name: "stored not a timestamp", edits: []edit{{"stored", `"yesterday"`}}, path: "stored"},

	// Agents and Groups.
	{name: "actor objectType lower case", edits: []edit{{"actor.objectType", `"agent"`}}, path: "actor.objectType"},
	{name: "unknown agent property", edits: []edit{{"actor.email", `"a@example.com"`}}, path: "actor.email"},
	{name: "mbox not mailto", edits: []edit{{"actor", `{"mbox": "http://should.fail.com"}`}}, path: "actor.mbox"},
	{name: "mbox without an address", edits: []edit{{"actor", `{"mbox": "mailto:should.fail.com"}`}}, path: "actor.mbox"},
	{name: "mbox_sha1sum not 40 hex", edits: []edit{{"actor", `{"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee"}`}}, path: "actor.mbox_sha1sum"},
	{name: "openid not an IRI", edits: []edit{{"actor", `{"openid": "openid.example.com"}`}}, path: "actor.openid"},
	{name: "account homePage not an IRL", edits: []edit{{"actor", `{"account": {"homePage": "ab=c://should.fail.com", "name": "x"}}`}}, path: "actor.account.homePage"},
	{name: "account name missing", edits: []edit{{"actor", `{"account": {"homePage": "http://example.com"}}`}}, path: "actor.account.name"},
	{name: "account name not a string", edits: []edit{{"actor", `{"account": {"homePage": "http://example.com", "name": 123}}`}}, path: "actor.account.name"},
	{name: "agent with two IFIs", edits: []edit{{"actor.openid", `"http://example.com/ann"`}}, path: "actor"},
	{name: "agent without IFI", edits: []edit{{"actor", `{"name": "Ann"}`}}, path: "actor"},
	{name: "identified group with two IFIs", edits: []edit{{"actor", `{"objectType": "Group", "mbox": "mailto:g@example.com", "openid": "http://example.com/g"}`}}, path: "actor"},
	{name: "anonymous group without members", edits: []edit{{"actor", `{"objectType": "Group", "name": "Team"}`}}, path: "actor.member"},
	{name: "group member without IFI", edits: []edit{{"actor", `{"objectType": "Group", "member": [{"name": "x"}]}`}}, path: "actor.member[0]"},
	{name: "group member is a group", edits: []edit{{"actor", `{"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}]}`}}, path: "actor.member[0].objectType"},
	{name: "group objectType required", edits: []edit{{"context.team", `{"mbox": "mailto:g@example.com"}`}}, path: "context.team.objectType"},

	// Verb.
	{name: "verb id missing", edits: []edit{{"verb.id", "-"}}, path: "verb.id"},
	{name: "verb id not an IRI", edits: []edit{{"verb.id", `"attended"`}}, path: "verb.id"},
	{name: "verb display not a language map", edits: []edit{{"verb.display", `"attended"`}}, path: "verb.display"},
	{name: "display key not a language tag", edits: []edit{{"verb.display.a12345678", `"x"`}}, path: "verb.display.a12345678"},
	{name: "display value not a string", edits: []edit{{"verb.display.en-US", `12345`}}, path: "verb.display.en-US"},

	// Object.
	{name: "objectType unknown", edits: []edit{{"object.objectType", `"Thing"`}}, path: "object.objectType"},
	{name: "objectType case", edits: []edit{{"object.objectType", `"activity"`}}, path: "object.objectType"},
	{name: "activity id missing", edits: []edit{{"object.id", "-"}}, path: "object.id"},
	{name: "activity id not an IRI", edits: []edit{{"object.id", `"meeting-1"`}}, path: "object.id"},
	{name: "activity definition unknown property", edits: []edit{{"object.definition.title", `"x"`}}, path: "object.definition.title"},
	{name: "activity type not an IRI", edits: []edit{{"object.definition.type", `"meeting"`}}, path: "object.definition.type"},
	{name: "moreInfo not an IRL", edits: []edit{{"object.definition.moreInfo", `"example.com/info"`}}, path: "object.definition.moreInfo"},
	{name: "definition name key", edits: []edit{{"object.definition.name", `{"en_US": "x"}`}}, path: "object.definition.name.en_US"},
	{name: "activity extension key", edits: []edit{{"object.definition.extensions", `{"should fail": true}`}}, path: `object.definition.extensions["should fail"]`},
	{name: "agent object needs objectType", edits: []edit{{"object", `{"mbox": "mailto:b@example.com"}`}}, path: "object.id"},
	{name: "agent object IFI", edits: []edit{{"object", `{"objectType": "Agent", "mbox": "b@example.com"}`}}, path: "object.mbox"},
	{name: "statement ref id missing", edits: []edit{{"object", `{"objectType": "StatementRef"}`}}, path: "object.id"},
	{name: "statement ref id not a UUID", edits: []edit{{"object", `{"objectType": "StatementRef", "id": "statementref"}`}}, path: "object.id"},
	{name: "statement ref extra property", edits: []edit{{"object", `{"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "definition": {}}`}}, path: "object.definition"},

	// Interactions.
	{name: "interactionType unknown", edits: []edit{{"object.definition.interactionType", `"multiple-choice"`}}, path: "object.definition.interactionType"},
	{name: "correctResponsesPattern not strings", edits: []edit{{"object.definition", `{"interactionType": "numeric", "correctResponsesPattern": [4]}`}}, path: "object.definition.correctResponsesPattern[0]"},
	{name: "correctResponsesPattern not an array", edits: []edit{{"object.definition", `{"interactionType": "numeric", "correctResponsesPattern": "4"}`}}, path: "object.definition.correctResponsesPattern"},
	{name: "choices on true-false", edits: []edit{{"object.definition", `{"interactionType": "true-false", "choices": [{"id": "t"}]}`}}, path: "object.definition.choices"},
	{name: "scale on choice", edits: []edit{{"object.definition", `{"interactionType": "choice", "scale": [{"id": "1"}]}`}}, path: "object.definition.scale"},
	{name: "source on likert", edits: []edit{{"object.definition", `{"interactionType": "likert", "source": [{"id": "1"}]}`}}, path: "object.definition.source"},
	{name: "target on sequencing", edits: []edit{{"object.definition", `{"interactionType": "sequencing", "target": [{"id": "1"}]}`}}, path: "object.definition.target"},
	{name: "steps on matching", edits: []edit{{"object.definition", `{"interactionType": "matching", "steps": [{"id": "1"}]}`}}, path: "object.definition.steps"},
	{name: "components without interactionType", edits: []edit{{"object.definition", `{"choices": [{"id": "a"}]}`}}, path: "object.definition.interactionType"},
	{name: "pattern without interactionType", edits: []edit{{"object.definition", `{"correctResponsesPattern": ["a"]}`}}, path: "object.definition.interactionType"},
	{name: "component ids not unique", edits: []edit{{"object.definition", `{"interactionType": "choice", "choices": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}`}}, path: "object.definition.choices[2].id"},
	{name: "component id empty", edits: []edit{{"object.definition", `{"interactionType": "likert", "scale": [{"id": ""}]}`}}, path: "object.definition.scale[0].id"},
	{name: "component id missing", edits: []edit{{"object.definition", `{"interactionType": "performance", "steps": [{"description": {"en": "x"}}]}`}}, path: "object.definition.steps[0].id"},
	{name: "component description key", edits: []edit{{"object.definition", `{"interactionType": "choice", "choices": [{"id": "a", "description": {"a12345": "x"}}]}`}}, path: "object.definition.choices[0].description.a12345"},

	// Sub-statements.
	{name: "sub-statement id", base: subStatement, edits: []edit{{"object.id", `"6690e6c9-3ef0-4ed3-8b37-7f3964730bee"`}}, path: "object.id"},
	{name: "sub-statement stored", base: subStatement, edits: []edit{{"object.stored", `"2024-01-01T00:00:00Z"`}}, path: "object.stored"},
	{name: "sub-statement version", base: subStatement, edits: []edit{{"object.version", `"1.0.0"`}}, path: "object.version"},
	{name: "sub-statement authority", base: subStatement, edits: []edit{{"object.authority", `{"mbox": "mailto:a@example.com"}`}}, path: "object.authority"},
	{name: "nested sub-statement", base: subStatement, edits: []edit{{"object.object", `{"objectType": "SubStatement",
		"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://example.com/a"}}`}}, path: "object.object.objectType"},
	{name: "sub-statement verb missing", base: subStatement, edits: []edit{{"object.verb", "-"}}, path: "object.verb"},
	{name: "sub-statement actor checked", base: subStatement, edits: []edit{{"object.actor.mbox", `"ann@example.com"`}}, path: "object.actor.mbox"},
	{name: "sub-statement timestamp checked", base: subStatement, edits: []edit{{"object.timestamp", `"2099-13-01T00:00:00Z"`}}, path: "object.timestamp"},
	{name: "sub-statement context checked", base: subStatement, edits: []edit{{"object.object", `{"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}`}}, path: "object.context.platform"},

	// Result.
	{name: "scaled above 1", edits: []edit{{"result.score.scaled", `1.01`}}, path: "result.score.scaled"},
	{name: "scaled below -1", edits: []edit{{"result.score.scaled", `-1.00001`}}, path: "result.score.scaled"},
	{name: "scaled a string", edits: []edit{{"result.score.scaled", `"0.5"`}}, path: "result.score.scaled"},
	{name: "raw above max", edits: []edit{{"result.score", `{"raw": 101, "max": 100}`}}, path: "result.score.raw"},
	{name: "raw below min", edits: []edit{{"result.score", `{"raw": -1, "min": 0}`}}, path: "result.score.raw"},
	{name: "min above max", edits: []edit{{"result.score", `{"min": 10, "max": 1.5}`}}, path: "result.score.min"},
	{name: "score unknown property", edits: []edit{{"result.score.percent", `50`}}, path: "result.score.percent"},
	{name: "duration not ISO 8601", edits: []edit{{"result.duration", `"PA1H0M0S"`}}, path: "result.duration"},
	{name: "duration weeks combined", edits: []edit{{"result.duration", `"P4W1D"`}}, path: "result.duration"},
	{name: "duration a number", edits: []edit{{"result.duration", `12345`}}, path: "result.duration"},
	{name: "response not a string", edits: []edit{{"result.response", `12345`}}, path: "result.response"},
	{name: "result extension key", edits: []edit{{"result.extensions", `{"ext": 1}`}}, path: "result.extensions.ext"},

	// Context.
	{name: "registration not a UUID", edits: []edit{{"context.registration", `"ec531277b57b4c158d91d292c5b2b8f7"`}}, path: "context.registration"},
	{name: "context language not a tag", edits: []edit{{"context.language", `"a12345"`}}, path: "context.language"},
	{name: "context extension key", edits: []edit{{"context.extensions", `{"should fail": 1}`}}, path: `context.extensions["should fail"]`},
	{name: "revision with an agent object", edits: []edit{{"object", `{"objectType": "Agent", "mbox": "mailto:b@example.com"}`}, {"context.revision", `"1"`}}, path: "context.revision"},
	{name: "platform with a statement ref", edits: []edit{{"object", `{"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}`}, {"context.platform", `"web"`}}, path: "context.platform"},
	{name: "context activities unknown kind", edits: []edit{{"context.contextActivities.sibling", `[]`}}, path: "context.contextActivities.sibling"},
	{name: "context activity not an activity", edits: []edit{{"context.contextActivities.parent", `[{"objectType": "Agent", "id": "http://example.com/x"}]`}}, path: "context.contextActivities.parent[0].objectType"},
	{name: "context activity id", edits: []edit{{"context.contextActivities.grouping", `[{"id": "http://example.com/ok"}, {"id": "not an iri"}]`}}, path: "context.contextActivities.grouping[1].id"},
	{name: "context activity a string", edits: []edit{{"context.contextActivities.category", `"http://example.com/c"`}}, path: "context.contextActivities.category"},
	{name: "context statement not a ref", edits: []edit{{"context.statement", `{"objectType": "SubStatement", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}`}}, path: "context.statement.objectType"},
	{name: "context statement id", edits: []edit{{"context.statement", `{"objectType": "StatementRef", "id": "1"}`}}, path: "context.statement.id"},
	{name: "instructor IFI", edits: []edit{{"context.instructor", `{"mbox": "mailto:t@example.com", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}`}}, path: "context.instructor"},
	{name: "contextAgents under 1.0.3", edits: []edit{{"context.contextAgents", `[]`}}, path: "context.contextAgents", version: "1.0.3"},
	{name: "contextAgent objectType", edits: []edit{{"context.contextAgents", `[{"objectType": "Should fail", "agent": {"mbox": "mailto:p@example.com"}}]`}}, path: "context.contextAgents[0].objectType", version: "2.0.0"},
	{name: "contextAgent agent invalid", edits: []edit{{"context.contextAgents", `[{"objectType": "contextAgent", "agent": {"key": "Should fail"}}]`}}, path: "context.contextAgents[0].agent", version: "2.0.0"},
	{name: "contextAgent relevantTypes empty", edits: []edit{{"context.contextAgents", `[{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"}, "relevantTypes": []}]`}}, path: "context.contextAgents[0].relevantTypes", version: "2.0.0"},
	{name: "contextAgent relevantTypes IRI", edits: []edit{{"context.contextAgents", `[{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"}, "relevantTypes": ["abc"]}]`}}, path: "context.contextAgents[0].relevantTypes[0]", version: "2.0.0"},
	{name: "contextGroup group not a group", edits: []edit{{"context.contextGroups", `[{"objectType": "contextGroup", "group": {"mbox": "mailto:team@example.com"}}]`}}, path: "context.contextGroups[0].group.objectType", version: "2.0.0"},
	{name: "contextGroup objectType", edits: []edit{{"context.contextGroups", `[{"objectType": "contextAgent", "group": {"objectType": "Group", "mbox": "mailto:t@example.com"}}]`}}, path: "context.contextGroups[0].objectType", version: "2.0.0"},

	// Authority.
	{name: "authority identified group", edits: []edit{{"authority", `{"objectType": "Group", "mbox": "mailto:g@example.com", "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}]}`}}, path: "authority"},
	{name: "authority group of one", edits: []edit{{"authority", `{"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}`}}, path: "authority.member"},
	{name: "authority group of three", edits: []edit{{"authority", `{"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}, {"mbox": "mailto:c@example.com"}]}`}}, path: "authority.member"},
	{name: "authority agent IFI", edits: []edit{{"authority", `{"objectType": "Agent"}`}}, path: "authority"},

	// Attachments.
	{name: "attachments not an array", edits: []edit{{"attachments", `{}`}}, path: "attachments"},
	{name: "attachment usageType not an IRI", base: subStatement, edits: []edit{{"object.attachments[0].usageType", `"should fail"`}}, path: "object.attachments[0].usageType"},
	{name: "attachment display missing", base: subStatement, edits: []edit{{"object.attachments[0].display", "-"}}, path: "object.attachments[0].display"},
	{name: "attachment display key", base: subStatement, edits: []edit{{"object.attachments[0].display", `{"a12345": "x"}`}}, path: "object.attachments[0].display.a12345"},
	{name: "attachment description not a map", base: subStatement, edits: []edit{{"object.attachments[0].description", `"x"`}}, path: "object.attachments[0].description"},
	{name: "attachment contentType a number", base: subStatement, edits: []edit{{"object.attachments[0].contentType", `12345`}}, path: "object.attachments[0].contentType"},
	{name: "attachment length a string", base: subStatement, edits: []edit{{"object.attachments[0].length", `"4"`}}, path: "object.attachments[0].length"},
	{name: "attachment length fractional", base: subStatement, edits: []edit{{"object.attachments[0].length", `4.5`}}, path: "object.attachments[0].length"},
	{name: "attachment length negative", base: subStatement, edits: []edit{{"object.attachments[0].length", `-1`}}, path: "object.attachments[0].length"},
	{name: "attachment sha2 missing", base: subStatement, edits: []edit{{"object.attachments[0].sha2", "-"}}, path: "object.attachments[0].sha2"},
	{name: "attachment sha2 a number", base: subStatement, edits: []edit{{"object.attachments[0].sha2", `12345`}}, path: "object.attachments[0].sha2"},
	{name: "attachment fileUrl not an IRL", base: subStatement, edits: []edit{{"object.attachments[0].fileUrl", `"should fail"`}}, path: "object.attachments[0].fileUrl"},
	{name: "attachment unknown property", base: subStatement, edits: []edit{{"object.attachments[0].data", `"YWJjZA=="`}}, path: "object.attachments[0].data"},
}

func TestStatementInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		for _, version := range versions {
			if tc.version != "" && tc.version != version {
				continue
			}
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				base := tc.base
				if base == "" {
					base = benchStatement
				}
				ps := problems(t, Statement(build(t, base, tc.edits...), version))
				i := slices.IndexFunc(ps, func(p Problem) bool { return p.Path == tc.path })
				if i < 0 {
					t.Fatalf("no problem at %q; got %v", tc.path, ps)
				}
				if ps[i].Rule == "" {
					t.Fatalf("problem at %q has no rule", tc.path)
				}
			})
		}
	}
}

// TestStatementProblemsOrderedAndBounded checks that problems come sorted by path (indexes in
// numeric order), the same on every call, and at most 50.
func TestStatementProblemsOrderedAndBounded(t *testing.T) {
	var list []string
	for i := range 60 {
		list = append(list, fmt.Sprintf(`{"id": "bad %d"}`, i))
	}
	st := build(t, minimal, edit{"context.contextActivities.parent", "[" + strings.Join(list, ",") + "]"},
		edit{"actor.mbox", `"nope"`})
	first := problems(t, Statement(st, "2.0.0"))
	if len(first) != maxProblems {
		t.Fatalf("got %d problems, want %d", len(first), maxProblems)
	}
	if first[0].Path != "actor.mbox" || first[1].Path != "context.contextActivities.parent[0].id" ||
		first[11].Path != "context.contextActivities.parent[10].id" {
		t.Fatalf("problems out of order: %v", first[:12])
	}
	for range 5 {
		if again := problems(t, Statement(st, "2.0.0")); !slices.Equal(first, again) {
			t.Fatal("problems differ between calls")
		}
	}
}

func TestStatementUnsupportedVersion(t *testing.T) {
	for _, version := range []string{"", "0.95", "1.1.0", "2.0", "2.0.1"} {
		t.Run(version, func(t *testing.T) {
			ps := problems(t, Statement(decode(t, minimal), version))
			if len(ps) != 1 || ps[0].Path != "" || !strings.Contains(ps[0].Rule, "version") {
				t.Fatalf("got %v", ps)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	err := &Error{Problems: []Problem{{Path: "", Rule: "must be an object"}, {Path: "actor.mbox", Rule: "must be a mailto: IRI"}}}
	want := "invalid xAPI data: must be an object; actor.mbox: must be a mailto: IRI"
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err.Error(), want)
	}
}

func TestAgent(t *testing.T) {
	tests := []struct {
		name, doc string
		path      string // "" when valid
	}{
		{"agent mbox", `{"mbox": "mailto:a@example.com"}`, ""},
		{"agent account", `{"objectType": "Agent", "account": {"homePage": "https://example.com", "name": "a"}}`, ""},
		{"identified group", `{"objectType": "Group", "openid": "https://example.com/g", "member": [{"mbox": "mailto:a@example.com"}]}`, ""},
		{"anonymous group", `{"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}`, "agent"},
		{"not an object", `"mailto:a@example.com"`, "agent"},
		{"unknown property", `{"mbox": "mailto:a@example.com", "Name": "A"}`, "agent.Name"},
		{"bad mbox", `{"mbox": "a@example.com"}`, "agent.mbox"},
		{"no IFI", `{"name": "A"}`, "agent"},
		{"bad objectType", `{"objectType": "Activity", "id": "http://example.com"}`, "agent.objectType"},
	}
	for _, version := range versions {
		for _, tc := range tests {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				ps := problems(t, Agent(decode(t, tc.doc), version))
				if tc.path == "" {
					if len(ps) > 0 {
						t.Fatalf("unexpected problems %v", ps)
					}
					return
				}
				if !slices.ContainsFunc(ps, func(p Problem) bool { return p.Path == tc.path && p.Rule != "" }) {
					t.Fatalf("no problem at %q; got %v", tc.path, ps)
				}
			})
		}
	}
	if ps := problems(t, Agent(decode(t, `{"mbox": "mailto:a@example.com"}`), "3.0")); len(ps) != 1 {
		t.Fatalf("unsupported version: got %v", ps)
	}
}
