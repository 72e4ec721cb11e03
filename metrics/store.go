package metrics

import (
	"context"
	"io"
	"time"

	"github.com/yrkesresan/lrs/lrs"
)

// Store wraps s so that every operation is timed into lrs_store_operation_duration_seconds.
// It is the same lrs.Store: the shared behaviour suite runs through it (see the tests).
func (m *Metrics) Store(s lrs.Store) lrs.Store { return &timedStore{Store: s, m: m} }

type timedStore struct {
	lrs.Store
	m *Metrics
}

func (s *timedStore) since(op string, start time.Time) {
	s.m.storeDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (s *timedStore) InsertStatements(ctx context.Context, recs []lrs.StatementRecord) error {
	defer s.since("insert_statements", time.Now())
	return s.Store.InsertStatements(ctx, recs)
}

func (s *timedStore) Statements(ctx context.Context, ids []string) ([]lrs.StatementRecord, error) {
	defer s.since("statements", time.Now())
	return s.Store.Statements(ctx, ids)
}

func (s *timedStore) QueryStatements(ctx context.Context, q lrs.StatementQuery) (lrs.StatementPage, error) {
	defer s.since("query_statements", time.Now())
	return s.Store.QueryStatements(ctx, q)
}

func (s *timedStore) Document(ctx context.Context, key lrs.DocumentKey) (lrs.Document, error) {
	defer s.since("document", time.Now())
	return s.Store.Document(ctx, key)
}

func (s *timedStore) DocumentIDs(ctx context.Context, key lrs.DocumentKey, since time.Time) ([]string, error) {
	defer s.since("document_ids", time.Now())
	return s.Store.DocumentIDs(ctx, key, since)
}

func (s *timedStore) PutDocument(ctx context.Context, doc lrs.Document, prev string) error {
	defer s.since("put_document", time.Now())
	return s.Store.PutDocument(ctx, doc, prev)
}

func (s *timedStore) DeleteDocument(ctx context.Context, key lrs.DocumentKey, prev string) error {
	defer s.since("delete_document", time.Now())
	return s.Store.DeleteDocument(ctx, key, prev)
}

func (s *timedStore) DeleteDocuments(ctx context.Context, key lrs.DocumentKey) error {
	defer s.since("delete_documents", time.Now())
	return s.Store.DeleteDocuments(ctx, key)
}

func (s *timedStore) PutBlob(ctx context.Context, sum string, r io.Reader) error {
	defer s.since("put_blob", time.Now())
	return s.Store.PutBlob(ctx, sum, r)
}

// Blob times the opening only: the caller streams the content at its own pace.
func (s *timedStore) Blob(ctx context.Context, sum string) (io.ReadCloser, error) {
	defer s.since("blob", time.Now())
	return s.Store.Blob(ctx, sum)
}

func (s *timedStore) DeleteBlob(ctx context.Context, sum string) error {
	defer s.since("delete_blob", time.Now())
	return s.Store.DeleteBlob(ctx, sum)
}

func (s *timedStore) Client(ctx context.Context, key string) (lrs.Client, error) {
	defer s.since("client", time.Now())
	return s.Store.Client(ctx, key)
}

func (s *timedStore) PutClient(ctx context.Context, c lrs.Client) error {
	defer s.since("put_client", time.Now())
	return s.Store.PutClient(ctx, c)
}

func (s *timedStore) Clients(ctx context.Context) ([]lrs.Client, error) {
	defer s.since("clients", time.Now())
	return s.Store.Clients(ctx)
}

func (s *timedStore) Records(ctx context.Context, kind string, keys []string) ([]lrs.Record, error) {
	defer s.since("records", time.Now())
	return s.Store.Records(ctx, kind, keys)
}

func (s *timedStore) ScanRecords(ctx context.Context, kind, after string, limit int) ([]lrs.Record, error) {
	defer s.since("scan_records", time.Now())
	return s.Store.ScanRecords(ctx, kind, after, limit)
}

func (s *timedStore) WriteRecords(ctx context.Context, ws []lrs.RecordWrite) ([]bool, error) {
	defer s.since("write_records", time.Now())
	return s.Store.WriteRecords(ctx, ws)
}

func (s *timedStore) Counters(ctx context.Context, f lrs.CounterFilter) ([]lrs.Counter, error) {
	defer s.since("counters", time.Now())
	return s.Store.Counters(ctx, f)
}

func (s *timedStore) ResetTallies(ctx context.Context, kind string) error {
	defer s.since("reset_tallies", time.Now())
	return s.Store.ResetTallies(ctx, kind)
}

func (s *timedStore) SettleRecords(ctx context.Context) error {
	defer s.since("settle_records", time.Now())
	return s.Store.SettleRecords(ctx)
}

func (s *timedStore) Ping(ctx context.Context) error {
	defer s.since("ping", time.Now())
	return s.Store.Ping(ctx)
}
