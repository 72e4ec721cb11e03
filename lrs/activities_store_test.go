package lrs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/sqlite"
)

// countingStore is a real SQLite store that counts document reads and writes, and can fail them
// or let "another process" write first, to check what recording definitions costs and survives.
type countingStore struct {
	lrs.Store
	reads, writes int
	fail          error
	interfere     func(context.Context) // runs once, before the next document write
}

func (s *countingStore) Document(ctx context.Context, key lrs.DocumentKey) (lrs.Document, error) {
	s.reads++
	if s.fail != nil {
		return lrs.Document{}, s.fail
	}
	return s.Store.Document(ctx, key)
}

func (s *countingStore) PutDocument(ctx context.Context, doc lrs.Document, prev string) error {
	s.writes++
	if s.fail != nil {
		return s.fail
	}
	if f := s.interfere; f != nil {
		s.interfere = nil
		f(ctx)
	}
	return s.Store.PutDocument(ctx, doc, prev)
}

func openStore(t *testing.T) lrs.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lrs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRecordActivities(t *testing.T) {
	ctx := context.Background()
	const id = "https://a.se/course"
	key := lrs.ActivityKey(id)
	stmt := func(def string) map[string]any {
		return decodeJSON(t, `{"object":{"id":"`+id+`","definition":`+def+`}}`)
	}
	store := &countingStore{Store: openStore(t)}
	svc := lrs.NewService(store, lrs.Options{Now: func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC) }})
	record := func(define bool, sts ...map[string]any) {
		t.Helper()
		if err := svc.RecordActivities(ctx, sts, define); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() string {
		t.Helper()
		d, err := store.Store.Document(ctx, key)
		if errors.Is(err, lrs.ErrNotFound) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		if d.ContentType != "application/json" || d.ETag != lrs.NewDocument(key, "", d.Content, d.Updated).ETag || d.Updated.IsZero() {
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
	if got := stored(); got != "" {
		t.Fatalf("stored %s without the define scope", got)
	}

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
	store.interfere = func(ctx context.Context) {
		cur, err := store.Store.Document(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		other := lrs.NewDocument(key, "application/json", []byte(`{"name":{"en":"Course 2","sv":"Kurs","fi":"Kurssi"}}`), time.Now())
		if err := store.Store.PutDocument(ctx, other, cur.ETag); err != nil {
			t.Fatal(err)
		}
	}
	record(true, stmt(`{"type":"https://t.se/course"}`))
	if got := stored(); got != `{"name":{"en":"Course 2","fi":"Kurssi","sv":"Kurs"},"type":"https://t.se/course"}` {
		t.Errorf("stored %s", got)
	}
	counts(4, 4)

	// A failure is reported, and the definition is not cached as merged: sent again, it is merged.
	store.fail = lrs.ErrUnavailable
	if err := svc.RecordActivities(ctx, []map[string]any{stmt(`{"name":{"de":"Kurs"}}`)}, true); !errors.Is(err, lrs.ErrUnavailable) {
		t.Fatalf("recording with the store down: %v", err)
	}
	store.fail = nil
	record(true, stmt(`{"name":{"de":"Kurs"}}`))
	if got := stored(); got != `{"name":{"de":"Kurs","en":"Course 2","fi":"Kurssi","sv":"Kurs"},"type":"https://t.se/course"}` {
		t.Errorf("stored %s", got)
	}

	// A merge that changes nothing (after the cache forgot) reads but does not write.
	svc.ForgetActivity(id)
	reads, writes := store.reads, store.writes
	record(true, stmt(`{"name":{"de":"Kurs"}}`))
	counts(reads+1, writes)
}

func TestActivity(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	svc := lrs.NewService(store, lrs.Options{})
	const id = "https://a.se/1"
	cases := []struct {
		name, id, want string
		stored         string
		err            error
	}{
		{"no definition", id, `{"objectType":"Activity","id":"https://a.se/1"}`, "", nil},
		{"canonical definition", id, `{"objectType":"Activity","id":"https://a.se/1","definition":{"name":{"en":"A","sv":"Ä"}}}`,
			`{"name":{"en":"A","sv":"Ä"}}`, nil},
		{"not an IRI", "not an iri", "", "", lrs.ErrBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := lrs.ActivityKey(c.id)
			if err := store.DeleteDocument(ctx, key, ""); err != nil {
				t.Fatal(err)
			}
			if c.stored != "" {
				if err := store.PutDocument(ctx, lrs.NewDocument(key, "application/json", []byte(c.stored), time.Now()), ""); err != nil {
					t.Fatal(err)
				}
			}
			got, err := svc.Activity(ctx, c.id)
			if !errors.Is(err, c.err) || string(got) != c.want {
				t.Errorf("Activity(%q) = %s, %v; want %s, %v", c.id, got, err, c.want, c.err)
			}
		})
	}
}
