package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/mongo"
	"github.com/yrkesresan/lrs/lrs/sqlite"
)

// config is the configuration shared by the subcommands that open the store.
type config struct {
	addr           string
	data           string
	baseURL        string
	defaultVersion string
	mongoURI       string // when set, the store is MongoDB, in database mongoDatabase
	mongoDatabase  string
	log            *slog.Logger // for the store's background work; slog.Default() if nil
	scorm          scormConfig
	progress       progressConfig
}

// storeFlags registers the flags every store-opening command takes; each defaults to its LRS_*
// environment variable.
func storeFlags(fs *flag.FlagSet, cfg *config) {
	dataFlag(fs, cfg)
	fs.StringVar(&cfg.mongoURI, "mongodb-uri", env("LRS_MONGODB_URI", ""),
		"MongoDB connection URI; when set, the store is MongoDB instead of the SQLite file under -data (LRS_MONGODB_URI)")
	mongoDatabaseFlag(fs, cfg, "mongodb-database")
}

func dataFlag(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.data, "data", env("LRS_DATA", "./data"), "data directory (LRS_DATA)")
}

func mongoDatabaseFlag(fs *flag.FlagSet, cfg *config, name string) {
	fs.StringVar(&cfg.mongoDatabase, name, env("LRS_MONGODB_DATABASE", "lrs"), "MongoDB database (LRS_MONGODB_DATABASE)")
}

func serveFlags(fs *flag.FlagSet, cfg *config) {
	storeFlags(fs, cfg)
	fs.StringVar(&cfg.addr, "addr", env("LRS_ADDR", ":8080"), "listen address (LRS_ADDR)")
	fs.StringVar(&cfg.baseURL, "base-url", env("LRS_BASE_URL", ""),
		"public URL of the server, default http://localhost<addr's port> (LRS_BASE_URL)")
	fs.StringVar(&cfg.defaultVersion, "xapi-default-version", env("LRS_XAPI_DEFAULT_VERSION", "2.0.0"),
		"xAPI version stated when refusing a request that named none: 2.0.0 or 1.0.3 (LRS_XAPI_DEFAULT_VERSION)")
	scormFlags(fs, cfg)
	progressFlags(fs, cfg)
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
	if cfg.mongoURI != "" {
		log := cfg.log
		if log == nil {
			log = slog.Default()
		}
		return mongo.Open(ctx, cfg.mongoURI, cfg.mongoDatabase, log)
	}
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.data, "lrs.db"))
}
