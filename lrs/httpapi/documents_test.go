package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// Tests of the three document resources: State (Communication 2.3), Agent Profile (2.6) and
// Activity Profile (2.7), with the rules common to them (2.2) and their concurrency controls
// (3.1). Section numbers are those of xAPI 1.0.3 Part Three; xAPI 2.0 (IEEE 9274.1.1) keeps the
// same numbering and text, with anchors such as 2.2.s8.b1 and 3.1.s4.b13 cited where useful.

const (
	docActivity = "https://yrkesresan.se/courses/bou-ny-1"
	docAgent    = `{"mbox":"mailto:learner@yrkesresan.se"}`
)

// docRes is one document resource, with the parameters that place a document in it.
type docRes struct {
	name    string
	path    string
	idParam string
	kind    lrs.DocumentKind
	context url.Values // activityId and/or agent (and registration, for state)
}

func stateRes() docRes {
	return docRes{"state", "/xapi/activities/state", "stateId", lrs.DocState,
		url.Values{"activityId": {docActivity}, "agent": {docAgent}}}
}

func activityProfileRes() docRes {
	return docRes{"activity profile", "/xapi/activities/profile", "profileId", lrs.DocActivityProfile,
		url.Values{"activityId": {docActivity}}}
}

func agentProfileRes() docRes {
	return docRes{"agent profile", "/xapi/agents/profile", "profileId", lrs.DocAgentProfile,
		url.Values{"agent": {docAgent}}}
}

func docResources() []docRes { return []docRes{stateRes(), activityProfileRes(), agentProfileRes()} }

// with returns the resource with a context parameter changed ("" deletes it).
func (d docRes) with(name, value string) docRes {
	v := url.Values{}
	for k, vs := range d.context {
		v[k] = slices.Clone(vs)
	}
	if value == "" {
		v.Del(name)
	} else {
		v.Set(name, value)
	}
	d.context = v
	return d
}

// url addresses the document with the id ("" for the whole set), plus extra name, value pairs.
func (d docRes) url(id string, extra ...string) string {
	v := url.Values{}
	for k, vs := range d.context {
		v[k] = vs
	}
	if id != "" {
		v.Set(d.idParam, id)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Add(extra[i], extra[i+1])
	}
	return d.path + "?" + v.Encode()
}

// key is the store's key of the document with the id.
func (d docRes) key(t testing.TB, id string) lrs.DocumentKey {
	t.Helper()
	k := lrs.DocumentKey{Kind: d.kind, ID: id, Registration: d.context.Get("registration")}
	if d.kind != lrs.DocAgentProfile {
		k.Activity = d.context.Get("activityId")
	}
	if d.kind != lrs.DocActivityProfile {
		var agent any
		if err := json.Unmarshal([]byte(d.context.Get("agent")), &agent); err != nil {
			t.Fatal(err)
		}
		var ok bool
		if k.Agent, ok = lrs.AgentKey(agent); !ok {
			t.Fatalf("agent %s has no key", d.context.Get("agent"))
		}
	}
	return k
}

// put stores content with If-None-Match: * (allowed on every resource and version) and fails the
// test unless the LRS answers 204.
func (e *testEnv) put(t testing.TB, d docRes, id, contentType string, content []byte) {
	t.Helper()
	r := e.do(req{method: http.MethodPut, path: d.url(id), body: content,
		header: map[string]string{"Content-Type": contentType, "If-None-Match": "*"}})
	expect(t, r, http.StatusNoContent)
}

// doc fetches a document, which must exist.
func (e *testEnv) doc(t testing.TB, d docRes, id string) resp {
	t.Helper()
	r := e.do(req{path: d.url(id)})
	expect(t, r, http.StatusOK)
	return r
}

// docIDs lists the ids of the documents in d's context, with extra parameters.
func (e *testEnv) docIDs(t testing.TB, d docRes, extra ...string) []string {
	t.Helper()
	r := e.do(req{path: d.url("", extra...)})
	expect(t, r, http.StatusOK)
	var got []string
	r.json(t, &got)
	if got == nil {
		t.Fatalf("ids list is %s, want a JSON array", r.body)
	}
	return got
}

// unchanged fails the test unless the document still holds content with the ETag.
func (e *testEnv) unchanged(t testing.TB, d docRes, id string, before resp) {
	t.Helper()
	r := e.doc(t, d, id)
	if !bytes.Equal(r.body, before.body) || r.Header.Get("ETag") != before.Header.Get("ETag") ||
		r.Header.Get("Content-Type") != before.Header.Get("Content-Type") {
		t.Fatalf("document changed: %s %s %q, was %s %s %q", r.Header.Get("ETag"), r.Header.Get("Content-Type"), r.body,
			before.Header.Get("ETag"), before.Header.Get("Content-Type"), before.body)
	}
}

// etagOf is the ETag 3.1 requires: the quoted, lower-case hex SHA-1 of the content.
func etagOf(content []byte) string {
	sum := sha1.Sum(content)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// decodeObject decodes a JSON object document.
func decodeObject(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("document %q is not a JSON object: %v", b, err)
	}
	return m
}

// 2.2 (contents: "arbitrary binary data"), 2.3/2.6/2.7 single document PUT and GET, 3.1 LRS
// requirements (3.1.s4.b1, b2, b4 in 2.0), 2.2 Last Modified (2.2.s6.b1): a document comes back
// byte for byte, with the Content-Type it was stored with, a quoted lower-case hex SHA-1 ETag and
// a Last-Modified header; under both versions.
func TestDocumentRoundTrip(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	binary := make([]byte, 512)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	contents := []struct {
		name, contentType string
		content           []byte
	}{
		{"json", "application/json", []byte(`{ "page" : 3,  "notes": ["a", "b"] }` + "\n")},
		{"json with charset", "application/json; charset=utf-8", []byte(`{"namn":"Åsa"}`)},
		{"text", "text/plain; charset=utf-8", []byte("halfway through, ÅÄÖ\r\n")},
		{"binary", "application/octet-stream", binary},
		{"image", "image/png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00"), binary[:64]...)},
		{"vendor type", "application/vnd.yrkesresan.bookmark+xml", []byte(`<bookmark page="3"/>`)},
		{"empty", "text/plain", []byte{}},
	}
	for _, d := range docResources() {
		for _, version := range []string{lrs.Version103, lrs.Version200} {
			for _, c := range contents {
				t.Run(d.name+"/"+version+"/"+c.name, func(t *testing.T) {
					id := "round-trip-" + version + "-" + c.name
					before := time.Now().UTC().Truncate(time.Second)
					r := e.do(req{method: http.MethodPut, path: d.url(id), body: c.content, version: version,
						header: map[string]string{"Content-Type": c.contentType, "If-None-Match": "*"}})
					expect(t, r, http.StatusNoContent)
					if len(r.body) != 0 {
						t.Errorf("204 with a body: %q", r.body)
					}

					r = e.do(req{path: d.url(id), version: version})
					expect(t, r, http.StatusOK)
					if !bytes.Equal(r.body, c.content) {
						t.Errorf("content %q, want %q", r.body, c.content)
					}
					if got := r.Header.Get("Content-Type"); got != c.contentType {
						t.Errorf("Content-Type %q, want %q as stored", got, c.contentType)
					}
					if got, want := r.Header.Get("ETag"), etagOf(c.content); got != want {
						t.Errorf("ETag %s, want %s", got, want)
					}
					lm, err := http.ParseTime(r.Header.Get("Last-Modified"))
					if err != nil {
						t.Fatalf("Last-Modified %q: %v", r.Header.Get("Last-Modified"), err)
					}
					if lm.Before(before) || lm.After(time.Now().Add(time.Second)) {
						t.Errorf("Last-Modified %v, not the time of the PUT (%v)", lm, before)
					}
				})
			}
		}
	}
}

// 2.2: a document's id is an arbitrary string, and a document belongs to its context only.
func TestDocumentIDsAreArbitraryStringsInTheirContext(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, d := range docResources() {
		t.Run(d.name, func(t *testing.T) {
			id := "a/b c?d=e&f#g%20ÅÄÖ " + d.name
			e.put(t, d, id, "text/plain", []byte("odd id"))
			if got := e.doc(t, d, id).body; string(got) != "odd id" {
				t.Errorf("content %q", got)
			}
			if got := e.docIDs(t, d); !slices.Equal(got, []string{id}) {
				t.Errorf("ids %q", got)
			}
			other := d
			if d.kind != lrs.DocAgentProfile {
				other = other.with("activityId", docActivity+"/other")
			}
			if d.kind != lrs.DocActivityProfile {
				other = other.with("agent", `{"mbox":"mailto:someone.else@yrkesresan.se"}`)
			}
			expect(t, e.do(req{path: other.url(id)}), http.StatusNotFound)
			if got := e.docIDs(t, other); len(got) != 0 {
				t.Errorf("another context lists %q", got)
			}
			// The state of an activity is not one of its profiles, nor the other way round.
			for _, o := range docResources() {
				if o.kind != d.kind {
					expect(t, e.do(req{path: o.url(id)}), http.StatusNotFound)
				}
			}
		})
	}
}

// 3.1 LRS requirements: If-Match with the current ETag replaces the document; a wrong or stale
// ETag, or If-None-Match: * on an existing document, is 412 and changes nothing (PUT: MUST,
// 3.1.s4.b5, b6, b9, b10 in 2.0; POST and DELETE: SHOULD*, b7, b8, b11, b12).
func TestDocumentPreconditions(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, version := range []string{lrs.Version103, lrs.Version200} {
		for _, d := range docResources() {
			t.Run(d.name+"/"+version, func(t *testing.T) {
				id := "bookmark-" + version
				do := func(method, body string, header map[string]string) resp {
					t.Helper()
					return e.do(req{method: method, path: d.url(id), body: body, version: version, header: header})
				}
				wrong := etagOf([]byte("something else"))

				// If-Match on a document that does not exist fails (RFC 9110 13.1.1).
				expect(t, do(http.MethodPut, `{"page":0}`, map[string]string{"If-Match": wrong}), http.StatusPreconditionFailed)
				expect(t, do(http.MethodPut, `{"page":0}`, map[string]string{"If-Match": "*"}), http.StatusPreconditionFailed)
				expect(t, e.do(req{path: d.url(id), version: version}), http.StatusNotFound)

				expect(t, do(http.MethodPut, `{"page":1}`, map[string]string{"If-None-Match": "*"}), http.StatusNoContent)
				v1 := e.doc(t, d, id)
				if v1.Header.Get("ETag") != etagOf([]byte(`{"page":1}`)) {
					t.Fatalf("ETag %s", v1.Header.Get("ETag"))
				}

				failing := []struct {
					name, method, body string
					header             map[string]string
				}{
					{"PUT If-None-Match *", http.MethodPut, `{"page":2}`, map[string]string{"If-None-Match": "*"}},
					{"PUT If-None-Match current", http.MethodPut, `{"page":2}`, map[string]string{"If-None-Match": v1.Header.Get("ETag")}},
					{"PUT If-Match wrong", http.MethodPut, `{"page":2}`, map[string]string{"If-Match": wrong}},
					{"PUT If-Match unquoted garbage", http.MethodPut, `{"page":2}`, map[string]string{"If-Match": "nonsense"}},
					{"POST If-None-Match *", http.MethodPost, `{"page":2}`, map[string]string{"If-None-Match": "*"}},
					{"POST If-Match wrong", http.MethodPost, `{"page":2}`, map[string]string{"If-Match": wrong}},
					{"DELETE If-Match wrong", http.MethodDelete, "", map[string]string{"If-Match": wrong}},
				}
				for _, c := range failing {
					r := do(c.method, c.body, c.header)
					if r.StatusCode != http.StatusPreconditionFailed {
						t.Errorf("%s: status %d, want 412; body %s", c.name, r.StatusCode, r.body)
					} else {
						errorMessage(t, r)
					}
					e.unchanged(t, d, id, v1)
				}

				// The current ETag, alone or in a list, weak or strong, lets the write through.
				expect(t, do(http.MethodPut, `{"page":2}`, map[string]string{"If-Match": v1.Header.Get("ETag")}), http.StatusNoContent)
				v2 := e.doc(t, d, id)
				if string(v2.body) != `{"page":2}` || v2.Header.Get("ETag") != etagOf(v2.body) {
					t.Fatalf("after If-Match PUT: %s %q", v2.Header.Get("ETag"), v2.body)
				}
				// The first ETag is stale now.
				expect(t, do(http.MethodPut, `{"page":9}`, map[string]string{"If-Match": v1.Header.Get("ETag")}), http.StatusPreconditionFailed)
				e.unchanged(t, d, id, v2)

				expect(t, do(http.MethodPut, `{"page":3}`, map[string]string{"If-Match": wrong + ", " + v2.Header.Get("ETag")}), http.StatusNoContent)
				v3 := e.doc(t, d, id)
				expect(t, do(http.MethodPost, `{"seen":true}`, map[string]string{"If-Match": "W/" + v3.Header.Get("ETag")}), http.StatusNoContent)
				v4 := e.doc(t, d, id)
				if m := decodeObject(t, v4.body); !reflect.DeepEqual(m, map[string]any{"page": 3.0, "seen": true}) {
					t.Errorf("after If-Match POST: %v", m)
				}
				expect(t, do(http.MethodPut, `{"page":4}`, map[string]string{"If-Match": "*"}), http.StatusNoContent)
				v5 := e.doc(t, d, id)
				if string(v5.body) != `{"page":4}` {
					t.Errorf("after If-Match * PUT: %q", v5.body)
				}

				expect(t, do(http.MethodDelete, "", map[string]string{"If-Match": v5.Header.Get("ETag")}), http.StatusNoContent)
				expect(t, e.do(req{path: d.url(id), version: version}), http.StatusNotFound)
				// Creating again with If-None-Match: * works once the document is gone.
				expect(t, do(http.MethodPut, `{"page":5}`, map[string]string{"If-None-Match": "*"}), http.StatusNoContent)
			})
		}
	}
}

// 3.1: a PUT without If-Match and If-None-Match. For the profile resources the Client MUST send
// one of them (3.1.s3.b1), so the LRS refuses the PUT: 409 with an explanation when the document
// exists (3.1.s4.b13-b15), 400 when it does not. State is exempt from the client requirements in
// 1.0.3 ("The State Resource will permit PUT, POST and DELETE requests without concurrency
// headers"), so a bare state PUT replaces the document there; under 2.0 the LRS requirement
// 3.1.s4.b13 applies to state too: 409 on an existing document, 204 on a new one.
func TestDocumentPutWithoutPreconditions(t *testing.T) {
	cases := []struct {
		res      docRes
		version  string
		existing int // status of a bare PUT on an existing document
		missing  int // and on a new one
	}{
		{stateRes(), lrs.Version103, http.StatusNoContent, http.StatusNoContent},
		{stateRes(), lrs.Version200, http.StatusConflict, http.StatusNoContent},
		{activityProfileRes(), lrs.Version103, http.StatusConflict, http.StatusBadRequest},
		{activityProfileRes(), lrs.Version200, http.StatusConflict, http.StatusBadRequest},
		{agentProfileRes(), lrs.Version103, http.StatusConflict, http.StatusBadRequest},
		{agentProfileRes(), lrs.Version200, http.StatusConflict, http.StatusBadRequest},
	}
	e := newEnv(t, httpapi.Config{})
	for _, c := range cases {
		d := c.res
		t.Run(d.name+"/"+c.version, func(t *testing.T) {
			id := "bare-put-" + c.version
			bare := func(id, content string) resp {
				return e.do(req{method: http.MethodPut, path: d.url(id), body: content, version: c.version})
			}

			r := bare(id+"-new", `{"v":1}`)
			expect(t, r, c.missing)
			if c.missing == http.StatusBadRequest {
				if msg := errorMessage(t, r); !strings.Contains(msg, "If-Match") || !strings.Contains(msg, "If-None-Match") {
					t.Errorf("400 does not say which headers to send: %q", msg)
				}
				expect(t, e.do(req{path: d.url(id + "-new"), version: c.version}), http.StatusNotFound)
			}

			e.put(t, d, id, "application/json", []byte(`{"v":1}`))
			before := e.doc(t, d, id)
			r = bare(id, `{"v":2}`)
			expect(t, r, c.existing)
			switch c.existing {
			case http.StatusConflict:
				// 3.1.s4.b14: the response explains to check the resource and send If-Match.
				if msg := errorMessage(t, r); !strings.Contains(msg, "If-Match") || !strings.Contains(msg, "ETag") {
					t.Errorf("409 does not explain how to resolve the conflict: %q", msg)
				}
				e.unchanged(t, d, id, before)
			case http.StatusNoContent:
				if got := e.doc(t, d, id).body; string(got) != `{"v":2}` {
					t.Errorf("state not replaced: %q", got)
				}
			}
		})
	}
}

// 2.2 JSON Procedure (2.2.s7 in 2.0): a POST of a JSON object to a JSON object document sets each
// top-level property; nested objects are replaced whole, not merged; other properties stay. A
// POST to a document that does not exist stores it (2.3/2.6/2.7, POST "stores").
func TestDocumentPostMerge(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, d := range docResources() {
		for _, version := range []string{lrs.Version103, lrs.Version200} {
			t.Run(d.name+"/"+version, func(t *testing.T) {
				id := "merge-" + version
				post := func(content, contentType string) resp {
					return e.do(req{method: http.MethodPost, path: d.url(id), body: content, version: version,
						header: map[string]string{"Content-Type": contentType}})
				}
				expect(t, post(`{"x":"foo","y":"bar","nested":{"a":1,"b":{"c":2}},"list":[1,2]}`, "application/json"), http.StatusNoContent)
				expect(t, post(`{"x":"bash","z":"faz","nested":{"b":3},"list":[3]}`, "application/json; charset=utf-8"), http.StatusNoContent)
				expect(t, post(`{"gone":null}`, "application/json"), http.StatusNoContent)
				expect(t, post(`{}`, "application/json"), http.StatusNoContent)

				r := e.doc(t, d, id)
				want := map[string]any{"x": "bash", "y": "bar", "z": "faz", "nested": map[string]any{"b": 3.0},
					"list": []any{3.0}, "gone": nil}
				if got := decodeObject(t, r.body); !reflect.DeepEqual(got, want) {
					t.Errorf("merged %v, want %v", got, want)
				}
				if mt := r.Header.Get("Content-Type"); !strings.HasPrefix(mt, "application/json") {
					t.Errorf("merged document has Content-Type %q", mt)
				}
				if r.Header.Get("ETag") != etagOf(r.body) {
					t.Errorf("ETag %s is not the SHA-1 of the merged content", r.Header.Get("ETag"))
				}
			})
		}
	}
}

// 2.2 JSON Procedure requirements (2.2.s8.b1): when either document is not application/json or
// not a JSON object, a POST is 400 and leaves the target document as it was.
func TestDocumentPostMergeRefused(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	cases := []struct {
		name                        string
		storedType, stored          string // "" stored type: no document
		postedType, posted, problem string
	}{
		{"stored text", "text/plain", `{"a":1}`, "application/json", `{"b":2}`, "application/json"},
		{"stored binary", "application/octet-stream", "\x00\x01", "application/json", `{"b":2}`, "application/json"},
		{"posted text", "application/json", `{"a":1}`, "text/plain", `{"b":2}`, "application/json"},
		{"posted without JSON type", "application/json", `{"a":1}`, "application/x-www-form-urlencoded", `b=2`, "application/json"},
		{"stored array", "application/json", `[1,2]`, "application/json", `{"b":2}`, "object"},
		{"stored invalid JSON", "application/json", `{"a":`, "application/json", `{"b":2}`, "object"},
		{"posted array", "application/json", `{"a":1}`, "application/json", `[{"b":2}]`, "object"},
		{"posted string", "application/json", `{"a":1}`, "application/json", `"b"`, "object"},
		{"posted number", "application/json", `{"a":1}`, "application/json", `2`, "object"},
		{"posted null", "application/json", `{"a":1}`, "application/json", `null`, "object"},
		{"posted truncated", "application/json", `{"a":1}`, "application/json", `{"b":`, "object"},
		{"posted two objects", "application/json", `{"a":1}`, "application/json", `{"b":2} {"c":3}`, "object"},
		{"posted trailing brace", "application/json", `{"a":1}`, "application/json", `{"b":2}}`, "object"},
		{"posted trailing bracket", "application/json", `{"a":1}`, "application/json", `{"b":2}]`, "object"},
		{"new, posted array", "", "", "application/json", `[1]`, "object"},
		{"new, posted trailing brace", "", "", "application/json", `{"b":2}}`, "object"},
	}
	for _, d := range docResources() {
		for _, c := range cases {
			t.Run(d.name+"/"+c.name, func(t *testing.T) {
				id := "refused-" + c.name
				var before resp
				if c.storedType != "" {
					e.put(t, d, id, c.storedType, []byte(c.stored))
					before = e.doc(t, d, id)
				}
				r := e.do(req{method: http.MethodPost, path: d.url(id), body: c.posted,
					header: map[string]string{"Content-Type": c.postedType}})
				expect(t, r, http.StatusBadRequest)
				if msg := errorMessage(t, r); !strings.Contains(msg, c.problem) {
					t.Errorf("error %q does not mention %q", msg, c.problem)
				}
				if c.storedType != "" {
					e.unchanged(t, d, id, before)
				} else {
					expect(t, e.do(req{path: d.url(id)}), http.StatusNotFound)
				}
			})
		}
	}
}

// 2.3, 2.6, 2.7 Multiple Document GET: the ids of the documents in the context, and with "since"
// only those stored or updated after it (exclusive). The stored update times (millisecond
// precision) give exact "since" values; the test waits only for the clock to pass a millisecond.
func TestDocumentIDsSince(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	ctx := context.Background()
	for _, d := range docResources() {
		for _, version := range []string{lrs.Version103, lrs.Version200} {
			t.Run(d.name+"/"+version, func(t *testing.T) {
				d := d.with("activityId", docActivity+"/"+version).with("agent", `{"mbox":"mailto:since-`+version+`@yrkesresan.se"}`)
				if d.kind == lrs.DocAgentProfile {
					d = d.with("activityId", "")
				}
				if d.kind == lrs.DocActivityProfile {
					d = d.with("agent", "")
				}
				list := func(extra ...string) []string {
					t.Helper()
					r := e.do(req{path: d.url("", extra...), version: version})
					expect(t, r, http.StatusOK)
					if r.Header.Get("ETag") == "" {
						t.Error("ids list without an ETag (3.1.s4.b1)")
					}
					var got []string
					r.json(t, &got)
					if got == nil {
						t.Fatalf("ids list is %s, want a JSON array", r.body)
					}
					return got
				}
				updated := func(id string) time.Time {
					t.Helper()
					doc, err := e.store.Document(ctx, d.key(t, id))
					if err != nil {
						t.Fatal(err)
					}
					return doc.Updated
				}
				stamp := func(ts time.Time) string { return ts.UTC().Format("2006-01-02T15:04:05.000Z") }

				if got := list(); len(got) != 0 {
					t.Fatalf("empty context lists %q", got)
				}
				e.put(t, d, "b", "text/plain", []byte("1"))
				tb := updated("b")
				waitPast(tb)
				e.put(t, d, "c", "text/plain", []byte("2"))
				e.put(t, d, "a", "text/plain", []byte("3"))
				tc, ta := updated("c"), updated("a")
				if !ta.After(tb) || !tc.After(tb) {
					t.Fatalf("update times not ordered: b %v, c %v, a %v", tb, tc, ta)
				}

				if got := list(); !slices.Equal(got, []string{"a", "b", "c"}) {
					t.Errorf("ids %q, want [a b c]", got)
				}
				if got := list("since", stamp(tb.Add(-time.Millisecond))); !slices.Equal(got, []string{"a", "b", "c"}) {
					t.Errorf("since before all: %q", got)
				}
				if got := list("since", stamp(tb)); !slices.Equal(got, []string{"a", "c"}) {
					t.Errorf("since b's time (exclusive): %q, want [a c]", got)
				}
				last := tc
				if ta.After(tc) {
					last = ta
				}
				if got := list("since", stamp(last)); len(got) != 0 {
					t.Errorf("since the latest update: %q, want none", got)
				}
				// An update brings a document back into the list.
				waitPast(last)
				expect(t, e.do(req{method: http.MethodPut, path: d.url("b"), body: "4", version: version,
					header: map[string]string{"Content-Type": "text/plain", "If-Match": "*"}}), http.StatusNoContent)
				if got := list("since", stamp(last)); !slices.Equal(got, []string{"b"}) {
					t.Errorf("since before b's update: %q, want [b]", got)
				}
				// since with a time zone offset means the same instant.
				if got := list("since", last.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.000-07:00")); !slices.Equal(got, []string{"b"}) {
					t.Errorf("since with an offset: %q, want [b]", got)
				}
			})
		}
	}
}

// waitPast returns once the clock has passed the millisecond of ts, so that a later write gets a
// later update time.
func waitPast(ts time.Time) {
	for !time.Now().Truncate(time.Millisecond).After(ts) {
		time.Sleep(100 * time.Microsecond)
	}
}

// 2.3 Single Document and Multiple Document GET: state documents are kept per registration; the
// ids list without registration covers every registration, with it only that one.
func TestStateRegistrations(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	const reg1, reg2 = "8f87ccde-bb56-4c2e-ab83-44982ef22df0", "9a2b57a5-0ab1-4c2b-8c06-1f0ba6e0dbb8"
	none, r1, r2 := stateRes(), stateRes().with("registration", reg1), stateRes().with("registration", reg2)
	e.put(t, none, "s0", "text/plain", []byte("none"))
	e.put(t, r1, "s1", "text/plain", []byte("reg1"))
	e.put(t, r2, "s1", "text/plain", []byte("reg2"))
	e.put(t, r2, "s2", "text/plain", []byte("reg2 too"))

	for _, c := range []struct {
		name string
		res  docRes
		want []string
	}{
		{"without registration", none, []string{"s0", "s1", "s2"}},
		{"registration 1", r1, []string{"s1"}},
		{"registration 2", r2, []string{"s1", "s2"}},
		{"unused registration", stateRes().with("registration", "00000000-0000-4000-8000-000000000000"), []string{}},
	} {
		if got := e.docIDs(t, c.res); !slices.Equal(got, c.want) {
			t.Errorf("%s: ids %q, want %q", c.name, got, c.want)
		}
	}
	if got := e.doc(t, r1, "s1").body; string(got) != "reg1" {
		t.Errorf("s1 in registration 1: %q", got)
	}
	if got := e.doc(t, r2, "s1").body; string(got) != "reg2" {
		t.Errorf("s1 in registration 2: %q", got)
	}
	// A single-document request without registration addresses the state kept without one.
	expect(t, e.do(req{path: none.url("s1")}), http.StatusNotFound)
	if got := e.doc(t, none, "s0").body; string(got) != "none" {
		t.Errorf("s0: %q", got)
	}
	expect(t, e.do(req{path: r1.url("s0")}), http.StatusNotFound)
}

// 2.3 registration is a UUID, and UUIDs are case-insensitive on input (RFC 4122 section 3, as
// the statements resource treats the registration filter): either case finds the same state.
func TestStateRegistrationCase(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	upper := stateRes().with("registration", "8F87CCDE-BB56-4C2E-AB83-44982EF22DF0")
	lower := stateRes().with("registration", "8f87ccde-bb56-4c2e-ab83-44982ef22df0")
	e.put(t, upper, "s", "text/plain", []byte("x"))
	if got := e.doc(t, lower, "s").body; string(got) != "x" {
		t.Errorf("content %q", got)
	}
	if got := e.docIDs(t, lower); !slices.Equal(got, []string{"s"}) {
		t.Errorf("ids %q", got)
	}
	expect(t, e.do(req{method: http.MethodDelete, path: lower.url("")}), http.StatusNoContent)
	expect(t, e.do(req{path: upper.url("s")}), http.StatusNotFound)
}

// 2.3 Single Document DELETE and Multiple Document DELETE: a stateId deletes that document; without
// it, every document of the activity and agent, in the registration when one is given.
func TestStateDelete(t *testing.T) {
	const reg1, reg2 = "8f87ccde-bb56-4c2e-ab83-44982ef22df0", "9a2b57a5-0ab1-4c2b-8c06-1f0ba6e0dbb8"
	e := newEnv(t, httpapi.Config{})
	del := func(t *testing.T, d docRes, id string) {
		t.Helper()
		r := e.do(req{method: http.MethodDelete, path: d.url(id)})
		expect(t, r, http.StatusNoContent)
		if len(r.body) != 0 {
			t.Errorf("204 with a body: %q", r.body)
		}
	}
	type want struct {
		res docRes
		ids []string
	}
	check := func(t *testing.T, wants ...want) {
		t.Helper()
		for _, w := range wants {
			if got := e.docIDs(t, w.res); !slices.Equal(got, w.ids) {
				t.Errorf("%s: ids %q, want %q", w.res.url(""), got, w.ids)
			}
		}
	}
	// Each case works on its own activity, filled with the same documents.
	for _, c := range []struct {
		name    string
		delete  func(t *testing.T, none, r1, r2 docRes)
		remains func(none, r1, r2 docRes) []want
	}{
		{"single", func(t *testing.T, none, r1, r2 docRes) {
			del(t, r2, "s1")
			expect(t, e.do(req{path: r2.url("s1")}), http.StatusNotFound)
			del(t, none, "s1")
			expect(t, e.do(req{path: none.url("s1")}), http.StatusNotFound)
			// Deleting what is not there is no error.
			del(t, none, "never-stored")
		}, func(none, r1, r2 docRes) []want {
			// s1 is still listed for r1; s2 for r2.
			return []want{{none, []string{"s0", "s1", "s2"}}, {r1, []string{"s1"}}, {r2, []string{"s2"}}}
		}},
		{"all of a registration", func(t *testing.T, none, r1, r2 docRes) { del(t, r2, "") },
			func(none, r1, r2 docRes) []want {
				return []want{{none, []string{"s0", "s1"}}, {r1, []string{"s1"}}, {r2, []string{}}}
			}},
		{"all of activity and agent", func(t *testing.T, none, r1, r2 docRes) { del(t, none, "") },
			func(none, r1, r2 docRes) []want {
				return []want{{none, []string{}}, {r1, []string{}}, {r2, []string{}}}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			none := stateRes().with("activityId", docActivity+"/"+url.PathEscape(c.name))
			r1, r2 := none.with("registration", reg1), none.with("registration", reg2)
			otherAgent := none.with("agent", `{"mbox":"mailto:someone.else@yrkesresan.se"}`)
			otherActivity := none.with("activityId", none.context.Get("activityId")+"/other")
			for _, doc := range []struct {
				res docRes
				id  string
			}{{none, "s0"}, {none, "s1"}, {r1, "s1"}, {r2, "s1"}, {r2, "s2"}, {otherAgent, "s1"}, {otherActivity, "s1"}} {
				e.put(t, doc.res, doc.id, "text/plain", []byte("x"))
			}
			c.delete(t, none, r1, r2)
			check(t, append(c.remains(none, r1, r2), want{otherAgent, []string{"s1"}}, want{otherActivity, []string{"s1"}})...)
		})
	}
}

// 2.6, 2.7 Single Document DELETE: a profile is deleted by its profileId; there is no multiple
// document DELETE for profiles, so a DELETE without profileId is 400 and deletes nothing.
func TestProfileDelete(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, d := range []docRes{activityProfileRes(), agentProfileRes()} {
		t.Run(d.name, func(t *testing.T) {
			e.put(t, d, "p1", "text/plain", []byte("1"))
			e.put(t, d, "p2", "text/plain", []byte("2"))
			r := e.do(req{method: http.MethodDelete, path: d.url("")})
			expect(t, r, http.StatusBadRequest)
			if msg := errorMessage(t, r); !strings.Contains(msg, "profileId") {
				t.Errorf("error %q does not name profileId", msg)
			}
			expect(t, e.do(req{method: http.MethodDelete, path: d.url("p1")}), http.StatusNoContent)
			expect(t, e.do(req{path: d.url("p1")}), http.StatusNotFound)
			if got := e.docIDs(t, d); !slices.Equal(got, []string{"p2"}) {
				t.Errorf("ids %q, want [p2]", got)
			}
			// If-Match on a document that is not there fails; without it, the DELETE is a no-op.
			expect(t, e.do(req{method: http.MethodDelete, path: d.url("p1"), header: map[string]string{"If-Match": "*"}}), http.StatusPreconditionFailed)
			expect(t, e.do(req{method: http.MethodDelete, path: d.url("p1")}), http.StatusNoContent)
		})
	}
}

// 2.3, 2.6 "agent" parameter: documents are kept against the Agent's identifier (Data 2.4.2.1), so
// the same mbox with another name or objectType finds the same document; e-mail domains are
// case-insensitive, local parts and other identifiers are not (see lrs.AgentKey).
func TestDocumentAgentIdentity(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	cases := []struct {
		name, stored, asked string
		same                bool
	}{
		{"mbox, other name", `{"mbox":"mailto:anna@yrkesresan.se","name":"Anna"}`,
			`{"objectType":"Agent","name":"Anna Svensson","mbox":"mailto:anna@yrkesresan.se"}`, true},
		{"mbox domain case", `{"mbox":"mailto:bo@Yrkesresan.SE"}`, `{"mbox":"mailto:bo@yrkesresan.se"}`, true},
		{"mbox local part case", `{"mbox":"mailto:Cay@yrkesresan.se"}`, `{"mbox":"mailto:cay@yrkesresan.se"}`, false},
		{"mbox_sha1sum case", `{"mbox_sha1sum":"ABCDEF0123456789ABCDEF0123456789ABCDEF01"}`,
			`{"mbox_sha1sum":"abcdef0123456789abcdef0123456789abcdef01","name":"D"}`, true},
		{"openid", `{"openid":"https://id.yrkesresan.se/e"}`, `{"openid":"https://id.yrkesresan.se/e","name":"E"}`, true},
		{"account, other name", `{"account":{"homePage":"https://yrkesresan.se","name":"f-1"},"name":"F"}`,
			`{"name":"Frida","account":{"name":"f-1","homePage":"https://yrkesresan.se"}}`, true},
		{"account, other account name", `{"account":{"homePage":"https://yrkesresan.se","name":"g-1"}}`,
			`{"account":{"homePage":"https://yrkesresan.se","name":"g-2"}}`, false},
		{"mbox is not openid", `{"openid":"mailto:h@yrkesresan.se"}`, `{"mbox":"mailto:h@yrkesresan.se"}`, false},
	}
	for _, d := range []docRes{stateRes(), agentProfileRes()} {
		for _, c := range cases {
			t.Run(d.name+"/"+c.name, func(t *testing.T) {
				stored, asked := d.with("agent", c.stored), d.with("agent", c.asked)
				e.put(t, stored, "who", "text/plain", []byte(c.name))
				r := e.do(req{path: asked.url("who")})
				if !c.same {
					expect(t, r, http.StatusNotFound)
					if got := e.docIDs(t, asked); len(got) != 0 {
						t.Errorf("another agent lists %q", got)
					}
					return
				}
				expect(t, r, http.StatusOK)
				if string(r.body) != c.name {
					t.Errorf("found %q", r.body)
				}
				if got := e.docIDs(t, asked); !slices.Equal(got, []string{"who"}) {
					t.Errorf("ids %q", got)
				}
				// Writes through either form reach the same document.
				expect(t, e.do(req{method: http.MethodPut, path: asked.url("who"), body: "again",
					header: map[string]string{"Content-Type": "text/plain", "If-Match": r.Header.Get("ETag")}}), http.StatusNoContent)
				if got := e.doc(t, stored, "who").body; string(got) != "again" {
					t.Errorf("after a PUT as the other form: %q", got)
				}
			})
		}
	}
}

// Parameters of 2.3, 2.6, 2.7 (and 3.2 Error Codes: 400 for malformed requests; 1.0.3 Part Three
// 1.3 / 2.0: the LRS rejects parameters it does not recognise). Each bad request is 400 with an
// error body naming the parameter at fault, whatever the method.
func TestDocumentBadParameters(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	state, actProf, agProf := stateRes(), activityProfileRes(), agentProfileRes()
	cases := []struct {
		name    string
		path    string
		methods []string // nil: every method
		problem string   // what the error must mention
	}{
		{"state without activityId", state.with("activityId", "").url("s"), nil, "activityId"},
		{"state activityId not an IRI", state.with("activityId", "not an iri").url("s"), nil, "activityId"},
		{"state without agent", state.with("agent", "").url("s"), nil, "agent"},
		{"state agent malformed JSON", state.with("agent", `{"mbox":"mailto:a@b.se"`).url("s"), nil, "agent"},
		{"state agent followed by a stray brace", state.with("agent", `{"mbox":"mailto:a@b.se"}}`).url("s"), nil, "agent"},
		{"state agent not an object", state.with("agent", `"mailto:a@b.se"`).url("s"), nil, "agent"},
		{"state agent without identifier", state.with("agent", `{"name":"Nobody"}`).url("s"), nil, "agent"},
		{"state agent mbox not mailto", state.with("agent", `{"mbox":"a@b.se"}`).url("s"), nil, "agent"},
		{"state agent two identifiers", state.with("agent", `{"mbox":"mailto:a@b.se","openid":"https://b.se/a"}`).url("s"), nil, "agent"},
		{"state agent anonymous group", state.with("agent", `{"objectType":"Group","member":[{"mbox":"mailto:a@b.se"}]}`).url("s"), nil, "agent"},
		{"state registration not a UUID", state.with("registration", "not-a-uuid").url("s"), nil, "registration"},
		{"state unknown parameter", state.url("s", "profileId", "p"), nil, "profileId"},
		{"state parameter twice", state.url("s", "stateId", "t"), nil, "stateId"},
		{"state write without stateId", state.url(""), []string{http.MethodPut, http.MethodPost}, "stateId"},
		{"state since on a single document", state.url("s", "since", "2024-01-01T00:00:00Z"), []string{http.MethodGet}, "since"},
		{"state since on a write", state.url("s", "since", "2024-01-01T00:00:00Z"), []string{http.MethodPut, http.MethodPost, http.MethodDelete}, "since"},
		{"state since not a timestamp", state.url("", "since", "yesterday"), []string{http.MethodGet}, "since"},
		{"activity profile without activityId", actProf.with("activityId", "").url("p"), nil, "activityId"},
		{"activity profile activityId not an IRI", actProf.with("activityId", "bou ny 1").url("p"), nil, "activityId"},
		{"activity profile with agent", actProf.url("p", "agent", docAgent), nil, "agent"},
		{"activity profile with stateId", actProf.url("", "stateId", "p"), nil, "stateId"},
		{"activity profile with registration", actProf.url("p", "registration", "8f87ccde-bb56-4c2e-ab83-44982ef22df0"), nil, "registration"},
		{"activity profile write without profileId", actProf.url(""), []string{http.MethodPut, http.MethodPost, http.MethodDelete}, "profileId"},
		{"activity profile since not a timestamp", actProf.url("", "since", "2024-13-01T00:00:00Z"), []string{http.MethodGet}, "since"},
		{"agent profile without agent", agProf.with("agent", "").url("p"), nil, "agent"},
		{"agent profile agent malformed JSON", agProf.with("agent", `{mbox:"mailto:a@b.se"}`).url("p"), nil, "agent"},
		{"agent profile agent without identifier", agProf.with("agent", `{"objectType":"Agent"}`).url("p"), nil, "agent"},
		{"agent profile with activityId", agProf.url("p", "activityId", docActivity), nil, "activityId"},
		{"agent profile unknown parameter", agProf.url("p", "foo", "1"), nil, "foo"},
		{"agent profile write without profileId", agProf.url(""), []string{http.MethodPut, http.MethodPost, http.MethodDelete}, "profileId"},
	}
	for _, c := range cases {
		methods := c.methods
		if methods == nil {
			methods = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete}
		}
		for _, method := range methods {
			t.Run(c.name+"/"+method, func(t *testing.T) {
				r := req{method: method, path: c.path}
				if method == http.MethodPut || method == http.MethodPost {
					r.body, r.header = `{"a":1}`, map[string]string{"If-None-Match": "*"}
				}
				res := e.do(r)
				expect(t, res, http.StatusBadRequest)
				if msg := errorMessage(t, res); !strings.Contains(msg, c.problem) {
					t.Errorf("error %q does not name %q", msg, c.problem)
				}
			})
		}
	}
	// Nothing was stored by any of them.
	for _, d := range docResources() {
		if got := e.docIDs(t, d); len(got) != 0 {
			t.Errorf("%s: a refused request stored %q", d.name, got)
		}
	}
}

// Conditions name one document's ETag, so a DELETE of every state document with one is refused
// rather than ignored (3.1), and deletes nothing.
func TestStateDeleteAllRefusesConditions(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	d := stateRes()
	e.put(t, d, "s", "text/plain", []byte("x"))
	for _, h := range []string{"If-Match", "If-None-Match"} {
		r := e.do(req{method: http.MethodDelete, path: d.url(""), header: map[string]string{h: `"` + etagOf([]byte("x")) + `"`}})
		expect(t, r, http.StatusBadRequest)
		if msg := errorMessage(t, r); !strings.Contains(msg, "single document") {
			t.Errorf("%s: error %q does not explain", h, msg)
		}
	}
	if got := e.docIDs(t, d); !slices.Equal(got, []string{"s"}) {
		t.Errorf("after refused DELETEs: %q, want the document kept", got)
	}
}

// A Content-Type that is not a media type is refused: it is stored and served back as sent.
func TestDocumentMalformedContentType(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, d := range docResources() {
		for _, method := range []string{http.MethodPut, http.MethodPost} {
			r := e.do(req{method: method, path: d.url("ct"), body: "x",
				header: map[string]string{"Content-Type": "not a type;;", "If-None-Match": "*"}})
			expect(t, r, http.StatusBadRequest)
			if msg := errorMessage(t, r); !strings.Contains(msg, "Content-Type") {
				t.Errorf("%s %s: error %q does not name Content-Type", d.name, method, msg)
			}
		}
		if got := e.docIDs(t, d); len(got) != 0 {
			t.Errorf("%s: stored %q", d.name, got)
		}
	}
}

// 2.2 Requirements (2.2.s4.b2): documents are accepted for activities and agents the LRS has never
// seen in a statement.
func TestDocumentUnknownActivityAndAgent(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, d := range docResources() {
		d = d.with("activityId", "urn:uuid:1a2b3c4d-0000-4000-8000-000000000000")
		if d.kind == lrs.DocAgentProfile {
			d = d.with("activityId", "")
		}
		if d.kind != lrs.DocActivityProfile {
			d = d.with("agent", `{"account":{"homePage":"https://elsewhere.example","name":"never-seen"}}`)
		}
		e.put(t, d, "first", "application/json", []byte(`{}`))
	}
}

// Authorization scopes (1.0.3 Part Three 4.2; 2.0 keeps the scope values in 4.0 / 3.2): "state"
// reads and writes state, "profile" both profile resources, "all/read" reads everything, "all"
// does everything; a client without the scope gets 403, one without credentials 401.
func TestDocumentScopes(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	e.addClient(t, "doc-state", lrs.ScopeState)
	e.addClient(t, "doc-profile", lrs.ScopeProfile)
	e.addClient(t, "doc-allread", lrs.ScopeAllRead)
	e.addClient(t, "doc-define", lrs.ScopeDefine, lrs.ScopeStatementsWrite, lrs.ScopeStatementsRead)
	for _, d := range docResources() {
		e.put(t, d, "scoped", "application/json", []byte(`{"a":1}`))
	}
	isState := func(d docRes) bool { return d.kind == lrs.DocState }
	isProfile := func(d docRes) bool { return d.kind != lrs.DocState }
	always := func(docRes) bool { return true }
	never := func(docRes) bool { return false }
	cases := []struct {
		client      string
		read, write func(docRes) bool // whether the client may
	}{
		{"admin", always, always},
		{"doc-state", isState, isState},
		{"doc-profile", isProfile, isProfile},
		{"doc-allread", always, never},
		{"doc-define", never, never},
		{"writer", never, never},
		{"reader", never, never},
	}
	for _, c := range cases {
		for _, d := range docResources() {
			t.Run(c.client+"/"+d.name, func(t *testing.T) {
				status := func(allowed bool, ok int) int {
					if allowed {
						return ok
					}
					return http.StatusForbidden
				}
				reads := []req{
					{method: http.MethodGet, path: d.url("scoped")},
					{method: http.MethodGet, path: d.url("")},
					{method: http.MethodHead, path: d.url("scoped")},
				}
				for _, r := range reads {
					r.as = c.client
					res := e.do(r)
					expect(t, res, status(c.read(d), http.StatusOK))
					if res.StatusCode == http.StatusForbidden && r.method != http.MethodHead {
						if msg := errorMessage(t, res); !strings.Contains(msg, "scope") {
							t.Errorf("403 does not mention the scope: %q", msg)
						}
					}
				}
				writes := []req{
					{method: http.MethodPost, path: d.url("scoped"), body: `{"b":2}`},
					{method: http.MethodPut, path: d.url("scoped"), body: `{"a":1}`, header: map[string]string{"If-Match": "*"}},
					{method: http.MethodDelete, path: d.url("other")},
				}
				for _, r := range writes {
					r.as = c.client
					expect(t, e.do(r), status(c.write(d), http.StatusNoContent))
				}
			})
		}
	}
	for _, d := range docResources() {
		r := e.do(req{path: d.url("scoped"), as: "-"})
		expect(t, r, http.StatusUnauthorized)
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", d.name)
		}
	}
}

// Part Three 1.1 HEAD: the LRS answers HEAD like GET, with the headers and without a body.
func TestDocumentHead(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	for _, d := range docResources() {
		t.Run(d.name, func(t *testing.T) {
			content := []byte(`{"page":12}`)
			e.put(t, d, "head", "application/json", content)
			get := e.doc(t, d, "head")
			r := e.do(req{method: http.MethodHead, path: d.url("head")})
			expect(t, r, http.StatusOK)
			if len(r.body) != 0 {
				t.Errorf("HEAD answered a body: %q", r.body)
			}
			for _, h := range []string{"ETag", "Last-Modified", "Content-Type", "X-Experience-API-Version"} {
				if r.Header.Get(h) == "" || r.Header.Get(h) != get.Header.Get(h) {
					t.Errorf("HEAD %s %q, GET %q", h, r.Header.Get(h), get.Header.Get(h))
				}
			}
			if r.Header.Get("ETag") != etagOf(content) {
				t.Errorf("ETag %s", r.Header.Get("ETag"))
			}

			list := e.do(req{method: http.MethodHead, path: d.url("")})
			expect(t, list, http.StatusOK)
			if len(list.body) != 0 || list.Header.Get("ETag") == "" {
				t.Errorf("HEAD of the ids: ETag %q, body %q", list.Header.Get("ETag"), list.body)
			}
			missing := e.do(req{method: http.MethodHead, path: d.url("missing")})
			expect(t, missing, http.StatusNotFound)
			if len(missing.body) != 0 {
				t.Errorf("HEAD 404 with a body: %q", missing.body)
			}
		})
	}
}

// 3.1 (concurrency control, optimistic, via the LRS's compare-and-swap) and 2.2 JSON Procedure:
// many clients POSTing properties to the same document at once all get 204, and the document
// ends up with every property: no update is lost.
func TestDocumentConcurrentPostMerge(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	const writers = 24
	for _, d := range docResources() {
		t.Run(d.name, func(t *testing.T) {
			e.put(t, d, "together", "application/json", []byte(`{"start":true}`))
			creds := e.creds["admin"]
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for i := range writers {
				wg.Go(func() {
					body := fmt.Sprintf(`{"k%02d":%d}`, i, i)
					hr, err := http.NewRequest(http.MethodPost, e.srv.URL+d.url("together"), strings.NewReader(body))
					if err != nil {
						errs <- err
						return
					}
					hr.Header.Set("Content-Type", "application/json")
					hr.Header.Set("X-Experience-API-Version", "1.0.3")
					hr.SetBasicAuth(creds[0], creds[1])
					res, err := e.srv.Client().Do(hr)
					if err != nil {
						errs <- err
						return
					}
					defer res.Body.Close()
					b, _ := io.ReadAll(res.Body)
					if res.StatusCode != http.StatusNoContent {
						errs <- fmt.Errorf("POST %s: status %d: %s", body, res.StatusCode, b)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			got := decodeObject(t, e.doc(t, d, "together").body)
			want := map[string]any{"start": true}
			for i := range writers {
				want[fmt.Sprintf("k%02d", i)] = float64(i)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("merged %v,\nwant %v", got, want)
			}
		})
	}
}
