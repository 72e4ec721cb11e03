package loadgen

import (
	"encoding/json"
	"fmt"
)

const (
	homePage    = "https://yrkesresan.se"
	activityIRI = "https://yrkesresan.se/xapi/activities/"
	adlVerbs    = "http://adlnet.gov/expapi/verbs/"
	adlTypes    = "http://adlnet.gov/expapi/activities/"
	progressExt = "https://w3id.org/xapi/cmi5/result/extensions/progress"
	// perCourse activities make up one course: the course, its modules, then its assessments.
	perCourse = 10
	modules   = 7
)

// role is the kind of activity; it decides which verbs fit.
type role int

const (
	roleCourse role = iota
	roleModule
	roleAssessment
)

// resultKind is the result a verb carries.
type resultKind int

const (
	resultNone      resultKind = iota
	resultDuration             // time spent only
	resultProgress             // incomplete, with a progress percentage
	resultCompleted            // completion true
	resultAnswer               // success and response of one question
	resultPassed               // score above the pass mark, success and completion true
	resultFailed               // score below the pass mark, success false, completion true
)

// verb is an ADL verb with its display and its statement template fragment.
type verb struct {
	id     string
	result resultKind
	json   []byte // the verb object
}

func newVerb(name, sv string, result resultKind) verb {
	v := verb{id: adlVerbs + name, result: result}
	v.json = mustMarshal(struct {
		ID      string  `json:"id"`
		Display langMap `json:"display"`
	}{v.id, langMap{"en-US": name, "sv-SE": sv}})
	return v
}

var (
	experienced = newVerb("experienced", "upplevde", resultNone)
	attempted   = newVerb("attempted", "påbörjade", resultNone)
	initialized = newVerb("initialized", "startade", resultNone)
	terminated  = newVerb("terminated", "avslutade", resultDuration)
	progressed  = newVerb("progressed", "gjorde framsteg i", resultProgress)
	completed   = newVerb("completed", "slutförde", resultCompleted)
	answered    = newVerb("answered", "svarade på", resultAnswer)
	passed      = newVerb("passed", "klarade", resultPassed)
	failed      = newVerb("failed", "klarade inte", resultFailed)
)

// verbMix lists, per role, the verbs that fit it; a verb appears as often as it is weighted.
var verbMix = map[role][]*verb{
	roleCourse: {&experienced, &experienced, &experienced, &completed},
	roleModule: {&initialized, &initialized, &experienced, &experienced, &experienced, &experienced,
		&progressed, &progressed, &progressed, &completed, &terminated, &terminated},
	roleAssessment: {&attempted, &attempted, &answered, &answered, &answered, &answered, &answered,
		&answered, &passed, &passed, &failed},
}

// program is a Swedish upper-secondary vocational programme and the subject of its courses.
type program struct {
	slug, sv, en, subjectSV, subjectEN string
}

var programs = []program{
	{"bygg", "Bygg- och anläggningsprogrammet", "Building and Construction Programme", "Husbyggnad", "House building"},
	{"el", "El- och energiprogrammet", "Electricity and Energy Programme", "Elinstallationer", "Electrical installations"},
	{"fordon", "Fordons- och transportprogrammet", "Vehicle and Transport Programme", "Fordonsteknik", "Vehicle technology"},
	{"handel", "Försäljnings- och serviceprogrammet", "Sales and Service Programme", "Service och bemötande", "Customer service"},
	{"hotell", "Hotell- och turismprogrammet", "Hotel and Tourism Programme", "Reception", "Front office"},
	{"industri", "Industritekniska programmet", "Industrial Technology Programme", "Svetsning", "Welding"},
	{"restaurang", "Restaurang- och livsmedelsprogrammet", "Restaurant Management and Food Programme", "Matlagning", "Cooking"},
	{"vvs", "VVS- och fastighetsprogrammet", "HVAC and Property Maintenance Programme", "VVS-installationer", "Plumbing installations"},
	{"vard", "Vård- och omsorgsprogrammet", "Health and Social Care Programme", "Omvårdnad", "Nursing care"},
	{"barn", "Barn- och fritidsprogrammet", "Child and Recreation Programme", "Pedagogiskt arbete", "Pedagogical work"},
}

type langMap map[string]string

type definitionJSON struct {
	Name langMap `json:"name"`
	Type string  `json:"type,omitempty"`
}

type activityJSON struct {
	ObjectType string         `json:"objectType,omitempty"`
	ID         string         `json:"id"`
	Definition definitionJSON `json:"definition"`
}

type contextActivitiesJSON struct {
	Parent   []activityJSON `json:"parent,omitempty"`
	Grouping []activityJSON `json:"grouping"`
	Category []activityJSON `json:"category"`
}

// activity is one activity with the statement fragments that do not change between statements.
type activity struct {
	id       string // the activity IRI
	role     role
	courseID string // registrations are per learner and course
	maxScore int    // for assessments
	object   []byte // the statement object
	context  []byte // context.contextActivities
}

var profileCategory = activityJSON{
	ID:         "https://yrkesresan.se/xapi/profile/v1",
	Definition: definitionJSON{Name: langMap{"en-US": "Yrkesresan xAPI profile"}, Type: adlTypes + "profile"},
}

// buildActivity returns activity i: activities come in courses of perCourse, the course first.
func buildActivity(i int) activity {
	c, k := i/perCourse, i%perCourse
	p := programs[c%len(programs)]
	level := c/len(programs) + 1
	course := activityJSON{
		ID: fmt.Sprintf("%scourses/%d", activityIRI, c),
		Definition: definitionJSON{
			Name: langMap{"sv-SE": fmt.Sprintf("%s %d", p.subjectSV, level), "en-US": fmt.Sprintf("%s %d", p.subjectEN, level)},
			Type: adlTypes + "course",
		},
	}
	ctx := contextActivitiesJSON{
		Grouping: []activityJSON{{ID: activityIRI + "programs/" + p.slug, Definition: definitionJSON{Name: langMap{"sv-SE": p.sv, "en-US": p.en}}}},
		Category: []activityJSON{profileCategory},
	}
	a := activity{role: roleCourse, courseID: course.ID}
	obj := course
	if k > 0 {
		ctx.Parent = []activityJSON{course}
		obj = part(course, k)
		a.role, a.maxScore = roleOf(k), 20+80*(k%2)
	}
	obj.ObjectType = "Activity"
	a.id, a.object, a.context = obj.ID, mustMarshal(obj), mustMarshal(ctx)
	return a
}

func roleOf(k int) role {
	if k <= modules {
		return roleModule
	}
	return roleAssessment
}

// part returns the k-th module or assessment of course (k ≥ 1).
func part(course activityJSON, k int) activityJSON {
	kind, typ, sv, en, n := "modules", "module", "modul", "module", k
	if roleOf(k) == roleAssessment {
		kind, typ, sv, en, n = "assessments", "assessment", "prov", "test", k-modules
	}
	return activityJSON{
		ID: fmt.Sprintf("%s/%s/%d", course.ID, kind, n),
		Definition: definitionJSON{
			Name: langMap{
				"sv-SE": fmt.Sprintf("%s, %s %d", course.Definition.Name["sv-SE"], sv, n),
				"en-US": fmt.Sprintf("%s, %s %d", course.Definition.Name["en-US"], en, n),
			},
			Type: adlTypes + typ,
		},
	}
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed, marshalable template values reach here
	}
	return b
}
