package schemas

import (
	"encoding/json"
	"testing"
)

func TestStatement(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Statement(), &doc); err != nil {
		t.Fatalf("statement.json is not JSON: %v", err)
	}
	if doc["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Fatalf("$schema = %v, want draft-07", doc["$schema"])
	}
	b := Statement()
	b[0] = 'x'
	if Statement()[0] == 'x' {
		t.Fatal("Statement returns shared bytes")
	}
}

func TestCatalog(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(Catalog(), &doc); err != nil {
		t.Fatalf("catalog.json is not JSON: %v", err)
	}
	if doc["$schema"] != "http://json-schema.org/draft-07/schema#" {
		t.Fatalf("$schema = %v, want draft-07", doc["$schema"])
	}
}
