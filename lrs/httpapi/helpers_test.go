package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/httpapi"
)

// testEnv is a real LRS over real HTTP on a fresh store (see openTestStore).
type testEnv struct {
	t     testing.TB
	srv   *httptest.Server
	store lrs.Store
	creds map[string][2]string // client name -> key, secret
}

// clientScopes are the clients every test environment has.
var clientScopes = map[string][]lrs.Scope{
	"admin":  {lrs.ScopeAll},
	"writer": {lrs.ScopeStatementsWrite},
	"reader": {lrs.ScopeStatementsRead},
	"mine":   {lrs.ScopeStatementsWrite, lrs.ScopeStatementsReadMine},
	"other":  {lrs.ScopeStatementsWrite, lrs.ScopeStatementsReadMine},
}

func newEnv(t testing.TB, cfg httpapi.Config) *testEnv {
	t.Helper()
	store := openTestStore(t)
	e := &testEnv{t: t, store: store, creds: map[string][2]string{}}
	for name, scopes := range clientScopes {
		e.addClient(t, name, scopes...)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://lrs.test"
	}
	svc := lrs.NewService(store, lrs.Options{MaxLimit: 50})
	auth, err := lrs.NewAuthenticator(store)
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(cfg, svc, auth, slog.New(slog.DiscardHandler))
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	return e
}

// req is one request; zero values mean: admin credentials, xAPI 1.0.3, JSON body.
type req struct {
	method  string
	path    string // below the server root, e.g. /xapi/statements?x=y
	body    any    // encoded as JSON unless it is a string or []byte
	as      string // client name; "-" for no credentials
	version string // X-Experience-API-Version; "-" for none
	header  map[string]string
}

// resp is a response with its body read.
type resp struct {
	*http.Response
	body []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (e *testEnv) do(r req) resp {
	e.t.Helper()
	res, err := e.send(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// send is do for goroutines other than the test's, which must not call t.Fatal.
func (e *testEnv) send(r req) (resp, error) {
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return resp{}, err
		}
		body = bytes.NewReader(enc)
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		return resp{}, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch r.version {
	case "":
		hr.Header.Set("X-Experience-API-Version", "1.0.3")
	case "-":
	default:
		hr.Header.Set("X-Experience-API-Version", r.version)
	}
	switch r.as {
	case "":
		r.as = "admin"
		fallthrough
	default:
		if r.as != "-" {
			c := e.creds[r.as]
			hr.SetBasicAuth(c[0], c[1])
		}
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{Response: res, body: b}, nil
}

// expect fails the test unless the response has the status.
func expect(t testing.TB, r resp, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL, r.StatusCode, status, r.body)
	}
}

// post stores statements as admin and returns their ids.
func (e *testEnv) post(sts ...map[string]any) []string {
	e.t.Helper()
	r := e.do(req{method: http.MethodPost, path: "/xapi/statements", body: sts})
	expect(e.t, r, http.StatusOK)
	var ids []string
	r.json(e.t, &ids)
	return ids
}

// get fetches one statement by id.
func (e *testEnv) get(id string) map[string]any {
	e.t.Helper()
	r := e.do(req{path: "/xapi/statements?statementId=" + id})
	expect(e.t, r, http.StatusOK)
	var st map[string]any
	r.json(e.t, &st)
	return st
}

// result is a decoded StatementResult.
type result struct {
	Statements []map[string]any `json:"statements"`
	More       string           `json:"more"`
}

func (e *testEnv) query(params string) result {
	e.t.Helper()
	r := e.do(req{path: "/xapi/statements?" + params})
	expect(e.t, r, http.StatusOK)
	var res result
	r.json(e.t, &res)
	return res
}

func ids(res result) []string {
	out := make([]string, len(res.Statements))
	for i, st := range res.Statements {
		out[i], _ = st["id"].(string)
	}
	return out
}

// statement returns a fresh valid statement; change it with the given edits.
func statement(edits ...func(map[string]any)) map[string]any {
	st := map[string]any{
		"actor": map[string]any{"objectType": "Agent", "name": "Learner", "account": map[string]any{
			"homePage": "https://yrkesresan.se", "name": "learner-1"}},
		"verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/completed",
			"display": map[string]any{"en-US": "completed", "sv-SE": "slutförde"}},
		"object": map[string]any{"objectType": "Activity", "id": "https://yrkesresan.se/courses/bou-ny-1",
			"definition": map[string]any{"name": map[string]any{"en-US": "Child protection 1", "sv-SE": "Barnskydd 1"}}},
	}
	for _, edit := range edits {
		edit(st)
	}
	return st
}

func withID(id string) func(map[string]any) { return func(st map[string]any) { st["id"] = id } }

func withActor(name string) func(map[string]any) {
	return func(st map[string]any) {
		st["actor"] = map[string]any{"account": map[string]any{"homePage": "https://yrkesresan.se", "name": name}}
	}
}

func withVerb(id string) func(map[string]any) {
	return func(st map[string]any) { st["verb"] = map[string]any{"id": id} }
}

func withObject(obj map[string]any) func(map[string]any) {
	return func(st map[string]any) { st["object"] = obj }
}

func withContext(ctx map[string]any) func(map[string]any) {
	return func(st map[string]any) { st["context"] = ctx }
}

func voiding(target string) map[string]any {
	return statement(withVerb(lrs.VerbVoided), withObject(map[string]any{"objectType": "StatementRef", "id": target}))
}

// addClient gives the environment one more client with the scopes.
func (e *testEnv) addClient(t testing.TB, name string, scopes ...lrs.Scope) {
	t.Helper()
	key, secret, err := lrs.NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := lrs.HashSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	c := lrs.Client{Key: key, SecretHash: hash, Name: name, Scopes: scopes, Created: time.Now()}
	if err := e.store.PutClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	e.creds[name] = [2]string{key, secret}
}

// errorMessage is the error text of an error response.
func errorMessage(t testing.TB, r resp) string {
	t.Helper()
	var body struct {
		Status int
		Error  string
	}
	r.json(t, &body)
	if body.Status != r.StatusCode || body.Error == "" {
		t.Fatalf("error body %s does not state status %d and a message", r.body, r.StatusCode)
	}
	return body.Error
}
