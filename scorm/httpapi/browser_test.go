package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yrkesresan/lrs/scorm"
	"github.com/yrkesresan/lrs/scorm/scormtest"
)

// browser starts headless Chromium (Debian's chromium; CI installs it) for the test, or skips
// with what to install.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(filepath.Join(webDir(t), "scorm-again.min.js")); err != nil {
		t.Skip("SKIP: scorm-again is not installed; run npm ci --prefix web to run the browser test")
	}
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("SKIP: no Chromium; apt-get install chromium to run the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// frame is the SCO's window, as seen from the player page.
const frame = `document.getElementById('content').contentWindow`

// sco runs calls of the SCO (its window.sco, see scormtest.SCOPage) and returns the last result.
func sco(t *testing.T, ctx context.Context, calls string) string {
	t.Helper()
	js := fmt.Sprintf(`(function(){ var sco = %s.sco; return String(%s); })()`, frame, calls)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", calls, err)
	}
	return out
}

// waitFor polls an expression on the player page until it is true.
func waitFor(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('message').textContent`))
		t.Fatalf("waiting for %s: %v (player says %q)", expr, err, msg)
	}
}

// launchSCO opens a launch link and waits until the SCO's page found its API.
func launchSCO(t *testing.T, ctx context.Context, link, title string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	waitSCO(t, ctx, title)
}

func waitSCO(t *testing.T, ctx context.Context, title string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(function(){ try { var w = %s; return w.document.title === %q && !!w.sco; } catch (e) { return false; } })()`, frame, title))
}

// eventually retries check until it passes: the final commit travels by beacon, after the page
// has moved on.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for range 100 {
		if check() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not happen", what)
}

func relaunch(t *testing.T, s *server, reg string) string {
	t.Helper()
	r := do(t, "POST", s.URL+"/scorm/registrations/"+reg+"/launch", "admin", "", nil)
	if r.code != 200 {
		t.Fatalf("new launch: %d %s", r.code, r.body)
	}
	return r.json(t)["launchUrl"].(string)
}

func statementsOf(t *testing.T, s *server, reg, verb string) []any {
	t.Helper()
	q := url.Values{"registration": {reg}, "verb": {verb}}
	r := do(t, "GET", s.URL+"/xapi/statements?"+q.Encode(), "user", "", nil, "X-Experience-API-Version", "2.0.0")
	if r.code != 200 {
		t.Fatalf("statements: %d %s", r.code, r.body)
	}
	return r.json(t)["statements"].([]any)
}

// The whole learner journey in a real browser, for SCORM 1.2 and 2004: launch, the SCO talks to
// the runtime (initialize, set values, commit, suspend), the window closes, a relaunch resumes
// with the values, the SCO completes, and the completion is in the LRS.
func TestBrowserSuspendResumeComplete(t *testing.T) {
	ctx := browser(t)
	for _, c := range []struct {
		course                               scormtest.Course
		entry, location, suspendData, status string
		completed, exit, sessionTime         string
	}{
		{course: scormtest.Course{Identifier: "browser.12", Title: "Browser 1.2", Version: "1.2", SCOs: []scormtest.SCO{{ID: "S", Title: "Only SCO"}}},
			entry: "cmi.core.entry", location: "cmi.core.lesson_location", suspendData: "cmi.suspend_data", status: "cmi.core.lesson_status",
			completed: "completed", exit: "cmi.core.exit", sessionTime: "cmi.core.session_time"},
		{course: scormtest.Course{Identifier: "browser.2004", Title: "Browser 2004", Version: "2004 3rd Edition", SCOs: []scormtest.SCO{{ID: "S", Title: "Only SCO"}}},
			entry: "cmi.entry", location: "cmi.location", suspendData: "cmi.suspend_data", status: "cmi.completion_status",
			completed: "completed", exit: "cmi.exit", sessionTime: "cmi.session_time"},
	} {
		t.Run(c.course.Version, func(t *testing.T) {
			s := newServer(t, options{})
			link, reg := register(t, s, c.course)
			regID := reg["id"].(string)
			session := "00:02:05"
			if c.course.Version != "1.2" {
				session = "PT2M5S"
			}

			launchSCO(t, ctx, link, "Only SCO")
			if got := sco(t, ctx, `sco.init() + ' ' + sco.get('`+c.entry+`')`); got != "true ab-initio" {
				t.Fatalf("initialize: %q (error %s)", got, sco(t, ctx, `sco.error()`))
			}
			got := sco(t, ctx, `[sco.set('`+c.location+`', 'page-7'), sco.set('`+c.suspendData+`', 'answers=1,2,3'),
				sco.set('`+c.status+`', 'incomplete'), sco.set('`+c.exit+`', 'suspend'), sco.set('`+c.sessionTime+`', '`+session+`'),
				sco.commit()].join()`)
			if got != "true,true,true,true,true,true" {
				t.Fatalf("set and commit: %q (error %s)", got, sco(t, ctx, `sco.error()`))
			}
			if got := sco(t, ctx, `sco.finish()`); got != "true" {
				t.Fatalf("terminate: %q", got)
			}
			// The learner closes the window.
			if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the suspended statement", func() bool { return len(statementsOf(t, s, regID, scorm.VerbSuspended)) == 1 })

			launchSCO(t, ctx, relaunch(t, s, regID), "Only SCO")
			got = sco(t, ctx, `[sco.init(), sco.get('`+c.entry+`'), sco.get('`+c.location+`'), sco.get('`+c.suspendData+`')].join('|')`)
			if got != "true|resume|page-7|answers=1,2,3" {
				t.Fatalf("resumed values: %q", got)
			}
			got = sco(t, ctx, `[sco.set('`+c.status+`', '`+c.completed+`'), sco.set('`+c.exit+`', ''), sco.finish()].join()`)
			if got != "true,true,true" {
				t.Fatalf("complete: %q (error %s)", got, sco(t, ctx, `sco.error()`))
			}
			eventually(t, "the completion statements", func() bool { return len(statementsOf(t, s, regID, scorm.VerbCompleted)) == 2 })
			for _, verb := range []string{scorm.VerbInitialized, scorm.VerbResumed, scorm.VerbTerminated} {
				if n := len(statementsOf(t, s, regID, verb)); n != 1 {
					t.Errorf("%d %s statements", n, verb)
				}
			}
		})
	}
}

// A multi-SCO SCORM 2004 course: the SCO's navigation request (continue) takes the player to the
// next SCO, the table of contents launches an asset, which gets no runtime API.
func TestBrowserMultiSCONavigation(t *testing.T) {
	ctx := browser(t)
	s := newServer(t, options{})
	course := scormtest.Course{Identifier: "browser.multi", Title: "Multi", Version: "2004 4th Edition", Flow: true,
		SCOs: []scormtest.SCO{{ID: "A", Title: "Part A"}, {ID: "B", Title: "Part B"}, {ID: "R", Title: "Reading", Asset: true}}}
	link, reg := register(t, s, course)
	launchSCO(t, ctx, link, "Part A")
	toc, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#toc-list")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(toc, "Part A") || !strings.Contains(toc, "Reading") {
		t.Errorf("table of contents: %q", toc)
	}
	got := sco(t, ctx, `[sco.init(), sco.set('cmi.completion_status', 'completed'), sco.set('adl.nav.request', 'continue'), sco.finish()].join()`)
	if got != "true,true,true,true" {
		t.Fatalf("SCO A: %q (error %s)", got, sco(t, ctx, `sco.error()`))
	}
	waitSCO(t, ctx, "Part B")
	if got := sco(t, ctx, `sco.version + ' ' + sco.init()`); got != "2004 true" {
		t.Fatalf("SCO B: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(`//button[text()="Reading"]`))); err != nil {
		t.Fatal(err)
	}
	waitSCO(t, ctx, "Reading")
	if got := sco(t, ctx, `sco.version`); got != "none" {
		t.Errorf("an asset found a runtime API: %q", got)
	}
	regID := reg["id"].(string)
	eventually(t, "A's completion", func() bool { return len(statementsOf(t, s, regID, scorm.VerbCompleted)) == 1 })
	// B was left without Terminate: the player saved it as a plain commit, and B stays open.
	r := do(t, "GET", s.URL+"/scorm/registrations/"+regID, "admin", "", nil)
	if !strings.Contains(string(r.body), `"item":"B","title":"Part B"`) || !strings.Contains(string(r.body), `"attempts":1`) {
		t.Errorf("registration: %s", r.body)
	}
}
