package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// FuzzPostStatements: no body, however malformed, may crash the server or get a 5xx, as JSON or
// as multipart/mixed with attachment data (multipart seeds use the boundary "b"). The seed corpus
// runs in every `go test`; `go test -fuzz=FuzzPostStatements ./lrs/httpapi` explores more.
func FuzzPostStatements(f *testing.F) {
	for _, seed := range []string{
		`{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"}}`,
		`[{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"}}]`,
		`{"id":"00000000-0000-4000-8000-000000000000","actor":{"objectType":"Group","member":[]},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"00000000-0000-4000-8000-000000000000"}}`,
		`{"actor":{"account":{"homePage":"https://h.se","name":"x"}},"verb":{"id":"http://v.se/x","display":{"sv-SE":"x"}},"object":{"objectType":"SubStatement","actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/y"},"object":{"id":"http://a.se/2"}},"context":{"contextActivities":{"parent":{"id":"http://p.se"}}}}`,
		`{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1","definition":{"interactionType":"choice","choices":[{"id":"a","description":{"en":"A"}}],"correctResponsesPattern":["a"]}},"result":{"score":{"scaled":0.5,"raw":5,"min":0,"max":10},"duration":"PT1H2M3.45S"},"timestamp":"2026-01-01T00:00:00.000Z"}`,
		`{"actor":null}`, `[]`, `[1,2]`, `{`, `"x"`, `{"actor":{"mbox":"mailto:a@b.se"}} trailing`,
	} {
		f.Add(seed, false, false)
		f.Add(seed, true, false)
	}
	const data = "here is a simple attachment"
	att := `{"usageType":"http://a.se/u","display":{"en":"x"},"contentType":"text/plain","length":27,"sha2":"` + sha(data) + `"}`
	st := `{"actor":{"mbox":"mailto:a@b.se"},"verb":{"id":"http://v.se/x"},"object":{"id":"http://a.se/1"},"attachments":[` + att + `]}`
	dataPart := "Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: " + sha(data) + "\r\n\r\n" + data
	for _, parts := range [][]string{
		{"Content-Type: application/json\r\n\r\n" + st, dataPart},
		{"Content-Type: application/json\r\n\r\n[" + st + "," + st + "]", dataPart, dataPart},
		{"Content-Type: application/json\r\n\r\n" + st},
		{"Content-Type: text/plain\r\n\r\n" + st, dataPart},
		{"Content-Type: application/json\r\n\r\n{}", dataPart},
	} {
		body := "--b\r\n" + strings.Join(parts, "\r\n--b\r\n") + "\r\n--b--\r\n"
		f.Add(body, false, true)
		f.Add(body, true, true)
	}
	e := newEnv(f, httpapi.Config{})
	f.Fuzz(func(t *testing.T, body string, v2, multipart bool) {
		e.t = t
		version := "1.0.3"
		if v2 {
			version = "2.0.0"
		}
		ct := "application/json"
		if multipart {
			ct = "multipart/mixed; boundary=b"
		}
		r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: []byte(body), version: version,
			header: map[string]string{"Content-Type": ct}})
		if r.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", r.StatusCode, body, r.body)
		}
	})
}
