package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yrkesresan/lrs/lrs/migrate"
)

const migrateUsage = `usage: lrs migrate -to mongodb://HOST/ [-database lrs] [-data ./data]
       lrs migrate -from mongodb://HOST/ [-database lrs] [-data ./data]`

// migrateCmd copies the embedded store under -data into MongoDB (-to), or MongoDB into the
// embedded store (-from). Run it again after an interruption: it copies what is missing.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &cfg)
	mongoDatabaseFlag(fs, &cfg, "database")
	to := fs.String("to", "", "MongoDB URI to copy the embedded store into")
	from := fs.String("from", "", "MongoDB URI to copy into the embedded store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*to == "") == (*from == "") || fs.NArg() > 0 {
		return errors.New(migrateUsage)
	}
	embedded, err := openStore(ctx, config{data: cfg.data})
	if err != nil {
		return err
	}
	defer embedded.Close()
	cfg.mongoURI = *to + *from
	remote, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer remote.Close()
	src, dst := embedded, remote
	if *from != "" {
		src, dst = remote, embedded
	}
	rep, err := migrate.Copy(ctx, src, dst, migrate.Options{Progress: migrate.Bar(stderr)})
	if err != nil {
		return fmt.Errorf("migrate (run it again to resume): %w", err)
	}
	fmt.Fprintf(stdout, "copied %d statements, %d documents, %d blobs, %d clients; "+
		"both stores now hold %d statements, %d documents, %d blobs, %d clients\n",
		rep.Copied.Statements, rep.Copied.Documents, rep.Copied.Blobs, rep.Copied.Clients,
		rep.Target.Statements, rep.Target.Documents, rep.Target.Blobs, rep.Target.Clients)
	return nil
}
