package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yrkesresan/lrs/lrs"
	xapihttp "github.com/yrkesresan/lrs/lrs/httpapi"
	"github.com/yrkesresan/lrs/lrs/sqlite"
	"github.com/yrkesresan/lrs/scorm"
	"github.com/yrkesresan/lrs/scorm/httpapi"
	"github.com/yrkesresan/lrs/scorm/scormtest"
	"github.com/yrkesresan/lrs/web"
)

const (
	adminKey    = "admin-key"
	adminSecret = "admin-secret-long-enough"
	userKey     = "user-key"
	userSecret  = "user-secret-long-enough"
)

// server is the LRS with SCORM hosting over a real SQLite store, served by httptest.
type server struct {
	*httptest.Server
	svc     *scorm.Service
	content *httptest.Server // the separate content origin, when configured
}

type options struct {
	webDir     string
	contentURL bool // serve the learner side on a second origin
	limits     scorm.Limits
}

// webDir is where npm ci --prefix web installs scorm-again.
func webDir(t testing.TB) string {
	dir, err := filepath.Abs("../../web/node_modules/scorm-again/dist")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func newServer(t testing.TB, o options) *server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "lrs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	for key, c := range map[string]struct {
		secret string
		scopes []lrs.Scope
	}{adminKey: {adminSecret, []lrs.Scope{lrs.ScopeAll}}, userKey: {userSecret, []lrs.Scope{lrs.ScopeStatementsWrite, lrs.ScopeStatementsRead}}} {
		hash, err := lrs.HashSecret(c.secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.PutClient(ctx, lrs.Client{Key: key, SecretHash: hash, Scopes: c.scopes, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	auth, err := lrs.NewAuthenticator(store)
	if err != nil {
		t.Fatal(err)
	}
	svc := lrs.NewService(store, lrs.Options{Log: log})
	s := &server{Server: httptest.NewUnstartedServer(nil)}
	baseURL := "http://" + s.Listener.Addr().String()
	content := ""
	if o.contentURL {
		s.content = httptest.NewUnstartedServer(nil)
		content = "http://" + s.content.Listener.Addr().String()
	}
	s.svc, err = scorm.New(ctx, store, svc, scorm.Config{BaseURL: baseURL, ContentURL: content,
		SpoolDir: filepath.Join(dir, "spool"), Limits: o.limits, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if o.webDir == "" {
		o.webDir = webDir(t)
	}
	h := httpapi.New(httpapi.Config{WebDir: o.webDir, Player: web.Player()}, s.svc, auth, log)
	handler := h.Mount(xapihttp.New(xapihttp.Config{BaseURL: baseURL}, svc, auth, log))
	s.Config.Handler = handler
	s.Start()
	t.Cleanup(s.Close)
	if s.content != nil {
		s.content.Config.Handler = handler
		s.content.Start()
		t.Cleanup(s.content.Close)
	}
	return s
}

type reply struct {
	code int
	hdr  http.Header
	body []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.code, r.body)
	}
	return m
}

// do sends a request; auth is "admin", "user" or "".
func do(t testing.TB, method, u, auth, contentType string, body []byte, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	switch auth {
	case "admin":
		req.SetBasicAuth(adminKey, adminSecret)
	case "user":
		req.SetBasicAuth(userKey, userSecret)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, b}
}

var course12 = scormtest.Course{Identifier: "se.yrkesresan.demo12", Title: "Demo 1.2", Version: "1.2",
	SCOs:  []scormtest.SCO{{ID: "SCO1", Title: "Lesson"}},
	Extra: []scormtest.Entry{{Name: "media/clip.mp4", Body: bytes.Repeat([]byte("0123456789"), 100_000)}}}

func TestAdminAPI(t *testing.T) {
	s := newServer(t, options{limits: scorm.Limits{MaxUploadBytes: 2 << 20}})
	zip := course12.Zip(t)
	t.Run("credentials and scope", func(t *testing.T) {
		if r := do(t, "POST", s.URL+"/scorm/packages", "", "application/zip", zip); r.code != 401 || r.hdr.Get("WWW-Authenticate") != "" {
			t.Errorf("no credentials: %d %v", r.code, r.hdr)
		}
		if r := do(t, "POST", s.URL+"/scorm/packages", "user", "application/zip", zip); r.code != 403 {
			t.Errorf("without the all scope: %d %s", r.code, r.body)
		}
	})
	t.Run("import", func(t *testing.T) {
		if r := do(t, "POST", s.URL+"/scorm/packages", "admin", "multipart/form-data; boundary=x", zip); r.code != 415 {
			t.Errorf("a form: %d %s", r.code, r.body)
		}
		r := do(t, "POST", s.URL+"/scorm/packages", "admin", "application/zip", zip)
		if r.code != 201 {
			t.Fatalf("import: %d %s", r.code, r.body)
		}
		p := r.json(t)
		if p["id"] != "se.yrkesresan.demo12" || p["version"] != 1.0 || p["scorm"] != "1.2" || p["courseIri"] != s.URL+"/scorm/courses/se.yrkesresan.demo12" {
			t.Errorf("package: %v", p)
		}
		if r.hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("admin answers may be cached: %v", r.hdr)
		}
		if r := do(t, "POST", s.URL+"/scorm/packages", "admin", "application/zip", zip); r.code != 200 {
			t.Errorf("the same zip again: %d", r.code)
		}
	})
	t.Run("refused packages", func(t *testing.T) {
		bad := scormtest.Zip(t, scormtest.Entry{Name: "../x.html", Body: []byte("x")}, scormtest.Entry{Name: "imsmanifest.xml", Body: []byte("<manifest")})
		r := do(t, "POST", s.URL+"/scorm/packages", "admin", "application/zip", bad)
		if r.code != 400 {
			t.Fatalf("a broken package: %d %s", r.code, r.body)
		}
		var body struct {
			Problems []scorm.Problem
		}
		_ = json.Unmarshal(r.body, &body)
		if len(body.Problems) != 2 || body.Problems[0].File != "../x.html" || body.Problems[1].File != "imsmanifest.xml" {
			t.Errorf("problems: %s", r.body)
		}
		big := make([]byte, 3<<20)
		if r := do(t, "POST", s.URL+"/scorm/packages", "admin", "application/zip", big); r.code != 413 {
			t.Errorf("too large: %d %s", r.code, r.body)
		}
		if r := do(t, "POST", s.URL+"/scorm/packages", "admin", "application/zip", []byte("PK")); r.code != 400 {
			t.Errorf("garbage: %d %s", r.code, r.body)
		}
	})
	t.Run("list and get", func(t *testing.T) {
		r := do(t, "GET", s.URL+"/scorm/packages", "admin", "", nil)
		if r.code != 200 || len(r.json(t)["packages"].([]any)) != 1 {
			t.Errorf("list: %d %s", r.code, r.body)
		}
		if r := do(t, "GET", s.URL+"/scorm/packages/se.yrkesresan.demo12?version=1", "admin", "", nil); r.code != 200 {
			t.Errorf("get: %d %s", r.code, r.body)
		}
		if r := do(t, "GET", s.URL+"/scorm/packages/nope", "admin", "", nil); r.code != 404 {
			t.Errorf("unknown: %d", r.code)
		}
		if r := do(t, "GET", s.URL+"/scorm/packages/se.yrkesresan.demo12?version=x", "admin", "", nil); r.code != 400 {
			t.Errorf("bad version: %d", r.code)
		}
	})
	t.Run("registrations", func(t *testing.T) {
		body := []byte(`{"package":"se.yrkesresan.demo12","agent":{"account":{"homePage":"https://lms.example","name":"u1"}},"registration":"0b8a8c4e-7e5f-4b0a-9c1d-2e3f4a5b6c7d","launchTtl":600}`)
		if r := do(t, "POST", s.URL+"/scorm/registrations", "admin", "text/plain", body); r.code != 415 {
			t.Errorf("not JSON: %d", r.code)
		}
		r := do(t, "POST", s.URL+"/scorm/registrations", "admin", "application/json", body)
		if r.code != 201 {
			t.Fatalf("create: %d %s", r.code, r.body)
		}
		reg := r.json(t)
		if !strings.HasPrefix(reg["launchUrl"].(string), s.URL+"/scorm/launch/") || reg["courseIri"] == "" {
			t.Errorf("registration: %v", reg)
		}
		if r := do(t, "POST", s.URL+"/scorm/registrations", "admin", "application/json", body); r.code != 200 {
			t.Errorf("again: %d %s", r.code, r.body)
		}
		for _, bad := range []string{`{"package":"se.yrkesresan.demo12"}`, `{"package":"x","agent":{"mbox":"mailto:a@b.c"}}`,
			`{"package":"se.yrkesresan.demo12","agent":{"name":"no identifier"}}`, `{"package":1}`, `{"pakage":"x"}`, `{} {}`,
			`{"package":"se.yrkesresan.demo12","agent":{"mbox":"mailto:a@b.c"},"launchTtl":99999999}`} {
			if r := do(t, "POST", s.URL+"/scorm/registrations", "admin", "application/json", []byte(bad)); r.code < 400 || r.code > 404 {
				t.Errorf("%s: %d %s", bad, r.code, r.body)
			}
		}
		r = do(t, "GET", s.URL+"/scorm/registrations/0b8a8c4e-7e5f-4b0a-9c1d-2e3f4a5b6c7d", "admin", "", nil)
		if r.code != 200 || len(r.json(t)["scos"].([]any)) != 1 {
			t.Errorf("get: %d %s", r.code, r.body)
		}
		r = do(t, "POST", s.URL+"/scorm/registrations/0b8a8c4e-7e5f-4b0a-9c1d-2e3f4a5b6c7d/launch", "admin", "", nil)
		if r.code != 200 || !strings.Contains(r.json(t)["launchUrl"].(string), "/scorm/launch/") {
			t.Errorf("new launch: %d %s", r.code, r.body)
		}
	})
}

// register imports the course and returns a launch URL for a new registration.
func register(t testing.TB, s *server, c scormtest.Course) (string, map[string]any) {
	t.Helper()
	r := do(t, "POST", s.URL+"/scorm/packages", "admin", "application/zip", c.Zip(t))
	if r.code != 201 && r.code != 200 {
		t.Fatalf("import: %d %s", r.code, r.body)
	}
	id := r.json(t)["id"].(string)
	r = do(t, "POST", s.URL+"/scorm/registrations", "admin", "application/json",
		[]byte(`{"package":"`+id+`","agent":{"account":{"homePage":"https://lms.example","name":"u1"}}}`))
	if r.code != 201 {
		t.Fatalf("register: %d %s", r.code, r.body)
	}
	reg := r.json(t)
	return reg["launchUrl"].(string), reg
}

// open follows a launch link and returns the player URL.
func open(t testing.TB, launch string) string {
	t.Helper()
	r := do(t, "GET", launch, "", "", nil)
	if r.code != 303 {
		t.Fatalf("launch: %d %s", r.code, r.body)
	}
	u, _ := url.Parse(launch)
	loc, err := u.Parse(r.hdr.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.String()
}

func TestLearnerSide(t *testing.T) {
	s := newServer(t, options{})
	launch, reg := register(t, s, course12)
	player := open(t, launch)
	t.Run("player", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(webDir(t), "scorm-again.min.js")); err != nil {
			t.Skip("scorm-again is not installed (npm ci --prefix web)")
		}
		r := do(t, "GET", player, "", "", nil)
		if r.code != 200 || !strings.Contains(string(r.body), "scorm-again.min.js") || r.hdr.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("player: %d %v", r.code, r.hdr)
		}
		if r := do(t, "GET", s.URL+"/scorm/assets/scorm-again.min.js", "", "", nil); r.code != 200 || !bytes.Contains(r.body, []byte("Scorm2004API")) {
			t.Errorf("scorm-again: %d", r.code)
		}
		if r := do(t, "GET", s.URL+"/scorm/assets/player.js", "", "", nil); r.code != 200 {
			t.Errorf("player.js: %d", r.code)
		}
	})
	t.Run("session and launch", func(t *testing.T) {
		r := do(t, "GET", player+"session", "", "", nil)
		sess := r.json(t)
		if r.code != 200 || sess["start"] != "SCO1" || sess["scorm"] != "1.2" || sess["registration"] != reg["id"] {
			t.Errorf("session: %d %s", r.code, r.body)
		}
		r = do(t, "GET", player+"sco/SCO1", "", "", nil)
		l := r.json(t)
		if r.code != 200 || l["url"] != "sco-SCO1/index.html" || l["entry"] != "ab-initio" {
			t.Fatalf("launch: %d %s", r.code, r.body)
		}
		// A beacon: text/plain, no credentials, the token in the URL.
		ev := `{"event":"terminate","launch":"` + l["launch"].(string) + `","seq":1,"cmi":{"core":{"lesson_status":"completed","exit":"","session_time":"00:00:05"}}}`
		r = do(t, "POST", player+"sco/SCO1/runtime", "", "text/plain;charset=UTF-8", []byte(ev))
		if r.code != 200 || r.json(t)["result"] != true {
			t.Fatalf("beacon: %d %s", r.code, r.body)
		}
		l2 := do(t, "GET", player+"sco/SCO1", "", "", nil).json(t) // the session above terminated
		bad := `{"event":"commit","launch":"` + l2["launch"].(string) + `","seq":2,"cmi":{"core":{"lesson_status":"sort of"}}}`
		r = do(t, "POST", player+"sco/SCO1/runtime", "", "application/json", []byte(bad))
		// A value the server cannot take is dropped and listed; the commit is applied, never refused.
		if r.code != 200 || r.json(t)["result"] != true || !strings.Contains(string(r.body), `"dropped":[{"element":"cmi.core.lesson_status"`) {
			t.Errorf("invalid data: %d %s", r.code, r.body)
		}
		if r := do(t, "POST", player+"sco/SCO1/runtime", "", "application/json", []byte(`{"event":"commit","launch":"`+l2["launch"].(string)+`","seq":3,"cmi":"x"}`)); r.code != 400 || !strings.Contains(string(r.body), `"invalid"`) {
			t.Errorf("data not an object: %d %s", r.code, r.body)
		}
		for _, body := range []string{`{"event":`, `{"event":"commit"} x`, `{"evnt":"commit"}`} {
			if r := do(t, "POST", player+"sco/SCO1/runtime", "", "application/json", []byte(body)); r.code != 400 {
				t.Errorf("%s: %d", body, r.code)
			}
		}
		if r := do(t, "POST", player+"sco/SCO1/runtime", "", "application/json", bytes.Repeat([]byte(" "), 2<<20)); r.code != 413 {
			t.Errorf("a huge commit: %d", r.code)
		}
		// The statements are in the LRS, for any client that may read them.
		q := url.Values{"registration": {reg["id"].(string)}, "verb": {scorm.VerbCompleted}}
		r = do(t, "GET", s.URL+"/xapi/statements?"+q.Encode(), "user", "", nil, "X-Experience-API-Version", "1.0.3")
		if r.code != 200 || len(r.json(t)["statements"].([]any)) != 2 { // the SCO and the course
			t.Errorf("completion statements: %d %s", r.code, r.body)
		}
	})
	t.Run("tokens", func(t *testing.T) {
		if r := do(t, "GET", s.URL+"/scorm/launch/forged.token", "", "", nil); r.code != 403 || !strings.Contains(string(r.body), "<html") {
			t.Errorf("a forged launch link: %d %s", r.code, r.body)
		}
		if r := do(t, "GET", s.URL+"/scorm/s/forged.token/session", "", "", nil); r.code != 403 {
			t.Errorf("a forged session: %d", r.code)
		}
		if r := do(t, "GET", player+"sco/NOPE", "", "", nil); r.code != 404 {
			t.Errorf("an unknown item: %d", r.code)
		}
	})
	t.Run("content with Range", func(t *testing.T) {
		r := do(t, "GET", player+"content/media/clip.mp4", "", "", nil, "Range", "bytes=1000-1009")
		if r.code != 206 || string(r.body) != "0123456789" || r.hdr.Get("Content-Range") != "bytes 1000-1009/1000000" || r.hdr.Get("Content-Type") != "video/mp4" {
			t.Errorf("range: %d %v %q", r.code, r.hdr, r.body)
		}
		r = do(t, "GET", player+"content/media/clip.mp4", "", "", nil, "Range", "bytes=-4")
		if r.code != 206 || string(r.body) != "6789" {
			t.Errorf("suffix range: %d %q", r.code, r.body)
		}
		full := do(t, "GET", player+"content/sco-SCO1/index.html", "", "", nil)
		if full.code != 200 || full.hdr.Get("X-Content-Type-Options") != "nosniff" || full.hdr.Get("ETag") == "" {
			t.Fatalf("file: %d %v", full.code, full.hdr)
		}
		if r := do(t, "GET", player+"content/sco-SCO1/index.html", "", "", nil, "If-None-Match", full.hdr.Get("ETag")); r.code != 304 {
			t.Errorf("revalidation: %d", r.code)
		}
		for _, p := range []string{"content/nope.html", "content/../../../etc/passwd", "content/imsmanifest.xml/x"} {
			if r := do(t, "GET", player+p, "", "", nil); r.code != 404 {
				t.Errorf("%s: %d", p, r.code)
			}
		}
	})
}

func TestPlayerWithoutRuntime(t *testing.T) {
	s := newServer(t, options{webDir: t.TempDir()})
	launch, _ := register(t, s, course12)
	r := do(t, "GET", open(t, launch), "", "", nil)
	if r.code != 503 || !strings.Contains(string(r.body), "npm ci --prefix web") {
		t.Errorf("player without scorm-again: %d %s", r.code, r.body)
	}
	if r := do(t, "GET", s.URL+"/scorm/assets/scorm-again.min.js", "", "", nil); r.code != 503 {
		t.Errorf("scorm-again missing: %d", r.code)
	}
}

func TestContentOrigin(t *testing.T) {
	s := newServer(t, options{contentURL: true})
	launch, _ := register(t, s, course12)
	if !strings.HasPrefix(launch, s.content.URL+"/scorm/launch/") {
		t.Fatalf("the launch link is not on the content origin: %s", launch)
	}
	player := open(t, launch)
	if r := do(t, "GET", player+"session", "", "", nil); r.code != 200 {
		t.Errorf("session on the content origin: %d", r.code)
	}
	// Nothing that needs credentials is served on the content origin.
	for _, p := range []string{"/scorm/packages", "/xapi/statements", "/xapi/about"} {
		if r := do(t, "GET", s.content.URL+p, "admin", "", nil, "X-Experience-API-Version", "1.0.3"); r.code != 404 {
			t.Errorf("%s on the content origin: %d", p, r.code)
		}
	}
	// And the learner side is not served on the LRS's origin.
	if r := do(t, "GET", strings.Replace(player, s.content.URL, s.URL, 1)+"session", "", "", nil); r.code != 404 {
		t.Errorf("the player on the LRS origin: %d", r.code)
	}
	if r := do(t, "GET", s.URL+"/xapi/about", "", "", nil); r.code != 200 {
		t.Errorf("xAPI on the LRS origin: %d", r.code)
	}
}
