package progress_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/progress"
)

func TestExampleCatalog(t *testing.T) {
	src, err := os.ReadFile("../examples/barn-och-unga.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := progress.ParseCatalog(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Journeys) != 1 || len(c.Journeys[0].Phases) != 4 {
		t.Errorf("example catalog: %+v", c)
	}
}

func TestCatalogErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // "line N: field: part of the message"
	}{
		{"not YAML", "journeys: [\n", []string{"line 1"}},
		{"no journeys", "completion_verbs: [http://a.se/v]\n", []string{"(root): journeys is required"}},
		{"unknown phase", `
journeys:
  - id: bou
    name: B
    phases:
      nya:
        activities: [{id: https://ex.se/a}]
`, []string{"line 6: journeys[0].phases: Additional property nya is not allowed"}},
		{"bad journey id and empty phase", `
journeys:
  - id: Barn och unga
    name: B
    phases:
      ny:
        activities: []
`, []string{"line 3: journeys[0].id: Does not match pattern", "line 7: journeys[0].phases.ny.activities: Array must have at least 1 items"}},
		{"activity not an IRI, twice in a phase", `
journeys:
  - id: bou
    name: B
    phases:
      van:
        activities:
          - id: https://ex.se/a
          - id: kurs 1
          - id: https://ex.se/a
`, []string{"line 9: journeys[0].phases.van.activities[1].id: must be an absolute IRI",
			"line 10: journeys[0].phases.van.activities[2].id: activity \"https://ex.se/a\" is already activity 0"}},
		{"failed is no completion", `
completion_verbs: [http://adlnet.gov/expapi/verbs/completed, http://adlnet.gov/expapi/verbs/failed]
journeys: [{id: a, name: A, phases: {chef: {activities: [{id: "https://ex.se/a"}]}}}]
`, []string{"line 2: completion_verbs[1]: failed never completes"}},
		{"same journey twice, in JSON", `{"journeys": [
  {"id": "a", "name": "A", "phases": {"ny": {"activities": [{"id": "https://ex.se/a"}]}}},
  {"id": "a", "name": "A", "phases": {"ny": {"activities": [{"id": "https://ex.se/a"}]}}}
]}`, []string{"line 3: journeys[1].id: journey id \"a\" is also journey 0's"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := progress.ParseCatalog([]byte(c.src))
			var ce *progress.CatalogError
			if !errors.As(err, &ce) || !errors.Is(err, lrs.ErrBadRequest) {
				t.Fatalf("ParseCatalog: %v, want a *CatalogError", err)
			}
			if len(ce.Problems) != len(c.want) {
				t.Errorf("problems %+v, want %d", ce.Problems, len(c.want))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
