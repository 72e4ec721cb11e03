package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs/httpapi"
)

const formType = "application/x-www-form-urlencoded"

// form is the body of an alternate request made by client as under 1.0.3, headers included as
// form fields, plus the name/value pairs kv.
func (e *testEnv) form(as string, kv ...string) url.Values {
	c := e.creds[as]
	f := url.Values{
		"Authorization":            {"Basic " + base64.StdEncoding.EncodeToString([]byte(c[0]+":"+c[1]))},
		"X-Experience-API-Version": {"1.0.3"},
	}
	for i := 0; i < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return f
}

// alt sends an alternate request (Communication 1.3) for method on path: a form POST with no
// credentials or version in its HTTP headers.
func (e *testEnv) alt(method, path string, f url.Values) resp {
	e.t.Helper()
	return e.do(req{method: http.MethodPost, path: path + "?method=" + method, body: f.Encode(),
		as: "-", version: "-", header: map[string]string{"Content-Type": formType}})
}

func statementJSON(t testing.TB, edits ...func(map[string]any)) string {
	t.Helper()
	b, err := json.Marshal(statement(edits...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// errorOf is the message of an error response, which must have the API's error body.
func errorOf(t testing.TB, r resp) string {
	t.Helper()
	var body struct {
		Status int
		Error  string
	}
	r.json(t, &body)
	if body.Status != r.StatusCode {
		t.Errorf("error body %s, status %d", r.body, r.StatusCode)
	}
	return body.Error
}

// Communication 1.3: every method on the statements resource through the alternate syntax, with
// credentials and version as form fields and the query parameters in the form.
func TestAlternateStatements(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	id := uuid.NewString()

	expect(t, e.alt(http.MethodPut, "/xapi/statements", e.form("admin", "statementId", id, "content", statementJSON(t))), http.StatusNoContent)
	if got := e.get(id)["id"]; got != id {
		t.Fatalf("stored id %v, want %s", got, id)
	}

	r := e.alt(http.MethodPost, "/xapi/statements", e.form("admin", "content", statementJSON(t)))
	expect(t, r, http.StatusOK)
	var posted []string
	r.json(t, &posted)
	if len(posted) != 1 {
		t.Fatalf("POST answered %s", r.body)
	}

	r = e.alt(http.MethodGet, "/xapi/statements", e.form("admin", "statementId", id))
	expect(t, r, http.StatusOK)
	var st map[string]any
	r.json(t, &st)
	if st["id"] != id {
		t.Errorf("GET by statementId answered %s", r.body)
	}

	r = e.alt(http.MethodGet, "/xapi/statements", e.form("admin", "limit", "1", "ascending", "true"))
	expect(t, r, http.StatusOK)
	var res result
	r.json(t, &res)
	if got := ids(res); len(got) != 1 || got[0] != id || res.More == "" {
		t.Errorf("query answered ids %v, more %q", got, res.More)
	}

	r = e.alt(http.MethodHead, "/xapi/statements", e.form("admin", "statementId", id))
	expect(t, r, http.StatusOK)
	if len(r.body) != 0 {
		t.Errorf("HEAD answered a body: %s", r.body)
	}
}

// Communication 1.3: the form fields Authorization, X-Experience-API-Version, Content-Type and
// Content-Length are treated as headers (and win over the HTTP headers); the others are the query.
func TestAlternateHeaders(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	st := statementJSON(t)
	// without is the form of client as with content st, less the fields named.
	without := func(as string, names ...string) url.Values {
		f := e.form(as, "content", st)
		for _, n := range names {
			delete(f, n)
		}
		return f
	}
	// set is the form of client as with content st and the field set.
	set := func(as, name, value string) url.Values {
		f := e.form(as, "content", st)
		f.Set(name, value)
		return f
	}
	lowerCase := without("writer", "Authorization", "X-Experience-API-Version")
	lowerCase.Set("authorization", e.form("writer").Get("Authorization"))
	lowerCase.Set("x-experience-api-version", "1.0.3")
	cases := []struct {
		name    string
		as      string // HTTP credentials; "-" for none
		version string // HTTP X-Experience-API-Version; "-" for none
		form    url.Values
		status  int
		says    string
	}{
		{"form credentials and version", "-", "-", e.form("writer", "content", st), http.StatusNoContent, ""},
		{"HTTP credentials and version", "admin", "1.0.3", without("admin", "Authorization", "X-Experience-API-Version"), http.StatusNoContent, ""},
		{"form credentials win", "admin", "-", e.form("reader", "content", st), http.StatusForbidden, "scope"},
		{"form version wins", "-", "1.0.3", set("admin", "X-Experience-API-Version", "0.8"), http.StatusBadRequest, `"0.8" is not supported`},
		{"no credentials", "-", "-", without("admin", "Authorization"), http.StatusUnauthorized, "credentials"},
		{"wrong credentials", "-", "-", set("admin", "Authorization", "Basic eDp5"), http.StatusUnauthorized, ""},
		{"no version", "-", "-", without("admin", "X-Experience-API-Version"), http.StatusBadRequest, "X-Experience-API-Version header is required"},
		{"field names in any case", "-", "-", lowerCase, http.StatusNoContent, ""},
		{"Content-Type field is the content's", "-", "-", set("admin", "Content-Type", "text/plain"), http.StatusBadRequest, "text/plain"},
		{"Content-Type field with charset", "-", "-", set("admin", "Content-Type", "application/json; charset=utf-8"), http.StatusNoContent, ""},
		{"Content-Length field of the content", "-", "-", set("admin", "Content-Length", strconv.Itoa(len(st))), http.StatusNoContent, ""},
		{"Content-Length field of something else", "-", "-", set("admin", "Content-Length", "3"), http.StatusBadRequest, "Content-Length"},
		{"unknown form field is an unknown parameter", "-", "-", set("admin", "colour", "blue"), http.StatusBadRequest, `unknown parameter "colour"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Statements alike in all but id are distinct statements: no conflicts across cases.
			c.form.Set("statementId", uuid.NewString())
			r := e.do(req{method: http.MethodPost, path: "/xapi/statements?method=PUT", body: c.form.Encode(),
				as: c.as, version: c.version, header: map[string]string{"Content-Type": formType}})
			expect(t, r, c.status)
			if c.says != "" && !strings.Contains(errorOf(t, r), c.says) {
				t.Errorf("body %s does not say %q", r.body, c.says)
			}
		})
	}
}

// Communication 1.3 and IEEE 9274.1.1: malformed alternate requests, and every alternate request
// under 2.0, are refused with 400 (413 when too large) and the API's error body.
func TestAlternateRefused(t *testing.T) {
	e := newEnv(t, httpapi.Config{MaxBodyBytes: 4096})
	st := statementJSON(t)
	good := e.form("admin", "statementId", uuid.NewString(), "content", st)
	// with is good with the field added (add) or replaced (set).
	with := func(op, name, value string) string {
		f := e.form("admin", "statementId", uuid.NewString(), "content", st)
		if op == "add" {
			f.Add(name, value)
		} else {
			f.Set(name, value)
		}
		return f.Encode()
	}
	cases := []struct {
		name        string
		method      string // HTTP method; POST when empty
		query       string
		contentType string // formType when empty; "-" for none
		version     string // HTTP X-Experience-API-Version; none when empty
		body        string
		status      int
		says        string
		statedVer   string
	}{
		{name: "2.0 in the form", query: "method=PUT", body: with("set", "X-Experience-API-Version", "2.0.0"),
			status: 400, says: "removed in xAPI 2.0", statedVer: "2.0.0"},
		{name: "2.0 in the header", query: "method=GET", version: "2.0.0", body: "limit=1",
			status: 400, says: "removed in xAPI 2.0", statedVer: "2.0.0"},
		{name: "2.0 without a form", query: "method=GET", version: "2.0.0", contentType: "-",
			status: 400, says: "x-www-form-urlencoded", statedVer: "2.0.0"},
		{name: "other query parameter", query: "method=PUT&statementId=" + uuid.NewString(), body: good.Encode(),
			status: 400, says: "no other query parameter"},
		{name: "method twice", query: "method=PUT&method=PUT", body: good.Encode(), status: 400, says: "no other query parameter"},
		{name: "malformed query", query: "method=PUT&%zz", body: good.Encode(), status: 400, says: "no other query parameter"},
		{name: "unknown method", query: "method=PATCH", body: good.Encode(), status: 400, says: `method "PATCH"`},
		{name: "method in lower case", query: "method=put", body: good.Encode(), status: 400, says: `method "put"`},
		{name: "empty method", query: "method=", body: good.Encode(), status: 400, says: `method ""`},
		{name: "not a POST", method: http.MethodPut, query: "method=POST", body: good.Encode(), status: 400, says: "must be a POST"},
		{name: "not a POST under 1.0.3", method: http.MethodGet, query: "method=GET", version: "1.0.3", status: 400, says: "must be a POST", statedVer: "1.0.3"},
		{name: "JSON body", query: "method=PUT", contentType: "application/json", body: st, status: 400, says: "x-www-form-urlencoded"},
		{name: "no Content-Type", query: "method=PUT", contentType: "-", body: good.Encode(), status: 400, says: "x-www-form-urlencoded"},
		{name: "body not a form", query: "method=PUT", body: "a=%zz", status: 400, says: "not a valid form"},
		{name: "PUT without content", query: "method=PUT", body: "statementId=" + uuid.NewString(), status: 400, says: "form field content"},
		{name: "POST without content", query: "method=POST", status: 400, says: "form field content"},
		{name: "content twice", query: "method=PUT", body: with("add", "content", st), status: 400, says: "content is given more than once", statedVer: "1.0.3"},
		{name: "header twice", query: "method=PUT", body: with("add", "authorization", "Basic eDp5"), status: 400, says: "Authorization is given more than once"},
		{name: "content not UTF-8", query: "method=POST", body: "content=%FF", status: 400, says: "UTF-8"},
		{name: "body too large", query: "method=POST", body: "content=" + strings.Repeat("x", 5000), status: 413, says: "too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.method == "" {
				c.method = http.MethodPost
			}
			h := map[string]string{"Content-Type": formType}
			switch c.contentType {
			case "":
			case "-":
				h["Content-Type"] = ""
			default:
				h["Content-Type"] = c.contentType
			}
			if c.version == "" {
				c.version = "-"
			}
			if c.statedVer == "" {
				c.statedVer = "2.0.0" // the default: the request names no version, or it is in the form
			}
			r := e.do(req{method: c.method, path: "/xapi/statements?" + c.query, body: c.body, as: "-", version: c.version, header: h})
			expect(t, r, c.status)
			if !strings.Contains(errorOf(t, r), c.says) {
				t.Errorf("error body %s, want status %d saying %q", r.body, c.status, c.says)
			}
			if got := r.Header.Get("X-Experience-API-Version"); got != c.statedVer {
				t.Errorf("stated version %q, want %q", got, c.statedVer)
			}
		})
	}
}

// Communication 1.3: the rewrite serves every resource; here PUT, GET and DELETE of a state
// document, typed by its Content-Type field, or untyped without one as in the usual syntax.
func TestAlternateStateDocument(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	key := []string{"activityId", "https://yrkesresan.se/courses/bou-ny-1", "agent", `{"mbox":"mailto:learner@yrkesresan.se"}`}
	cases := []struct {
		stateID, contentType, content, want string
	}{
		{"progress", "application/json", `{"page":3}`, "application/json"},
		{"note", "", "halfway", "application/octet-stream"},
	}
	for _, c := range cases {
		t.Run(c.stateID, func(t *testing.T) {
			put := e.form("admin", append(key, "stateId", c.stateID, "content", c.content)...)
			if c.contentType != "" {
				put.Set("Content-Type", c.contentType)
			}
			expect(t, e.alt(http.MethodPut, "/xapi/activities/state", put), http.StatusNoContent)

			r := e.alt(http.MethodGet, "/xapi/activities/state", e.form("admin", append(key, "stateId", c.stateID)...))
			expect(t, r, http.StatusOK)
			if string(r.body) != c.content || r.Header.Get("Content-Type") != c.want {
				t.Errorf("GET answered %s %q, want %s %q", r.Header.Get("Content-Type"), r.body, c.want, c.content)
			}

			expect(t, e.alt(http.MethodDelete, "/xapi/activities/state", e.form("admin", append(key, "stateId", c.stateID)...)), http.StatusNoContent)
			expect(t, e.alt(http.MethodGet, "/xapi/activities/state", e.form("admin", append(key, "stateId", c.stateID)...)), http.StatusNotFound)
		})
	}
}

// FuzzAlternate: no alternate request, however malformed, may crash the server or get a 5xx.
func FuzzAlternate(f *testing.F) {
	for _, seed := range []struct{ method, body string }{
		{"PUT", "statementId=00000000-0000-4000-8000-000000000000&content=%7B%7D"},
		{"POST", "content=%5B%5D&Content-Type=application%2Fjson&Content-Length=2"},
		{"GET", "limit=1&X-Experience-API-Version=1.0.3"},
		{"GET", "X-Experience-API-Version=2.0.0"},
		{"DELETE", "content=x&content=y"},
		{"HEAD", "Content-Length=-1"},
		{"PATCH", "%"},
		{"", ";"},
	} {
		f.Add(seed.method, seed.body)
	}
	e := newEnv(f, httpapi.Config{})
	f.Fuzz(func(t *testing.T, method, body string) {
		e.t = t
		r := e.do(req{method: http.MethodPost, path: "/xapi/statements?method=" + url.QueryEscape(method), body: body,
			header: map[string]string{"Content-Type": formType}})
		if r.StatusCode >= 500 {
			t.Fatalf("status %d for method %q, body %q: %s", r.StatusCode, method, body, r.body)
		}
	})
}
