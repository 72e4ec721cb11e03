package httpapi_test

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
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
// A client that is not a web page may send its credentials in the HTTP header instead; from a web
// page (Origin) they must be in the form (see TestAlternateCrossSite).
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
		{"HTTP version", "-", "1.0.3", without("admin", "X-Experience-API-Version"), http.StatusNoContent, ""},
		{"HTTP credentials", "admin", "1.0.3", without("admin", "Authorization"), http.StatusNoContent, ""},
		{"empty Authorization field", "admin", "-", set("admin", "Authorization", ""), http.StatusUnauthorized, ""},
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
			if c.says != "" && !strings.Contains(errorMessage(t, r), c.says) {
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
			status: 400, says: "removed in xAPI 2.0", statedVer: "2.0.0"},
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
		{name: "body not a form", query: "method=PUT", body: "a=%zz", status: 400, says: "not a valid form"},
		{name: "PUT without content", query: "method=PUT", body: e.form("admin", "statementId", uuid.NewString()).Encode(),
			status: 400, says: "form field content", statedVer: "1.0.3"},
		{name: "POST without content", query: "method=POST", body: e.form("admin").Encode(), status: 400, says: "form field content", statedVer: "1.0.3"},
		{name: "content twice", query: "method=PUT", body: with("add", "content", st), status: 400, says: "content is given more than once", statedVer: "1.0.3"},
		{name: "header twice", query: "method=PUT", body: with("add", "authorization", "Basic eDp5"), status: 400, says: "Authorization is given more than once"},
		{name: "content not UTF-8", query: "method=POST", body: e.form("admin", "content", "\xff").Encode(), status: 400, says: "UTF-8", statedVer: "1.0.3"},
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
			if !strings.Contains(errorMessage(t, r), c.says) {
				t.Errorf("error body %s, want status %d saying %q", r.body, c.status, c.says)
			}
			if got := r.Header.Get("X-Experience-API-Version"); got != c.statedVer {
				t.Errorf("stated version %q, want %q", got, c.statedVer)
			}
		})
	}
}

// Communication 1.3: the client SHOULD* send the form as application/x-www-form-urlencoded, but
// IE's XDomainRequest, which the syntax exists for, can send only text/plain or no Content-Type.
// The body is taken for a form under those three and refused under any other.
func TestAlternateContentType(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	cases := []struct {
		contentType string // "" for none
		status      int
	}{
		{formType, http.StatusNoContent},
		{formType + "; charset=UTF-8", http.StatusNoContent},
		{"text/plain", http.StatusNoContent},
		{"text/plain;charset=UTF-8", http.StatusNoContent},
		{"Text/Plain; charset=windows-1252", http.StatusNoContent},
		{"", http.StatusNoContent},
		{"application/json", http.StatusBadRequest},
		{"multipart/form-data; boundary=b", http.StatusBadRequest},
		{"text/html", http.StatusBadRequest},
		{";;", http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(cmp.Or(c.contentType, "none"), func(t *testing.T) {
			f := e.form("writer", "statementId", uuid.NewString(), "content", statementJSON(t))
			r := e.do(req{method: http.MethodPost, path: "/xapi/statements?method=PUT", body: f.Encode(),
				as: "-", version: "-", header: map[string]string{"Content-Type": c.contentType}})
			expect(t, r, c.status)
			if c.status == http.StatusBadRequest && !strings.Contains(errorMessage(t, r), "text/plain") {
				t.Errorf("error body %s does not name the accepted types", r.body)
			}
		})
	}
}

// A page on another site can make a browser POST a form to the LRS without a CORS preflight,
// and the browser adds the Basic credentials it has cached for the LRS. An alternate request
// therefore takes credentials only from its form: forged requests that rely on the header are
// refused and change nothing.
func TestAlternateCrossSite(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	state := url.Values{"activityId": {"https://yrkesresan.se/courses/bou-ny-1"}, "agent": {`{"mbox":"mailto:learner@yrkesresan.se"}`}}
	one := url.Values{"stateId": {"progress"}}
	for k, v := range state {
		one[k] = v
	}
	expect(t, e.do(req{method: http.MethodPut, path: "/xapi/activities/state?" + one.Encode(), body: `{"page":3}`}), http.StatusNoContent)
	id := uuid.NewString()
	st := statementJSON(t, func(s map[string]any) { s["id"] = id })

	// forged is what the page makes the browser send: the form without Authorization, with the
	// browser's cached credentials (admin's) in the header.
	forged := func(contentType, method, path string, f url.Values) resp {
		f.Set("X-Experience-API-Version", "1.0.3")
		return e.do(req{method: http.MethodPost, path: path + "?method=" + method, body: f.Encode(), as: "admin", version: "-",
			header: map[string]string{"Content-Type": contentType, "Origin": "https://evil.example"}})
	}
	// Every Content-Type a page can send without a preflight that the syntax accepts.
	for _, ct := range []string{formType, "text/plain"} {
		t.Run(ct, func(t *testing.T) {
			for _, r := range []resp{
				forged(ct, http.MethodDelete, "/xapi/activities/state", url.Values(maps.Clone(state))),
				forged(ct, http.MethodDelete, "/xapi/activities/state", url.Values(maps.Clone(one))),
				forged(ct, http.MethodPost, "/xapi/statements", url.Values{"content": {st}}),
			} {
				expect(t, r, http.StatusUnauthorized)
				if !strings.Contains(errorMessage(t, r), "Authorization form field") {
					t.Errorf("error body %s does not say where the credentials go", r.body)
				}
				if got := r.Header.Get("WWW-Authenticate"); got != "" {
					t.Errorf("refusal challenges with %q: the browser would prompt for credentials the syntax does not use", got)
				}
			}
		})
	}

	r := e.do(req{path: "/xapi/activities/state?" + one.Encode()})
	expect(t, r, http.StatusOK)
	if string(r.body) != `{"page":3}` {
		t.Errorf("state document is now %s", r.body)
	}
	expect(t, e.do(req{path: "/xapi/statements?statementId=" + id}), http.StatusNotFound)
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
// The body follows valid form credentials, so that requests get past authentication.
// Header values net/http refuses to send are skipped.
func FuzzAlternate(f *testing.F) {
	for _, seed := range []struct{ method, body, contentType string }{
		{"PUT", "statementId=00000000-0000-4000-8000-000000000000&content=%7B%7D", formType},
		{"POST", "content=%5B%5D&Content-Type=application%2Fjson&Content-Length=2", "text/plain"},
		{"GET", "limit=1&X-Experience-API-Version=1.0.3", ""},
		{"GET", "X-Experience-API-Version=2.0.0", formType},
		{"DELETE", "content=x&content=y", "text/plain; charset=utf-8"},
		{"HEAD", "Content-Length=-1", formType},
		{"GET", "Authorization=", formType},
		{"PATCH", "%", "multipart/form-data"},
		{"", ";", ";"},
	} {
		f.Add(seed.method, seed.body, seed.contentType)
	}
	e := newEnv(f, httpapi.Config{})
	creds := url.Values{"Authorization": {e.form("admin").Get("Authorization")}}.Encode()
	f.Fuzz(func(t *testing.T, method, body, contentType string) {
		if strings.ContainsFunc(contentType, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			t.Skip()
		}
		e.t = t
		r := e.do(req{method: http.MethodPost, path: "/xapi/statements?method=" + url.QueryEscape(method), body: creds + "&" + body,
			as: "-", header: map[string]string{"Content-Type": contentType}})
		if r.StatusCode >= 500 {
			t.Fatalf("status %d for method %q, body %q: %s", r.StatusCode, method, body, r.body)
		}
	})
}
