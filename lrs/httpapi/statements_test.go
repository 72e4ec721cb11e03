package httpapi_test

import (
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// Communication 3.3: version negotiation.
func TestVersionHeader(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	cases := []struct {
		sent   string
		status int
		reply  string
	}{
		{"-", http.StatusBadRequest, ""},
		{"0.95", http.StatusBadRequest, ""},
		{"1.1.0", http.StatusBadRequest, ""},
		{"3.0.0", http.StatusBadRequest, ""},
		{"1.0", http.StatusOK, "1.0.3"},
		{"1.0.0", http.StatusOK, "1.0.3"},
		{"1.0.1", http.StatusOK, "1.0.3"},
		{"1.0.3", http.StatusOK, "1.0.3"},
		{"2.0.0", http.StatusOK, "2.0.0"},
	}
	for _, c := range cases {
		t.Run(c.sent, func(t *testing.T) {
			r := e.do(req{path: "/xapi/statements", version: c.sent})
			expect(t, r, c.status)
			if got := r.Header.Get("X-Experience-API-Version"); c.reply != "" && got != c.reply {
				t.Errorf("replied version %q, want %q", got, c.reply)
			}
			if c.status == http.StatusBadRequest && !strings.Contains(string(r.body), "X-Experience-API-Version") {
				t.Errorf("error body does not name the header: %s", r.body)
			}
		})
	}
}

// Communication 3.3: the version is checked on every xAPI path before routing, so a resource this
// LRS does not serve is 400 without the header and 404 with it; the reply states a version.
func TestVersionBeforeRouting(t *testing.T) {
	for _, def := range []string{"1.0.3", "2.0.0"} {
		e := newEnv(t, httpapi.Config{DefaultVersion: def})
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			r := e.do(req{method: method, path: "/xapi/no-such-resource", version: "-"})
			expect(t, r, http.StatusBadRequest)
			if got := r.Header.Get("X-Experience-API-Version"); got != def {
				t.Errorf("default %s: replied %q", def, got)
			}
			expect(t, e.do(req{method: method, path: "/xapi/no-such-resource"}), http.StatusNotFound)
		}
		expect(t, e.do(req{method: http.MethodDelete, path: "/xapi/statements"}), http.StatusMethodNotAllowed)
	}
}

// Communication 2.8: about needs neither credentials nor a version header.
func TestAbout(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	r := e.do(req{path: "/xapi/about", as: "-", version: "-"})
	expect(t, r, http.StatusOK)
	var about struct{ Version []string }
	r.json(t, &about)
	if !slices.Contains(about.Version, "1.0.3") || !slices.Contains(about.Version, "2.0.0") {
		t.Errorf("versions %v", about.Version)
	}
	if r.Header.Get("X-Experience-API-Version") == "" {
		t.Error("no X-Experience-API-Version header")
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	cases := []struct {
		name   string
		r      req
		status int
	}{
		{"no credentials", req{path: "/xapi/statements", as: "-"}, http.StatusUnauthorized},
		{"write scope cannot read", req{path: "/xapi/statements", as: "writer"}, http.StatusForbidden},
		{"read scope cannot write", req{method: http.MethodPost, path: "/xapi/statements", as: "reader", body: statement()}, http.StatusForbidden},
		{"read scope reads", req{path: "/xapi/statements", as: "reader"}, http.StatusOK},
		{"write scope writes", req{method: http.MethodPost, path: "/xapi/statements", as: "writer", body: statement()}, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.r)
			expect(t, r, c.status)
			if c.status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		hr, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/xapi/statements", nil)
		hr.Header.Set("X-Experience-API-Version", "1.0.3")
		hr.SetBasicAuth(e.creds["admin"][0], "not-the-secret")
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

// Data 2.4: what the LRS sets on a stored statement.
func TestLRSAssignedProperties(t *testing.T) {
	e := newEnv(t, httpapi.Config{BaseURL: "https://lrs.example"})
	for _, v := range []struct{ request, statement string }{{"1.0.3", "1.0.0"}, {"2.0.0", "2.0.0"}} {
		t.Run(v.request, func(t *testing.T) {
			st := statement()
			st["authority"] = map[string]any{"mbox": "mailto:forged@example.com"}
			r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: st, version: v.request})
			expect(t, r, http.StatusOK)
			var ids []string
			r.json(t, &ids)
			got := e.get(ids[0])
			if !isUUID(got["id"]) || got["stored"] == nil || got["timestamp"] != got["stored"] {
				t.Errorf("id/stored/timestamp not set: %v", got)
			}
			if got["version"] != v.statement {
				t.Errorf("version %v, want %s", got["version"], v.statement)
			}
			acc, _ := got["authority"].(map[string]any)["account"].(map[string]any)
			if acc["homePage"] != "https://lrs.example" || acc["name"] != e.creds["admin"][0] {
				t.Errorf("authority not overwritten with the client's: %v", got["authority"])
			}
		})
	}
}

func isUUID(v any) bool {
	s, _ := v.(string)
	_, err := uuid.Parse(s)
	return err == nil
}

// Communication 2.1.2: a batch is stored all or nothing.
func TestPostBatchAllOrNothing(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	good := uuid.NewString()
	bad := statement(func(st map[string]any) { st["verb"] = map[string]any{"id": "not an iri"} })
	r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: []any{statement(withID(good)), bad}})
	expect(t, r, http.StatusBadRequest)
	var body struct {
		Statement int
		Problems  []struct{ Path, Rule string }
	}
	r.json(t, &body)
	if body.Statement != 1 || len(body.Problems) == 0 || body.Problems[0].Path != "verb.id" {
		t.Errorf("error does not name statement 1 and verb.id: %s", r.body)
	}
	expect(t, e.do(req{path: "/xapi/statements?statementId=" + good}), http.StatusNotFound)

	t.Run("duplicate ids in one batch", func(t *testing.T) {
		id := uuid.NewString()
		r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: []any{statement(withID(id)), statement(withID(id), withActor("x"))}})
		expect(t, r, http.StatusBadRequest)
	})
	t.Run("ids returned in order", func(t *testing.T) {
		a, b := uuid.NewString(), uuid.NewString()
		got := e.post(statement(withID(a)), statement(), statement(withID(b)))
		if len(got) != 3 || got[0] != a || got[2] != b || !isUUID(got[1]) {
			t.Errorf("ids %v", got)
		}
	})
}

// Communication 2.1.1: PUT.
func TestPut(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	id := uuid.NewString()
	cases := []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"stores", "?statementId=" + id, statement(), http.StatusNoContent},
		{"same again", "?statementId=" + id, statement(), http.StatusNoContent},
		{"different content conflicts", "?statementId=" + id, statement(withActor("someone-else")), http.StatusConflict},
		{"no statementId", "", statement(), http.StatusBadRequest},
		{"statementId not a UUID", "?statementId=abc", statement(), http.StatusBadRequest},
		{"body id differs", "?statementId=" + uuid.NewString(), statement(withID(uuid.NewString())), http.StatusBadRequest},
		{"array body", "?statementId=" + uuid.NewString(), []any{statement()}, http.StatusBadRequest},
		{"unknown parameter", "?statementId=" + uuid.NewString() + "&foo=1", statement(), http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, e.do(req{method: http.MethodPut, path: "/xapi/statements" + c.path, body: c.body}), c.status)
		})
	}
}

// Data 2.3.1: re-sending an equivalent statement is accepted without change; a different one is
// a conflict.
func TestImmutability(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	id := uuid.NewString()
	orig := statement(withID(id), func(st map[string]any) {
		st["timestamp"] = "2026-11-23T10:00:00.123Z"
		st["actor"] = map[string]any{"objectType": "Group", "member": []any{
			map[string]any{"mbox": "mailto:a@example.com"}, map[string]any{"mbox": "mailto:b@example.com"}}}
		st["result"] = map[string]any{"duration": "PT1.23S"}
	})
	e.post(orig)
	stored := e.get(id)["stored"]
	same := []struct {
		name string
		edit func(map[string]any)
	}{
		{"timestamp in another zone", func(st map[string]any) { st["timestamp"] = "2026-11-23T12:00:00.123+02:00" }},
		{"members in another order", func(st map[string]any) {
			st["actor"] = map[string]any{"objectType": "Group", "member": []any{
				map[string]any{"mbox": "mailto:b@EXAMPLE.com"}, map[string]any{"mbox": "mailto:a@example.com"}}}
		}},
		{"duration beyond 0.01 s", func(st map[string]any) { st["result"] = map[string]any{"duration": "PT1.2345S"} }},
		{"verb display and definition", func(st map[string]any) {
			st["verb"] = map[string]any{"id": "http://adlnet.gov/expapi/verbs/completed"}
			st["object"] = map[string]any{"id": "https://yrkesresan.se/courses/bou-ny-1"}
		}},
		{"version set", func(st map[string]any) { st["version"] = "1.0.0" }},
		{"attachments are not compared", func(st map[string]any) {
			st["attachments"] = []any{map[string]any{"usageType": "https://yrkesresan.se/attachments/certificate",
				"display": map[string]any{"en": "x"}, "contentType": "text/plain", "length": 1,
				"sha2": strings.Repeat("a", 64), "fileUrl": "https://example.com/x"}}
		}},
	}
	for _, c := range same {
		t.Run(c.name, func(t *testing.T) {
			st := statement(withID(id))
			for k, v := range orig {
				st[k] = v
			}
			c.edit(st)
			e.post(st)
			if got := e.get(id)["stored"]; got != stored {
				t.Errorf("statement rewritten: stored %v, was %v", got, stored)
			}
		})
	}
	different := []struct {
		name string
		edit func(map[string]any)
	}{
		{"other instant", func(st map[string]any) { st["timestamp"] = "2026-11-23T10:00:01.123Z" }},
		{"other duration", func(st map[string]any) { st["result"] = map[string]any{"duration": "PT1.24S"} }},
		{"other verb", func(st map[string]any) { st["verb"] = map[string]any{"id": "http://adlnet.gov/expapi/verbs/passed"} }},
		{"mbox local part case", func(st map[string]any) {
			st["actor"] = map[string]any{"objectType": "Group", "member": []any{
				map[string]any{"mbox": "mailto:A@example.com"}, map[string]any{"mbox": "mailto:b@example.com"}}}
		}},
	}
	for _, c := range different {
		t.Run(c.name, func(t *testing.T) {
			st := map[string]any{}
			for k, v := range orig {
				st[k] = v
			}
			c.edit(st)
			expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: st}), http.StatusConflict)
		})
	}
}

// A 1.0.x client retrying the very same body must get success, even though the LRS stored its
// single context activity as an array of one.
func TestRetryWithSingleContextActivity(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	body := fmt.Sprintf(`{"id":"%s","actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},
		"object":{"id":"https://yrkesresan.se/a"},"context":{"contextActivities":{"parent":{"id":"https://yrkesresan.se/p"}}}}`, uuid.NewString())
	for range 2 {
		expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: body}), http.StatusOK)
	}
	res := e.query("activity=" + url.QueryEscape("https://yrkesresan.se/p") + "&related_activities=true")
	if len(res.Statements) != 1 {
		t.Fatalf("got %d statements", len(res.Statements))
	}
	parent := res.Statements[0]["context"].(map[string]any)["contextActivities"].(map[string]any)["parent"]
	if _, ok := parent.([]any); !ok {
		t.Errorf("parent stored as %T, want an array", parent)
	}
}

// Data 2.3.2 and Communication 2.1.3: voiding.
func TestVoiding(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	target := uuid.NewString()
	e.post(statement(withID(target), withActor("voided-learner")))
	voider := e.post(voiding(target))[0]

	expect(t, e.do(req{path: "/xapi/statements?statementId=" + target}), http.StatusNotFound)
	r := e.do(req{path: "/xapi/statements?voidedStatementId=" + target})
	expect(t, r, http.StatusOK)
	expect(t, e.do(req{path: "/xapi/statements?voidedStatementId=" + voider}), http.StatusNotFound)

	agent := url.QueryEscape(`{"account":{"homePage":"https://yrkesresan.se","name":"voided-learner"}}`)
	got := ids(e.query("agent=" + agent))
	if slices.Contains(got, target) || !slices.Contains(got, voider) {
		t.Errorf("query returned %v: want the voiding statement %s (it targets a match) and not the voided %s", got, voider, target)
	}
	t.Run("a voiding statement cannot be voided", func(t *testing.T) {
		expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: voiding(voider)}), http.StatusBadRequest)
		e.get(voider)
	})
	t.Run("voiding object must be a StatementRef", func(t *testing.T) {
		st := statement(withVerb("http://adlnet.gov/expapi/verbs/voided"))
		expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: st}), http.StatusBadRequest)
	})
	t.Run("voiding before the target arrives", func(t *testing.T) {
		late := uuid.NewString()
		e.post(voiding(late))
		e.post(statement(withID(late)))
		expect(t, e.do(req{path: "/xapi/statements?statementId=" + late}), http.StatusNotFound)
		expect(t, e.do(req{path: "/xapi/statements?voidedStatementId=" + late}), http.StatusOK)
	})
}

// Communication 2.1.3: every filter parameter.
func TestQueryFilters(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	reg := uuid.NewString()
	course := "https://yrkesresan.se/courses/bou"
	a := e.post(statement(withActor("anna"), withContext(map[string]any{
		"registration":      reg,
		"instructor":        map[string]any{"mbox": "mailto:teacher@example.com"},
		"contextActivities": map[string]any{"parent": map[string]any{"id": course}},
	})))[0]
	b := e.post(statement(withActor("bertil"), withVerb("http://adlnet.gov/expapi/verbs/passed")))[0]
	c := e.post(statement(withObject(map[string]any{"objectType": "Agent", "account": map[string]any{
		"homePage": "https://yrkesresan.se", "name": "anna"}})))[0]
	ref := e.post(statement(withActor("cecilia"), withObject(map[string]any{"objectType": "StatementRef", "id": b})))[0]

	anna := url.QueryEscape(`{"objectType":"Agent","name":"Any Name","account":{"homePage":"https://yrkesresan.se","name":"anna"}}`)
	teacher := url.QueryEscape(`{"mbox":"mailto:teacher@EXAMPLE.com"}`)
	cases := []struct {
		params string
		want   []string
	}{
		{"agent=" + anna, []string{c, a}},
		{"agent=" + teacher, nil},
		{"agent=" + teacher + "&related_agents=true", []string{a}},
		{"verb=" + url.QueryEscape("http://adlnet.gov/expapi/verbs/passed"), []string{ref, b}},
		{"activity=" + url.QueryEscape(course), nil},
		{"activity=" + url.QueryEscape(course) + "&related_activities=true", []string{a}},
		{"registration=" + strings.ToUpper(reg), []string{a}},
		{"agent=" + anna + "&verb=" + url.QueryEscape("http://adlnet.gov/expapi/verbs/completed"), []string{c, a}},
		{"agent=" + anna + "&ascending=true", []string{a, c}},
		{"limit=2", []string{ref, c}},
	}
	for _, tc := range cases {
		t.Run(tc.params, func(t *testing.T) {
			got := ids(e.query(tc.params))
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("since and until", func(t *testing.T) {
		first := e.get(a)["stored"].(string)
		last := e.get(ref)["stored"].(string)
		got := ids(e.query("since=" + url.QueryEscape(first) + "&until=" + url.QueryEscape(last)))
		for _, id := range got {
			if id == a {
				t.Errorf("since is exclusive but returned the statement stored at since")
			}
		}
		if !slices.Contains(got, ref) {
			t.Errorf("until is inclusive but did not return the statement stored at until: %v", got)
		}
	})
}

// Communication 2.1.3: bad parameters are 400 with a reason.
func TestQueryBadParameters(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	id := uuid.NewString()
	for _, params := range []string{
		"statementId=" + id + "&voidedStatementId=" + id,
		"statementId=" + id + "&verb=" + url.QueryEscape("http://x.org/v"),
		"statementId=not-a-uuid",
		"agent=" + url.QueryEscape(`{"name":"no identifier"}`),
		"agent=not-json",
		"verb=not%20an%20iri",
		"registration=12",
		"since=yesterday",
		"limit=-1",
		"format=full",
		"ascending=yes",
		"unknown=1",
		"verb=http://a.org/x&verb=http://a.org/y",
		"cursor=garbage",
	} {
		t.Run(params, func(t *testing.T) {
			r := e.do(req{path: "/xapi/statements?" + params})
			expect(t, r, http.StatusBadRequest)
			if !strings.Contains(string(r.body), `"error"`) {
				t.Errorf("no error message: %s", r.body)
			}
		})
	}
}

// Communication 2.1.3: "more" is an absolute path with the base path and pages stay correct while
// statements arrive.
func TestMorePaging(t *testing.T) {
	e := newEnv(t, httpapi.Config{BaseURL: "https://lrs.example/prefix"})
	var want []string
	for i := 0; i < 7; i++ {
		want = append(e.post(statement(withActor(fmt.Sprint("p", i)))), want...)
	}
	var got []string
	res := e.query("limit=3")
	for pages := 0; ; pages++ {
		got = append(got, ids(res)...)
		if res.More == "" {
			break
		}
		if !strings.HasPrefix(res.More, "/prefix/xapi/statements?") {
			t.Fatalf("more %q is not an absolute path below the base path", res.More)
		}
		e.post(statement()) // arrives between pages: must not shift them
		r := e.do(req{path: strings.TrimPrefix(res.More, "/prefix")})
		expect(t, r, http.StatusOK)
		res = result{}
		r.json(t, &res)
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged %v, want %v", got, want)
	}
}

// Communication 2.1.3: format=ids and canonical.
func TestFormats(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	id := e.post(statement())[0]
	t.Run("ids", func(t *testing.T) {
		r := e.do(req{path: "/xapi/statements?format=ids&statementId=" + id})
		expect(t, r, http.StatusOK)
		var st map[string]any
		r.json(t, &st)
		if _, ok := st["actor"].(map[string]any)["name"]; ok {
			t.Errorf("actor keeps its name: %v", st["actor"])
		}
		if _, ok := st["object"].(map[string]any)["definition"]; ok {
			t.Errorf("activity keeps its definition: %v", st["object"])
		}
		if _, ok := st["verb"].(map[string]any)["display"]; ok {
			t.Errorf("verb keeps its display: %v", st["verb"])
		}
	})
	t.Run("canonical", func(t *testing.T) {
		r := e.do(req{path: "/xapi/statements?format=canonical&statementId=" + id,
			header: map[string]string{"Accept-Language": "sv-SE, en;q=0.5"}})
		expect(t, r, http.StatusOK)
		var st map[string]any
		r.json(t, &st)
		display := st["verb"].(map[string]any)["display"].(map[string]any)
		name := st["object"].(map[string]any)["definition"].(map[string]any)["name"].(map[string]any)
		if len(display) != 1 || display["sv-SE"] == nil || len(name) != 1 || name["sv-SE"] == nil {
			t.Errorf("not one language, the preferred one: %v %v", display, name)
		}
	})
}

// Communication 2.1.3: headers on GET.
func TestGetHeaders(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	id := e.post(statement())[0]
	for _, v := range []string{"1.0.3", "2.0.0"} {
		t.Run(v, func(t *testing.T) {
			r := e.do(req{path: "/xapi/statements?statementId=" + id, version: v})
			expect(t, r, http.StatusOK)
			ct, err := time.Parse(time.RFC3339Nano, r.Header.Get("X-Experience-API-Consistent-Through"))
			if err != nil || ct.Before(time.Now().Add(-time.Minute)) {
				t.Errorf("Consistent-Through %q", r.Header.Get("X-Experience-API-Consistent-Through"))
			}
			lm, err := http.ParseTime(r.Header.Get("Last-Modified"))
			stored, _ := time.Parse(time.RFC3339Nano, e.get(id)["stored"].(string))
			if err != nil || !lm.Equal(stored.Truncate(time.Second)) {
				t.Errorf("Last-Modified %q does not match stored %v", r.Header.Get("Last-Modified"), stored)
			}
		})
	}
	t.Run("Consistent-Through on errors", func(t *testing.T) {
		for _, r := range []req{
			{path: "/xapi/statements?statementId=" + uuid.NewString()},
			{path: "/xapi/statements?limit=x"},
			{method: http.MethodDelete, path: "/xapi/statements"},
			{path: "/xapi/statements", version: "-"},
		} {
			res := e.do(r)
			if res.StatusCode < 400 || res.Header.Get("X-Experience-API-Consistent-Through") == "" {
				t.Errorf("%s %s: status %d, Consistent-Through %q", res.Request.Method, r.path, res.StatusCode, res.Header.Get("X-Experience-API-Consistent-Through"))
			}
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		r := e.do(req{method: http.MethodHead, path: "/xapi/statements?statementId=" + id})
		expect(t, r, http.StatusOK)
		if len(r.body) != 0 {
			t.Errorf("HEAD has a body")
		}
	})
	t.Run("attachments=true is multipart/mixed", func(t *testing.T) {
		r := e.do(req{path: "/xapi/statements?attachments=true&statementId=" + id})
		expect(t, r, http.StatusOK)
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/mixed" {
			t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		part, err := multipart.NewReader(strings.NewReader(string(r.body)), params["boundary"]).NextPart()
		if err != nil || part.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("first part: %v %v", err, part)
		}
	})
}

// Scope statements/read/mine sees only statements its client sent.
func TestReadMine(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	r := e.do(req{method: http.MethodPost, path: "/xapi/statements", as: "mine", body: statement()})
	expect(t, r, http.StatusOK)
	var mine []string
	r.json(t, &mine)
	r = e.do(req{method: http.MethodPost, path: "/xapi/statements", as: "other", body: statement()})
	expect(t, r, http.StatusOK)
	var others []string
	r.json(t, &others)

	r = e.do(req{path: "/xapi/statements", as: "mine"})
	expect(t, r, http.StatusOK)
	var res result
	r.json(t, &res)
	if got := ids(res); !slices.Equal(got, mine) {
		t.Errorf("read/mine got %v, want only %v", got, mine)
	}
	expect(t, e.do(req{path: "/xapi/statements?statementId=" + others[0], as: "mine"}), http.StatusNotFound)
	expect(t, e.do(req{path: "/xapi/statements?statementId=" + mine[0], as: "mine"}), http.StatusOK)
}

func TestRequestLimits(t *testing.T) {
	e := newEnv(t, httpapi.Config{MaxBodyBytes: 1024})
	big := statement(func(st map[string]any) {
		st["result"] = map[string]any{"response": strings.Repeat("x", 2048)}
	})
	expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: big}), http.StatusRequestEntityTooLarge)

	for name, body := range map[string]string{
		"invalid utf-8": "{\"actor\":\"\xff\"}",
		"attachment without fileUrl": `{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"},
			"attachments":[{"usageType":"http://a.se/u","display":{"en":"x"},"contentType":"text/plain","length":1,"sha2":"` + strings.Repeat("a", 64) + `"}]}`,
		"not json":      "{",
		"trailing data": `{"a":1} {}`,
		// Decoder.More does not see a stray closer: a valid statement followed by one is refused.
		"valid statement and a stray }": `{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"}}}`,
		"valid statement and a stray ]": `{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"}}]`,
		"scalar":                        `"statement"`,
		"array of scalar":               `[1]`,
		"empty array":                   `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: body}), http.StatusBadRequest)
		})
	}
	t.Run("content type", func(t *testing.T) {
		r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: "{}",
			header: map[string]string{"Content-Type": "text/plain"}})
		expect(t, r, http.StatusBadRequest)
	})
}

// xAPI 2.0 (IEEE 9274.1.1, 4.2.1): a repeated property name is rejected; 1.0.3 is silent on it.
func TestDuplicatePropertyNames(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	body := `{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},
		"verb":{"id":"http://adlnet.gov/expapi/verbs/passed"},"object":{"id":"https://yrkesresan.se/a"}}`
	r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: body, version: "2.0.0"})
	expect(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "verb") {
		t.Errorf("error does not name the property: %s", r.body)
	}
	expect(t, e.do(req{method: http.MethodPost, path: "/xapi/statements", body: body, version: "1.0.3"}), http.StatusOK)
}

func TestCORS(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	r := e.do(req{method: http.MethodOptions, path: "/xapi/statements", as: "-", version: "-",
		header: map[string]string{"Origin": "https://content.example", "Access-Control-Request-Method": "PUT"}})
	expect(t, r, http.StatusNoContent)
	if r.Header.Get("Access-Control-Allow-Origin") != "https://content.example" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "X-Experience-API-Version") {
		t.Errorf("preflight headers %v", r.Header)
	}
	r = e.do(req{path: "/xapi/statements", header: map[string]string{"Origin": "https://content.example"}})
	expect(t, r, http.StatusOK)
	if !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "X-Experience-API-Consistent-Through") {
		t.Errorf("expose headers %q", r.Header.Get("Access-Control-Expose-Headers"))
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	expect(t, e.do(req{path: "/healthz", as: "-", version: "-"}), http.StatusOK)
	expect(t, e.do(req{path: "/readyz", as: "-", version: "-"}), http.StatusOK)
	e.store.Close()
	expect(t, e.do(req{path: "/readyz", as: "-", version: "-"}), http.StatusServiceUnavailable)
}

// Concurrent writes of one id: equivalent statements all succeed (the store's refusal of the
// loser is re-checked against the winner); different ones leave exactly one stored.
func TestConcurrentSameID(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	put := func(id string, actor string) int {
		r, err := e.send(req{method: http.MethodPut, path: "/xapi/statements?statementId=" + id, body: statement(withActor(actor))})
		if err != nil {
			return 0 // counted as a status nobody wants
		}
		return r.StatusCode
	}
	run := func(id string, actor func(i int) string) map[int]int {
		statuses := make(chan int, 8)
		for i := range 8 {
			go func() { statuses <- put(id, actor(i)) }()
		}
		counts := map[int]int{}
		for range 8 {
			counts[<-statuses]++
		}
		return counts
	}
	if got := run(uuid.NewString(), func(int) string { return "same" }); got[http.StatusNoContent] != 8 {
		t.Errorf("equivalent statements: statuses %v, want all 204", got)
	}
	if got := run(uuid.NewString(), func(i int) string { return fmt.Sprint("learner-", i) }); got[http.StatusNoContent] != 1 || got[http.StatusConflict] != 7 {
		t.Errorf("different statements: statuses %v, want one 204 and seven 409", got)
	}
}
