package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/sqlite"
)

// config is the configuration shared by the subcommands that open the store.
type config struct {
	addr           string
	data           string
	baseURL        string
	defaultVersion string
}

// storeFlags registers the flags every store-opening command takes; each defaults to its LRS_*
// environment variable.
func storeFlags(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.data, "data", env("LRS_DATA", "./data"), "data directory (LRS_DATA)")
}

func serveFlags(fs *flag.FlagSet, cfg *config) {
	storeFlags(fs, cfg)
	fs.StringVar(&cfg.addr, "addr", env("LRS_ADDR", ":8080"), "listen address (LRS_ADDR)")
	fs.StringVar(&cfg.baseURL, "base-url", env("LRS_BASE_URL", ""),
		"public URL of the server, default http://localhost<addr's port> (LRS_BASE_URL)")
	fs.StringVar(&cfg.defaultVersion, "xapi-default-version", env("LRS_XAPI_DEFAULT_VERSION", "2.0.0"),
		"xAPI version stated when refusing a request that named none: 2.0.0 or 1.0.3 (LRS_XAPI_DEFAULT_VERSION)")
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// defaultBaseURL derives the public URL from the listen address when none is configured.
func (c config) defaultBaseURL() string {
	if c.baseURL != "" {
		return strings.TrimRight(c.baseURL, "/")
	}
	host, port, err := net.SplitHostPort(c.addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// openStore opens the configured backend: the one place a backend is chosen.
func openStore(ctx context.Context, cfg config) (lrs.Store, error) {
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.data, "lrs.db"))
}
