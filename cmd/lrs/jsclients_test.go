// Not named *_js_test.go: Go would build that only for GOOS=js.

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Unmodified JavaScript xAPI clients (@xapi/xapi, TinCanJS) work against the real binary:
// statements single and batched under 1.0.3 and 2.0.0, queries paged through more links, and the
// document resources. The script and its pinned dependencies are in clients/xapi-js; CI installs
// them with npm ci before go test.
func TestJavaScriptClients(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "clients", "xapi-js"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the JavaScript client check needs it")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		t.Skip("clients/xapi-js/node_modules is missing; run npm ci --prefix clients/xapi-js")
	}
	s := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LRS_ENDPOINT="+s.url+"/xapi", "LRS_KEY="+testKey, "LRS_SECRET="+testSecret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node check.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
