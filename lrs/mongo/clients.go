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

// clientDoc is a document of the clients collection.
type clientDoc struct {
	Key        string      `bson:"_id"`
	SecretHash string      `bson:"secretHash"`
	Name       string      `bson:"name"`
	Scopes     []lrs.Scope `bson:"scopes"`
	Created    time.Time   `bson:"created"`
	Revoked    bool        `bson:"revoked"`
	Org        string      `bson:"org"`
}

func (d clientDoc) client() lrs.Client {
	return lrs.Client{Key: d.Key, SecretHash: d.SecretHash, Name: d.Name, Scopes: d.Scopes,
		Created: d.Created.UTC(), Revoked: d.Revoked, Org: d.Org}
}

// PutClient creates the client, or replaces the one with the same Key.
func (s *Store) PutClient(ctx context.Context, c lrs.Client) error {
	d := clientDoc{Key: c.Key, SecretHash: c.SecretHash, Name: c.Name, Scopes: c.Scopes, Created: c.Created,
		Revoked: c.Revoked, Org: c.Org}
	_, err := s.clients.ReplaceOne(ctx, bson.D{{Key: "_id", Value: c.Key}}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return wrap("put client", err)
	}
	return nil
}

// Client returns the client with the key, revoked or not, or an error wrapping lrs.ErrNotFound.
func (s *Store) Client(ctx context.Context, key string) (lrs.Client, error) {
	var d clientDoc
	err := s.clients.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return lrs.Client{}, fmt.Errorf("mongo: client %q: %w", key, lrs.ErrNotFound)
	}
	if err != nil {
		return lrs.Client{}, wrap("client", err)
	}
	return d.client(), nil
}

// Clients lists all clients ordered by Created, then Key. There are few: no index.
func (s *Store) Clients(ctx context.Context) ([]lrs.Client, error) {
	cur, err := s.clients.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "created", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, wrap("clients", err)
	}
	defer cur.Close(ctx)
	var list []lrs.Client
	for cur.Next(ctx) {
		var d clientDoc
		if err := cur.Decode(&d); err != nil {
			return nil, wrap("clients", err)
		}
		list = append(list, d.client())
	}
	if err := cur.Err(); err != nil {
		return nil, wrap("clients", err)
	}
	return list, nil
}
