package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

const clientsUsage = `usage: lrs clients create [-name N] [-scopes s1,s2] [-org ORG] | list | revoke KEY`

func clients(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(clientsUsage)
	}
	var cfg config
	fs := flag.NewFlagSet("clients "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeFlags(fs, &cfg)
	name := fs.String("name", "", "client name (create)")
	scopes := fs.String("scopes", "statements/write,statements/read/mine,state,profile",
		"comma-separated xAPI scopes (create)")
	org := fs.String("org", "", "organisation the credentials are issued to: national, a county code (01) or a "+
		"municipality code (0180); decides what its progress reports cover (create)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := checkOrg(*org); err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	switch args[0] {
	case "create":
		return clientsCreate(ctx, store, *name, *scopes, strings.TrimSpace(*org), stdout)
	case "list":
		return clientsList(ctx, store, stdout)
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New(clientsUsage)
		}
		return clientsRevoke(ctx, store, fs.Arg(0), stdout)
	}
	return errors.New(clientsUsage)
}

func clientsCreate(ctx context.Context, store lrs.Store, name, scopeList, org string, stdout io.Writer) error {
	var scopes []lrs.Scope
	for _, s := range strings.Split(scopeList, ",") {
		sc, err := lrs.ParseScope(strings.TrimSpace(s))
		if err != nil {
			return err
		}
		scopes = append(scopes, sc)
	}
	c, secret, err := createClient(ctx, store, name, scopes, org)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key:    %s\nsecret: %s\n(the secret is stored hashed and cannot be shown again)\n", c.Key, secret)
	return nil
}

// createClient makes a client with fresh random credentials and returns it and its secret.
func createClient(ctx context.Context, store lrs.Store, name string, scopes []lrs.Scope, org string) (lrs.Client, string, error) {
	key, secret, err := lrs.NewCredentials()
	if err != nil {
		return lrs.Client{}, "", err
	}
	hash, err := lrs.HashSecret(secret)
	if err != nil {
		return lrs.Client{}, "", err
	}
	c := lrs.Client{Key: key, SecretHash: hash, Name: name, Scopes: scopes, Created: time.Now().UTC(), Org: org}
	if err := store.PutClient(ctx, c); err != nil {
		return lrs.Client{}, "", fmt.Errorf("create client: %w", err)
	}
	return c, secret, nil
}

func clientsList(ctx context.Context, store lrs.Store, stdout io.Writer) error {
	all, err := store.Clients(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME\tSCOPES\tORG\tCREATED\tSTATUS")
	for _, c := range all {
		status := "active"
		if c.Revoked {
			status = "revoked"
		}
		scopes := make([]string, len(c.Scopes))
		for i, s := range c.Scopes {
			scopes[i] = string(s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Key, c.Name, strings.Join(scopes, ","), c.Org, c.Created.Format(time.RFC3339), status)
	}
	return tw.Flush()
}

func clientsRevoke(ctx context.Context, store lrs.Store, key string, stdout io.Writer) error {
	c, err := store.Client(ctx, key)
	if err != nil {
		return fmt.Errorf("revoke %s: %w", key, err)
	}
	c.Revoked = true
	if err := store.PutClient(ctx, c); err != nil {
		return fmt.Errorf("revoke %s: %w", key, err)
	}
	fmt.Fprintf(stdout, "revoked %s (a running server stops accepting it within 30 s)\n", key)
	return nil
}
