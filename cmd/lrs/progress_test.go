package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgressCommands runs the progress subcommands in process, in order, on one data directory.
func TestProgressCommands(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.yaml", "journeys:\n  - id: bou\n    name: B\n    phases:\n      ny:\n        activities:\n          - id: not an iri\n")
	csv := write("dir.csv", "account_homepage,account_name,municipality\nhttps://ex.se,a,0180\n")
	badCSV := write("bad.csv", "account_homepage,account_name,municipality\nhttps://ex.se,a,0180\nhttps://ex.se,b,9999\n")
	cases := []struct {
		args    []string
		out     string // in stdout, or in the error when err
		wantErr bool
	}{
		{[]string{"catalog", "apply", "-data", data, bad}, "line 7: journeys[0].phases.ny.activities[0].id: must be an absolute IRI", true},
		{[]string{"catalog", "apply", "-data", data, "../../examples/barn-och-unga.yaml"}, "catalog applied: 1 journeys", false},
		{[]string{"catalog", "show", "-data", data}, `"id": "barn-och-unga"`, false},
		{[]string{"catalog", "apply", "-data", data}, "usage: lrs catalog", true},
		{[]string{"progress", "directory", "-data", data, badCSV}, `line 3: "9999" is not a municipality code`, true},
		{[]string{"progress", "directory", "-data", data, csv}, "directory: 1 entries read, 1 changed", false},
		{[]string{"progress", "rebuild", "-data", data}, "roll-ups rebuilt from 0 statements", false},
		{[]string{"progress", "nothing", "-data", data}, "usage: lrs progress", true},
		{[]string{"clients", "create", "-data", data, "-org", "9999"}, `-org: "9999" is not a municipality code`, true},
		{[]string{"clients", "create", "-data", data, "-name", "sthlm", "-scopes", "progress/read", "-org", "0180"}, "secret:", false},
		{[]string{"clients", "list", "-data", data}, "progress/read  0180", false},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		got := stdout.String()
		if err != nil {
			got = err.Error()
		}
		if (err != nil) != c.wantErr || !strings.Contains(got, c.out) {
			t.Errorf("lrs %s: %q (error %v), want %q", strings.Join(c.args, " "), got, err, c.out)
		}
	}
}
