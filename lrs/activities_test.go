package lrs

import (
	"encoding/json"
	"strconv"
	"testing"
)

// Data 2.4.4.1 and Communication 2.5 (XAPI-00254): language maps combine, newer values win.
func TestMergeDefinition(t *testing.T) {
	cases := []struct {
		name, canonical, newer, want string
	}{
		{"first definition is taken as sent", `{}`,
			`{"name":{"en-US":"Meeting"},"type":"https://t.se/a","extensions":{"https://e.se/x":{"a":1}}}`,
			`{"name":{"en-US":"Meeting"},"type":"https://t.se/a","extensions":{"https://e.se/x":{"a":1}}}`},
		{"new language is added", `{"name":{"en-US":"Meeting"}}`, `{"name":{"fr-FR":"Réunion"}}`,
			`{"name":{"en-US":"Meeting","fr-FR":"Réunion"}}`},
		{"same language is replaced", `{"name":{"en-US":"Meeting","sv":"Möte"}}`, `{"name":{"en-US":"Meetup"}}`,
			`{"name":{"en-US":"Meetup","sv":"Möte"}}`},
		{"language tags compare without case", `{"description":{"en-US":"Old"}}`, `{"description":{"en-us":"New"}}`,
			`{"description":{"en-us":"New"}}`},
		{"omitted properties are kept", `{"name":{"en":"A"},"type":"https://t.se/a","moreInfo":"https://m.se"}`,
			`{"description":{"en":"D"}}`,
			`{"name":{"en":"A"},"description":{"en":"D"},"type":"https://t.se/a","moreInfo":"https://m.se"}`},
		{"other properties take the newer value", `{"type":"https://t.se/a","moreInfo":"https://m.se/1"}`,
			`{"type":"https://t.se/b","moreInfo":"https://m.se/2"}`, `{"type":"https://t.se/b","moreInfo":"https://m.se/2"}`},
		{"extensions combine by key", `{"extensions":{"https://e.se/x":1,"https://e.se/y":2}}`,
			`{"extensions":{"https://e.se/y":3,"https://e.se/z":4}}`,
			`{"extensions":{"https://e.se/x":1,"https://e.se/y":3,"https://e.se/z":4}}`},
		{"components: newer list, descriptions combined by id",
			`{"interactionType":"choice","correctResponsesPattern":["a"],"choices":[{"id":"a","description":{"en":"A","sv":"Ä"}},{"id":"b","description":{"en":"B"}}]}`,
			`{"interactionType":"choice","correctResponsesPattern":["c"],"choices":[{"id":"a","description":{"en":"A!"}},{"id":"c","description":{"en":"C"}}]}`,
			`{"interactionType":"choice","correctResponsesPattern":["c"],"choices":[{"id":"a","description":{"en":"A!","sv":"Ä"}},{"id":"c","description":{"en":"C"}}]}`},
		{"component without description stays without",
			`{"interactionType":"likert","scale":[{"id":"1"}]}`, `{"scale":[{"id":"1"}]}`,
			`{"interactionType":"likert","scale":[{"id":"1"}]}`},
		{"another interactionType replaces the whole interaction",
			`{"name":{"en":"Q"},"interactionType":"choice","correctResponsesPattern":["a"],"choices":[{"id":"a","description":{"en":"A"}}]}`,
			`{"interactionType":"fill-in","correctResponsesPattern":["x"]}`,
			`{"name":{"en":"Q"},"interactionType":"fill-in","correctResponsesPattern":["x"]}`},
		{"interaction kept when the newer definition has none",
			`{"interactionType":"true-false","correctResponsesPattern":["true"]}`, `{"name":{"en":"Q"}}`,
			`{"name":{"en":"Q"},"interactionType":"true-false","correctResponsesPattern":["true"]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			canonical, newer := decode(t, c.canonical), decode(t, c.newer)
			before := definitionJSON(t, canonical) + definitionJSON(t, newer)
			got := mergeDefinition(canonical, newer)
			if !deepEqual(got, decode(t, c.want)) {
				t.Errorf("merge(%s, %s) = %s, want %s", c.canonical, c.newer, definitionJSON(t, got), c.want)
			}
			if definitionJSON(t, canonical)+definitionJSON(t, newer) != before {
				t.Error("merge changed its arguments")
			}
			// The cache relies on merging the last merged definition again changing nothing.
			if again := mergeDefinition(got, newer); !deepEqual(again, got) {
				t.Errorf("merging %s again gives %s, not %s", c.newer, definitionJSON(t, again), definitionJSON(t, got))
			}
		})
	}
}

// Definitions come from objects, context activities (single or array) and sub-statements, in
// order; activities without a definition and repeats of the previous definition are dropped.
func TestDefinitionsOf(t *testing.T) {
	sts := []map[string]any{
		decode(t, `{"object":{"id":"https://a.se/1","definition":{"name":{"en":"1"}}},
			"context":{"contextActivities":{"parent":{"id":"https://a.se/p","definition":{"name":{"en":"P"}}},
				"other":[{"id":"https://a.se/nodef"},{"id":"https://a.se/empty","definition":{}}]}}}`),
		decode(t, `{"object":{"id":"https://a.se/1","definition":{"name":{"en":"1"}}}}`),
		decode(t, `{"object":{"objectType":"SubStatement","object":{"id":"https://a.se/s","definition":{"type":"https://t.se/x"}},
			"context":{"contextActivities":{"grouping":[{"id":"https://a.se/1","definition":{"name":{"sv":"Ett"}}}]}}}}`),
		decode(t, `{"object":{"objectType":"Agent","mbox":"mailto:a@b.se"}}`),
	}
	got := map[string]int{}
	var order []string
	for _, a := range definitionsOf(sts) {
		got[a.id] = len(a.defs)
		order = append(order, a.id)
	}
	want := map[string]int{"https://a.se/1": 2, "https://a.se/p": 1, "https://a.se/s": 1}
	if len(got) != len(want) || order[0] != "https://a.se/1" || order[1] != "https://a.se/p" {
		t.Fatalf("definitions %v in order %v, want %v", got, order, want)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: %d definitions, want %d", id, got[id], n)
		}
	}
}

// The cache stays bounded.
func TestActivityCacheBound(t *testing.T) {
	var c activityCache
	for i := range maxCachedActivities + 10 {
		c.remember(strconv.Itoa(i), [32]byte{1})
	}
	if len(c.last) != maxCachedActivities {
		t.Errorf("cache holds %d entries, want %d", len(c.last), maxCachedActivities)
	}
}

func definitionJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
