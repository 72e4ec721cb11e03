package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/yrkesresan/lrs/lrs"
)

// documentDoc is a document of the documents collection. Unused key fields are "", so that the
// unique index covers every kind alike.
type documentDoc struct {
	ID           bson.ObjectID `bson:"_id,omitempty"`
	Agent        string        `bson:"agent"`
	Activity     string        `bson:"activity"`
	Kind         string        `bson:"kind"`
	Registration string        `bson:"registration"`
	DocID        string        `bson:"docId"`
	ContentType  string        `bson:"contentType"`
	Content      []byte        `bson:"content"`
	ETag         string        `bson:"etag"`
	Updated      time.Time     `bson:"updated"`
}

func (d documentDoc) document() lrs.Document {
	return lrs.Document{
		Key: lrs.DocumentKey{Kind: lrs.DocumentKind(d.Kind), Activity: d.Activity, Agent: d.Agent,
			Registration: d.Registration, ID: d.DocID},
		ContentType: d.ContentType,
		Content:     d.Content,
		ETag:        d.ETag,
		Updated:     d.Updated.UTC(),
	}
}

// maxContent is the largest document content stored: a MongoDB document holds at most 16 MiB,
// and the key and the other fields need room beside the content.
const maxContent = 16<<20 - 64<<10

// keyFilter selects the document with the key.
func keyFilter(k lrs.DocumentKey) bson.D {
	return bson.D{{Key: "agent", Value: k.Agent}, {Key: "activity", Value: k.Activity}, {Key: "kind", Value: string(k.Kind)},
		{Key: "registration", Value: k.Registration}, {Key: "docId", Value: k.ID}}
}

// scopeFilter selects the documents DocumentIDs lists for key.
func scopeFilter(k lrs.DocumentKey) bson.D {
	f := bson.D{{Key: "agent", Value: k.Agent}, {Key: "activity", Value: k.Activity}, {Key: "kind", Value: string(k.Kind)}}
	if k.Registration != "" {
		f = append(f, bson.E{Key: "registration", Value: k.Registration})
	}
	return f
}

// Document implements lrs.DocumentStore.
func (s *Store) Document(ctx context.Context, key lrs.DocumentKey) (lrs.Document, error) {
	var d documentDoc
	err := s.documents.FindOne(ctx, keyFilter(key)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return lrs.Document{}, fmt.Errorf("mongo: document %s %q: %w", key.Kind, key.ID, lrs.ErrNotFound)
	}
	if err != nil {
		return lrs.Document{}, wrap("document", err)
	}
	return d.document(), nil
}

// DocumentIDs implements lrs.DocumentStore.
func (s *Store) DocumentIDs(ctx context.Context, key lrs.DocumentKey, since time.Time) ([]string, error) {
	filter := scopeFilter(key)
	if !since.IsZero() {
		// Stored times are whole milliseconds: after since is after its millisecond.
		filter = append(filter, bson.E{Key: "updated", Value: bson.D{{Key: "$gte", Value: since.Truncate(time.Millisecond).Add(time.Millisecond)}}})
	}
	cur, err := s.documents.Find(ctx, filter, options.Find().
		SetProjection(bson.D{{Key: "_id", Value: 0}, {Key: "docId", Value: 1}}).SetSort(bson.D{{Key: "docId", Value: 1}}))
	if err != nil {
		return nil, wrap("document ids", err)
	}
	defer cur.Close(ctx)
	ids := []string{}
	for cur.Next(ctx) {
		var d documentDoc
		if err := cur.Decode(&d); err != nil {
			return nil, wrap("document ids", err)
		}
		// State without a registration lists every registration's: an id may come more than once.
		if len(ids) == 0 || ids[len(ids)-1] != d.DocID {
			ids = append(ids, d.DocID)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, wrap("document ids", err)
	}
	return ids, nil
}

// PutDocument implements lrs.DocumentStore with one conditional write: an insert, which the
// unique index refuses if the document exists, when prev is ""; otherwise an update whose filter
// requires the stored ETag to be prev.
func (s *Store) PutDocument(ctx context.Context, doc lrs.Document, prev string) error {
	if len(doc.Content) > maxContent {
		return fmt.Errorf("%w: a document of %d bytes is larger than this store keeps (%d)", lrs.ErrBadRequest, len(doc.Content), maxContent)
	}
	if prev == "" {
		k := doc.Key
		_, err := s.documents.InsertOne(ctx, documentDoc{Agent: k.Agent, Activity: k.Activity, Kind: string(k.Kind),
			Registration: k.Registration, DocID: k.ID, ContentType: doc.ContentType, Content: doc.Content,
			ETag: doc.ETag, Updated: doc.Updated})
		if mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("mongo: document %q is stored already: %w", k.ID, lrs.ErrStale)
		}
		if err != nil {
			return wrap("put document", err)
		}
		return nil
	}
	res, err := s.documents.UpdateOne(ctx, append(keyFilter(doc.Key), bson.E{Key: "etag", Value: prev}),
		bson.D{{Key: "$set", Value: bson.D{{Key: "contentType", Value: doc.ContentType}, {Key: "content", Value: doc.Content},
			{Key: "etag", Value: doc.ETag}, {Key: "updated", Value: doc.Updated}}}})
	if err != nil {
		return wrap("put document", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("mongo: document %q is not stored with ETag %s: %w", doc.Key.ID, prev, lrs.ErrStale)
	}
	return nil
}

// DeleteDocument implements lrs.DocumentStore: one delete, conditional on the ETag if prev is set.
func (s *Store) DeleteDocument(ctx context.Context, key lrs.DocumentKey, prev string) error {
	filter := keyFilter(key)
	if prev != "" {
		filter = append(filter, bson.E{Key: "etag", Value: prev})
	}
	res, err := s.documents.DeleteOne(ctx, filter)
	if err != nil {
		return wrap("delete document", err)
	}
	if prev != "" && res.DeletedCount == 0 {
		return fmt.Errorf("mongo: document %q is not stored with ETag %s: %w", key.ID, prev, lrs.ErrStale)
	}
	return nil
}

// DeleteDocuments implements lrs.DocumentStore.
func (s *Store) DeleteDocuments(ctx context.Context, key lrs.DocumentKey) error {
	if _, err := s.documents.DeleteMany(ctx, scopeFilter(key)); err != nil {
		return wrap("delete documents", err)
	}
	return nil
}

// ScanDocuments implements lrs.ScanStore: documents by _id, whose ObjectIDs are unique and are
// never rewritten. The cursor is the hex _id of the last document returned.
func (s *Store) ScanDocuments(ctx context.Context, cursor string, limit int) (lrs.DocumentPage, error) {
	var after bson.ObjectID
	if cursor != "" {
		var err error
		if after, err = bson.ObjectIDFromHex(cursor); err != nil {
			return lrs.DocumentPage{}, fmt.Errorf("%w: cursor %q was not made by this store", lrs.ErrBadRequest, cursor)
		}
	}
	cur, err := s.documents.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)+1))
	if err != nil {
		return lrs.DocumentPage{}, wrap("scan documents", err)
	}
	defer cur.Close(ctx)
	var page lrs.DocumentPage
	for cur.Next(ctx) {
		if len(page.Documents) == limit {
			page.Cursor = after.Hex()
			break
		}
		var d documentDoc
		if err := cur.Decode(&d); err != nil {
			return lrs.DocumentPage{}, wrap("scan documents", err)
		}
		page.Documents = append(page.Documents, d.document())
		after = d.ID
	}
	if err := cur.Err(); err != nil {
		return lrs.DocumentPage{}, wrap("scan documents", err)
	}
	return page, nil
}
