package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary, built once, as an operator would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lrs-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lrs")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic(fmt.Sprintf("build lrs: %v", err))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `lrs serve`.
type server struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:port
	stdout *bytes.Buffer
	exited chan error
}

const (
	testKey    = "e2e-key"
	testSecret = "e2e-secret-that-is-long-enough"
)

// startServer runs `lrs serve` on a free loopback port with the data directory and waits until it
// is ready. env adds environment variables; by default the test credentials are configured.
func startServer(t *testing.T, data string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve", "-addr", "127.0.0.1:0", "-data", data)
	if env == nil {
		env = []string{"LRS_API_KEY_DEFAULT=" + testKey, "LRS_API_SECRET_DEFAULT=" + testSecret}
	}
	cmd.Env = append(os.Environ(), env...)
	s := &server{cmd: cmd, stdout: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stdout = s.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go scanLog(stderr, addr)
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case a := <-addr:
		s.url = "http://" + a
	case err := <-s.exited:
		t.Fatalf("lrs serve exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("lrs serve did not start in 30 s")
	}
	waitReady(t, s.url)
	return s
}

// scanLog reads the server's JSON log and reports the listen address from the "serving" line.
func scanLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
			addr <- line.Addr
		}
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		res, err := http.Get(url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server not ready")
}

func xapi(method, url, key, secret string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(key, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res, b, err
}

func batch(worker, n int) []byte {
	var sts []string
	for i := 0; i < n; i++ {
		sts = append(sts, fmt.Sprintf(`{"actor":{"account":{"homePage":"https://yrkesresan.se","name":"w%d-%d"}},
			"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://yrkesresan.se/a/%d"}}`, worker, i, i))
	}
	return []byte("[" + strings.Join(sts, ",") + "]")
}

// A statement acknowledged with 200 survives kill -9 of the process (issue: durability).
func TestAcknowledgedStatementsSurviveKill9(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, body, err := xapi(http.MethodPost, s.url+"/xapi/statements", testKey, testSecret, batch(w, 10))
				if err != nil || res.StatusCode != http.StatusOK {
					return // the server is gone; what was not acknowledged does not count
				}
				var ids []string
				if err := json.Unmarshal(body, &ids); err != nil {
					t.Errorf("decode ids: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, ids...)
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}
	s = startServer(t, data)
	for _, id := range acked {
		res, body, err := xapi(http.MethodGet, s.url+"/xapi/statements?statementId="+id, testKey, testSecret, nil)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("acknowledged statement %s lost after kill -9: %v %s", id, err, body)
		}
	}
	t.Logf("%d acknowledged statements all present after kill -9", len(acked))
}

// SIGTERM lets in-flight requests finish, then the process exits cleanly. The request's body is
// streamed and only completed after the signal, so it is certainly in flight.
func TestGracefulShutdown(t *testing.T) {
	s := startServer(t, t.TempDir())
	body := batch(0, 50)
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, s.url+"/xapi/statements", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(testKey, testSecret)
	type outcome struct {
		status int
		err    error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- outcome{err: err}
			return
		}
		res.Body.Close()
		done <- outcome{status: res.StatusCode}
	}()
	if _, err := pw.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	// Let the server accept the connection and read the headers: a connection still in the
	// listen backlog when the listener closes is reset by the kernel, which is no request in
	// flight.
	time.Sleep(500 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := pw.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if o := <-done; o.err != nil || o.status != http.StatusOK {
		t.Errorf("in-flight request: %v, status %d", o.err, o.status)
	}
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

// Without configured credentials a first start creates an admin client and prints it once.
func TestFirstStartCreatesAdmin(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data, "LRS_API_KEY_DEFAULT=", "LRS_API_SECRET_DEFAULT=")
	m := regexp.MustCompile(`key:\s+(\S+)\n\s+secret:\s+(\S+)`).FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no credentials printed: %q", s.stdout.String())
	}
	res, body, err := xapi(http.MethodPost, s.url+"/xapi/statements", m[1], m[2], batch(0, 1))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("printed credentials do not work: %v %s", err, body)
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s = startServer(t, data, "LRS_API_KEY_DEFAULT=", "LRS_API_SECRET_DEFAULT=")
	if strings.Contains(s.stdout.String(), "secret") {
		t.Error("a second start printed credentials again")
	}
}

func TestClientsCommand(t *testing.T) {
	data := t.TempDir()
	out := runLRS(t, "clients", "create", "-data", data, "-name", "moodle-kiruna", "-scopes", "statements/write,state")
	m := regexp.MustCompile(`key:\s+(\S+)\nsecret:\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create printed %q", out)
	}
	if list := runLRS(t, "clients", "list", "-data", data); !strings.Contains(list, m[1]) || !strings.Contains(list, "moodle-kiruna") || strings.Contains(list, m[2]) {
		t.Errorf("list: %q", list)
	}
	s := startServer(t, data)
	if res, body, err := xapi(http.MethodPost, s.url+"/xapi/statements", m[1], m[2], batch(0, 1)); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("new client cannot write: %v %s", err, body)
	}
	if res, _, _ := xapi(http.MethodGet, s.url+"/xapi/statements", m[1], m[2], nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("client without read scope: status %d, want 403", res.StatusCode)
	}
	runLRS(t, "clients", "revoke", "-data", data, m[1])
	_ = s.cmd.Process.Kill()
	<-s.exited
	s = startServer(t, data)
	if res, _, _ := xapi(http.MethodPost, s.url+"/xapi/statements", m[1], m[2], batch(0, 1)); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked client: status %d, want 401", res.StatusCode)
	}
	if _, err := exec.Command(binary, "clients", "create", "-data", data, "-scopes", "statements/delete").CombinedOutput(); err == nil {
		t.Error("an unknown scope was accepted")
	}
}

// `lrs bench` measures a real server end to end, in each mode, without errors.
func TestBenchAgainstServer(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, mode := range [][]string{
		{"-mode", "batch", "-batch", "50", "-n", "1000"},
		{"-mode", "single", "-n", "200", "-rate", "200"},
		{"-mode", "query", "-n", "100"},
		// state-put writes every learner × course bookmark, so each state-get finds one.
		{"-mode", "state-put", "-n", "200", "-activities", "1", "-xapi-version", "1.0.3"},
		{"-mode", "state-get", "-n", "200", "-activities", "1", "-xapi-version", "1.0.3"},
	} {
		t.Run(mode[1], func(t *testing.T) {
			args := append([]string{"bench", "-url", s.url + "/xapi", "-key", testKey, "-secret", testSecret,
				"-concurrency", "4", "-learners", "200"}, mode...)
			out := runLRS(t, args...)
			last := out[strings.LastIndex(strings.TrimRight(out, "\n"), "\n")+1:]
			var summary struct {
				Requests, OK int
			}
			if err := json.Unmarshal([]byte(last), &summary); err != nil {
				t.Fatalf("no JSON summary line in %q: %v", out, err)
			}
			t.Logf("%s", last)
			if summary.OK == 0 || summary.OK != summary.Requests {
				t.Errorf("bench: %d of %d requests ok:\n%s", summary.OK, summary.Requests, out)
			}
		})
	}
}

func runLRS(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("lrs %v: %v\n%s", args, err, out)
	}
	return string(out)
}
