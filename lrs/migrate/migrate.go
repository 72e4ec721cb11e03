// Package migrate copies everything one lrs.Store holds into another: statements (voided ones
// included, their query keys derived again), documents, blobs and API clients. It is what
// `lrs migrate` runs, from the embedded store to MongoDB or back.
//
// A copy is idempotent and resumable: it reads the source from the start and writes only what
// the target lacks (or, for documents and clients, holds differently), so running it again after
// an interruption finishes the job, and running it again after the source took more writes
// catches up. Statements are inserted page by page in the source's scan order, each page all or
// none, so records stored at the same time keep their order. At the end it counts both stores.
//
// The progress roll-ups (records and counters) are not copied: they are derived from the
// statements, and `lrs progress rebuild` derives them again on the target.
package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// Stages, in the order a copy runs them.
const (
	StageStatements = "statements"
	StageDocuments  = "documents"
	StageBlobs      = "blobs"
	StageClients    = "clients"
)

// Progress is how far a stage of a copy has got.
type Progress struct {
	Stage  string
	Done   int64 // records of the stage handled: copied, or found in the target already
	Copied int64 // of Done, those written to the target
	Total  int64 // records of the stage the source held when the copy began
	Last   bool  // the stage is complete
}

// Options tune a copy; zero values take the defaults.
type Options struct {
	PageSize int            // records read at a time (default 500)
	Progress func(Progress) // called after each page, if set
}

// Report is the outcome of a complete copy.
type Report struct {
	Copied lrs.Counts // written to the target by this run
	Source lrs.Counts // counted at the end
	Target lrs.Counts
}

// Copy copies from into to, then checks that both hold as many records of each kind. A
// cancelled ctx stops it (at the latest before the next page), leaving what it copied in place.
func Copy(ctx context.Context, from, to lrs.Store, opts Options) (Report, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	if opts.Progress == nil {
		opts.Progress = func(Progress) {}
	}
	total, err := from.Count(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("count the source: %w", err)
	}
	c := copier{from: from, to: to, opts: opts}
	var rep Report
	for _, stage := range []struct {
		name   string
		total  int64
		copied *int64
		run    func(context.Context, *Progress) error
	}{
		{StageStatements, total.Statements, &rep.Copied.Statements, c.statements},
		{StageDocuments, total.Documents, &rep.Copied.Documents, c.documents},
		{StageBlobs, total.Blobs, &rep.Copied.Blobs, c.blobs},
		{StageClients, total.Clients, &rep.Copied.Clients, c.clients},
	} {
		p := Progress{Stage: stage.name, Total: stage.total}
		if err := stage.run(ctx, &p); err != nil {
			return rep, fmt.Errorf("copy %s: %w", stage.name, err)
		}
		*stage.copied = p.Copied
		p.Last = true
		opts.Progress(p)
	}
	if rep.Source, err = from.Count(ctx); err != nil {
		return rep, fmt.Errorf("count the source: %w", err)
	}
	if rep.Target, err = to.Count(ctx); err != nil {
		return rep, fmt.Errorf("count the target: %w", err)
	}
	if rep.Source != rep.Target {
		return rep, fmt.Errorf("the stores differ after the copy: the source holds %+v, the target %+v "+
			"(the source took writes meanwhile, or the target held records the source lacks)", rep.Source, rep.Target)
	}
	return rep, nil
}

type copier struct {
	from, to lrs.Store
	opts     Options
}

// statements copies the statements page by page: those the target lacks are inserted as one
// batch, with keys derived again; those it has must be the same.
func (c copier) statements(ctx context.Context, p *Progress) error {
	keys := lrs.NewService(c.from, lrs.Options{Log: slog.New(slog.DiscardHandler)})
	for cursor := ""; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := c.from.ScanStatements(ctx, cursor, c.opts.PageSize)
		if err != nil {
			return err
		}
		ids := make([]string, len(page.Statements))
		for i, r := range page.Statements {
			ids[i] = r.ID
		}
		there, err := c.to.Statements(ctx, ids)
		if err != nil {
			return err
		}
		have := make(map[string]lrs.StatementRecord, len(there))
		for _, r := range there {
			have[r.ID] = r
		}
		var missing []lrs.StatementRecord
		for _, r := range page.Statements {
			t, ok := have[r.ID]
			switch {
			case !ok:
				missing = append(missing, r)
			case !t.Stored.Equal(r.Stored) || !bytes.Equal(t.Statement, r.Statement):
				return fmt.Errorf("statement %s is in the target with other content", r.ID)
			}
		}
		if len(missing) > 0 {
			if missing, err = keys.StoredKeys(ctx, missing); err != nil {
				return err
			}
			if err := c.to.InsertStatements(ctx, missing); err != nil {
				return err
			}
		}
		p.Done += int64(len(page.Statements))
		p.Copied += int64(len(missing))
		c.opts.Progress(*p)
		if cursor = page.Cursor; cursor == "" {
			return nil
		}
	}
}

// documents copies the documents the target lacks or holds with another ETag.
func (c copier) documents(ctx context.Context, p *Progress) error {
	for cursor := ""; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := c.from.ScanDocuments(ctx, cursor, c.opts.PageSize)
		if err != nil {
			return err
		}
		for _, d := range page.Documents {
			copied, err := c.document(ctx, d)
			if err != nil {
				return fmt.Errorf("document %+v: %w", d.Key, err)
			}
			p.Done++
			if copied {
				p.Copied++
			}
		}
		c.opts.Progress(*p)
		if cursor = page.Cursor; cursor == "" {
			return nil
		}
	}
}

func (c copier) document(ctx context.Context, d lrs.Document) (bool, error) {
	prev := ""
	t, err := c.to.Document(ctx, d.Key)
	switch {
	case errors.Is(err, lrs.ErrNotFound):
	case err != nil:
		return false, err
	case t.ETag == d.ETag && t.ContentType == d.ContentType && t.Updated.Equal(d.Updated):
		return false, nil
	default:
		prev = t.ETag
	}
	return true, c.to.PutDocument(ctx, d, prev)
}

// blobs copies the blobs the target lacks.
func (c copier) blobs(ctx context.Context, p *Progress) error {
	for after := ""; ; {
		if err := ctx.Err(); err != nil {
			return err
		}
		sums, err := c.from.ScanBlobs(ctx, after, c.opts.PageSize)
		if err != nil {
			return err
		}
		if len(sums) == 0 {
			return nil
		}
		for _, sum := range sums {
			copied, err := c.blob(ctx, sum)
			if err != nil {
				return fmt.Errorf("blob %s: %w", sum, err)
			}
			p.Done++
			if copied {
				p.Copied++
			}
		}
		c.opts.Progress(*p)
		after = sums[len(sums)-1]
	}
}

func (c copier) blob(ctx context.Context, sum string) (bool, error) {
	t, err := c.to.Blob(ctx, sum)
	if err == nil {
		return false, t.Close()
	}
	if !errors.Is(err, lrs.ErrNotFound) {
		return false, err
	}
	r, err := c.from.Blob(ctx, sum)
	if err != nil {
		return false, err
	}
	defer r.Close()
	return true, c.to.PutBlob(ctx, sum, r)
}

// clients copies the clients the target lacks or holds differently (a revoked one, say).
func (c copier) clients(ctx context.Context, p *Progress) error {
	list, err := c.from.Clients(ctx)
	if err != nil {
		return err
	}
	for _, cl := range list {
		t, err := c.to.Client(ctx, cl.Key)
		switch {
		case errors.Is(err, lrs.ErrNotFound):
		case err != nil:
			return err
		case sameClient(t, cl):
			p.Done++
			continue
		}
		if err := c.to.PutClient(ctx, cl); err != nil {
			return fmt.Errorf("client %s: %w", cl.Key, err)
		}
		p.Done++
		p.Copied++
	}
	c.opts.Progress(*p)
	return nil
}

// sameClient compares Created to the millisecond, which is what every store keeps.
func sameClient(a, b lrs.Client) bool {
	return a.SecretHash == b.SecretHash && a.Name == b.Name && slices.Equal(a.Scopes, b.Scopes) &&
		a.Created.Truncate(time.Millisecond).Equal(b.Created.Truncate(time.Millisecond)) &&
		a.Revoked == b.Revoked && a.Org == b.Org
}
