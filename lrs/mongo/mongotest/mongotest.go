// Package mongotest gives tests a MongoDB database of their own on the server that the
// LRS_TEST_MONGODB_URI environment variable names (any MongoDB-compatible server), and drops it
// when the test ends. Without the variable, tests that need a server skip.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EnvURI is the environment variable that names the test server.
const EnvURI = "LRS_TEST_MONGODB_URI"

// URI returns the test server's URI, or "" when none is configured.
func URI() string { return os.Getenv(EnvURI) }

// Database returns the test server's URI and the name of a new database on it, which is dropped
// when t ends. It skips t when no server is configured.
func Database(t testing.TB) (uri, name string) {
	t.Helper()
	uri = URI()
	if uri == "" {
		t.Skipf("%s is not set: no MongoDB server to test against", EnvURI)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	name = "lrstest_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		client, err := mongo.Connect(options.Client().ApplyURI(uri))
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer client.Disconnect(ctx)
		if err := client.Database(name).Drop(ctx); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return uri, name
}
