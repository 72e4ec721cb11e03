package lrs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
)

// Services that share a store but not their in-process locks race like separate processes, so
// only the store's compare-and-swap, and the retry on losing it, keeps their writes apart.
const (
	racingServices = 3
	racingWriters  = 60 // spread over the services
)

// racers returns a fresh store and racingServices services over it.
func racers(t *testing.T) (lrs.Store, []*lrs.Service) {
	t.Helper()
	store := openStore(t)
	svcs := make([]*lrs.Service, racingServices)
	for i := range svcs {
		svcs[i] = lrs.NewService(store, lrs.Options{})
	}
	return store, svcs
}

// race runs write(svc, i) for every writer, each on its service, all at once, and reports
// every failure.
func race(t *testing.T, svcs []*lrs.Service, write func(svc *lrs.Service, i int) error) {
	t.Helper()
	errs := make([]error, racingWriters)
	var wg sync.WaitGroup
	for i := range racingWriters {
		wg.Go(func() { errs[i] = write(svcs[i%len(svcs)], i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
}

// POST merges of one document through several processes all succeed, and none is lost.
func TestDocumentMergeRace(t *testing.T) {
	ctx := context.Background()
	store, svcs := racers(t)
	key := lrs.DocumentKey{Kind: lrs.DocState, Activity: "https://a.se/1", Agent: "mbox:mailto:a@a.se", ID: "progress"}
	race(t, svcs, func(svc *lrs.Service, i int) error {
		return svc.PostDocument(ctx, lrs.DocumentWrite{Key: key, Version: lrs.Version103,
			ContentType: "application/json", Content: fmt.Appendf(nil, `{"k%02d":%d}`, i, i)})
	})
	doc, err := store.Document(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]int
	if err := json.Unmarshal(doc.Content, &got); err != nil {
		t.Fatal(err)
	}
	for i := range racingWriters {
		if k := fmt.Sprintf("k%02d", i); got[k] != i {
			t.Errorf("%s = %d, want %d", k, got[k], i)
		}
	}
	if len(got) != racingWriters {
		t.Errorf("%d properties, want %d: %s", len(got), racingWriters, doc.Content)
	}
}

// Canonical definitions merged through several processes at once lose no language.
func TestDefinitionMergeRace(t *testing.T) {
	ctx := context.Background()
	store, svcs := racers(t)
	const id = "https://a.se/course"
	race(t, svcs, func(svc *lrs.Service, i int) error {
		st := map[string]any{"object": map[string]any{"id": id,
			"definition": map[string]any{"name": map[string]any{fmt.Sprintf("x-%02d", i): "name"}}}}
		return svc.RecordActivities(ctx, []map[string]any{st}, true)
	})
	doc, err := store.Document(ctx, lrs.ActivityKey(id))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Name map[string]string }
	if err := json.Unmarshal(doc.Content, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Name) != racingWriters {
		t.Errorf("%d languages, want %d: %s", len(got.Name), racingWriters, doc.Content)
	}
}
