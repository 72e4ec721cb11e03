package httpapi_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// activity fetches the Activities resource for id as the client.
func (e *testEnv) activity(id, as string) map[string]any {
	e.t.Helper()
	r := e.do(req{path: "/xapi/activities?activityId=" + url.QueryEscape(id), as: as})
	expect(e.t, r, http.StatusOK)
	var act map[string]any
	r.json(e.t, &act)
	return act
}

func activityObject(id string, def map[string]any) map[string]any {
	return map[string]any{"objectType": "Activity", "id": id, "definition": def}
}

func langMap(kv ...string) map[string]any {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Communication 2.5: GET returns the complete Activity object (XAPI-00251), with every language
// statements gave it (XAPI-00254), whatever Accept-Language asks for; an unknown activity is
// still an Activity object (2.5.s2.b1).
func TestActivitiesResource(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	const id = "https://yrkesresan.se/courses/meeting"
	def := map[string]any{
		"type":        "http://adlnet.gov/expapi/activities/meeting",
		"name":        langMap("en-US", "example meeting", "en-GB", "example meeting"),
		"description": langMap("en-US", "An example meeting."),
		"moreInfo":    "https://yrkesresan.se/more",
		"extensions":  map[string]any{"https://yrkesresan.se/ext/room": map[string]any{"floor": 2.0}},
	}
	e.post(statement(withObject(activityObject(id, def))))
	if got := e.activity(id, ""); !sameJSON(got, activityObject(id, def)) {
		t.Errorf("activity %v, want the statement's object %v", got, activityObject(id, def))
	}

	t.Run("languages of two statements in one batch combine", func(t *testing.T) {
		const id = "https://yrkesresan.se/courses/batch"
		e.post(statement(withObject(activityObject(id, map[string]any{"name": langMap("en-US", "example meeting")}))),
			statement(withObject(activityObject(id, map[string]any{"name": langMap("fr-FR", "réunion")}))))
		want := activityObject(id, map[string]any{"name": langMap("en-US", "example meeting", "fr-FR", "réunion")})
		if got := e.activity(id, ""); !sameJSON(got, want) {
			t.Errorf("activity %v, want %v", got, want)
		}
	})

	t.Run("a later statement adds languages and replaces other properties", func(t *testing.T) {
		e.post(statement(withObject(activityObject(id, map[string]any{
			"name": langMap("sv-SE", "exempelmöte", "en-US", "sample meeting"),
			"type": "https://yrkesresan.se/types/meeting",
		}))))
		got := e.activity(id, "")
		d, _ := got["definition"].(map[string]any)
		wantName := langMap("en-US", "sample meeting", "en-GB", "example meeting", "sv-SE", "exempelmöte")
		if !sameJSON(d["name"], wantName) || d["type"] != "https://yrkesresan.se/types/meeting" ||
			!sameJSON(d["description"], def["description"]) || d["moreInfo"] != def["moreInfo"] {
			t.Errorf("definition %v", d)
		}
	})

	t.Run("all languages whatever Accept-Language asks", func(t *testing.T) {
		r := e.do(req{path: "/xapi/activities?activityId=" + url.QueryEscape(id), header: map[string]string{"Accept-Language": "sv-SE"}})
		expect(t, r, http.StatusOK)
		var act map[string]any
		r.json(t, &act)
		if name := act["definition"].(map[string]any)["name"].(map[string]any); len(name) != 3 {
			t.Errorf("name %v, want all three languages", name)
		}
	})

	t.Run("unknown activity", func(t *testing.T) {
		const id = "https://yrkesresan.se/never-seen"
		want := map[string]any{"objectType": "Activity", "id": id}
		if got := e.activity(id, ""); !sameJSON(got, want) {
			t.Errorf("activity %v, want %v", got, want)
		}
	})

	t.Run("under 2.0", func(t *testing.T) {
		r := e.do(req{path: "/xapi/activities?activityId=" + url.QueryEscape(id), version: "2.0.0"})
		expect(t, r, http.StatusOK)
		if r.Header.Get("X-Experience-API-Version") != "2.0.0" {
			t.Errorf("version header %q", r.Header.Get("X-Experience-API-Version"))
		}
	})
}

// Data 2.4.4.1: definitions of context activities and of sub-statements are canonical too.
func TestActivitiesFromContextAndSubStatements(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	parent, category, sub := "https://yrkesresan.se/journeys/bou", "https://yrkesresan.se/cat/social", "https://yrkesresan.se/sub"
	e.post(statement(withContext(map[string]any{"contextActivities": map[string]any{
		"parent":   activityObject(parent, map[string]any{"name": langMap("sv", "BoU")}), // 1.0.x single object form
		"category": []any{activityObject(category, map[string]any{"name": langMap("sv", "Socialtjänst")})},
	}})))
	e.post(statement(withObject(map[string]any{"objectType": "SubStatement",
		"actor":  map[string]any{"mbox": "mailto:learner@yrkesresan.se"},
		"verb":   map[string]any{"id": "http://adlnet.gov/expapi/verbs/attempted"},
		"object": activityObject(sub, map[string]any{"name": langMap("sv", "Del")}),
	})))
	for id, name := range map[string]string{parent: "BoU", category: "Socialtjänst", sub: "Del"} {
		want := activityObject(id, map[string]any{"name": langMap("sv", name)})
		if got := e.activity(id, ""); !sameJSON(got, want) {
			t.Errorf("activity %v, want %v", got, want)
		}
	}
}

// Communication 4.2, scope define: without it the LRS "SHOULD NOT update its canonical
// representation of any ... Activities"; this LRS does not make a first one either.
func TestActivityDefinitionsNeedDefine(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	e.addClient(t, "definer", lrs.ScopeStatementsWrite, lrs.ScopeDefine)
	const id = "https://yrkesresan.se/courses/scoped"
	send := func(as string, name map[string]any) {
		t.Helper()
		st := statement(withObject(activityObject(id, map[string]any{"name": name})))
		expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: st, as: as}), http.StatusOK)
	}
	bare := map[string]any{"objectType": "Activity", "id": id}

	send("writer", langMap("en", "First"))
	if got := e.activity(id, ""); !sameJSON(got, bare) {
		t.Errorf("after a statement without define: %v, want %v", got, bare)
	}
	send("definer", langMap("en", "Defined"))
	send("writer", langMap("en", "Changed", "sv", "Ändrad"))
	want := activityObject(id, map[string]any{"name": langMap("en", "Defined")})
	if got := e.activity(id, ""); !sameJSON(got, want) {
		t.Errorf("after a statement without define: %v, want %v", got, want)
	}
}

// Communication 2.5 parameters (XAPI-00250), 1.3 (unknown parameters), access, and HEAD (1.1).
func TestActivitiesRequests(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	e.addClient(t, "definer", lrs.ScopeDefine)
	e.addClient(t, "allread", lrs.ScopeAllRead)
	const id = "https://yrkesresan.se/courses/bou-ny-1"
	e.post(statement())
	path := "/xapi/activities?activityId=" + url.QueryEscape(id)
	cases := []struct {
		name string
		req  req
		want int
	}{
		{"statements/read", req{path: path, as: "reader"}, http.StatusOK},
		{"all/read", req{path: path, as: "allread"}, http.StatusOK},
		{"define", req{path: path, as: "definer"}, http.StatusOK},
		{"statements/write only", req{path: path, as: "writer"}, http.StatusForbidden},
		{"statements/read/mine", req{path: path, as: "mine"}, http.StatusForbidden},
		{"no credentials", req{path: path, as: "-"}, http.StatusUnauthorized},
		{"no version", req{path: path, version: "-"}, http.StatusBadRequest},
		{"no activityId", req{path: "/xapi/activities"}, http.StatusBadRequest},
		{"empty activityId", req{path: "/xapi/activities?activityId="}, http.StatusBadRequest},
		{"activityId not an IRI", req{path: "/xapi/activities?activityId=true"}, http.StatusBadRequest},
		{"activityId twice", req{path: path + "&activityId=" + url.QueryEscape(id)}, http.StatusBadRequest},
		{"unknown parameter", req{path: path + "&agent=x"}, http.StatusBadRequest},
		{"POST", req{method: http.MethodPost, path: path, body: "{}"}, http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.req)
			expect(t, r, c.want)
			if c.want >= 400 {
				var body struct {
					Status int    `json:"status"`
					Error  string `json:"error"`
				}
				r.json(t, &body)
				if body.Status != c.want || body.Error == "" {
					t.Errorf("error body %s", r.body)
				}
			}
		})
	}
	t.Run("errors name the parameter", func(t *testing.T) {
		for _, p := range []string{"/xapi/activities", "/xapi/activities?activityId=true"} {
			if r := e.do(req{path: p}); !bytes.Contains(r.body, []byte("activityId")) {
				t.Errorf("GET %s: %s does not name activityId", p, r.body)
			}
		}
	})

	t.Run("ETag and HEAD", func(t *testing.T) {
		get := e.do(req{path: path})
		expect(t, get, http.StatusOK)
		sum := sha1.Sum(get.body)
		if etag := get.Header.Get("ETag"); etag != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Errorf("ETag %s, want the quoted SHA-1 of %s", etag, get.body)
		}
		head := e.do(req{method: http.MethodHead, path: path})
		expect(t, head, http.StatusOK)
		if len(head.body) != 0 || head.Header.Get("ETag") != get.Header.Get("ETag") {
			t.Errorf("HEAD: body %q, ETag %s; want no body and the GET's ETag", head.body, head.Header.Get("ETag"))
		}
	})
}

// sameJSON reports whether a and b encode to the same JSON (object keys are sorted).
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// Definitions sent concurrently for one activity all reach the canonical definition: no merge
// is lost to another.
func TestConcurrentDefinitions(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	const id = "https://yrkesresan.se/courses/concurrent"
	tags := []string{"en", "sv", "fi", "de", "fr", "es", "it", "nl", "da", "nb", "pl", "pt", "et", "lv", "lt", "cs"}
	// Only the test goroutine may fail the test (e.do can), so the POSTs report back instead.
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, len(tags))
	creds := e.creds["admin"]
	var wg sync.WaitGroup
	for i, tag := range tags {
		st, err := json.Marshal(statement(withObject(activityObject(id, map[string]any{"name": langMap(tag, "name in "+tag)}))))
		if err != nil {
			t.Fatal(err)
		}
		hr, err := http.NewRequest(http.MethodPost, e.srv.URL+"/xapi/statements", bytes.NewReader(st))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("X-Experience-API-Version", "1.0.3")
		hr.SetBasicAuth(creds[0], creds[1])
		wg.Go(func() {
			res, err := e.srv.Client().Do(hr)
			if err != nil {
				results[i].err = err
				return
			}
			defer res.Body.Close()
			results[i].status = res.StatusCode
			results[i].body, results[i].err = io.ReadAll(res.Body)
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("POST of %s: status %d, %v; body %s", tags[i], r.status, r.err, r.body)
		}
	}
	name, _ := e.activity(id, "")["definition"].(map[string]any)["name"].(map[string]any)
	for _, tag := range tags {
		if name[tag] != "name in "+tag {
			t.Errorf("name[%s] = %v; name %v", tag, name[tag], name)
		}
	}
}
