package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

const clientColumns = `key, secret_hash, name, scopes, created, revoked, org`

// PutClient creates the client, or replaces the one with the same Key.
func (s *Store) PutClient(ctx context.Context, c lrs.Client) error {
	scopes, err := json.Marshal(c.Scopes)
	if err != nil {
		return fmt.Errorf("sqlite: put client: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT OR REPLACE INTO clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.Key, c.SecretHash, c.Name, string(scopes), c.Created.UnixNano(), c.Revoked, c.Org)
	if err != nil {
		return wrap("put client", err)
	}
	return nil
}

// Client returns the client with the key, revoked or not, or an error wrapping lrs.ErrNotFound.
func (s *Store) Client(ctx context.Context, key string) (lrs.Client, error) {
	c, err := scanClient(s.r.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return lrs.Client{}, fmt.Errorf("sqlite: client %q: %w", key, lrs.ErrNotFound)
	}
	if err != nil {
		return lrs.Client{}, wrap("client", err)
	}
	return c, nil
}

// Clients lists all clients ordered by Created, then Key.
func (s *Store) Clients(ctx context.Context) ([]lrs.Client, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY created, key`)
	if err != nil {
		return nil, wrap("clients", err)
	}
	defer rows.Close()
	var list []lrs.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, wrap("clients", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("clients", err)
	}
	return list, nil
}

func scanClient(row interface{ Scan(...any) error }) (lrs.Client, error) {
	var c lrs.Client
	var scopes []byte
	var created int64
	if err := row.Scan(&c.Key, &c.SecretHash, &c.Name, &scopes, &created, &c.Revoked, &c.Org); err != nil {
		return lrs.Client{}, err
	}
	if err := json.Unmarshal(scopes, &c.Scopes); err != nil {
		return lrs.Client{}, fmt.Errorf("client %q: scopes: %w", c.Key, err)
	}
	c.Created = time.Unix(0, created).UTC()
	return c, nil
}
