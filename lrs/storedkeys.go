package lrs

import (
	"context"
	"fmt"
)

// StoredKeys returns recs, records read back from the Service's store (stores do not return
// keys), with their Keys derived again as WriteStatements derived them when each was written:
// the statement's own (Keys) plus those of the statements it targets (StatementRef),
// recursively, authority aside, counting only the targets stored by then (Stored not after the
// record's). It serves copying a store (lrs migrate), so that the copy answers queries alike.
func (s *Service) StoredKeys(ctx context.Context, recs []StatementRecord) ([]StatementRecord, error) {
	sts := make([]map[string]any, len(recs))
	for i, r := range recs {
		st, err := decodeStatement(r.Statement)
		if err != nil {
			return nil, fmt.Errorf("decode stored statement %s: %w", r.ID, err)
		}
		sts[i] = st
	}
	targets, err := s.knownStatements(ctx, sts, nil)
	if err != nil {
		return nil, err
	}
	out := make([]StatementRecord, len(recs))
	for i, r := range recs {
		r.Keys = Keys(sts[i])
		b := batch{recs: []StatementRecord{r}, index: map[string]int{r.ID: 0}, refs: []string{refTarget(sts[i])}}
		if b.refs[0] != "" {
			b.known = make(map[string]known, len(targets))
			for id, k := range targets {
				if !k.rec.Stored.After(r.Stored) {
					b.known[id] = k
				}
			}
			b.inheritKeys()
		}
		out[i] = b.recs[0]
	}
	return out, nil
}
