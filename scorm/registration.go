package scorm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/yrkesresan/lrs/lrs"
	"github.com/yrkesresan/lrs/lrs/validate"
)

// Registration is a learner's enrolment in one version of a package: the xAPI registration of
// every statement the learner's sessions produce. A running registration keeps its version when
// the package gets a new one.
type Registration struct {
	ID      string         `json:"id"` // a UUID: xAPI context.registration
	Package string         `json:"package"`
	Version int            `json:"version"`
	Agent   map[string]any `json:"agent"` // the learner, an xAPI Agent (preferably an opaque account)
	Created time.Time      `json:"created"`
}

// RegistrationRequest asks for a registration. ID is optional (the LMS's own registration UUID,
// which makes the request idempotent); Version 0 means the latest.
type RegistrationRequest struct {
	ID      string         `json:"registration"`
	Package string         `json:"package"`
	Version int            `json:"version"`
	Agent   map[string]any `json:"agent"`
}

func registrationKey(id string) lrs.DocumentKey {
	return lrs.DocumentKey{Kind: DocRegistration, ID: id}
}

// CreateRegistration stores a registration. Asked again with the same ID, package and learner it
// returns the stored one (created false); the same ID for something else is a conflict.
func (s *Service) CreateRegistration(ctx context.Context, req RegistrationRequest) (Registration, bool, error) {
	if req.Package == "" {
		return Registration{}, false, fmt.Errorf("%w: package is required", lrs.ErrBadRequest)
	}
	if req.Agent == nil {
		return Registration{}, false, fmt.Errorf("%w: agent is required: the learner as an xAPI Agent, e.g. {\"account\":{\"homePage\":\"https://lms.example\",\"name\":\"opaque-id\"}}", lrs.ErrBadRequest)
	}
	if _, err := lrs.PersonOf(req.Agent, lrs.Version103); err != nil {
		return Registration{}, false, err
	}
	agentKey, _ := lrs.AgentKey(req.Agent)
	id := strings.ToLower(req.ID)
	if id == "" {
		id = uuid.NewString()
	} else if !validate.IsUUID(id) {
		return Registration{}, false, fmt.Errorf("%w: registration must be a UUID", lrs.ErrBadRequest)
	}
	if req.Version < 0 {
		return Registration{}, false, fmt.Errorf("%w: version must be a positive number", lrs.ErrBadRequest)
	}
	_, pv, err := s.Package(ctx, req.Package, req.Version)
	if err != nil {
		return Registration{}, false, err
	}
	reg := Registration{ID: id, Package: pv.Package, Version: pv.Version, Agent: req.Agent, Created: s.now().UTC().Truncate(time.Millisecond)}
	err = s.putJSON(ctx, registrationKey(id), reg, "")
	if !errors.Is(err, lrs.ErrStale) {
		return reg, err == nil, err
	}
	prev, err := s.Registration(ctx, id)
	if err != nil {
		return Registration{}, false, err
	}
	prevKey, _ := lrs.AgentKey(prev.Agent)
	if prev.Package != reg.Package || prevKey != agentKey || req.Version != 0 && prev.Version != req.Version {
		return Registration{}, false, fmt.Errorf("%w: registration %s exists for another learner or package", lrs.ErrConflict, id)
	}
	return prev, false, nil
}

// Registration returns a stored registration.
func (s *Service) Registration(ctx context.Context, id string) (Registration, error) {
	var r Registration
	if _, err := s.getJSON(ctx, registrationKey(strings.ToLower(id)), &r); err != nil {
		if isNotFound(err) {
			return Registration{}, notFound("no registration %q", id)
		}
		return Registration{}, err
	}
	return r, nil
}

// SCOStatus is where a learner stands in one SCO of a registration.
type SCOStatus struct {
	Item       string   `json:"item"`
	Title      string   `json:"title"`
	IRI        string   `json:"iri"`
	Attempts   int      `json:"attempts"`
	Completed  bool     `json:"completed"`         // in any attempt
	Success    string   `json:"success,omitempty"` // passed or failed, the latest reported
	Score      *float64 `json:"score,omitempty"`   // scaled (-1..1), the latest reported
	Suspended  bool     `json:"suspended"`         // the current attempt can be resumed
	TotalTime  string   `json:"totalTime,omitempty"`
	LastUpdate string   `json:"updated,omitempty"`
}

// Status reports the registration's progress per SCO, in course order.
func (s *Service) Status(ctx context.Context, reg Registration) ([]SCOStatus, error) {
	pv, err := s.Version(ctx, reg.Package, reg.Version)
	if err != nil {
		return nil, err
	}
	var out []SCOStatus
	for _, it := range pv.Manifest.Items {
		if !it.SCO {
			continue
		}
		st := SCOStatus{Item: it.ID, Title: it.Title, IRI: pv.SCOIRI(it.ID)}
		a, _, err := s.attempt(ctx, reg.ID, it.ID)
		if err != nil {
			return nil, err
		}
		if a != nil && len(a.Pending) > 0 {
			s.flush(ctx, reg.ID, it.ID) // statements a store outage left pending: retry them now
		}
		if a != nil {
			st.Attempts, st.Completed, st.Success, st.Score = a.Number, a.Completed, a.Success, a.Score
			st.Suspended = a.resumable()
			st.TotalTime = isoDuration(a.TotalSeconds)
			st.LastUpdate = lrs.FormatTime(a.Updated)
		}
		out = append(out, st)
	}
	return out, nil
}
