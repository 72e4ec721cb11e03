package validate

import (
	"testing"
)

// benchStatement is a realistic statement: an account actor, a verb, an activity with its
// definition, a result with score and duration, a context with registration and context
// activities of three kinds, and a timestamp.
const benchStatement = `{
	"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
	"actor": {"objectType": "Agent", "name": "Ann Learner",
		"account": {"homePage": "https://lms.example.com", "name": "u-1625378"}},
	"verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "sv-SE": "svarade"}},
	"object": {"objectType": "Activity", "id": "https://example.com/courses/algebra/quiz-1/q3",
		"definition": {
			"name": {"en-US": "Question 3"},
			"description": {"en-US": "Which numbers are prime?"},
			"type": "http://adlnet.gov/expapi/activities/cmi.interaction",
			"interactionType": "choice",
			"correctResponsesPattern": ["two[,]three"],
			"choices": [
				{"id": "two", "description": {"en-US": "2"}},
				{"id": "three", "description": {"en-US": "3"}},
				{"id": "four", "description": {"en-US": "4"}}
			]
		}},
	"result": {"score": {"scaled": 0.85, "raw": 85, "min": 0, "max": 100},
		"success": true, "completion": true, "response": "two[,]three", "duration": "PT1M12.5S"},
	"context": {
		"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
		"contextActivities": {
			"parent": [{"id": "https://example.com/courses/algebra/quiz-1", "objectType": "Activity"}],
			"grouping": [{"id": "https://example.com/courses/algebra"}],
			"category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}]
		},
		"platform": "Example LMS",
		"language": "en-US",
		"extensions": {"https://example.com/xapi/extensions/session": "s-42"}
	},
	"timestamp": "2024-05-06T07:08:09.123Z"
}`

func BenchmarkStatement(b *testing.B) {
	st := decode(b, benchStatement)
	for _, version := range []string{"1.0.3", "2.0.0"} {
		b.Run(version, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Statement(st, version); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStatementParallel runs Statement on every core, as the ingest path does; its ns/op is
// the reciprocal of the statements per second one process can validate.
func BenchmarkStatementParallel(b *testing.B) {
	st := decode(b, benchStatement)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := Statement(st, "2.0.0"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkStatementHalves times the schema half (gojsonschema, after the number pre-check) and
// the Go rules half apart, to show where the cost of Statement comes from.
func BenchmarkStatementHalves(b *testing.B) {
	st := decode(b, benchStatement)
	schema := compiledSchemas().statement
	b.Run("schema", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := checker{}
			at := root("")
			checkSchema(schema, st, &at, &c)
			if len(c.problems) > 0 {
				b.Fatal(c.problems)
			}
		}
	})
	b.Run("rules", func(b *testing.B) {
		b.ReportAllocs()
		m := st.(map[string]any)
		for b.Loop() {
			c := checker{v2: true}
			at := root("")
			c.statement(&at, m, false)
			if len(c.problems) > 0 {
				b.Fatal(c.problems)
			}
		}
	})
}

// BenchmarkUniqueKeys is the cost of the 2.0 duplicate-property check, per statement.
func BenchmarkUniqueKeys(b *testing.B) {
	doc := []byte(benchStatement)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := UniqueKeys(doc); err != nil {
			b.Fatal(err)
		}
	}
}
