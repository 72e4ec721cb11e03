package lrs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/yrkesresan/lrs/lrs/validate"
)

// Activity returns the Activity object for the Activities resource (Communication 2.5): the id
// with the LRS's canonical definition, or without one when the LRS has none (2.5.s2.b1: it still
// returns an Activity object). The definition is complete, every language included: the
// language filtering of Accept-Language applies to canonical-format statements, not here.
func (s *Service) Activity(ctx context.Context, id string) ([]byte, error) {
	if !validate.IsIRI(id) {
		return nil, fmt.Errorf("%w: activityId must be an IRI", ErrBadRequest)
	}
	act := struct {
		ObjectType string          `json:"objectType"`
		ID         string          `json:"id"`
		Definition json.RawMessage `json:"definition,omitempty"`
	}{ObjectType: "Activity", ID: id}
	doc, err := s.store.Document(ctx, activityKey(id))
	switch {
	case err == nil:
		act.Definition = doc.Content
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("load activity definition: %w", err)
	}
	return json.Marshal(act)
}

func activityKey(id string) DocumentKey { return DocumentKey{Kind: DocActivity, Activity: id} }

// recordActivities merges the activity definitions of statements just stored (objects, context
// activities, and those of sub-statements, in request order) into the canonical definitions.
// Only clients with the define scope change them, the first definition included: without it
// "ids will be saved ... but [the LRS] SHOULD NOT update its canonical representation of any
// Actors or Activities" (Communication 4.2, scope define). Statements the store already held
// are merged again; merging is idempotent, so a client's retry repairs a merge that failed.
func (s *Service) recordActivities(ctx context.Context, sts []map[string]any, define bool) error {
	if !define {
		return nil
	}
	acts := definitionsOf(sts)
	// The statements are stored: their definitions are recorded even if the client goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var errs []error
	for _, a := range acts {
		if err := s.recordActivity(ctx, a); err != nil {
			errs = append(errs, fmt.Errorf("activity %s: %w", a.id, err))
		}
	}
	return errors.Join(errs...)
}

// recordTimeout bounds recording the definitions of one request.
const recordTimeout = 10 * time.Second

// recordActivity merges one activity's definitions, in order, into its canonical definition.
func (s *Service) recordActivity(ctx context.Context, a activityDefinitions) error {
	last := a.defs[len(a.defs)-1].sum
	// Merging the definition merged last changes nothing, and statements usually repeat their
	// activity's definition: the cache spares the store those.
	if len(a.defs) == 1 && s.activities.merged(a.id, last) {
		return nil
	}
	key := activityKey(a.id)
	unlock, err := s.docLocks.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock() // held until the cache is updated, so it follows the order of the writes
	if len(a.defs) == 1 && s.activities.merged(a.id, last) {
		return nil
	}
	// Until the merge is known to be stored, the cache must not vouch for what the store holds.
	s.activities.forget(a.id)
	err = s.swapLocked(ctx, DocumentWrite{Key: key}, func(cur *Document) ([]byte, string, error) {
		var canonical map[string]any
		if cur != nil {
			var err error
			if canonical, err = decodeStatement(cur.Content); err != nil {
				return nil, "", fmt.Errorf("decode stored definition: %w", err)
			}
		}
		for _, d := range a.defs {
			canonical = mergeDefinition(canonical, d.def)
		}
		content, err := json.Marshal(canonical)
		if err != nil {
			return nil, "", fmt.Errorf("encode definition: %w", err)
		}
		if cur != nil && bytes.Equal(content, cur.Content) {
			return nil, "", errUnchanged
		}
		return content, "application/json", nil
	})
	if err != nil {
		return fmt.Errorf("store definition: %w", err)
	}
	s.activities.remember(a.id, last)
	return nil
}

// activityDefinitions are the definitions one request gives an activity, in request order.
type activityDefinitions struct {
	id   string
	defs []definition
}

type definition struct {
	def map[string]any
	sum [sha256.Size]byte // of the definition's JSON encoding (which orders keys)
}

// contextKinds are the context activity kinds, in the order their definitions are merged.
var contextKinds = []string{"parent", "grouping", "category", "other"}

// definitionsOf collects the activity definitions of statements, per activity id in order of
// first appearance; an activity without a definition costs nothing further. A definition equal
// to the one before it for the same activity is dropped (batches often repeat one).
func definitionsOf(sts []map[string]any) []activityDefinitions {
	var acts []activityDefinitions
	index := map[string]int{}
	add := func(obj any) {
		o := mapOf(obj)
		id, _ := o["id"].(string)
		def := mapOf(o["definition"])
		if objectType(o) != "Activity" || id == "" || len(def) == 0 {
			return
		}
		enc, _ := json.Marshal(def) // decoded JSON always encodes
		d := definition{def: def, sum: sha256.Sum256(enc)}
		i, seen := index[id]
		if !seen {
			index[id] = len(acts)
			acts = append(acts, activityDefinitions{id: id, defs: []definition{d}})
			return
		}
		if defs := acts[i].defs; defs[len(defs)-1].sum != d.sum {
			acts[i].defs = append(defs, d)
		}
	}
	var visit func(st map[string]any)
	visit = func(st map[string]any) {
		obj := mapOf(st["object"])
		if objectType(obj) == "SubStatement" {
			visit(obj)
		} else {
			add(obj)
		}
		cas := mapOf(mapOf(st["context"])["contextActivities"])
		for _, kind := range contextKinds {
			for _, a := range activityList(cas[kind]) {
				add(a)
			}
		}
	}
	for _, st := range sts {
		visit(st)
	}
	return acts
}

// interactionProperties describe an interaction; they only make sense together.
var interactionProperties = []string{"interactionType", "correctResponsesPattern", "choices", "scale", "source", "target", "steps"}

// mergeDefinition returns the canonical definition with a newer one merged in; it changes neither.
// Data 2.4.4.1 leaves updates to the LRS's judgement of the sender's authority; this LRS trusts
// clients with the define scope, so the newer definition wins, without losing what it omits:
// language maps (name, description, interaction component descriptions) combine by language,
// extensions by key; the newer list of interaction components replaces the older one, each
// component keeping the languages of the older one with its id; any other property takes the
// newer value. A different interactionType replaces the whole interaction, whose components
// would not fit the new type.
func mergeDefinition(canonical, newer map[string]any) map[string]any {
	var drop []string
	newType, ok := newer["interactionType"].(string)
	if oldType, _ := canonical["interactionType"].(string); ok && newType != oldType {
		drop = interactionProperties
	}
	out := copyWithout(canonical, drop...)
	for k, v := range newer {
		switch k {
		case "name", "description":
			out[k] = mergeLanguageMap(mapOf(out[k]), mapOf(v))
		case "extensions":
			out[k] = mergeMaps(mapOf(out[k]), mapOf(v))
		case "choices", "scale", "source", "target", "steps":
			out[k] = mergeComponents(listOf(out[k]), listOf(v))
		default:
			out[k] = v
		}
	}
	return out
}

// mergeLanguageMap adds newer's entries to a copy of lm, replacing an entry of the same language:
// language tags are case-insensitive (RFC 5646 2.1.1), so "en-us" replaces "en-US".
func mergeLanguageMap(lm, newer map[string]any) map[string]any {
	out := make(map[string]any, len(lm)+len(newer))
	for tag, text := range lm {
		out[tag] = text
	}
	for tag, text := range newer {
		for old := range out {
			if old != tag && strings.EqualFold(old, tag) {
				delete(out, old)
			}
		}
		out[tag] = text
	}
	return out
}

func mergeMaps(m, newer map[string]any) map[string]any {
	out := copyWithout(m)
	for k, v := range newer {
		out[k] = v
	}
	return out
}

// mergeComponents returns the newer interaction components, each description combined with
// that of the older component with the same id.
func mergeComponents(old, newer []any) []any {
	byID := make(map[string]map[string]any, len(old))
	for _, c := range old {
		if id, ok := mapOf(c)["id"].(string); ok {
			byID[id] = mapOf(c)
		}
	}
	out := make([]any, len(newer))
	for i, c := range newer {
		comp := copyWithout(mapOf(c))
		id, _ := comp["id"].(string)
		if prev, ok := byID[id]; ok && prev["description"] != nil {
			comp["description"] = mergeLanguageMap(mapOf(prev["description"]), mapOf(comp["description"]))
		}
		out[i] = comp
	}
	return out
}

// activityCache remembers, per activity id, the definition last merged into the stored canonical
// definition (by hash). The merges of an activity take turns (Service.docLocks), so the cache
// follows the order of the store's writes. The zero value is ready to use. With several
// LRS processes on one store, a definition one process merged last and receives again is not
// merged again over what another process merged since: the other's newer values stand.
type activityCache struct {
	mu   sync.Mutex
	last map[string][sha256.Size]byte
}

// maxCachedActivities bounds the cache; beyond it an arbitrary entry makes room.
const maxCachedActivities = 10_000

func (c *activityCache) merged(id string, sum [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	last, ok := c.last[id]
	return ok && last == sum
}

func (c *activityCache) remember(id string, sum [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = make(map[string][sha256.Size]byte)
	}
	if _, ok := c.last[id]; !ok && len(c.last) >= maxCachedActivities {
		for k := range c.last {
			delete(c.last, k)
			break
		}
	}
	c.last[id] = sum
}

func (c *activityCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.last, id)
}
