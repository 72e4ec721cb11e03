package lrs

import "context"

// Hooks for the external tests (package lrs_test), which run the core over a real store.

func (s *Service) RecordActivities(ctx context.Context, sts []map[string]any, define bool) error {
	return s.recordActivities(ctx, sts, define)
}

func (s *Service) ForgetActivity(id string) { s.activities.forget(id) }

func ActivityKey(id string) DocumentKey { return activityKey(id) }
