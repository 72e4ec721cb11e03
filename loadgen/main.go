// Package loadgen is the load tool of the LRS, run as "lrs bench": it drives a running LRS over
// real HTTP and measures it. Every performance figure of the project comes from it.
//
// A run has a mode: batch (POST arrays of statements), single (POST one statement), query
// (GET /statements filtered by an agent and a verb the generator uses, limit 10), or state-put
// and state-get (a learner's bookmark State document in a course). Workers, as
// many as the concurrency, take numbered requests from a shared plan. With a rate, request i is
// due at start + i/rate whatever happened to earlier requests (open loop), and its latency is
// measured from that due time to the end of the response body, so time spent waiting for a free
// worker behind a slow server is counted rather than omitted. A run sends warmup requests first,
// whose figures are dropped, then the measured ones; each phase stops starting requests once its
// count is sent or the duration is over, whichever is first, and ends when the requests in flight
// have ended, each within the request timeout.
//
// Statements are valid xAPI from Generator: account agents of many opaque learners, ADL verbs
// mixed by activity kind, courses with modules and assessments, registrations, context
// activities, consistent results and a fresh UUID v4 id each. Templates are built once and only
// the varying fields are appended per statement, so generating costs little next to the server.
//
// As a load generator it refuses a URL whose host is not loopback unless -allow-remote is given.
package loadgen

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Main parses args (the flags after "bench"; env LRS_BENCH_URL, LRS_API_KEY and LRS_API_SECRET
// supply defaults), runs the load and writes the report to stdout. It returns flag.ErrHelp for
// -h, flag and run errors, and an error when not a single request succeeded.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseFlags(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	rep, runErr := Run(ctx, cfg)
	if err := WriteReport(stdout, rep); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	if rep.OK == 0 {
		return fmt.Errorf("none of %d requests succeeded", rep.Requests)
	}
	return nil
}
