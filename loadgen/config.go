package loadgen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Mode is what each request does.
type Mode string

// The modes.
const (
	ModeBatch  Mode = "batch"  // POST /statements with an array of Config.Batch statements
	ModeSingle Mode = "single" // POST /statements with one statement
	ModeQuery  Mode = "query"  // GET /statements?agent=…&verb=…&limit=10

	// ModeStatePut PUTs a learner's "bookmark" state document (about 1 KiB of JSON), cycling
	// through every learner × activity so that a run of -n ≥ learners × activities writes them all;
	// ModeStateGet GETs the bookmark of a random learner and activity, so run state-put first with
	// the same -learners and -activities. Both send no precondition headers, which 1.0.3 permits
	// for State: run them with -xapi-version 1.0.3.
	ModeStatePut Mode = "state-put"
	ModeStateGet Mode = "state-get"

	// ModeReport GETs progress reports (/api/reports beside the xAPI URL), drawn from a mix of
	// what a municipality, a county and SKR ask (see reportQueries); ModeMetrics GETs /metrics.
	// Both need credentials that may read reports.
	ModeReport  Mode = "report"
	ModeMetrics Mode = "metrics"
)

// Config is one load run.
type Config struct {
	URL         string        // xAPI base URL; requests go to URL + "/statements"
	Key, Secret string        // HTTP Basic credentials; none are sent when Key is empty
	XAPIVersion string        // X-Experience-API-Version header
	Mode        Mode          // what each request does
	Batch       int           // statements per request in ModeBatch
	Concurrency int           // requests in flight at most
	Rate        float64       // request starts per second over all workers; 0 = as fast as possible
	N           int           // statements to send (requests in the other modes)
	Duration    time.Duration // stop starting requests after this long, whichever of N or it comes first
	Timeout     time.Duration // limit of one request, response body included
	Learners    int           // distinct learners the generator draws from
	Activities  int           // distinct activities the generator draws from
	Seed        uint64        // seed of the generator's choices (statement ids are always random)
	Warmup      int           // requests sent before the measured ones and left out of the figures
	AllowRemote bool          // permit a URL whose host is not loopback
	// Municipalities puts each learner's municipality code (one of the 290, by learner) in the
	// progress attribution extension of every statement.
	Municipalities bool
}

// DefaultConfig returns the configuration used when no flag is given.
func DefaultConfig() Config {
	return Config{
		URL:         "http://localhost:8080/xapi",
		XAPIVersion: "1.0.3",
		Mode:        ModeBatch,
		Batch:       100,
		Concurrency: 8,
		N:           100000,
		Duration:    time.Minute,
		Timeout:     30 * time.Second,
		Learners:    50000,
		Activities:  500,
		Seed:        1,
	}
}

// envFlags are the flags whose default comes from an environment variable.
var envFlags = map[string]string{
	"url":    "LRS_BENCH_URL",
	"key":    "LRS_API_KEY",
	"secret": "LRS_API_SECRET",
}

// ParseFlags reads the bench flags in args (getenv supplies the environment defaults) and
// returns the validated configuration. Usage and flag errors are written to stderr.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flagSet(&cfg, stderr)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, env := range envFlags {
		if v := getenv(env); v != "" && !set[name] {
			if err := fs.Set(name, v); err != nil {
				return Config{}, err
			}
		}
	}
	return cfg, cfg.Validate()
}

func flagSet(cfg *Config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.URL, "url", cfg.URL, "xAPI base URL (env LRS_BENCH_URL)")
	fs.StringVar(&cfg.Key, "key", "", "API key, the Basic auth user (env LRS_API_KEY)")
	fs.StringVar(&cfg.Secret, "secret", "", "API secret (env LRS_API_SECRET)")
	fs.StringVar(&cfg.XAPIVersion, "xapi-version", cfg.XAPIVersion, "X-Experience-API-Version header")
	fs.StringVar((*string)(&cfg.Mode), "mode", string(cfg.Mode), "batch, single, query, state-put, state-get, report or metrics")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "statements per request in batch mode")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "requests in flight at most")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "requests per second over all workers, 0 = as fast as possible")
	fs.IntVar(&cfg.N, "n", cfg.N, "statements to send (requests in query mode)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "stop starting requests after this long")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "limit of one request")
	fs.IntVar(&cfg.Learners, "learners", cfg.Learners, "distinct learners")
	fs.IntVar(&cfg.Activities, "activities", cfg.Activities, "distinct activities")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the statement generator")
	fs.IntVar(&cfg.Warmup, "warmup", cfg.Warmup, "requests sent first and left out of the figures")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", cfg.AllowRemote, "permit a URL whose host is not loopback")
	fs.BoolVar(&cfg.Municipalities, "municipalities", cfg.Municipalities,
		"attribute each learner to one of the 290 municipalities through the progress extension")
	return fs
}

// Validate reports every setting that is out of range, and a URL whose host is not loopback
// unless AllowRemote is set.
func (c Config) Validate() error {
	checks := []struct {
		bad bool
		msg string
	}{
		{!slices.Contains([]Mode{ModeBatch, ModeSingle, ModeQuery, ModeStatePut, ModeStateGet, ModeReport, ModeMetrics}, c.Mode),
			fmt.Sprintf("-mode %q: want batch, single, query, state-put, state-get, report or metrics", c.Mode)},
		{!strings.HasPrefix(c.XAPIVersion, "1.0.") && !strings.HasPrefix(c.XAPIVersion, "2.0."),
			fmt.Sprintf("-xapi-version %q: want 1.0.x or 2.0.x", c.XAPIVersion)},
		{c.Batch < 1, "-batch must be at least 1"},
		{c.Concurrency < 1, "-concurrency must be at least 1"},
		{c.Rate < 0, "-rate must not be negative"},
		{c.N < 1, "-n must be at least 1"},
		{c.Duration <= 0, "-duration must be positive"},
		{c.Timeout <= 0, "-timeout must be positive"},
		{c.Learners < 1, "-learners must be at least 1"},
		{c.Activities < 1, "-activities must be at least 1"},
		{c.Warmup < 0, "-warmup must not be negative"},
	}
	var errs []error
	for _, ch := range checks {
		if ch.bad {
			errs = append(errs, errors.New(ch.msg))
		}
	}
	if err := checkURL(c.URL, c.AllowRemote); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkURL accepts an http(s) URL whose host is loopback, or any host when allowRemote is set.
func checkURL(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("-url %q: want an absolute http or https URL", raw)
	}
	if !allowRemote && !isLoopback(u.Hostname()) {
		return fmt.Errorf("-url %q: host is not loopback; pass -allow-remote to load another machine", raw)
	}
	return nil
}

// isLoopback reports whether host is localhost or an address in 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
