package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/httpapi"
	"github.com/yrkesresan/lrs/metrics"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 30 * time.Second

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serveFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.defaultVersion != lrs.Version200 && cfg.defaultVersion != lrs.Version103 {
		return fmt.Errorf("-xapi-default-version must be %s or %s", lrs.Version200, lrs.Version103)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg.log = log
	opened, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer opened.Close()
	m := metrics.New()
	store := m.Store(opened)
	if err := bootstrapClient(ctx, store, stdout); err != nil {
		return err
	}
	auth, err := lrs.NewAuthenticator(store)
	if err != nil {
		return err
	}
	prog, err := wireProgress(ctx, cfg, m, store, auth, log)
	if err != nil {
		return err
	}
	svc := lrs.NewService(store, lrs.Options{Log: log, Observer: prog.observer})
	api := httpapi.New(httpapi.Config{BaseURL: cfg.defaultBaseURL(), DefaultVersion: cfg.defaultVersion,
		Middleware: []gin.HandlerFunc{m.Middleware}}, svc, auth, log)
	scormAPI, err := scormHandler(ctx, cfg, store, svc, auth, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		// SCORM outermost: on a separate content origin it answers everything, so nothing that
		// takes credentials (xAPI, reports, metrics) is served where package scripts run.
		Handler:           scormAPI.Mount(prog.handler(cfg, api)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "addr", ln.Addr().String(), "xapi", cfg.defaultBaseURL()+httpapi.XAPIPath, "data", cfg.data)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.progress.metricsAddr != "" {
		msrv, err := serveMetrics(cfg.progress.metricsAddr, m, errc)
		if err != nil {
			return err
		}
		defer msrv.Close()
		log.Info("serving metrics", "addr", cfg.progress.metricsAddr)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// bootstrapClient makes sure someone can use the LRS: the client named by LRS_API_KEY_DEFAULT and
// LRS_API_SECRET_DEFAULT, or, on a first start without them, a new admin client whose secret is
// printed this once.
func bootstrapClient(ctx context.Context, store lrs.Store, stdout io.Writer) error {
	key, secret := os.Getenv("LRS_API_KEY_DEFAULT"), os.Getenv("LRS_API_SECRET_DEFAULT")
	if key != "" || secret != "" {
		if key == "" || secret == "" {
			return errors.New("set both LRS_API_KEY_DEFAULT and LRS_API_SECRET_DEFAULT, or neither")
		}
		return lrs.EnsureClient(ctx, store, key, secret, "default")
	}
	existing, err := store.Clients(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	c, secret, err := createClient(ctx, store, "admin", []lrs.Scope{lrs.ScopeAll}, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "First start: created an admin client. Its secret is shown only now.\n  key:    %s\n  secret: %s\n", c.Key, secret)
	return nil
}

// serveMetrics serves /metrics alone on addr; a failure to serve is sent to errc.
func serveMetrics(addr string, m *metrics.Metrics, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { errc <- srv.Serve(ln) }()
	return srv, nil
}
