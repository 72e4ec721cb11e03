package httpapi_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"

	"github.com/yrkesresan/lrs/lrs/httpapi"
)

func agentsPath(agent string) string { return "/xapi/agents?agent=" + url.QueryEscape(agent) }

// Communication 2.4: GET returns a Person object, each property a list (XAPI-00237 to 00242,
// 00244); for an agent the LRS knows nothing more about, it holds what the request gave
// (2.4.s3.b3, XAPI-00247), whether or not statements mention the agent (XAPI-00248).
func TestAgentsResource(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	e.post(statement(withActor("learner-1")))
	cases := []struct {
		name, agent, want string
	}{
		{"mbox with name", `{"objectType":"Agent","name":"Ann","mbox":"mailto:ann@yrkesresan.se"}`,
			`{"objectType":"Person","name":["Ann"],"mbox":["mailto:ann@yrkesresan.se"]}`},
		{"mbox_sha1sum", `{"mbox_sha1sum":"1b2b0a12fcb4b5ba6c3c1e3b6e50e54f1d3b5b5d"}`,
			`{"objectType":"Person","mbox_sha1sum":["1b2b0a12fcb4b5ba6c3c1e3b6e50e54f1d3b5b5d"]}`},
		{"openid", `{"openid":"https://openid.yrkesresan.se/ann"}`,
			`{"objectType":"Person","openid":["https://openid.yrkesresan.se/ann"]}`},
		{"account seen in statements", `{"account":{"homePage":"https://yrkesresan.se","name":"learner-1"}}`,
			`{"objectType":"Person","account":[{"homePage":"https://yrkesresan.se","name":"learner-1"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, version := range []string{"1.0.3", "2.0.0"} {
				r := e.do(req{path: agentsPath(c.agent), version: version})
				expect(t, r, http.StatusOK)
				var got, want any
				r.json(t, &got)
				resp{body: []byte(c.want)}.json(t, &want)
				if !sameJSON(got, want) {
					t.Errorf("%s: person %s, want %s", version, r.body, c.want)
				}
			}
		})
	}
}

// Communication 2.4: the agent parameter is required (XAPI-00243) and must be a valid Agent,
// "not a Person Object, nor ... a Group" (XAPI-00249); 1.3: unknown parameters are refused.
// Any valid credentials may ask; HEAD answers as GET without the body (1.1).
func TestAgentsRequests(t *testing.T) {
	e := newEnv(t, httpapi.Config{})
	ok := `{"objectType":"Agent","account":{"homePage":"https://yrkesresan.se","name":"learner-1"}}`
	cases := []struct {
		name string
		req  req
		want int
		says string // part of the error message
	}{
		{"statements/write only", req{path: agentsPath(ok), as: "writer"}, http.StatusOK, ""},
		{"statements/read/mine", req{path: agentsPath(ok), as: "mine"}, http.StatusOK, ""},
		{"no credentials", req{path: agentsPath(ok), as: "-"}, http.StatusUnauthorized, ""},
		{"no version", req{path: agentsPath(ok), version: "-"}, http.StatusBadRequest, ""},
		{"no agent", req{path: "/xapi/agents"}, http.StatusBadRequest, "agent parameter is required"},
		{"malformed JSON", req{path: agentsPath(`{"mbox":`)}, http.StatusBadRequest, "not valid JSON"},
		{"data after the object", req{path: agentsPath(ok + ` {}`)}, http.StatusBadRequest, "data after the JSON value"},
		{"stray closing brace", req{path: agentsPath(ok + `}`)}, http.StatusBadRequest, "data after the JSON value"},
		{"not an object", req{path: agentsPath(`["mailto:a@b.se"]`)}, http.StatusBadRequest, "agent"},
		{"no identifier", req{path: agentsPath(`{"objectType":"Agent","name":"Rick James"}`)}, http.StatusBadRequest, "agent is invalid"},
		{"two identifiers", req{path: agentsPath(`{"mbox":"mailto:a@b.se","openid":"https://id.se/a"}`)}, http.StatusBadRequest, "agent is invalid"},
		{"bad mbox", req{path: agentsPath(`{"mbox":"a@b.se"}`)}, http.StatusBadRequest, "agent is invalid"},
		{"identified group", req{path: agentsPath(`{"objectType":"Group","mbox":"mailto:team@b.se"}`)}, http.StatusBadRequest, "not a Group"},
		{"person", req{path: agentsPath(`{"objectType":"Person","mbox":["mailto:a@b.se"]}`)}, http.StatusBadRequest, "agent is invalid"},
		{"agent twice", req{path: agentsPath(ok) + "&agent=" + url.QueryEscape(ok)}, http.StatusBadRequest, "more than once"},
		{"unknown parameter", req{path: agentsPath(ok) + "&activityId=https://a.se"}, http.StatusBadRequest, "activityId"},
		{"PUT", req{method: http.MethodPut, path: agentsPath(ok), body: "{}"}, http.StatusMethodNotAllowed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.req)
			expect(t, r, c.want)
			if c.want < 400 {
				return
			}
			var body struct {
				Status int    `json:"status"`
				Error  string `json:"error"`
			}
			r.json(t, &body)
			if body.Status != c.want || !bytes.Contains([]byte(body.Error), []byte(c.says)) {
				t.Errorf("error body %s, want status %d and a message with %q", r.body, c.want, c.says)
			}
		})
	}

	t.Run("ETag and HEAD", func(t *testing.T) {
		get := e.do(req{path: agentsPath(ok)})
		expect(t, get, http.StatusOK)
		sum := sha1.Sum(get.body)
		if etag := get.Header.Get("ETag"); etag != `"`+hex.EncodeToString(sum[:])+`"` {
			t.Errorf("ETag %s, want the quoted SHA-1 of %s", etag, get.body)
		}
		head := e.do(req{method: http.MethodHead, path: agentsPath(ok)})
		expect(t, head, http.StatusOK)
		if len(head.body) != 0 || head.Header.Get("ETag") != get.Header.Get("ETag") {
			t.Errorf("HEAD: body %q, ETag %s; want no body and the GET's ETag", head.body, head.Header.Get("ETag"))
		}
	})
}
