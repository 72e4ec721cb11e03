package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/xeipuuv/gojsonschema"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
	"github.com/yrkesresan/lrs/schemas"
)

// phases are the phase ids in programme order: Ny (0-2 years in the profession), Van (2-5),
// Erfaren (more than 5) and the managers' track Chef.
var phases = []string{"ny", "van", "erfaren", "chef"}

// Defaults of the catalog's settings.
const (
	DefaultMunicipalityExtension = "https://yrkesresan.se/xapi/extensions/municipality"
	verbFailed                   = "http://adlnet.gov/expapi/verbs/failed"
)

// defaultCompletionVerbs complete the object activity unless the catalog names others: ADL's
// completed and passed (used by cmi5 and by the xAPI SCORM Profile too), and cmi5's satisfied and
// waived (the LMS's statements that an AU's or block's requirement is met).
var defaultCompletionVerbs = []string{
	"http://adlnet.gov/expapi/verbs/completed",
	"http://adlnet.gov/expapi/verbs/passed",
	"https://w3id.org/xapi/adl/verbs/satisfied",
	"https://w3id.org/xapi/adl/verbs/waived",
}

// Catalog is what Yrkesresan counts: journeys, their phases, and the activities each phase
// requires, with how statements are read (completion verbs, the municipality extension).
type Catalog struct {
	MunicipalityExtension string    `json:"municipality_extension,omitempty"`
	CompletionVerbs       []string  `json:"completion_verbs,omitempty"`
	Journeys              []Journey `json:"journeys"`
}

// Journey is a yrkesresa.
type Journey struct {
	ID     string           `json:"id"`
	Name   string           `json:"name"`
	Phases map[string]Phase `json:"phases"` // by phase id (see phases)
}

// Phase lists the activities a learner must complete to complete the phase.
type Phase struct {
	Activities []Activity `json:"activities"`
}

// Activity is a required activity: the IRI statements name it by.
type Activity struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// CatalogError lists every problem of a catalog file, each with where it is.
type CatalogError struct {
	Problems []CatalogProblem `json:"problems"`
}

// CatalogProblem is one problem: the line (1-based; 0 when unknown), the field path, and what is
// wrong.
type CatalogProblem struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *CatalogError) Error() string {
	var b strings.Builder
	b.WriteString("invalid catalog:")
	for _, p := range e.Problems {
		if p.Line > 0 {
			fmt.Fprintf(&b, "\n  line %d: %s: %s", p.Line, p.Field, p.Message)
		} else {
			fmt.Fprintf(&b, "\n  %s: %s", p.Field, p.Message)
		}
	}
	return b.String()
}

// Unwrap makes an invalid catalog a bad request.
func (e *CatalogError) Unwrap() error { return lrs.ErrBadRequest }

var catalogSchema = sync.OnceValue(func() *gojsonschema.Schema {
	sl := gojsonschema.NewSchemaLoader()
	sl.Draft = gojsonschema.Draft7
	sl.AutoDetect = false
	s, err := sl.Compile(gojsonschema.NewBytesLoader(schemas.Catalog()))
	if err != nil {
		panic("progress: embedded catalog schema: " + err.Error())
	}
	return s
})

// ParseCatalog reads a catalog in YAML or JSON (JSON is YAML), checks it against
// schemas/catalog.json and the rules a schema cannot express, and returns it or a *CatalogError
// naming the line and field of each problem.
func ParseCatalog(src []byte) (*Catalog, error) {
	file, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, &CatalogError{Problems: []CatalogProblem{syntaxProblem(err)}}
	}
	plain, err := yaml.YAMLToJSON(src)
	if err != nil {
		return nil, &CatalogError{Problems: []CatalogProblem{syntaxProblem(err)}}
	}
	res, err := catalogSchema().Validate(gojsonschema.NewBytesLoader(plain))
	if err != nil {
		return nil, &CatalogError{Problems: []CatalogProblem{{Field: "(root)", Message: err.Error()}}}
	}
	if !res.Valid() {
		ce := &CatalogError{}
		for _, e := range res.Errors() {
			path := schemaPath(e.Field())
			ce.Problems = append(ce.Problems, CatalogProblem{Line: lineOf(file, path), Field: fieldName(path), Message: e.Description()})
		}
		return nil, ce
	}
	var c Catalog
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, &CatalogError{Problems: []CatalogProblem{{Field: "(root)", Message: err.Error()}}}
	}
	if problems := c.check(); len(problems) > 0 {
		for i := range problems {
			problems[i].Line = lineOf(file, problems[i].path)
			problems[i].Field = fieldName(problems[i].path)
		}
		ce := &CatalogError{}
		for _, p := range problems {
			ce.Problems = append(ce.Problems, p.CatalogProblem)
		}
		return nil, ce
	}
	return &c, nil
}

// syntaxProblem turns a YAML error into a problem with its line, when the error has one.
func syntaxProblem(err error) CatalogProblem {
	p := CatalogProblem{Field: "(root)", Message: err.Error()}
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil {
		p.Line, p.Message = se.Token.Position.Line, se.Message
	}
	return p
}

// schemaPath splits gojsonschema's field ("journeys.0.phases.ny" or "(root)") into its parts.
func schemaPath(field string) []string {
	if field == "(root)" || field == "" {
		return nil
	}
	return strings.Split(field, ".")
}

// fieldName writes a path the way people read it: journeys[0].phases.ny.
func fieldName(path []string) string {
	if len(path) == 0 {
		return "(root)"
	}
	var b strings.Builder
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			fmt.Fprintf(&b, "[%s]", p)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// lineOf returns the line of the node at path in the parsed file, or of its nearest ancestor
// that exists (a missing property is reported at the object that lacks it).
func lineOf(file *ast.File, path []string) int {
	for n := len(path); n >= 0; n-- {
		yp := "$"
		for _, p := range path[:n] {
			if _, err := strconv.Atoi(p); err == nil {
				yp += "[" + p + "]"
			} else {
				yp += "." + p
			}
		}
		p, err := yaml.PathString(yp)
		if err != nil {
			continue
		}
		node, err := p.FilterFile(file)
		if err != nil || node == nil {
			continue
		}
		if tk := node.GetToken(); tk != nil {
			return tk.Position.Line
		}
	}
	return 0
}

// pathProblem is a problem found after decoding; its line is looked up by path.
type pathProblem struct {
	CatalogProblem
	path []string
}

// check enforces what the schema cannot: IRIs, unique journey ids, no activity twice in a phase,
// no failed among the completion verbs.
func (c *Catalog) check() []pathProblem {
	var out []pathProblem
	add := func(msg string, path ...string) {
		out = append(out, pathProblem{CatalogProblem: CatalogProblem{Message: msg}, path: path})
	}
	if c.MunicipalityExtension != "" && !validate.IsIRI(c.MunicipalityExtension) {
		add("must be an absolute IRI", "municipality_extension")
	}
	for i, v := range c.CompletionVerbs {
		switch {
		case !validate.IsIRI(v):
			add("must be an absolute IRI", "completion_verbs", strconv.Itoa(i))
		case v == verbFailed:
			add("failed never completes an activity", "completion_verbs", strconv.Itoa(i))
		}
	}
	journeys := map[string]int{}
	for i, j := range c.Journeys {
		ji := strconv.Itoa(i)
		if prev, dup := journeys[j.ID]; dup {
			add(fmt.Sprintf("journey id %q is also journey %d's", j.ID, prev), "journeys", ji, "id")
		}
		journeys[j.ID] = i
		for _, phase := range phases {
			seen := map[string]int{}
			for k, a := range j.Phases[phase].Activities {
				path := []string{"journeys", ji, "phases", phase, "activities", strconv.Itoa(k), "id"}
				if !validate.IsIRI(a.ID) {
					add("must be an absolute IRI", path...)
				}
				if prev, dup := seen[a.ID]; dup {
					add(fmt.Sprintf("activity %q is already activity %d of this phase", a.ID, prev), path...)
				}
				seen[a.ID] = k
			}
		}
	}
	return out
}

// withDefaults returns the catalog with its unset settings set.
func (c Catalog) withDefaults() Catalog {
	if c.MunicipalityExtension == "" {
		c.MunicipalityExtension = DefaultMunicipalityExtension
	}
	if len(c.CompletionVerbs) == 0 {
		c.CompletionVerbs = slices.Clone(defaultCompletionVerbs)
	}
	return c
}

// requirement is one (journey, phase, activity) the catalog lists.
type requirement struct {
	journey, phase string
	index          int // of the activity in the phase
}

// index is a catalog prepared for applying statements.
type index struct {
	catalog   Catalog // with defaults
	verbs     map[string]bool
	required  map[string][]requirement // activity IRI -> where it is required
	phaseKeys []phaseKey               // every (journey, phase) with activities, in catalog order
	acts      map[phaseKey][]string    // activity IRIs of each phase
}

type phaseKey struct{ journey, phase string }

func newIndex(c Catalog) *index {
	c = c.withDefaults()
	ix := &index{catalog: c, verbs: map[string]bool{}, required: map[string][]requirement{}, acts: map[phaseKey][]string{}}
	for _, v := range c.CompletionVerbs {
		ix.verbs[v] = true
	}
	for _, j := range c.Journeys {
		for _, p := range phases {
			ph, ok := j.Phases[p]
			if !ok {
				continue
			}
			pk := phaseKey{j.ID, p}
			ix.phaseKeys = append(ix.phaseKeys, pk)
			for i, a := range ph.Activities {
				ix.required[a.ID] = append(ix.required[a.ID], requirement{j.ID, p, i})
				ix.acts[pk] = append(ix.acts[pk], a.ID)
			}
		}
	}
	return ix
}
