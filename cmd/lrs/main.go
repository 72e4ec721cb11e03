// Command lrs is the Yrkesresan learning record store: `lrs serve` runs the xAPI LRS, the other
// subcommands administer it. This package only parses configuration and wires the parts.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/yrkesresan/lrs/loadgen"
)

const usage = `usage: lrs <command> [flags]

commands:
  serve                       run the LRS (default store: SQLite file under --data)
  clients create|list|revoke  manage API credentials
  catalog apply FILE|show     set the Yrkesresan catalog (YAML or JSON) and rebuild the roll-ups
  progress rebuild            derive the progress roll-ups again from the statements
  progress directory FILE     import a learner directory (CSV: learner -> municipality)
  packages import|list        import SCORM packages (zip) and list them
  migrate -to|-from URI       copy the embedded store into MongoDB, or back
  bench                       drive a running LRS with realistic load and report throughput/latency

Run "lrs <command> -h" for the flags of a command. Every flag has an LRS_* environment equivalent.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lrs:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "clients":
		return clients(ctx, args[1:], stdout, stderr)
	case "packages":
		return packages(ctx, args[1:], stdout, stderr)
	case "catalog":
		return catalog(ctx, args[1:], stdout, stderr)
	case "progress":
		return progressCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return loadgen.Main(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
