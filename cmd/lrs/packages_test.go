package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yrkesresan/lrs/scorm/scormtest"
)

// `lrs packages import` imports into the store of -data, names the course IRI by LRS_BASE_URL,
// refuses a broken package with its problems and a failing exit status, and `list` shows it.
func TestPackagesCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "course.zip")
	course := scormtest.Course{Identifier: "cli.course", Title: "CLI course", Version: "1.2", SCOs: []scormtest.SCO{{ID: "S", Title: "SCO"}}}
	if err := os.WriteFile(good, course.Zip(t), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.zip")
	if err := os.WriteFile(bad, scormtest.Zip(t, scormtest.Entry{Name: "index.html", Body: []byte("x")}), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	lrs := func(args ...string) (string, string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "LRS_BASE_URL=https://lrs.example.se")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, errOut, err := lrs("packages", "import", "-data", data, good)
	if err != nil || !strings.Contains(out, "imported as package cli.course version 1") ||
		!strings.Contains(out, "course IRI: https://lrs.example.se/scorm/courses/cli.course") || !strings.Contains(errOut, "100%") {
		t.Fatalf("import: %v\n%s\n%s", err, out, errOut)
	}
	out, errOut, err = lrs("packages", "import", "-data", data, bad)
	if err == nil || !strings.Contains(errOut, "imsmanifest.xml: missing") {
		t.Fatalf("a broken package: %v\n%s\n%s", err, out, errOut)
	}
	out, _, err = lrs("packages", "list", "-data", data)
	if err != nil || !strings.Contains(out, "cli.course") || !strings.Contains(out, "CLI course") {
		t.Fatalf("list: %v\n%s", err, out)
	}
}
