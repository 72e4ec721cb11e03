package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/metrics"
	"github.com/yrkesresan/lrs/progress"
	progresshttp "github.com/yrkesresan/lrs/progress/httpapi"
)

// progressConfig is the configuration of the Yrkesresan roll-ups, reports and metrics.
type progressConfig struct {
	rollups     bool
	minCount    int
	metricsAddr string
}

func progressFlags(fs *flag.FlagSet, cfg *config) {
	fs.BoolVar(&cfg.progress.rollups, "rollups", env("LRS_ROLLUPS", "true") == "true",
		"keep the progress roll-ups on the write path; off only to measure what they cost (LRS_ROLLUPS)")
	fs.IntVar(&cfg.progress.minCount, "report-min-count", envInt("LRS_REPORT_MIN_COUNT", 5),
		"k: report counts from 1 to k-1 are suppressed for callers outside the municipality (LRS_REPORT_MIN_COUNT)")
	fs.StringVar(&cfg.progress.metricsAddr, "metrics-addr", env("LRS_METRICS_ADDR", ""),
		"serve /metrics on this address only, not on -addr (LRS_METRICS_ADDR); its gauges are not suppressed")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(env(name, "")); err == nil {
		return n
	}
	return def
}

// progressWiring is what serve needs of the roll-ups and metrics.
type progressWiring struct {
	metrics  *metrics.Metrics
	tracker  *progress.Tracker
	observer lrs.Observer
	api      *progresshttp.API
}

// wireProgress makes the Tracker over store (already wrapped by m) and the progress API.
func wireProgress(ctx context.Context, cfg config, m *metrics.Metrics, store lrs.Store, auth *lrs.Authenticator, log *slog.Logger) (*progressWiring, error) {
	if cfg.progress.minCount < 1 {
		return nil, errors.New("-report-min-count must be at least 1")
	}
	places, err := progress.LoadPlaces()
	if err != nil {
		return nil, err
	}
	tracker, err := progress.New(ctx, store, places, progress.Config{MinCount: cfg.progress.minCount, Log: log})
	if err != nil {
		return nil, err
	}
	m.Progress(tracker.PhaseTotals)
	w := &progressWiring{metrics: m, tracker: tracker, observer: m.Observer(nil)}
	if cfg.progress.rollups {
		w.observer = m.Observer(tracker)
	}
	w.api = progresshttp.New(progresshttp.Config{Middleware: []gin.HandlerFunc{m.Middleware}}, tracker, places, auth, log)
	return w, nil
}

// handler routes /api to the progress API and /metrics to the metrics (unless they have an
// address of their own), and everything else to next.
func (w *progressWiring) handler(cfg config, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(progresshttp.Path+"/", w.api)
	if cfg.progress.metricsAddr == "" {
		mux.Handle("/metrics", w.metrics.Handler())
	}
	mux.Handle("/", next)
	return mux
}

const catalogUsage = `usage: lrs catalog apply FILE | show`

// catalog applies a catalog file (YAML or JSON) and rebuilds the roll-ups, or shows the catalog.
func catalog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(catalogUsage)
	}
	tracker, closeStore, fs, err := openTracker(ctx, "catalog "+args[0], args[1:], stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	switch {
	case args[0] == "show" && fs.NArg() == 0:
		return printJSON(stdout, tracker.Catalog())
	case args[0] == "apply" && fs.NArg() == 1:
		src, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		c, err := progress.ParseCatalog(src)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		stats, err := tracker.ApplyCatalog(ctx, c)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "catalog applied: %d journeys; roll-ups rebuilt from %d statements in %.1f s\n",
			len(c.Journeys), stats.Statements, stats.Seconds)
		return nil
	}
	return errors.New(catalogUsage)
}

const progressUsage = `usage: lrs progress rebuild | directory FILE.csv`

// progressCmd rebuilds the roll-ups from the statements, or imports a learner directory.
func progressCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(progressUsage)
	}
	tracker, closeStore, fs, err := openTracker(ctx, "progress "+args[0], args[1:], stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	switch {
	case args[0] == "rebuild" && fs.NArg() == 0:
		stats, err := tracker.Rebuild(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "roll-ups rebuilt from %d statements in %.1f s\n", stats.Statements, stats.Seconds)
		return nil
	case args[0] == "directory" && fs.NArg() == 1:
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		entries, lines, err := progress.ParseDirectoryCSV(f)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		n, err := tracker.ImportDirectory(ctx, entries, lines)
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "directory: %d entries read, %d changed\n", len(entries), n)
		return nil
	}
	return errors.New(progressUsage)
}

// openTracker parses the store flags and opens the store and a Tracker over it.
func openTracker(ctx context.Context, name string, args []string, stderr io.Writer) (*progress.Tracker, func(), *flag.FlagSet, error) {
	var cfg config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	places, err := progress.LoadPlaces()
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	tracker, err := progress.New(ctx, store, places, progress.Config{})
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	return tracker, func() { store.Close() }, fs, nil
}

// checkOrg checks a client's -org against the municipalities and counties.
func checkOrg(org string) error {
	if org == "" {
		return nil
	}
	places, err := progress.LoadPlaces()
	if err != nil {
		return err
	}
	if _, _, err := places.ParseOrg(strings.TrimSpace(org)); err != nil {
		return fmt.Errorf("-org: %w", err)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
