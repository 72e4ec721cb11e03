package lrs

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"
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

// activityDocStore is a Store holding documents only: recording definitions must use nothing else.
type activityDocStore struct {
	Store
	docs          map[DocumentKey]Document
	reads, writes int
	fail          error // returned by every call when set
	// interfere, when set, changes the stored document once before a write, as another process
	// would, so that the write finds it stale.
	interfere func(Document) Document
}

func (s *activityDocStore) Document(_ context.Context, key DocumentKey) (Document, error) {
	s.reads++
	if s.fail != nil {
		return Document{}, s.fail
	}
	d, ok := s.docs[key]
	if !ok {
		return Document{}, ErrNotFound
	}
	return d, nil
}

func (s *activityDocStore) PutDocument(_ context.Context, doc Document, prev string) error {
	s.writes++
	if s.fail != nil {
		return s.fail
	}
	if s.interfere != nil {
		cur := s.interfere(s.docs[doc.Key])
		s.docs[doc.Key], s.interfere = cur, nil
	}
	if s.docs[doc.Key].ETag != prev {
		return ErrStale
	}
	s.docs[doc.Key] = doc
	return nil
}

func TestRecordActivities(t *testing.T) {
	ctx := context.Background()
	const id = "https://a.se/course"
	key := activityKey(id)
	stmt := func(def string) map[string]any {
		return decode(t, `{"object":{"id":"`+id+`","definition":`+def+`}}`)
	}
	store := &activityDocStore{docs: map[DocumentKey]Document{}}
	svc := NewService(store, Options{Now: func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC) }})
	record := func(define bool, sts ...map[string]any) {
		t.Helper()
		if err := svc.recordActivities(ctx, sts, define); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() string {
		t.Helper()
		d, ok := store.docs[key]
		if !ok {
			return ""
		}
		if d.ContentType != "application/json" || d.ETag != NewDocument(key, "", d.Content, d.Updated).ETag || d.Updated.IsZero() {
			t.Errorf("document %+v: want JSON with the SHA-1 ETag and the update time", d)
		}
		return string(d.Content)
	}
	counts := func(reads, writes int) {
		t.Helper()
		if store.reads != reads || store.writes != writes {
			t.Errorf("store reads/writes %d/%d, want %d/%d", store.reads, store.writes, reads, writes)
		}
	}

	// Scope define (Communication 4.2): without it, no canonical definition is made or changed.
	record(false, stmt(`{"name":{"en":"Course"}}`))
	counts(0, 0)

	record(true, stmt(`{"name":{"en":"Course"}}`))
	if got := stored(); got != `{"name":{"en":"Course"}}` {
		t.Fatalf("stored %s", got)
	}
	counts(1, 1)

	// The same definition again, alone or repeated in a batch, costs no store access.
	record(true, stmt(`{"name":{"en":"Course"}}`), stmt(`{"name":{"en":"Course"}}`))
	counts(1, 1)

	// A batch folds its definitions in order: one read and one write.
	record(true, stmt(`{"name":{"sv":"Kurs"}}`), stmt(`{"name":{"en":"Course 2"}}`))
	if got := stored(); got != `{"name":{"en":"Course 2","sv":"Kurs"}}` {
		t.Errorf("stored %s", got)
	}
	counts(2, 2)

	// Another process merges concurrently: the write is retried over its change, not lost.
	store.interfere = func(d Document) Document {
		return NewDocument(key, "application/json", []byte(`{"name":{"en":"Course 2","sv":"Kurs","fi":"Kurssi"}}`), d.Updated)
	}
	record(true, stmt(`{"type":"https://t.se/course"}`))
	if got := stored(); got != `{"name":{"en":"Course 2","fi":"Kurssi","sv":"Kurs"},"type":"https://t.se/course"}` {
		t.Errorf("stored %s", got)
	}
	counts(4, 4)

	// A failure is reported, and the definition is not cached as merged: sent again, it is merged.
	store.fail = ErrUnavailable
	if err := svc.recordActivities(ctx, []map[string]any{stmt(`{"name":{"de":"Kurs"}}`)}, true); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("recording with the store down: %v", err)
	}
	store.fail = nil
	record(true, stmt(`{"name":{"de":"Kurs"}}`))
	if got := stored(); got != `{"name":{"de":"Kurs","en":"Course 2","fi":"Kurssi","sv":"Kurs"},"type":"https://t.se/course"}` {
		t.Errorf("stored %s", got)
	}

	// A merge that changes nothing (after the cache forgot) reads but does not write.
	svc.activities.forget(id)
	reads, writes := store.reads, store.writes
	record(true, stmt(`{"name":{"de":"Kurs"}}`))
	counts(reads+1, writes)
}

func TestActivity(t *testing.T) {
	store := &activityDocStore{docs: map[DocumentKey]Document{}}
	svc := NewService(store, Options{})
	const id = "https://a.se/1"
	cases := []struct {
		name, id, want string
		stored         string
		err            error
	}{
		{"no definition", id, `{"objectType":"Activity","id":"https://a.se/1"}`, "", nil},
		{"canonical definition", id, `{"objectType":"Activity","id":"https://a.se/1","definition":{"name":{"en":"A","sv":"Ä"}}}`,
			`{"name":{"en":"A","sv":"Ä"}}`, nil},
		{"not an IRI", "not an iri", "", "", ErrBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			delete(store.docs, activityKey(c.id))
			if c.stored != "" {
				store.docs[activityKey(c.id)] = NewDocument(activityKey(c.id), "application/json", []byte(c.stored), time.Now())
			}
			got, err := svc.Activity(context.Background(), c.id)
			if !errors.Is(err, c.err) || string(got) != c.want {
				t.Errorf("Activity(%q) = %s, %v; want %s, %v", c.id, got, err, c.want, c.err)
			}
		})
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
