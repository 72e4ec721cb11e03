package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// FuzzPostStatements: no body, however malformed, may crash the server or get a 5xx. The seed
// corpus runs in every `go test`; `go test -fuzz=FuzzPostStatements ./lrs/httpapi` explores more.
func FuzzPostStatements(f *testing.F) {
	for _, seed := range []string{
		`{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"}}`,
		`[{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"}}]`,
		`{"id":"00000000-0000-4000-8000-000000000000","actor":{"objectType":"Group","member":[]},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"00000000-0000-4000-8000-000000000000"}}`,
		`{"actor":{"account":{"homePage":"https://h.se","name":"x"}},"verb":{"id":"http://v.se/x","display":{"sv-SE":"x"}},"object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/y"},"object":{"id":"http://a.se/2"}},"context":{"contextActivities":{"parent":{"id":"http://p.se"}}}}`,
		`{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1","definition":{"interactionType":"choice","choices":[{"id":"a","description":{"en":"A"}}],"correctResponsesPattern":["a"]}},"result":{"score":{"scaled":0.5,"raw":5,"min":0,"max":10},"duration":"PT1H2M3.45S"},"timestamp":"2026-01-01T00:00:00.000Z"}`,
		`{"actor":null}`, `[]`, `[1,2]`, `{`, `"x"`, `{"actor":{"mbox":"mailto:a@b.se"}} trailing`,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	e := newEnv(f, httpapi.Config{})
	f.Fuzz(func(t *testing.T, body string, v2 bool) {
		e.t = t
		version := "1.0.3"
		if v2 {
			version = "2.0.0"
		}
		r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: []byte(body), version: version})
		if r.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", r.StatusCode, body, r.body)
		}
	})
}
