package lrs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DocumentWrite is one PUT, POST or DELETE on a document resource.
type DocumentWrite struct {
	Key         DocumentKey
	Version     string // negotiated xAPI version of the request
	IfMatch     string // the If-Match header as sent, "" when absent
	IfNoneMatch string // the If-None-Match header as sent, "" when absent
	ContentType string // PUT and POST
	Content     []byte // PUT and POST
}

// maxDocumentAttempts bounds the retries of a write that lost a race with another writer of the
// same document; each retry re-reads the document and re-checks the preconditions. Each lost
// race is another write that succeeded, so the bound only stops an endless stream of them; it is
// high because a writer that lost to another process tends to lose again while that process works
// through its queue of writes to the document (TestDocumentMergeRace with 2 to 5 services: up to
// 30 attempts; a bound of 5 failed about one write in ten).
const maxDocumentAttempts = 100

// Document returns the document with the key (Communication 2.3-2.6 single document GET).
func (s *Service) Document(ctx context.Context, key DocumentKey) (Document, error) {
	doc, err := s.store.Document(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return Document{}, fmt.Errorf("%w: no such document", ErrNotFound) // the store's detail is not the client's business
	}
	return doc, err
}

// DocumentIDs lists the ids of the documents in key's scope updated after since (the multiple
// document GET). For state, a key without registration covers every registration.
func (s *Service) DocumentIDs(ctx context.Context, key DocumentKey, since time.Time) ([]string, error) {
	return s.store.DocumentIDs(ctx, key, since)
}

// PutDocument stores the document, replacing any stored under its key, subject to the
// concurrency rules (Communication 3.1): a PUT without If-Match or If-None-Match may not replace
// a document (409), except State under 1.0.3, which exempts it and 2.0 does not; and a profile
// PUT must carry one of them (1.0.3 and 2.0: "the Client MUST include").
func (s *Service) PutDocument(ctx context.Context, w DocumentWrite) error {
	return s.swapDocument(ctx, w, func(cur *Document) ([]byte, string, error) {
		if w.IfMatch != "" || w.IfNoneMatch != "" {
			return w.Content, w.ContentType, nil
		}
		switch {
		case cur != nil && (w.Key.Kind != DocState || w.Version != Version103):
			return nil, "", fmt.Errorf("%w: the document exists; to replace it, GET it and PUT again with "+
				"If-Match set to its ETag", ErrConflict)
		case cur == nil && w.Key.Kind != DocState:
			return nil, "", fmt.Errorf("%w: a PUT of a profile document must carry If-Match (to replace) "+
				"or If-None-Match: * (to create)", ErrBadRequest)
		}
		return w.Content, w.ContentType, nil
	})
}

// PostDocument stores the document if none exists, and otherwise merges the top-level properties
// of both JSON objects into the stored one (Communication 2.2, JSON Procedure).
func (s *Service) PostDocument(ctx context.Context, w DocumentWrite) error {
	if isJSON(w.ContentType) {
		if _, err := jsonObject(w.Content); err != nil {
			return fmt.Errorf("%w: the posted document: %v", ErrBadRequest, err)
		}
	}
	return s.swapDocument(ctx, w, func(cur *Document) ([]byte, string, error) {
		if cur == nil {
			return w.Content, w.ContentType, nil
		}
		merged, err := mergeJSON(*cur, w)
		return merged, cur.ContentType, err
	})
}

// mergeJSON sets each top-level property of the posted object on the stored one.
func mergeJSON(cur Document, w DocumentWrite) ([]byte, error) {
	if !isJSON(w.ContentType) || !isJSON(cur.ContentType) {
		return nil, fmt.Errorf("%w: POST merges JSON documents only: the stored document is %q and the posted one %q; "+
			"both must be application/json (use PUT to replace the document)", ErrBadRequest, cur.ContentType, w.ContentType)
	}
	stored, err := jsonObject(cur.Content)
	if err != nil {
		return nil, fmt.Errorf("%w: the stored document is not a JSON object, so it cannot be merged into; use PUT", ErrBadRequest)
	}
	posted, err := jsonObject(w.Content)
	if err != nil {
		return nil, fmt.Errorf("%w: the posted document: %v", ErrBadRequest, err)
	}
	for k, v := range posted {
		stored[k] = v
	}
	return json.Marshal(stored)
}

// jsonObject decodes a JSON object, keeping each property's value as sent.
func jsonObject(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	// Unmarshal, unlike a Decoder, refuses data after the value.
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// isJSON reports whether a Content-Type is application/json, whatever its parameters.
func isJSON(contentType string) bool {
	return MediaType(contentType) == "application/json"
}

// swapDocument checks the preconditions against the stored document, computes the new content
// with next, and swaps it in; if another writer got there first, it starts over.
func (s *Service) swapDocument(ctx context.Context, w DocumentWrite, next func(cur *Document) ([]byte, string, error)) error {
	unlock, err := s.docLocks.lock(ctx, w.Key)
	if err != nil {
		return err
	}
	defer unlock()
	return s.swapLocked(ctx, w, next)
}

// errUnchanged, from swapDocument's next, says the document stays as it is: nothing is written.
var errUnchanged = errors.New("unchanged")

// swapLocked is swapDocument for a caller that holds the document's lock.
func (s *Service) swapLocked(ctx context.Context, w DocumentWrite, next func(cur *Document) ([]byte, string, error)) error {
	for range maxDocumentAttempts {
		cur, err := s.currentDocument(ctx, w.Key)
		if err != nil {
			return err
		}
		if err := checkConditions(cur, w); err != nil {
			return err
		}
		content, contentType, err := next(cur)
		if errors.Is(err, errUnchanged) {
			return nil
		}
		if err != nil {
			return err
		}
		prev := ""
		if cur != nil {
			prev = cur.ETag
		}
		err = s.store.PutDocument(ctx, NewDocument(w.Key, contentType, content, s.now()), prev)
		if !errors.Is(err, ErrStale) {
			return err
		}
	}
	return fmt.Errorf("%w: the document keeps being changed concurrently; retry", ErrConflict)
}

// NewDocument returns the document with its ETag and update time set.
func NewDocument(key DocumentKey, contentType string, content []byte, now time.Time) Document {
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	return Document{Key: key, ContentType: contentType, Content: content,
		ETag: ETag(content), Updated: now.UTC().Truncate(time.Millisecond)}
}

// currentDocument returns the stored document, or nil if there is none.
func (s *Service) currentDocument(ctx context.Context, key DocumentKey) (*Document, error) {
	cur, err := s.store.Document(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &cur, nil
}

// DeleteDocument deletes the document, if it exists and the preconditions hold.
func (s *Service) DeleteDocument(ctx context.Context, w DocumentWrite) error {
	unlock, err := s.docLocks.lock(ctx, w.Key)
	if err != nil {
		return err
	}
	defer unlock()
	for range maxDocumentAttempts {
		cur, err := s.currentDocument(ctx, w.Key)
		if err != nil || cur == nil && w.IfMatch == "" {
			return err
		}
		if err := checkConditions(cur, w); err != nil {
			return err
		}
		if err := s.store.DeleteDocument(ctx, w.Key, cur.ETag); !errors.Is(err, ErrStale) {
			return err
		}
	}
	return fmt.Errorf("%w: the document keeps being changed concurrently; retry", ErrConflict)
}

// DeleteDocuments deletes every state document of an activity and agent (and registration, when
// the key has one).
func (s *Service) DeleteDocuments(ctx context.Context, key DocumentKey) error {
	return s.store.DeleteDocuments(ctx, key)
}

// checkConditions applies If-Match and If-None-Match (RFC 9110 13.1.1, 13.1.2) to the stored
// document, nil when there is none.
func checkConditions(cur *Document, w DocumentWrite) error {
	if w.IfMatch != "" && (cur == nil || !etagListHas(w.IfMatch, cur.ETag)) {
		return fmt.Errorf("%w: If-Match %s does not match the stored document's ETag", ErrPrecondition, w.IfMatch)
	}
	if w.IfNoneMatch != "" && cur != nil && etagListHas(w.IfNoneMatch, cur.ETag) {
		return fmt.Errorf("%w: If-None-Match %s: the document exists", ErrPrecondition, w.IfNoneMatch)
	}
	return nil
}

// etagListHas reports whether an If-Match / If-None-Match header value names etag: "*", or a
// comma-separated list of quoted entity tags. A weak tag (W/"...") matches its strong form even in
// If-Match, where RFC 9110 compares strongly: proxies that compress responses weaken ETags, and an
// ETag here is the SHA-1 of the exact bytes, so a weakened one still names exactly one content.
func etagListHas(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || strings.Trim(tag, `"`) == etag {
			return true
		}
	}
	return false
}
